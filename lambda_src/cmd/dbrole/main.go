// Command dbrole is the data stack's custom resource that gives the backend its own database
// role. CloudFormation invokes it on deploy; it runs in the VPC's private subnets, reads the
// master password from SSM itself (it is never in the template), connects to the database
// as the master user over verified TLS, creates the role if it is missing and grants it
// app_role.sql. Create and Update run the same idempotent SQL; Delete does nothing, so the
// role and its grants outlive the stack, as the data does.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func main() {
	ssmClient := sync.OnceValues(func() (*ssm.Client, error) {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			return nil, err
		}
		return ssm.NewFromConfig(cfg), nil
	})
	p := provider{
		secret: func(ctx context.Context, parameter string) (string, error) {
			client, err := ssmClient()
			if err != nil {
				return "", err
			}
			// GetParameters, the one action the data stack grants (as the backend's own reader uses).
			out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{parameter}, WithDecryption: aws.Bool(true)})
			if err != nil {
				return "", err
			}
			if len(out.Parameters) != 1 {
				return "", errors.New("not found (create it as a SecureString)")
			}
			return aws.ToString(out.Parameters[0].Value), nil
		},
		apply: applyAppRole,
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(cfn.LambdaWrap(func(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
		id, data, err := p.handle(ctx, event)
		if err != nil {
			logger.Error("request failed", "request", string(event.RequestType), "error", err.Error())
		} else {
			logger.Info("request done", "request", string(event.RequestType), "role", id)
		}
		return id, data, err
	}))
}
