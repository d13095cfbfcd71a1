package main

// The origin check. With edge protection on, CloudFront is the API's front door: it adds
// the header X-Origin-Verify, with a value kept in Secrets Manager, to every request it
// forwards. A request without that value went around CloudFront (to the HTTP API's own
// execute-api address, or to the load balancer), past its WAF and its limits, and the
// frame refuses it, in both modes alike. The secret rotates: the value before the last
// rotation (AWSPREVIOUS) keeps passing while CloudFront's edge locations take up the new
// one, and a value the process has not seen yet makes it read the secret again.

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const (
	// originHeader is the header CloudFront sends the secret's value in (the CDK app's
	// origin custom header names the same).
	originHeader = "X-Origin-Verify"
	// originRefreshEvery is how often, at most, a value that matches neither held value
	// makes the process read the secret again: a rotation is picked up at the first request
	// that carries the new value, and a stream of wrong values costs one read per period.
	originRefreshEvery = 30 * time.Second
	// originRefreshTimeout bounds a refresh inside the request's own context, which in
	// server mode has no deadline: other refused requests wait for it.
	originRefreshTimeout = 3 * time.Second
)

// secretValueGetter is the one Secrets Manager call the origin check makes (satisfied by
// *secretsmanager.Client).
type secretValueGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// originCheck holds the values a request's X-Origin-Verify may carry. Requests compare
// without a lock; a refresh holds mu, so that one request at a time reads the secret.
type originCheck struct {
	secret string // ORIGIN_VERIFY_SECRET: errors and log lines name it, never a value
	client secretValueGetter
	logger *slog.Logger
	now    func() time.Time

	values      atomic.Pointer[originValues]
	mu          sync.Mutex
	refreshedAt time.Time // the last read, failed or not; mu is held
}

// originValues are the secret's AWSCURRENT value and its AWSPREVIOUS one (nil when the
// secret has never been rotated).
type originValues struct {
	current, previous []byte
}

// matches compares sent with both values, in constant time.
func (v *originValues) matches(sent []byte) bool {
	if len(sent) == 0 {
		return false // nil previous would compare equal to an empty value
	}
	current := subtle.ConstantTimeCompare(sent, v.current)
	previous := 0
	if v.previous != nil {
		previous = subtle.ConstantTimeCompare(sent, v.previous)
	}
	return current|previous == 1
}

// newOriginCheck reads the secret's values at start: nil, and no check at all, when
// secret (ORIGIN_VERIFY_SECRET) is empty. The current value is required, as the SSM
// secrets are; an AWSPREVIOUS that cannot be read is logged and left out.
func newOriginCheck(ctx context.Context, secret string, client func() (secretValueGetter, error),
	logger *slog.Logger, now func() time.Time) (*originCheck, error) {
	if secret == "" {
		return nil, nil
	}
	smClient, err := client()
	if err != nil {
		return nil, fmt.Errorf("origin check: %w", err)
	}
	o := &originCheck{secret: secret, client: smClient, logger: logger, now: now, refreshedAt: now()}
	values, previousErr, err := o.read(ctx)
	if err != nil {
		return nil, err
	}
	if previousErr != nil {
		logger.Warn("origin check: the previous value is not held", "secret", secret, "error", previousErr.Error())
	}
	o.values.Store(values)
	return o, nil
}

// read fetches AWSCURRENT, then AWSPREVIOUS. previousErr is an error reading AWSPREVIOUS
// other than its absence (a secret never rotated has none).
func (o *originCheck) read(ctx context.Context) (values *originValues, previousErr, err error) {
	current, err := o.readStage(ctx, "AWSCURRENT")
	if err != nil {
		return nil, nil, err
	}
	values = &originValues{current: current}
	values.previous, previousErr = o.readStage(ctx, "AWSPREVIOUS")
	if _, absent := errors.AsType[*types.ResourceNotFoundException](previousErr); absent {
		previousErr = nil
	}
	return values, previousErr, nil
}

// readStage is the secret's string value at stage; an empty one is an error, since an
// empty header must never pass.
func (o *originCheck) readStage(ctx context.Context, stage string) ([]byte, error) {
	out, err := o.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(o.secret), VersionStage: aws.String(stage)})
	if err != nil {
		return nil, fmt.Errorf("origin check: reading secret %s (%s): %w", o.secret, stage, err)
	}
	if aws.ToString(out.SecretString) == "" {
		return nil, fmt.Errorf("origin check: secret %s (%s) has no SecretString value", o.secret, stage)
	}
	return []byte(aws.ToString(out.SecretString)), nil
}

// allows reports whether sent, the request's X-Origin-Verify values, is one value that
// matches a held one. When it matches neither and the last read is more than
// originRefreshEvery old, the secret is read again first (it may have rotated): one
// request at a time, bounded by ctx. A failed read keeps the values held.
func (o *originCheck) allows(ctx context.Context, sent []string) bool {
	if len(sent) != 1 || sent[0] == "" {
		return false // absent, empty or repeated: no read can make it match
	}
	value := []byte(sent[0])
	if o.values.Load().matches(value) {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.values.Load().matches(value) {
		return true // read by the request this one waited for
	}
	if o.now().Sub(o.refreshedAt) <= originRefreshEvery {
		return false
	}
	o.refreshedAt = o.now()
	ctx, cancel := context.WithTimeout(ctx, originRefreshTimeout)
	defer cancel()
	values, previousErr, err := o.read(ctx)
	if err == nil {
		err = previousErr
	}
	if err != nil {
		o.logger.Warn("origin check: refresh failed, the values held stay", "secret", o.secret,
			"error", err.Error())
		return false
	}
	o.values.Store(values)
	return values.matches(value)
}

type directInvocationKey struct{}

// withDirectInvocation marks ctx as that of a Lambda invocation API Gateway did not make
// (its event has no requestContext.apiId): the seed's manual invoke, the pre-traffic
// hook's. Invoking the function takes lambda:InvokeFunction, so the caller is already
// authenticated.
func withDirectInvocation(ctx context.Context) context.Context {
	return context.WithValue(ctx, directInvocationKey{}, true)
}

func directInvocation(ctx context.Context) bool {
	direct, _ := ctx.Value(directInvocationKey{}).(bool)
	return direct
}

// withOriginCheck refuses, 403, a request that did not come through CloudFront; origin nil
// (ORIGIN_VERIFY_SECRET unset) is no check, and no change to the request. The header is
// taken off every request before the routes see it, so none can log or echo it. Exempt:
// GET /health, which the load balancer's health check and the liveness probes reach
// without CloudFront, and a direct Lambda invocation. GET /health/ready is not: the
// outside-in probe reaches it through CloudFront.
func withOriginCheck(origin *originCheck, next http.Handler) http.Handler {
	if origin == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.Header.Values(originHeader)
		r.Header.Del(originHeader)
		exempt := (r.Method == http.MethodGet && r.URL.Path == "/health") || directInvocation(r.Context())
		if exempt || origin.allows(r.Context(), sent) {
			next.ServeHTTP(w, r)
			return
		}
		header := "wrong"
		if len(sent) == 0 {
			header = "absent"
		}
		origin.logger.Warn("origin check failed", "request_id", requestID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "header", header)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden",
			"message": "this API answers only requests that come through its CloudFront distribution"})
	})
}
