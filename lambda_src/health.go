package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// checkTimeout bounds each dependency check; all run at once, so /health/ready answers
// within about this long even when every dependency hangs.
const checkTimeout = 2 * time.Second

// A check reports whether one dependency answers. It must honour ctx's deadline.
type check struct {
	name string
	run  func(ctx context.Context) error
}

type checkResult struct {
	Status    string `json:"status"`
	LatencyMs int64  `json:"latency_ms"`
}

type readiness struct {
	Status string                 `json:"status"`
	Checks map[string]checkResult `json:"checks"`
}

// healthHandler answers liveness: no dependency, always 200 while the process serves.
func healthHandler(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyHandler runs every check concurrently, each bounded by timeout, and answers 200
// when all pass, 503 otherwise. Failure details go to the log, not to the caller.
func readyHandler(checks []check, timeout time.Duration, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		report := readiness{Status: "ready", Checks: make(map[string]checkResult, len(checks))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(r.Context(), timeout)
				defer cancel()
				start := time.Now()
				err := runBounded(ctx, c.run)
				result := checkResult{Status: "up", LatencyMs: time.Since(start).Milliseconds()}
				if err != nil {
					result.Status = "down"
					logger.Warn("dependency down", "dependency", c.name, "error", err.Error())
				}
				mu.Lock()
				report.Checks[c.name] = result
				if err != nil {
					report.Status = "not_ready"
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		status := http.StatusOK
		if report.Status != "ready" {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, report)
	}
}

// runBounded returns when run does or when ctx ends, whichever is first, so a client
// library that ignores its context cannot hold the response.
func runBounded(ctx context.Context, run func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within the deadline: %w", ctx.Err())
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// postgresCheck connects with the DB_* settings (honouring DB_SSLMODE) and pings.
func postgresCheck(cfg settings) check {
	return check{name: "postgres", run: func(ctx context.Context) error {
		dsn := url.URL{
			Scheme:   "postgres",
			User:     url.UserPassword(cfg.dbUser, cfg.dbPassword),
			Host:     net.JoinHostPort(cfg.dbHost, cfg.dbPort),
			Path:     "/" + cfg.dbName,
			RawQuery: url.Values{"sslmode": {cfg.dbSSLMode}}.Encode(),
		}
		conn, err := pgx.Connect(ctx, dsn.String())
		if err != nil {
			return redactDSN(err, cfg.dbPassword)
		}
		defer conn.Close(context.Background())
		return conn.Ping(ctx)
	}}
}

// redisCheck dials Redis (TLS when REDIS_TLS is true), authenticates and pings.
func redisCheck(cfg settings) check {
	return check{name: "redis", run: func(ctx context.Context) error {
		options := &redis.Options{
			Addr:         net.JoinHostPort(cfg.redisHost, cfg.redisPort),
			Password:     cfg.redisPassword,
			DialTimeout:  checkTimeout,
			ReadTimeout:  checkTimeout,
			WriteTimeout: checkTimeout,
			PoolSize:     1,
			MaxRetries:   -1, // a readiness probe reports the first failure
		}
		if cfg.redisTLS {
			options.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.redisHost}
		}
		client := redis.NewClient(options)
		defer client.Close()
		return client.Ping(ctx).Err()
	}}
}

// s3Check asks for the bucket's metadata (needs s3:ListBucket on it).
func s3Check(cfg settings, client func() (*s3.Client, error)) check {
	return check{name: "s3", run: func(ctx context.Context) error {
		if cfg.bucket == "" {
			return errors.New("AWS_BUCKET is not set")
		}
		c, err := client()
		if err != nil {
			return err
		}
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.bucket)})
		return err
	}}
}

// redactDSN keeps the password out of an error that might quote the connection string.
func redactDSN(err error, password string) error {
	if password == "" {
		return err
	}
	msg := err.Error()
	for _, form := range []string{password, url.QueryEscape(password), url.PathEscape(password), strconv.Quote(password)} {
		msg = strings.ReplaceAll(msg, form, "REDACTED")
	}
	return errors.New(msg)
}
