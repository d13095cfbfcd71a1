package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/anigmaa/anigmaa-infra/lambda_src/database"
)

const (
	// A pooled PostgreSQL connection idle this long is closed by the pool.
	dbIdleTime = time.Minute
	// The server closes a session idle this long: a frozen Lambda environment cannot close
	// its own, and its sockets would otherwise hold max_connections until it is reclaimed.
	dbServerIdleTimeout = 5 * time.Minute
	dbConnectTimeout    = 5 * time.Second
	redisTimeout        = 2 * time.Second
	// When a request's context ends mid-query, pgx asks PostgreSQL to cancel the query (a
	// cancel request on a connection of its own) and waits this long for the server to
	// confirm it; past that, the connection is closed.
	dbCancelWait = time.Second
)

// connections are the backend's shared clients, one of each per process, created on first
// use so that init stays fast and a route that needs neither never connects. The pool holds
// at most DB_MAX_CONNS connections: what the CDK app's connection budget counts.
type connections struct {
	db    func() (*pgxpool.Pool, error)
	cache func() (*redis.Client, error)
}

// With DB_IAM_AUTH=true, tokens signs the password of each new database connection.
func newConnections(cfg settings, tokens database.TokenFunc) *connections {
	return &connections{
		db:    sync.OnceValues(func() (*pgxpool.Pool, error) { return newPool(cfg, tokens) }),
		cache: sync.OnceValues(func() (*redis.Client, error) { return newRedis(cfg), nil }),
	}
}

// DB is the shared PostgreSQL pool. Acquire from it per request; never hold a connection
// across requests.
func (c *connections) DB() (*pgxpool.Pool, error) { return c.db() }

// Cache is the shared Redis client.
func (c *connections) Cache() (*redis.Client, error) { return c.cache() }

// Close releases what was opened (server mode, on shutdown).
func (c *connections) Close() {
	if pool, err := c.db(); err == nil {
		pool.Close()
	}
	if client, err := c.cache(); err == nil {
		_ = client.Close()
	}
}

func newPool(cfg settings, tokens database.TokenFunc) (*pgxpool.Pool, error) {
	config, err := poolConfig(cfg, tokens)
	if err != nil {
		return nil, err
	}
	// No connection is opened here (MinConns is 0): the first Acquire opens one.
	return pgxpool.NewWithConfig(context.Background(), config)
}

// poolConfig is the pool's configuration: DB_PASSWORD, or with DB_IAM_AUTH=true a fresh
// IAM token for each new connection and no password at all.
func poolConfig(cfg settings, tokens database.TokenFunc) (*pgxpool.Config, error) {
	user := url.UserPassword(cfg.dbUser, cfg.dbPassword)
	if cfg.dbIAMAuth {
		if tokens == nil {
			return nil, errors.New("DB_IAM_AUTH=true but nothing signs IAM tokens")
		}
		user = url.User(cfg.dbUser)
	}
	query := url.Values{"sslmode": {cfg.dbSSLMode}}
	if cfg.dbSSLRootCert != "" && cfg.dbSSLRootCert != database.RDSBundle {
		query.Set("sslrootcert", cfg.dbSSLRootCert)
	}
	dsn := url.URL{
		Scheme:   "postgres",
		User:     user,
		Host:     net.JoinHostPort(cfg.dbHost, cfg.dbPort),
		Path:     "/" + cfg.dbName,
		RawQuery: query.Encode(),
	}
	config, err := pgxpool.ParseConfig(dsn.String())
	if err != nil {
		return nil, redactDSN(err, cfg.dbPassword)
	}
	if cfg.dbSSLRootCert == database.RDSBundle {
		if err := database.TrustRDS(&config.ConnConfig.Config); err != nil {
			return nil, err
		}
	}
	if cfg.dbIAMAuth {
		config.BeforeConnect = database.IAMTokens(tokens)
	}
	config.MaxConns = int32(cfg.dbMaxConns)
	config.MinConns = 0
	config.MaxConnIdleTime = dbIdleTime
	config.HealthCheckPeriod = dbIdleTime / 2
	config.ConnConfig.ConnectTimeout = dbConnectTimeout
	config.ConnConfig.RuntimeParams["idle_session_timeout"] = strconv.FormatInt(dbServerIdleTimeout.Milliseconds(), 10)
	config.ConnConfig.RuntimeParams["application_name"] = "anigmaa-backend"
	// The backstop behind the cancel at the deadline (deadline.go): the server ends any statement
	// after the request deadline's length, and a transaction left idle as long, even one run
	// without the request's context or whose cancel never left a frozen Lambda environment.
	deadline := strconv.FormatInt(cfg.requestDeadline.Milliseconds(), 10)
	config.ConnConfig.RuntimeParams["statement_timeout"] = deadline
	config.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = deadline
	// When a context ends mid-query, pgx's default closes the connection (sending a cancel
	// request on its way out), so each request that reaches its deadline costs a new
	// connection: TLS, authentication, an IAM token. This one has PostgreSQL cancel the
	// query and keeps the connection.
	config.ConnConfig.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: dbCancelWait}
	}
	return config, nil
}

func newRedis(cfg settings) *redis.Client {
	options := &redis.Options{
		Addr:         net.JoinHostPort(cfg.redisHost, cfg.redisPort),
		Password:     cfg.redisPassword,
		DialTimeout:  redisTimeout,
		ReadTimeout:  redisTimeout,
		WriteTimeout: redisTimeout,
		// A call also ends at its context's deadline (the request's), when that comes first.
		ContextTimeoutEnabled: true,
		PoolSize:              cfg.dbMaxConns, // the same bound on concurrent work per process as the database's
	}
	if cfg.redisTLS {
		options.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.redisHost}
	}
	return redis.NewClient(options)
}
