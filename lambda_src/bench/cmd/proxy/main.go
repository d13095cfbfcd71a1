// Command proxy is a Lambda bootstrap serving HTTP API (payload 2.0) events with
// aws-lambda-go-api-proxy around the benchmarks' handler: what a team would deploy instead of
// the frame's own adapter, for the init and per-invocation measurements of
// docs/benchmarks.md ("The frame against its alternatives").
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"anigmaa/bench"
)

func main() {
	lambda.Start(httpadapter.NewV2(bench.Handler).ProxyWithContext)
}
