package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

type mapEnv map[string]string

func (m mapEnv) LookupEnv(key string) (string, bool) { v, ok := m[key]; return v, ok }
func (m mapEnv) Setenv(key, value string) error      { m[key] = value; return nil }

// fakeSSM answers GetParameters from a map, recording what it was asked.
type fakeSSM struct {
	values  map[string]string
	err     error
	calls   int
	asked   []string
	decrypt bool
}

func (f *fakeSSM) GetParameters(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	f.calls++
	f.asked = append([]string(nil), in.Names...)
	f.decrypt = aws.ToBool(in.WithDecryption)
	if f.err != nil {
		return nil, f.err
	}
	out := &ssm.GetParametersOutput{}
	for _, name := range in.Names {
		if value, ok := f.values[name]; ok {
			out.Parameters = append(out.Parameters, types.Parameter{Name: aws.String(name), Value: aws.String(value)})
		} else {
			out.InvalidParameters = append(out.InvalidParameters, name)
		}
	}
	return out, nil
}

func paramEnv() mapEnv {
	return mapEnv{
		"DB_PASSWORD_PARAM":         "/anigmaa/test/DB_PASSWORD",
		"JWT_SECRET_PARAM":          "/anigmaa/test/JWT_SECRET",
		"REDIS_PASSWORD_PARAM":      "/anigmaa/test/REDIS_PASSWORD",
		"MIDTRANS_SERVER_KEY_PARAM": "/anigmaa/test/MIDTRANS_SERVER_KEY",
	}
}

func allValues() map[string]string {
	return map[string]string{
		"/anigmaa/test/DB_PASSWORD":         "fixture-db",
		"/anigmaa/test/JWT_SECRET":          "fixture-jwt",
		"/anigmaa/test/REDIS_PASSWORD":      "fixture-redis",
		"/anigmaa/test/MIDTRANS_SERVER_KEY": "fixture-midtrans",
	}
}

func clientOf(f *fakeSSM) func() (parameterGetter, error) {
	return func() (parameterGetter, error) { return f, nil }
}

func TestSecretsAreFetchedInOneDecryptedCallAndExposedUnderTheSeedNames(t *testing.T) {
	env, fake := paramEnv(), &fakeSSM{values: allValues()}
	n, err := loadSecrets(context.Background(), clientOf(fake), env)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || fake.calls != 1 || !fake.decrypt {
		t.Fatalf("fetched %d in %d calls (decrypt=%v), want 4 in 1 decrypted call", n, fake.calls, fake.decrypt)
	}
	want := map[string]string{"DB_PASSWORD": "fixture-db", "JWT_SECRET": "fixture-jwt", "REDIS_PASSWORD": "fixture-redis", "MIDTRANS_SERVER_KEY": "fixture-midtrans"}
	for name, value := range want {
		if env[name] != value {
			t.Errorf("%s = %q, want %q", name, env[name], value)
		}
	}
}

func TestValuesAlreadyInTheEnvironmentWin(t *testing.T) {
	env, fake := paramEnv(), &fakeSSM{values: allValues()}
	env["DB_PASSWORD"] = "from-ecs"
	env["JWT_SECRET"] = "from-ecs-too"
	if _, err := loadSecrets(context.Background(), clientOf(fake), env); err != nil {
		t.Fatal(err)
	}
	if env["DB_PASSWORD"] != "from-ecs" || env["JWT_SECRET"] != "from-ecs-too" {
		t.Fatalf("environment values were overwritten: %v", env)
	}
	want := []string{"/anigmaa/test/MIDTRANS_SERVER_KEY", "/anigmaa/test/REDIS_PASSWORD"}
	if !reflect.DeepEqual(fake.asked, want) {
		t.Fatalf("asked SSM for %v, want %v", fake.asked, want)
	}
}

func TestNoCallWhenEverySecretIsPresent(t *testing.T) {
	env := mapEnv{"DB_PASSWORD": "a", "JWT_SECRET": "b", "REDIS_PASSWORD": "c", "MIDTRANS_SERVER_KEY": "d"}
	called := false
	n, err := loadSecrets(context.Background(), func() (parameterGetter, error) { called = true; return nil, nil }, env)
	if err != nil || n != 0 || called {
		t.Fatalf("n=%d err=%v called=%v, want no SSM client at all", n, err, called)
	}
}

func TestAMissingParameterIsNamedAndStopsStartup(t *testing.T) {
	values := allValues()
	delete(values, "/anigmaa/test/JWT_SECRET")
	env := paramEnv()
	_, err := loadSecrets(context.Background(), clientOf(&fakeSSM{values: values}), env)
	if err == nil || !strings.Contains(err.Error(), "SSM parameter /anigmaa/test/JWT_SECRET not found") {
		t.Fatalf("err = %v, want it to name /anigmaa/test/JWT_SECRET", err)
	}
	if strings.Contains(err.Error(), "fixture-") {
		t.Fatalf("error leaks a secret value: %v", err)
	}
	if _, set := env["DB_PASSWORD"]; set {
		t.Fatal("a partial load left secrets in the environment")
	}
}

func TestAnSSMErrorIsReportedWithTheParameterNames(t *testing.T) {
	fake := &fakeSSM{err: errors.New("AccessDeniedException: not authorized")}
	_, err := loadSecrets(context.Background(), clientOf(fake), paramEnv())
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "/anigmaa/test/DB_PASSWORD") {
		t.Fatalf("err = %v", err)
	}
}

func TestASecretWithNeitherValueNorParameterIsAnError(t *testing.T) {
	env := paramEnv()
	delete(env, "REDIS_PASSWORD_PARAM")
	_, err := loadSecrets(context.Background(), clientOf(&fakeSSM{values: allValues()}), env)
	if err == nil || !strings.Contains(err.Error(), "secret REDIS_PASSWORD is not set and REDIS_PASSWORD_PARAM names no SSM parameter") {
		t.Fatalf("err = %v", err)
	}
}

func TestWithIAMAuthTheDatabasePasswordIsNeitherWantedNorFetched(t *testing.T) {
	env := paramEnv()
	delete(env, "DB_PASSWORD_PARAM") // the CDK app passes no DB_PASSWORD parameter with IAM
	env["DB_IAM_AUTH"] = "true"
	fake := &fakeSSM{values: allValues()}
	n, err := loadSecrets(context.Background(), clientOf(fake), env)
	if err != nil || n != 3 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	if strings.Contains(strings.Join(fake.asked, ","), "DB_PASSWORD") {
		t.Fatalf("asked for %v", fake.asked)
	}
	if _, ok := env["DB_PASSWORD"]; ok {
		t.Fatal("DB_PASSWORD was set")
	}
}

func TestWithoutIAMAuthTheDatabasePasswordIsStillRequired(t *testing.T) {
	env := paramEnv()
	delete(env, "DB_PASSWORD_PARAM")
	env["DB_IAM_AUTH"] = "false"
	_, err := loadSecrets(context.Background(), clientOf(&fakeSSM{values: allValues()}), env)
	if err == nil || !strings.Contains(err.Error(), "secret DB_PASSWORD is not set") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnUnknownDBIAMAuthValueStopsBeforeAnySecretIsFetched(t *testing.T) {
	env := paramEnv()
	env["DB_IAM_AUTH"] = "yes"
	fake := &fakeSSM{values: allValues()}
	_, err := loadSecrets(context.Background(), clientOf(fake), env)
	if err == nil || !strings.Contains(err.Error(), `DB_IAM_AUTH "yes" is not true or false`) || fake.calls != 0 {
		t.Fatalf("err = %v, calls = %d", err, fake.calls)
	}
}
