package database

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestTheBundleHoldsTheRDSAuthoritiesOfTheAppsRegion(t *testing.T) {
	names := map[string]bool{}
	rest := rdsBundle
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		certificate, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !certificate.IsCA {
			t.Fatalf("%s is not a certificate authority", certificate.Subject)
		}
		names[certificate.Subject.CommonName] = true
	}
	// New instances get rds-ca-rsa2048-g1 by default; the others may be chosen per instance.
	for _, want := range []string{
		"Amazon RDS ap-southeast-1 Root CA RSA2048 G1",
		"Amazon RDS ap-southeast-1 Root CA RSA4096 G1",
		"Amazon RDS ap-southeast-1 Root CA ECC384 G1",
	} {
		if !names[want] {
			t.Errorf("%s is missing", want)
		}
	}
	if _, err := RDSCertificates(); err != nil {
		t.Fatal(err)
	}
}

func TestTrustRDSReplacesTheRootsOfEveryTLSAttempt(t *testing.T) {
	config, err := pgconn.ParseConfig("postgres://u@db.example:5432/anigmaa?sslmode=prefer")
	if err != nil {
		t.Fatal(err)
	}
	if err := TrustRDS(config); err != nil {
		t.Fatal(err)
	}
	pool, _ := RDSCertificates()
	if !config.TLSConfig.RootCAs.Equal(pool) {
		t.Fatal("the first attempt does not trust the RDS bundle")
	}
	for _, fallback := range config.Fallbacks {
		if fallback.TLSConfig != nil && !fallback.TLSConfig.RootCAs.Equal(pool) {
			t.Fatal("a TLS fallback does not trust the RDS bundle")
		}
	}
}

func TestTheHookSignsATokenForTheConnectionsEndpointAndUser(t *testing.T) {
	hook := IAMTokens(func(_ context.Context, endpoint, user string) (string, error) {
		return user + "@" + endpoint, nil
	})
	config, _ := pgx.ParseConfig("postgres://anigmaa_app@db.example:5432/anigmaa")
	if err := hook(context.Background(), config); err != nil {
		t.Fatal(err)
	}
	if config.Password != "anigmaa_app@db.example:5432" {
		t.Fatalf("password = %q", config.Password)
	}
}

func TestAFailedTokenFailsTheConnectionWithoutAPassword(t *testing.T) {
	hook := IAMTokens(func(context.Context, string, string) (string, error) { return "", errors.New("no credentials") })
	config, _ := pgx.ParseConfig("postgres://anigmaa_app@db.example:5432/anigmaa")
	err := hook(context.Background(), config)
	if err == nil || !strings.Contains(err.Error(), "no token for anigmaa_app at db.example:5432: no credentials") {
		t.Fatalf("err = %v", err)
	}
	if config.Password != "" {
		t.Fatalf("password = %q", config.Password)
	}
}

func TestSDKTokensArePresignedConnectRequestsForTheRegionAndUser(t *testing.T) {
	tokens := SDKTokens(func() (aws.Config, error) {
		return aws.Config{
			Region:      "ap-southeast-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", ""),
		}, nil
	})
	token, err := tokens(context.Background(), "db.example:5432", "anigmaa_app")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := url.Parse("https://" + token)
	if err != nil {
		t.Fatal(err)
	}
	query := signed.Query()
	if signed.Host != "db.example:5432" || query.Get("Action") != "connect" || query.Get("DBUser") != "anigmaa_app" ||
		!strings.Contains(query.Get("X-Amz-Credential"), "/ap-southeast-1/rds-db/aws4_request") {
		t.Fatalf("token = %s", token)
	}
}
