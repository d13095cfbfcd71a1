package main

import (
	"log/slog"
	"net/http"
	"time"
)

// newRouter returns the backend's HTTP handler: the same one serves Lambda and the HTTP
// server. The backend team's routes go here, next to the health endpoints, which must
// keep answering: /health for liveness (load balancers, the seed's manual invoke) and
// /health/ready for dependency checks (smoke tests).
func newRouter(checks []check, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", healthHandler)
	mux.Handle("GET /health/ready", readyHandler(checks, checkTimeout, logger))
	// The anigmaa API's own routes are registered on mux here.
	return withRequestLog(logger, mux)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// withRequestLog writes one JSON line per request: method, path, status and duration.
func withRequestLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(recorder, r)
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", recorder.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}
