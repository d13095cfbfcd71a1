package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// fakePostgres accepts connections on loopback, asks each for a cleartext password,
// records it and lets the client in: enough of the protocol to see what a pool sends.
type fakePostgres struct {
	port string
	mu   sync.Mutex
	seen []string // user:password of each connection, in order
}

func startFakePostgres(t *testing.T) *fakePostgres {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })
	server := &fakePostgres{port: strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go server.serve(conn)
		}
	}()
	return server
}

func (s *fakePostgres) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	in := bufio.NewReader(conn)
	// StartupMessage: length, protocol version, then name\0value\0 pairs.
	var length uint32
	if binary.Read(in, binary.BigEndian, &length) != nil || length < 8 {
		return
	}
	startup := make([]byte, length-4)
	if _, err := io.ReadFull(in, startup); err != nil {
		return
	}
	fields := strings.Split(string(startup[4:]), "\x00")
	user := ""
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "user" {
			user = fields[i+1]
		}
	}
	_, _ = conn.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}) // AuthenticationCleartextPassword
	kind, err := in.ReadByte()
	if err != nil || kind != 'p' || binary.Read(in, binary.BigEndian, &length) != nil {
		return
	}
	password := make([]byte, length-4)
	if _, err := io.ReadFull(in, password); err != nil {
		return
	}
	s.mu.Lock()
	s.seen = append(s.seen, user+":"+strings.TrimSuffix(string(password), "\x00"))
	s.mu.Unlock()
	_, _ = conn.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 0, 'Z', 0, 0, 0, 5, 'I'}) // AuthenticationOk, ReadyForQuery
	_, _ = io.Copy(io.Discard, in)                                               // until the client hangs up
}

func (s *fakePostgres) logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// openTwo holds two connections at once, so the pool has to open two.
func openTwo(t *testing.T, cfg settings, tokens func(context.Context, string, string) (string, error)) {
	t.Helper()
	pool, err := newPool(cfg, tokens)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	first, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	second, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second.Release()
}

func TestWithIAMAuthEachNewConnectionSignsItsOwnToken(t *testing.T) {
	server := startFakePostgres(t)
	cfg, err := readSettings(mapEnv{
		"DB_HOST": "127.0.0.1", "DB_PORT": server.port, "DB_USER": "anigmaa_app", "DB_SSLMODE": "disable",
		"DB_IAM_AUTH": "true", "DB_PASSWORD": "never-sent",
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	tokens := func(_ context.Context, endpoint, user string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, user+"@"+endpoint)
		return fmt.Sprintf("token-%d", len(asked)), nil
	}
	openTwo(t, cfg, tokens)
	if got := server.logins(); strings.Join(got, ",") != "anigmaa_app:token-1,anigmaa_app:token-2" {
		t.Fatalf("logins = %v", got)
	}
	want := "anigmaa_app@127.0.0.1:" + server.port
	if len(asked) != 2 || asked[0] != want || asked[1] != want {
		t.Fatalf("tokens asked for %v, want twice %s", asked, want)
	}
}

func TestWithoutIAMAuthEveryConnectionSendsDBPasswordAndNoTokenIsSigned(t *testing.T) {
	server := startFakePostgres(t)
	cfg, err := readSettings(mapEnv{
		"DB_HOST": "127.0.0.1", "DB_PORT": server.port, "DB_USER": "postgres", "DB_SSLMODE": "disable",
		"DB_PASSWORD": "local-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	openTwo(t, cfg, func(context.Context, string, string) (string, error) {
		t.Error("a token was signed in password mode")
		return "", nil
	})
	if got := server.logins(); strings.Join(got, ",") != "postgres:local-password,postgres:local-password" {
		t.Fatalf("logins = %v", got)
	}
}

func TestIAMAuthWithoutATokenSignerIsRefused(t *testing.T) {
	cfg, _ := readSettings(mapEnv{"DB_IAM_AUTH": "true"})
	if _, err := poolConfig(cfg, nil); err == nil || !strings.Contains(err.Error(), "DB_IAM_AUTH=true") {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifyFullWithTheRDSBundleTrustsTheRDSAuthoritiesOnly(t *testing.T) {
	cfg, err := readSettings(mapEnv{"DB_HOST": "db.example.ap-southeast-1.rds.amazonaws.com", "DB_SSLMODE": "verify-full",
		"DB_SSLROOTCERT": "rds"})
	if err != nil {
		t.Fatal(err)
	}
	config, err := poolConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig := config.ConnConfig.TLSConfig
	if tlsConfig == nil || tlsConfig.InsecureSkipVerify || tlsConfig.ServerName != cfg.dbHost || tlsConfig.RootCAs == nil {
		t.Fatalf("TLS config = %+v", tlsConfig)
	}
	system, err := x509.SystemCertPool()
	if err == nil && tlsConfig.RootCAs.Equal(system) {
		t.Fatal("the system's CAs are trusted, not the RDS bundle")
	}
	if len(config.ConnConfig.Fallbacks) != 0 {
		t.Fatalf("verify-full falls back to %d other attempts", len(config.ConnConfig.Fallbacks))
	}
}

func TestDBSSLRootCertMayNameAPEMFileAsInLibpq(t *testing.T) {
	bundle, err := os.ReadFile("database/rds-ca-bundle.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(bundle)
	path := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := readSettings(mapEnv{"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": path})
	config, err := poolConfig(cfg, nil)
	if err != nil || config.ConnConfig.TLSConfig == nil || config.ConnConfig.TLSConfig.RootCAs == nil {
		t.Fatalf("config = %+v, err = %v", config, err)
	}
	cfg.dbSSLRootCert = t.TempDir() + "/missing.pem"
	if _, err := poolConfig(cfg, nil); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
}

func TestEveryStatementAndOpenTransactionEndsAtTheRequestDeadlineOnTheServer(t *testing.T) {
	cfg, err := readSettings(mapEnv{"REQUEST_DEADLINE_MS": "1500"})
	if err != nil {
		t.Fatal(err)
	}
	config, err := poolConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	params := config.ConnConfig.RuntimeParams
	if params["statement_timeout"] != "1500" || params["idle_in_transaction_session_timeout"] != "1500" {
		t.Fatalf("runtime params = %v", params)
	}
	// A context that ends sends PostgreSQL a cancel request, and gives it dbCancelWait to answer.
	handler := config.ConnConfig.BuildContextWatcherHandler(nil)
	if watcher, ok := handler.(*pgconn.CancelRequestContextWatcherHandler); !ok || watcher.DeadlineDelay != dbCancelWait ||
		watcher.CancelRequestDelay != 0 {
		t.Fatalf("context watcher = %#v", handler)
	}
}

func TestARedisCallEndsAtItsContextsDeadlineToo(t *testing.T) {
	client := newRedis(settings{redisHost: "127.0.0.1", redisPort: "1", dbMaxConns: 2})
	defer func() { _ = client.Close() }()
	options := client.Options()
	if !options.ContextTimeoutEnabled || options.ReadTimeout != redisTimeout || options.DialTimeout != redisTimeout {
		t.Fatalf("options = %+v", options)
	}
}
