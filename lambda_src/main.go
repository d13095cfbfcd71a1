// Command bootstrap runs the anigmaa backend's HTTP handler on AWS Lambda (custom
// runtime, API Gateway HTTP API v2 events) and, outside Lambda, as a plain HTTP server
// (ECS/Fargate, local runs). Before serving it loads the backend's secrets from SSM
// Parameter Store into the environment, so the application reads them as it always has,
// and, with edge protection on, the value CloudFront sends to prove a request came
// through it (origin.go).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/anigmaa/anigmaa-infra/lambda_src/database"
)

const (
	secretsTimeout  = 5 * time.Second  // SSM and Secrets Manager together, inside Lambda's 10 s init limit, so the error is logged before it
	shutdownTimeout = 25 * time.Second // past a request's 23 s deadline; ECS waits 30 s after SIGTERM before SIGKILL
)

func main() {
	os.Exit(run())
}

func run() int {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()

	// The SDK configuration is loaded once, and only if something needs it.
	awsConfig := sync.OnceValues(func() (aws.Config, error) { return config.LoadDefaultConfig(ctx) })

	secretsCtx, cancel := context.WithTimeout(ctx, secretsTimeout)
	defer cancel()
	fetched, err := loadSecrets(secretsCtx, func() (parameterGetter, error) {
		cfg, err := awsConfig()
		if err != nil {
			return nil, err
		}
		return ssm.NewFromConfig(cfg), nil
	}, osEnvironment{})
	if err != nil {
		logger.Error("startup failed", "error", err.Error())
		return 1
	}

	cfg, err := readSettings(osEnvironment{})
	if err != nil {
		logger.Error("startup failed", "error", err.Error())
		return 1
	}
	origin, err := newOriginCheck(secretsCtx, cfg.originSecret, func() (secretValueGetter, error) {
		awsCfg, err := awsConfig()
		if err != nil {
			return nil, err
		}
		return secretsmanager.NewFromConfig(awsCfg), nil
	}, logger, time.Now)
	cancel()
	if err != nil {
		logger.Error("startup failed", "error", err.Error())
		return 1
	}
	s3Client := sync.OnceValues(func() (*s3.Client, error) {
		awsCfg, err := awsConfig()
		if err != nil {
			return nil, err
		}
		return s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.s3PathStyle }), nil
	})
	conns := newConnections(cfg, database.SDKTokens(awsConfig))
	checks := []check{postgresCheck(conns, cfg.dbPassword), redisCheck(conns), s3Check(cfg, s3Client)}
	onLambda := os.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
	var function functionVersion // the per-version metrics are Lambda's alone
	if onLambda {
		function = lambdaFunction(osEnvironment{})
	}
	handler := newRouter(backend{conns: conns, checks: checks, deadline: cfg.requestDeadline, function: function,
		origin: origin}, logger)

	var originAttrs []any // without the check, the start line is what it always was
	if origin != nil {
		originAttrs = []any{"origin_check", true}
	}

	if onLambda {
		logger.Info("starting", append([]any{"mode", "lambda", "env", cfg.env, "secrets_from_ssm", fetched},
			originAttrs...)...)
		lambda.Start(httpAPIHandler{handler: handler, logger: logger})
		return 0
	}
	logger.Info("starting", append([]any{"mode", "server", "env", cfg.env, "port", cfg.port,
		"secrets_from_ssm", fetched}, originAttrs...)...)
	defer conns.Close()
	return serve(cfg.port, withCORS(cfg.allowedOrigins, handler), logger)
}

// serve runs the HTTP server until SIGTERM or SIGINT, then drains in-flight requests.
func serve(port string, handler http.Handler, logger *slog.Logger) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	server := &http.Server{
		Addr:              ":" + port,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	failed := make(chan error, 1)
	go func() { failed <- server.ListenAndServe() }()

	select {
	case err := <-failed:
		logger.Error("server failed", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout_s", shutdownTimeout.Seconds())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("shutdown incomplete", "error", err.Error())
		return 1
	}
	logger.Info("stopped")
	return 0
}
