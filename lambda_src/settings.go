package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultRequestDeadline is REQUEST_DEADLINE_MS when unset: the CDK app's 24 s function
// timeout (the most the HTTP API's 30 s integration timeout leaves after a 6 s init) less
// the second the frame keeps to answer in.
const defaultRequestDeadline = 23 * time.Second

// settings are the seed's environment variables, read once at start (after the secrets
// have been loaded into the environment).
type settings struct {
	port           string
	env            string
	dbHost         string
	dbPort         string
	dbUser         string
	dbName         string
	dbPassword     string
	dbSSLMode      string
	dbSSLRootCert  string // the CAs verify-full trusts: a PEM file, or "rds" for the bundle compiled in
	dbIAMAuth      bool
	redisHost      string
	redisPort      string
	redisPassword  string
	redisTLS       bool
	bucket         string
	allowedOrigins []string
	s3PathStyle    bool
	dbMaxConns     int
	// How long a request may take before the frame answers 504 in its place; PostgreSQL's
	// statement_timeout too.
	requestDeadline time.Duration
	// ORIGIN_VERIFY_SECRET: the Secrets Manager secret (ARN or name) holding the value
	// CloudFront sends in X-Origin-Verify; empty, there is no origin check (origin.go).
	originSecret string
}

func readSettings(env environment) (settings, error) {
	get := func(key, fallback string) string {
		if value, ok := env.LookupEnv(key); ok && value != "" {
			return value
		}
		return fallback
	}
	cfg := settings{
		port:           get("PORT", "8080"),
		env:            get("ENV", "dev"),
		dbHost:         get("DB_HOST", "localhost"),
		dbPort:         get("DB_PORT", "5432"),
		dbUser:         get("DB_USER", "postgres"),
		dbName:         get("DB_NAME", "anigmaa"),
		dbPassword:     get("DB_PASSWORD", ""),
		dbSSLMode:      get("DB_SSLMODE", "require"),
		dbSSLRootCert:  get("DB_SSLROOTCERT", ""),
		redisHost:      get("REDIS_HOST", "localhost"),
		redisPort:      get("REDIS_PORT", "6379"),
		redisPassword:  get("REDIS_PASSWORD", ""),
		redisTLS:       get("REDIS_TLS", "false") == "true",
		bucket:         get("AWS_BUCKET", ""),
		allowedOrigins: splitList(get("ALLOWED_ORIGINS", "")),
		// For S3-compatible endpoints on loopback (tests, MinIO): AWS itself wants virtual hosts.
		s3PathStyle:  get("S3_FORCE_PATH_STYLE", "false") == "true",
		originSecret: get("ORIGIN_VERIFY_SECRET", ""),
	}
	// The most connections the pool may hold: the CDK app's connection budget counts it.
	maxConns, err := strconv.Atoi(get("DB_MAX_CONNS", "2"))
	if err != nil || maxConns < 1 || maxConns > 100 {
		return cfg, fmt.Errorf("DB_MAX_CONNS %q is not a whole number in 1..100", get("DB_MAX_CONNS", "2"))
	}
	cfg.dbMaxConns = maxConns
	deadline := get("REQUEST_DEADLINE_MS", strconv.FormatInt(defaultRequestDeadline.Milliseconds(), 10))
	deadlineMs, err := strconv.Atoi(deadline)
	if err != nil || deadlineMs < 100 || deadlineMs > 900_000 {
		return cfg, fmt.Errorf("REQUEST_DEADLINE_MS %q is not a whole number in 100..900000", deadline)
	}
	cfg.requestDeadline = time.Duration(deadlineMs) * time.Millisecond
	if cfg.dbIAMAuth, err = iamAuth(env); err != nil {
		return cfg, err
	}
	switch cfg.dbSSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return cfg, fmt.Errorf("DB_SSLMODE %q is not a PostgreSQL sslmode (disable, allow, prefer, require, verify-ca, verify-full)", cfg.dbSSLMode)
	}
	return cfg, nil
}

// iamAuth is DB_IAM_AUTH: true connects with IAM tokens (the CDK app sets it), false (the
// default: local runs, the parity tests) with DB_PASSWORD.
func iamAuth(env environment) (bool, error) {
	value, _ := env.LookupEnv("DB_IAM_AUTH")
	switch value {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, fmt.Errorf("DB_IAM_AUTH %q is not true or false", value)
}

func splitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
