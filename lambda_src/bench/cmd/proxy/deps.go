//go:build deps

package main

// With -tags deps, the program also links the packages the frame's bootstrap initialises
// at start (the AWS SDK's configuration, SSM, Secrets Manager and S3 clients, RDS IAM auth,
// pgx and go-redis, at lambda_src/go.mod's versions), without using them: their package
// initialisation is in its init, so its init compares like with like with the frame's.
import (
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	_ "github.com/aws/aws-sdk-go-v2/service/ssm"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/redis/go-redis/v9"
)
