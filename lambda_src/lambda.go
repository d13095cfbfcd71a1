package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// invocation is an HTTP API (payload 2.0) event, plus the `path` field of hand-written
// test events such as the seed's {"path":"/health","requestContext":{"http":{"method":"GET"}}}.
type invocation struct {
	events.APIGatewayV2HTTPRequest
	Path string `json:"path"`
}

// lambdaHandler adapts API Gateway HTTP API v2 events to handler via
// aws-lambda-go-api-proxy, filling in what a hand-written event leaves out.
func lambdaHandler(handler http.Handler) func(context.Context, json.RawMessage) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(handler)
	return func(ctx context.Context, raw json.RawMessage) (events.APIGatewayV2HTTPResponse, error) {
		var event invocation
		if err := json.Unmarshal(raw, &event); err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("event is not an HTTP API request: %w", err)
		}
		request := normalise(event)
		return adapter.ProxyWithContext(ctx, request)
	}
}

// normalise makes a minimal event complete enough for the adapter: a path from rawPath,
// requestContext.http.path or `path`, and GET when no method is given.
func normalise(event invocation) events.APIGatewayV2HTTPRequest {
	request := event.APIGatewayV2HTTPRequest
	if request.RawPath == "" {
		request.RawPath = request.RequestContext.HTTP.Path
	}
	if request.RawPath == "" {
		request.RawPath = event.Path
	}
	if request.RawPath == "" {
		request.RawPath = "/"
	}
	if request.RequestContext.HTTP.Path == "" {
		request.RequestContext.HTTP.Path = request.RawPath
	}
	if request.RequestContext.HTTP.Method == "" {
		request.RequestContext.HTTP.Method = http.MethodGet
	}
	if request.Version == "" {
		request.Version = "2.0"
	}
	return request
}
