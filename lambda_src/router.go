package main

import (
	"log/slog"
	"net/http"
	"time"
)

// backend is what the frame hands the router: the shared connections (one PostgreSQL pool
// of DB_MAX_CONNS, one Redis client) and the readiness checks that use them.
type backend struct {
	conns  *connections
	checks []check
}

// parityRoutes, when set (only by the `parity` build of the tests), adds the routes the
// Lambda/server parity suite probes the frame with.
var parityRoutes func(mux *http.ServeMux)

// newRouter returns the backend's HTTP handler: the same one serves Lambda and the HTTP
// server. The backend team's routes go here, next to the health endpoints, which must
// keep answering: /health for liveness (load balancers, the seed's manual invoke) and
// /health/ready for dependency checks (smoke tests).
//
// A route uses the shared connections and never opens its own, so the CDK app's
// connection budget holds:
//
//	mux.HandleFunc("GET /events/{id}", func(w http.ResponseWriter, r *http.Request) {
//		pool, err := b.conns.DB()
//		if err != nil {
//			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database"})
//			return
//		}
//		var title string
//		err = pool.QueryRow(r.Context(), "SELECT title FROM events WHERE id = $1", r.PathValue("id")).Scan(&title)
//		...
//	})
//
// What the frame guarantees in both modes, and what a route must keep to (the 6 MB
// response limit on Lambda), is in the README's "The Go program" section.
func newRouter(b backend, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", healthHandler)
	mux.Handle("GET /health/ready", readyHandler(b.checks, checkTimeout, logger))
	// The anigmaa API's own routes are registered on mux here.
	if parityRoutes != nil {
		parityRoutes(mux)
	}
	return withRequestLog(logger, mux)
}

// statusRecorder notes the status a handler sends, and passes everything else through:
// Unwrap lets http.ResponseController reach the writer below (deadlines, flushing).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += n
	return n, err
}

// Flush keeps `w.(http.Flusher)` working for handlers that stream.
func (r *statusRecorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// withRequestLog writes one JSON line per request: method, path (never the query, which
// may carry tokens), status, bytes and duration.
func withRequestLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		recorder := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(recorder, r)
		status := recorder.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http sends 200
		}
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "bytes", recorder.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}
