package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// secretNames are the values the backend reads from its environment but that are kept in
// SSM Parameter Store as SecureStrings. Under Lambda the stack passes each parameter's
// name as <NAME>_PARAM; ECS injects the values themselves.
var secretNames = []string{"DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY"}

// parameterGetter is the one SSM call the loader makes (satisfied by *ssm.Client).
type parameterGetter interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, opts ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// environment reads and writes process environment variables (os in production).
type environment interface {
	LookupEnv(key string) (string, bool)
	Setenv(key, value string) error
}

type osEnvironment struct{}

func (osEnvironment) LookupEnv(key string) (string, bool) { return os.LookupEnv(key) }
func (osEnvironment) Setenv(key, value string) error      { return os.Setenv(key, value) }

// secretsToFetch maps SSM parameter names to the variables they fill, for every secret not
// already in the environment. A secret with neither a value nor a parameter name is an error.
// With DB_IAM_AUTH=true the database needs no password, so DB_PASSWORD is neither wanted nor
// fetched: the function's role cannot read it.
func secretsToFetch(env environment) (map[string]string, error) {
	withIAM, err := iamAuth(env)
	if err != nil {
		return nil, err
	}
	wanted := map[string]string{}
	for _, name := range secretNames {
		if name == "DB_PASSWORD" && withIAM {
			continue
		}
		if value, ok := env.LookupEnv(name); ok && value != "" {
			continue // already provided (ECS secrets, a local run): it wins
		}
		parameter, ok := env.LookupEnv(name + "_PARAM")
		if !ok || parameter == "" {
			return nil, fmt.Errorf("secret %s is not set and %s_PARAM names no SSM parameter", name, name)
		}
		wanted[parameter] = name
	}
	return wanted, nil
}

// loadSecrets fetches the missing secrets with one decrypted GetParameters call and puts
// them into the environment under the seed's names. It returns how many it fetched. Errors
// name parameters, never values.
func loadSecrets(ctx context.Context, client func() (parameterGetter, error), env environment) (int, error) {
	wanted, err := secretsToFetch(env)
	if err != nil || len(wanted) == 0 {
		return 0, err
	}
	names := make([]string, 0, len(wanted))
	for parameter := range wanted {
		names = append(names, parameter)
	}
	sort.Strings(names)

	ssmClient, err := client()
	if err != nil {
		return 0, fmt.Errorf("secrets: %w", err)
	}
	out, err := ssmClient.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("secrets: reading SSM parameters %s: %w", strings.Join(names, ", "), err)
	}
	if len(out.InvalidParameters) > 0 {
		missing := append([]string(nil), out.InvalidParameters...)
		sort.Strings(missing)
		return 0, fmt.Errorf("secrets: SSM parameter %s not found (create it as a SecureString)", strings.Join(missing, ", "))
	}
	fetched := 0
	for _, parameter := range out.Parameters {
		name, ok := wanted[aws.ToString(parameter.Name)]
		if !ok {
			continue
		}
		if err := env.Setenv(name, aws.ToString(parameter.Value)); err != nil {
			return fetched, fmt.Errorf("secrets: setting %s: %w", name, err)
		}
		delete(wanted, aws.ToString(parameter.Name))
		fetched++
	}
	if len(wanted) > 0 {
		return fetched, errors.New("secrets: SSM did not return " + strings.Join(sortedKeys(wanted), ", "))
	}
	return fetched, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
