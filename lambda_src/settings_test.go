package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
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
