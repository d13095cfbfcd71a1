package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/jackc/pgx/v5"

	"github.com/anigmaa/anigmaa-infra/lambda_src/database"
)

//go:embed app_role.sql
var appRoleSQL string

const (
	connectTimeout = 10 * time.Second
	// Kept back from the function's timeout, so a slow database still gets a FAILED answer to
	// CloudFormation instead of an hour's wait for one.
	answerMargin = 5 * time.Second
)

// identifier is what the provider accepts as a role or database name: PostgreSQL's unquoted form.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// properties are the custom resource's: where the database is, who the master is, where its
// password is kept, and the role to create.
type properties struct {
	Host, Port, DatabaseName, MasterUsername, MasterPasswordParameter, RoleName string
	// SslMode and SslRootCert as the backend's DB_SSLMODE and DB_SSLROOTCERT ("rds": the bundle compiled in).
	SslMode, SslRootCert string
}

func readProperties(raw map[string]any) (properties, error) {
	get := func(key string) string { value, _ := raw[key].(string); return value }
	p := properties{
		Host: get("Host"), Port: get("Port"), DatabaseName: get("DatabaseName"), MasterUsername: get("MasterUsername"),
		MasterPasswordParameter: get("MasterPasswordParameter"), RoleName: get("RoleName"),
		SslMode: get("SslMode"), SslRootCert: get("SslRootCert"),
	}
	var missing []string
	for key, value := range map[string]string{"Host": p.Host, "Port": p.Port, "DatabaseName": p.DatabaseName,
		"MasterUsername": p.MasterUsername, "MasterPasswordParameter": p.MasterPasswordParameter,
		"RoleName": p.RoleName, "SslMode": p.SslMode} {
		if value == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return p, fmt.Errorf("properties missing: %s", strings.Join(missing, ", "))
	}
	for key, value := range map[string]string{"DatabaseName": p.DatabaseName, "MasterUsername": p.MasterUsername,
		"RoleName": p.RoleName} {
		if !identifier.MatchString(value) {
			return p, fmt.Errorf("%s %q is not a lower-case PostgreSQL identifier", key, value)
		}
	}
	if p.RoleName == p.MasterUsername {
		return p, fmt.Errorf("RoleName %q is the master user: the backend's role must be another", p.RoleName)
	}
	return p, nil
}

// provider answers CloudFormation's requests; secret and apply are replaced in tests.
type provider struct {
	secret func(ctx context.Context, parameter string) (string, error)
	apply  func(ctx context.Context, p properties, password string) error
}

// handle is the custom resource: the role's name is its physical id.
func (pr provider) handle(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
	if event.RequestType == cfn.RequestDelete {
		// The role, its grants and the data stay: dropping a role that owns nothing is safe only
		// when nothing uses it, which no deploy can know.
		return event.PhysicalResourceID, nil, nil
	}
	p, err := readProperties(event.ResourceProperties)
	if err != nil {
		return "", nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-answerMargin))
		defer cancel()
	}
	password, err := pr.secret(ctx, p.MasterPasswordParameter)
	if err != nil {
		return "", nil, fmt.Errorf("reading the master password from SSM parameter %s: %w", p.MasterPasswordParameter, err)
	}
	if err := pr.apply(ctx, p, password); err != nil {
		return "", nil, err
	}
	return p.RoleName, map[string]any{"RoleName": p.RoleName}, nil
}

// connectAsMaster opens one connection to the backend's database as the master user.
func connectAsMaster(ctx context.Context, p properties, password string) (*pgx.Conn, error) {
	query := url.Values{"sslmode": {p.SslMode}, "connect_timeout": {fmt.Sprint(int(connectTimeout.Seconds()))}}
	if p.SslRootCert != "" && p.SslRootCert != database.RDSBundle {
		query.Set("sslrootcert", p.SslRootCert)
	}
	dsn := url.URL{
		Scheme: "postgres", User: url.UserPassword(p.MasterUsername, password),
		Host: net.JoinHostPort(p.Host, p.Port), Path: "/" + p.DatabaseName, RawQuery: query.Encode(),
	}
	config, err := pgx.ParseConfig(dsn.String())
	if err != nil {
		return nil, errors.New("the connection settings do not parse") // the error could quote the password
	}
	if p.SslRootCert == database.RDSBundle {
		if err := database.TrustRDS(&config.Config); err != nil {
			return nil, err
		}
	}
	config.RuntimeParams["application_name"] = "anigmaa-dbrole"
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %s: %w", dsn.Host, p.MasterUsername, err)
	}
	return conn, nil
}

// applyAppRole creates the role if it is missing and grants it app_role.sql, in one transaction.
func applyAppRole(ctx context.Context, p properties, password string) error {
	conn, err := connectAsMaster(ctx, p, password)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	statements, err := appRoleStatements(p)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := ensureRole(ctx, tx, p); err != nil {
			return err
		}
		for _, statement := range statements {
			if _, err := tx.Exec(ctx, statement); err != nil {
				return fmt.Errorf("%s: %w", statement, err)
			}
		}
		return nil
	})
}

// broadRoles are the predefined roles whose membership reaches past the backend's own tables:
// every table's rows, server files and programs, replication.
var broadRoles = []string{"pg_execute_server_program", "pg_read_all_data", "pg_read_server_files",
	"pg_write_all_data", "pg_write_server_files", "rds_replication"}

// ensureRole creates the role with LOGIN and no other attribute, or checks that the one that
// exists has none it must not: it is never altered to take one away (nothing is revoked), so
// a role that holds more fails the deploy, naming what to remove by hand.
func ensureRole(ctx context.Context, tx pgx.Tx, p properties) error {
	role := pgx.Identifier{p.RoleName}.Sanitize()
	var super, createRole, createDB, replication, bypassRLS, login, asMaster, asAdmin bool
	var broad []string
	err := tx.QueryRow(ctx, `
		SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
		       pg_has_role(r.oid, $2::name, 'MEMBER'),
		       COALESCE((SELECT pg_has_role(r.oid, a.oid, 'MEMBER') FROM pg_roles a WHERE a.rolname = 'rds_superuser'), false),
		       COALESCE((SELECT array_agg(a.rolname::text ORDER BY a.rolname) FROM pg_roles a
		                 WHERE a.rolname = ANY($3::text[]) AND pg_has_role(r.oid, a.oid, 'MEMBER')), '{}')
		FROM pg_roles r WHERE r.rolname = $1`, p.RoleName, p.MasterUsername, broadRoles,
	).Scan(&super, &createRole, &createDB, &replication, &bypassRLS, &login, &asMaster, &asAdmin, &broad)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = tx.Exec(ctx, "CREATE ROLE "+role+" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
		if err != nil {
			return fmt.Errorf("creating role %s: %w", p.RoleName, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading role %s: %w", p.RoleName, err)
	}
	var extra []string
	for _, attribute := range []struct {
		held bool
		name string
	}{{super, "SUPERUSER"}, {createRole, "CREATEROLE"}, {createDB, "CREATEDB"}, {replication, "REPLICATION"},
		{bypassRLS, "BYPASSRLS"}, {asMaster, "membership of " + p.MasterUsername}, {asAdmin, "membership of rds_superuser"}} {
		if attribute.held {
			extra = append(extra, attribute.name)
		}
	}
	for _, name := range broad {
		extra = append(extra, "membership of "+name)
	}
	if len(extra) > 0 {
		return fmt.Errorf("role %s exists and holds %s, which the backend's role must not; this provider never "+
			"revokes: remove them by hand (ALTER ROLE / REVOKE, as the master user) and deploy again",
			p.RoleName, strings.Join(extra, ", "))
	}
	if !login {
		if _, err := tx.Exec(ctx, "ALTER ROLE "+role+" LOGIN"); err != nil {
			return fmt.Errorf("letting role %s log in: %w", p.RoleName, err)
		}
	}
	return nil
}

// appRoleStatements is app_role.sql with the names filled in, one statement per item.
func appRoleStatements(p properties) ([]string, error) {
	page, err := template.New("app_role.sql").Option("missingkey=error").Parse(appRoleSQL)
	if err != nil {
		return nil, err
	}
	var rendered bytes.Buffer
	err = page.Execute(&rendered, map[string]string{
		"Role":     pgx.Identifier{p.RoleName}.Sanitize(),
		"Database": pgx.Identifier{p.DatabaseName}.Sanitize(),
		"Master":   pgx.Identifier{p.MasterUsername}.Sanitize(),
	})
	if err != nil {
		return nil, err
	}
	var statements []string
	var current []string
	for _, line := range strings.Split(rendered.String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		current = append(current, line)
		if strings.HasSuffix(line, ";") {
			statements = append(statements, strings.TrimSuffix(strings.Join(current, " "), ";"))
			current = nil
		}
	}
	if len(current) > 0 {
		return nil, errors.New("app_role.sql ends inside a statement")
	}
	return statements, nil
}
