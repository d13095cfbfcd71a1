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
	"sync"
	"sync/atomic"
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
	rec := get(t, newRouter(backend{checks: []check{hang("postgres")}}, quiet), "/health")
	if rec.Code != http.StatusOK || rec.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Fatalf("GET /health = %d %q", rec.Code, rec.Body.String())
	}
}

func TestReadyIs200WhenEveryDependencyIsUp(t *testing.T) {
	rec := get(t, newRouter(backend{checks: []check{up("postgres"), up("redis"), up("s3")}}, quiet), "/health/ready")
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || body.Status != "ready" || len(body.Checks) != 3 || body.Checks["redis"].Status != "up" {
		t.Fatalf("GET /health/ready = %d %s", rec.Code, rec.Body.String())
	}
}

func TestReadyIs503AndNamesTheDependencyThatIsDown(t *testing.T) {
	rec := get(t, newRouter(backend{checks: []check{up("postgres"), down("redis"), up("s3")}}, quiet), "/health/ready")
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
	if rec := get(t, newRouter(backend{}, quiet), "/nope"); rec.Code != http.StatusNotFound {
		t.Fatalf("GET /nope = %d, want 404", rec.Code)
	}
}

func TestConcurrentReadinessCallersShareOneRunOfTheChecks(t *testing.T) {
	var runs atomic.Int32
	slow := check{name: "postgres", run: func(context.Context) error {
		runs.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil
	}}
	handler := readyHandler([]check{slow}, time.Second, quiet)
	var wg sync.WaitGroup
	for range 80 {
		wg.Go(func() {
			if rec := get(t, handler, "/health/ready"); rec.Code != http.StatusOK {
				t.Errorf("status = %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("80 concurrent callers ran the checks %d times, want 1", n)
	}
	// Fresh for readyCacheFor, then checked again.
	get(t, handler, "/health/ready")
	if n := runs.Load(); n != 1 {
		t.Fatalf("a call within %v ran the checks again", readyCacheFor)
	}
	time.Sleep(readyCacheFor + 10*time.Millisecond)
	get(t, handler, "/health/ready")
	if n := runs.Load(); n != 2 {
		t.Fatalf("runs = %d after the cache expired, want 2", n)
	}
}

func TestTheRequestLogPassesFlushAndDeadlinesThroughAndLeavesTheQueryOut(t *testing.T) {
	var logged strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	handler := withRequestLog(logger, functionVersion{}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the writer is no longer an http.Flusher")
		}
		controller := http.NewResponseController(w)
		if err := controller.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
		_, _ = io.WriteString(w, "part one\n")
		if err := controller.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}))
	// The log line is written after the response has reached the client, so
	// the test waits for the handler to return before it reads the log.
	served := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(served)
		handler.ServeHTTP(w, r)
	}))
	defer server.Close()
	response, err := http.Get(server.URL + "/stream?token=secret-value")
	if err != nil {
		t.Fatal(err)
	}
	_ = response.Body.Close()
	<-served
	if strings.Contains(logged.String(), "secret-value") || !strings.Contains(logged.String(), `"path":"/stream"`) {
		t.Fatalf("log = %s", logged.String())
	}
}

func TestAHandlerThatWritesNothingIsLoggedAs200(t *testing.T) {
	var logged strings.Builder
	handler := withRequestLog(slog.New(slog.NewJSONHandler(&logged, nil)), functionVersion{}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodDelete, "/items/1", nil))
	if !strings.Contains(logged.String(), `"status":200`) {
		t.Fatalf("log = %s", logged.String())
	}
}
