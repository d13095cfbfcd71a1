package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSettingsFollowTheSeedsVariables(t *testing.T) {
	cfg, err := readSettings(mapEnv{
		"PORT": "9090", "DB_HOST": "db.internal", "DB_SSLMODE": "require", "REDIS_TLS": "true",
		"ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com", "AWS_BUCKET": "assets",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.port != "9090" || cfg.dbHost != "db.internal" || !cfg.redisTLS || cfg.bucket != "assets" || cfg.dbPort != "5432" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.allowedOrigins, []string{"https://a.example.com", "https://b.example.com"}) {
		t.Fatalf("origins = %v", cfg.allowedOrigins)
	}
}

func TestAnUnknownSSLModeIsRejected(t *testing.T) {
	_, err := readSettings(mapEnv{"DB_SSLMODE": "on"})
	if err == nil || !strings.Contains(err.Error(), `DB_SSLMODE "on"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactDSNRemovesThePassword(t *testing.T) {
	err := redactDSN(errors.New("failed to connect to `user=postgres password=s3cr3t/x database=anigmaa`"), "s3cr3t/x")
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("password leaked: %v", err)
	}
}

func TestThePoolSizeComesFromDBMaxConns(t *testing.T) {
	if cfg, err := readSettings(mapEnv{"DB_MAX_CONNS": "10"}); err != nil || cfg.dbMaxConns != 10 {
		t.Fatalf("cfg.dbMaxConns = %d, err = %v", cfg.dbMaxConns, err)
	}
	if cfg, _ := readSettings(mapEnv{}); cfg.dbMaxConns != 2 {
		t.Fatalf("default = %d, want the Lambda figure 2", cfg.dbMaxConns)
	}
	for _, bad := range []string{"0", "-1", "ten", "101"} {
		if _, err := readSettings(mapEnv{"DB_MAX_CONNS": bad}); err == nil || !strings.Contains(err.Error(), "DB_MAX_CONNS") {
			t.Fatalf("DB_MAX_CONNS=%s: err = %v", bad, err)
		}
	}
}

func TestTheSharedClientsAreCreatedOnFirstUseOnly(t *testing.T) {
	cfg, err := readSettings(mapEnv{"DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_MAX_CONNS": "3"})
	if err != nil {
		t.Fatal(err)
	}
	conns := newConnections(cfg, nil)
	pool, err := conns.DB() // no server on port 1: creating the pool must not connect
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := conns.DB(); again != pool {
		t.Fatal("a second pool was created")
	}
	if got := pool.Config().MaxConns; got != 3 {
		t.Fatalf("MaxConns = %d, want DB_MAX_CONNS", got)
	}
	if got := pool.Config().ConnConfig.RuntimeParams["idle_session_timeout"]; got != "300000" {
		t.Fatalf("idle_session_timeout = %q", got)
	}
	conns.Close()
}

func TestTheRequestDeadlineComesFromRequestDeadlineMs(t *testing.T) {
	if cfg, err := readSettings(mapEnv{}); err != nil || cfg.requestDeadline != 23*time.Second {
		t.Fatalf("default = %v, err = %v; want 23 s (a 24 s function timeout less 1 s)", cfg.requestDeadline, err)
	}
	for value, want := range map[string]time.Duration{"1500": 1500 * time.Millisecond, "100": 100 * time.Millisecond,
		"900000": 15 * time.Minute} {
		if cfg, err := readSettings(mapEnv{"REQUEST_DEADLINE_MS": value}); err != nil || cfg.requestDeadline != want {
			t.Fatalf("REQUEST_DEADLINE_MS=%s: %v, err = %v", value, cfg.requestDeadline, err)
		}
	}
	for _, bad := range []string{"99", "900001", "0", "-5", "1.5", "23s", "ten"} {
		_, err := readSettings(mapEnv{"REQUEST_DEADLINE_MS": bad})
		if err == nil || err.Error() != `REQUEST_DEADLINE_MS "`+bad+`" is not a whole number in 100..900000` {
			t.Fatalf("REQUEST_DEADLINE_MS=%s: err = %v", bad, err)
		}
	}
}
