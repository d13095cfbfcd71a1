package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func up(name string) check {
	return check{name: name, run: func(context.Context) error { return nil }}
}

func down(name string) check {
	return check{name: name, run: func(context.Context) error { return errors.New("connection refused") }}
}

// hang ignores its context, like a client library stuck in a dial.
func hang(name string) check {
	return check{name: name, run: func(context.Context) error { time.Sleep(time.Hour); return nil }}
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHealthAnswers200WithoutTouchingDependencies(t *testing.T) {
	rec := get(t, newRouter([]check{hang("postgres")}, quiet), "/health")
	if rec.Code != http.StatusOK || rec.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Fatalf("GET /health = %d %q", rec.Code, rec.Body.String())
	}
}

func TestReadyIs200WhenEveryDependencyIsUp(t *testing.T) {
	rec := get(t, newRouter([]check{up("postgres"), up("redis"), up("s3")}, quiet), "/health/ready")
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || body.Status != "ready" || len(body.Checks) != 3 || body.Checks["redis"].Status != "up" {
		t.Fatalf("GET /health/ready = %d %s", rec.Code, rec.Body.String())
	}
}

func TestReadyIs503AndNamesTheDependencyThatIsDown(t *testing.T) {
	rec := get(t, newRouter([]check{up("postgres"), down("redis"), up("s3")}, quiet), "/health/ready")
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || body.Status != "not_ready" {
		t.Fatalf("GET /health/ready = %d %s", rec.Code, rec.Body.String())
	}
	if body.Checks["redis"].Status != "down" || body.Checks["postgres"].Status != "up" {
		t.Fatalf("checks = %+v", body.Checks)
	}
	if strings.Contains(rec.Body.String(), "refused") {
		t.Fatalf("error details leak to the caller: %s", rec.Body.String())
	}
}

func TestReadyAnswersWithinItsTimeoutWhenADependencyHangs(t *testing.T) {
	handler := readyHandler([]check{hang("postgres"), up("redis")}, 100*time.Millisecond, quiet)
	start := time.Now()
	rec := get(t, handler, "/health/ready")
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("took %v with a 100 ms timeout", elapsed)
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
}

func TestUnknownRouteIs404(t *testing.T) {
	if rec := get(t, newRouter(nil, quiet), "/nope"); rec.Code != http.StatusNotFound {
		t.Fatalf("GET /nope = %d, want 404", rec.Code)
	}
}
