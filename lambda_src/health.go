package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// checkTimeout bounds each dependency check; all run at once, so /health/ready answers
// within about this long even when every dependency hangs.
const checkTimeout = 2 * time.Second

// A check reports whether one dependency answers. It must honour ctx's deadline.
type check struct {
	name string
	run  func(ctx context.Context) error
}

type checkResult struct {
	Status    string `json:"status"`
	LatencyMs int64  `json:"latency_ms"`
}

type readiness struct {
	Status string                 `json:"status"`
	Checks map[string]checkResult `json:"checks"`
}

// healthHandler answers liveness: no dependency, always 200 while the process serves.
func healthHandler(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyHandler answers readiness: 200 when every check passes, 503 otherwise, with each
// dependency's status (failure details go to the log, not to the caller). However many
// callers arrive at once, one run of the checks serves them all, and its result serves
// the callers of the next readyCacheFor too: a burst on this public route costs the
// dependencies one check, on the connections the backend already holds.
func readyHandler(checks []check, timeout time.Duration, logger *slog.Logger) http.Handler {
	return &readinessProbe{checks: checks, timeout: timeout, logger: logger}
}

// readyCacheFor is how long one run of the checks answers for.
const readyCacheFor = time.Second

type readinessProbe struct {
	checks  []check
	timeout time.Duration
	logger  *slog.Logger

	mu      sync.Mutex
	last    readiness
	lastAt  time.Time
	running chan struct{} // closed when the run in progress has stored its result
}

func (p *readinessProbe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	report, ok := p.current(r.Context())
	if !ok {
		return // the caller went away
	}
	status := http.StatusOK
	if report.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, report)
}

// current is the last result while it is fresh; otherwise it joins the run in progress,
// or starts one.
func (p *readinessProbe) current(ctx context.Context) (readiness, bool) {
	p.mu.Lock()
	if !p.lastAt.IsZero() && time.Since(p.lastAt) < readyCacheFor {
		report := p.last
		p.mu.Unlock()
		return report, true
	}
	if p.running == nil {
		p.running = make(chan struct{})
		go p.run(p.running)
	}
	done := p.running
	p.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return readiness{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, true
}

// run checks every dependency at once, each bounded by the timeout, independent of any
// one caller's request.
func (p *readinessProbe) run(done chan struct{}) {
	report := readiness{Status: "ready", Checks: make(map[string]checkResult, len(p.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range p.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
			defer cancel()
			start := time.Now()
			err := runBounded(ctx, c.run)
			result := checkResult{Status: "up", LatencyMs: time.Since(start).Milliseconds()}
			if err != nil {
				result.Status = "down"
				p.logger.Warn("dependency down", "dependency", c.name, "error", err.Error())
			}
			mu.Lock()
			defer mu.Unlock()
			report.Checks[c.name] = result
			if err != nil {
				report.Status = "not_ready"
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	p.last, p.lastAt, p.running = report, time.Now(), nil
	p.mu.Unlock()
	close(done)
}

// runBounded returns when run does or when ctx ends, whichever is first, so a client
// library that ignores its context cannot hold the response.
func runBounded(ctx context.Context, run func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within the deadline: %w", ctx.Err())
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// postgresCheck pings PostgreSQL through the backend's pool: no connection of its own.
func postgresCheck(conns *connections, password string) check {
	return check{name: "postgres", run: func(ctx context.Context) error {
		pool, err := conns.DB()
		if err != nil {
			return err
		}
		return redactDSN(pool.Ping(ctx), password)
	}}
}

// redisCheck pings Redis (TLS when REDIS_TLS is true) through the backend's client.
func redisCheck(conns *connections) check {
	return check{name: "redis", run: func(ctx context.Context) error {
		client, err := conns.Cache()
		if err != nil {
			return err
		}
		return client.Ping(ctx).Err()
	}}
}

// s3Check asks for the bucket's metadata (needs s3:ListBucket on it).
func s3Check(cfg settings, client func() (*s3.Client, error)) check {
	return check{name: "s3", run: func(ctx context.Context) error {
		if cfg.bucket == "" {
			return errors.New("AWS_BUCKET is not set")
		}
		c, err := client()
		if err != nil {
			return err
		}
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.bucket)})
		return err
	}}
}

// redactDSN keeps the password out of an error that might quote the connection string.
func redactDSN(err error, password string) error {
	if err == nil || password == "" {
		return err
	}
	msg := err.Error()
	for _, form := range []string{password, url.QueryEscape(password), url.PathEscape(password), strconv.Quote(password)} {
		msg = strings.ReplaceAll(msg, form, "REDACTED")
	}
	return errors.New(msg)
}
