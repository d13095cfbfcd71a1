package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

func resourceProperties() map[string]any {
	return map[string]any{
		"ServiceToken": "arn:aws:lambda:ap-southeast-1:123456789012:function:x", "Host": "db.example", "Port": "5432",
		"DatabaseName": "anigmaa", "MasterUsername": "postgres", "MasterPasswordParameter": "/anigmaa/prod/DB_PASSWORD",
		"RoleName": "anigmaa_app", "SslMode": "verify-full", "SslRootCert": "rds",
	}
}

// recording is a provider whose SSM and database steps only record that they ran.
func recording() (*provider, *[]string) {
	var steps []string
	return &provider{
		secret: func(_ context.Context, parameter string) (string, error) {
			steps = append(steps, "secret "+parameter)
			return "master-password", nil
		},
		apply: func(_ context.Context, p properties, password string) error {
			steps = append(steps, "apply "+p.RoleName+" as "+p.MasterUsername+" with "+password)
			return nil
		},
	}, &steps
}

func TestCreateAndUpdateReadThePasswordThenGrant(t *testing.T) {
	for _, request := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate} {
		p, steps := recording()
		id, data, err := p.handle(context.Background(), cfn.Event{RequestType: request, PhysicalResourceID: "anigmaa_app",
			ResourceProperties: resourceProperties()})
		if err != nil || id != "anigmaa_app" || data["RoleName"] != "anigmaa_app" {
			t.Fatalf("%s: id = %q, data = %v, err = %v", request, id, data, err)
		}
		want := "secret /anigmaa/prod/DB_PASSWORD,apply anigmaa_app as postgres with master-password"
		if strings.Join(*steps, ",") != want {
			t.Fatalf("%s: steps = %v", request, *steps)
		}
	}
}

func TestDeleteTouchesNeitherSSMNorTheDatabase(t *testing.T) {
	p, steps := recording()
	id, _, err := p.handle(context.Background(), cfn.Event{RequestType: cfn.RequestDelete, PhysicalResourceID: "anigmaa_app",
		ResourceProperties: map[string]any{}})
	if err != nil || id != "anigmaa_app" || len(*steps) != 0 {
		t.Fatalf("id = %q, err = %v, steps = %v", id, err, *steps)
	}
}

func TestBadPropertiesFailBeforeAnythingRuns(t *testing.T) {
	for change, want := range map[string]string{
		"RoleName=":                  "properties missing: RoleName",
		"RoleName=app; DROP TABLE x": `RoleName "app; DROP TABLE x" is not a lower-case PostgreSQL identifier`,
		"RoleName=postgres":          `RoleName "postgres" is the master user`,
		"DatabaseName=Anigmaa":       `DatabaseName "Anigmaa" is not a lower-case PostgreSQL identifier`,
	} {
		key, value, _ := strings.Cut(change, "=")
		raw := resourceProperties()
		raw[key] = value
		p, steps := recording()
		_, _, err := p.handle(context.Background(), cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: raw})
		if err == nil || !strings.Contains(err.Error(), want) || len(*steps) != 0 {
			t.Fatalf("%s: err = %v, steps = %v", change, err, *steps)
		}
	}
}

func TestAFailureIsAnsweredBeforeTheFunctionTimesOut(t *testing.T) {
	var left time.Duration
	p := provider{
		secret: func(ctx context.Context, _ string) (string, error) {
			deadline, _ := ctx.Deadline()
			left = time.Until(deadline)
			return "", errors.New("timed out")
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, err := p.handle(ctx, cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: resourceProperties()})
	if err == nil || !strings.Contains(err.Error(), "SSM parameter /anigmaa/prod/DB_PASSWORD: timed out") {
		t.Fatalf("err = %v", err)
	}
	if left > time.Minute-answerMargin {
		t.Fatalf("the work may run %s of the function's minute: no time left to answer", left)
	}
}

func TestTheStatementsNameTheRoleDatabaseAndMasterQuoted(t *testing.T) {
	p, err := readProperties(resourceProperties())
	if err != nil {
		t.Fatal(err)
	}
	statements, err := appRoleStatements(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`GRANT rds_iam TO "anigmaa_app"`,
		`GRANT CONNECT ON DATABASE "anigmaa" TO "anigmaa_app"`,
		`GRANT USAGE ON SCHEMA public TO "anigmaa_app"`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "anigmaa_app"`,
		`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "anigmaa_app"`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "anigmaa_app"`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "anigmaa_app"`,
	}
	if strings.Join(statements, "\n") != strings.Join(want, "\n") {
		t.Fatalf("statements:\n%s", strings.Join(statements, "\n"))
	}
	for _, statement := range statements {
		for _, word := range []string{"REVOKE", "DROP", "CREATE ON", "ALL PRIVILEGES", "TRUNCATE", "SUPERUSER"} {
			if strings.Contains(strings.ToUpper(statement), word) {
				t.Fatalf("%q grants or takes more than the backend needs (%s)", statement, word)
			}
		}
	}
}
