package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// backend is what the frame hands the router: the shared connections (one PostgreSQL pool
// of DB_MAX_CONNS, one Redis client), the readiness checks that use them, each request's
// time limit, and under Lambda the function version whose metrics the request log carries.
type backend struct {
	conns    *connections
	checks   []check
	deadline time.Duration   // REQUEST_DEADLINE_MS; zero is defaultRequestDeadline
	function functionVersion // zero in server mode: no metrics
	origin   *originCheck    // nil without ORIGIN_VERIFY_SECRET: no origin check
}

// parityRoutes, when set (only by the `parity` build of the tests), adds the routes the
// Lambda/server parity suite probes the frame with.
var parityRoutes func(mux *http.ServeMux, b backend, logger *slog.Logger)

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
// Every database and Redis call takes r.Context(): it ends at the request's deadline.
//
// What the frame guarantees in both modes, and what a route must keep to (the 6 MB
// response limit on Lambda), is in the README's "The Go program" section.
func newRouter(b backend, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", healthHandler)
	mux.Handle("GET /health/ready", readyHandler(b.checks, checkTimeout, logger))
	// The anigmaa API's own routes are registered on mux here.
	if parityRoutes != nil {
		parityRoutes(mux, b, logger)
	}
	return withFrame(b, logger, mux)
}

// withFrame is what the frame does around every request, in both modes: a request id,
// the request log line, the origin check, the deadline and the answer to a panic.
// Outermost first, so the id is set before anything logs, the request log sees the
// frame's own 403, 504 and 500, and a refused request never starts a handler.
func withFrame(b backend, logger *slog.Logger, h http.Handler) http.Handler {
	deadline := b.deadline
	if deadline == 0 {
		deadline = defaultRequestDeadline
	}
	return withRequestID(withRequestLog(logger, b.function, withOriginCheck(b.origin, withDeadline(deadline, logger, h))))
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

// reset passes a discarded response (see resettable) through, and forgets what it noted.
func (r *statusRecorder) reset() bool {
	if !reset(r.ResponseWriter) {
		return false
	}
	r.status, r.bytes = 0, 0
	return true
}

// withRequestLog writes one JSON line per request: request id, method, path (never the
// query, which may carry tokens), status, bytes and duration; under Lambda, the function
// version's metrics too. A response the frame aborted is logged as such on its way out.
func withRequestLog(logger *slog.Logger, function functionVersion, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		recorder := &statusRecorder{ResponseWriter: w}
		aborted := true
		defer func() {
			status := recorder.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends 200
			}
			attrs := []any{"request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path,
				"status", status, "bytes", recorder.bytes, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
			if aborted {
				attrs = append(attrs, "aborted", true)
			}
			logger.Info("request", append(attrs, function.metrics(status, time.Now())...)...)
		}()
		next.ServeHTTP(recorder, r)
		aborted = false
	})
}

// functionVersion is the Lambda function and version serving the requests: the
// dimensions of the per-version metrics a release's alarms watch.
type functionVersion struct {
	name    string
	version string
}

// lambdaFunction is the function version Lambda runs this process as
// (AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION); zero unless both are set.
func lambdaFunction(env environment) functionVersion {
	name, _ := env.LookupEnv("AWS_LAMBDA_FUNCTION_NAME")
	version, _ := env.LookupEnv("AWS_LAMBDA_FUNCTION_VERSION")
	if name == "" || version == "" {
		return functionVersion{}
	}
	return functionVersion{name: name, version: version}
}

// Where CloudWatch files the metrics; the CDK app's release alarms name the same.
const metricsNamespace = "anigmaa/backend"

// emfDirective is the request line's _aws: the embedded metric format's directive. Its fields
// are in the order of the map it was first written from (json.Marshal sorts a map's keys), so
// the line is the same bytes.
type emfDirective struct {
	CloudWatchMetrics json.RawMessage
	Timestamp         int64
}

// cloudWatchMetrics is the directive's part that never changes, encoded once rather than for
// every request line (37 allocations and 2 KiB a request: docs/benchmarks.md).
var cloudWatchMetrics = func() json.RawMessage {
	encoded, err := json.Marshal([]map[string]any{{
		"Namespace":  metricsNamespace,
		"Dimensions": [][]string{{"FunctionName", "Version"}},
		"Metrics": []map[string]string{
			{"Name": "Requests", "Unit": "Count"},
			{"Name": "ServerErrors", "Unit": "Count"},
		},
	}})
	if err != nil {
		panic(err)
	}
	return encoded
}()

// metrics are the request log line's fields in CloudWatch embedded metric format: one
// Request, and one ServerError when status is 5xx, per FunctionName and Version. Lambda
// sends the line to CloudWatch Logs, which extracts them; none without a function.
func (f functionVersion) metrics(status int, at time.Time) []any {
	if f.name == "" {
		return nil
	}
	serverErrors := 0
	if status >= 500 {
		serverErrors = 1
	}
	directive := emfDirective{CloudWatchMetrics: cloudWatchMetrics, Timestamp: at.UnixMilli()}
	return []any{"_aws", directive, "FunctionName", f.name, "Version", f.version,
		"Requests", 1, "ServerErrors", serverErrors}
}

type requestIDKey struct{}

// withRequestIDValue is ctx carrying the request's id, which every log line about the
// request prints.
func withRequestIDValue(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestID is the id of the request ctx belongs to ("" outside one).
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// maxTraceHeader bounds the X-Amzn-Trace-Id value taken as the id: a client may send its own.
const maxTraceHeader = 256

// withRequestID gives a request that has no id yet one: under Lambda the adapter has set
// the HTTP API's; in server mode it is the load balancer's X-Amzn-Trace-Id, or a random
// one where there is no load balancer.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requestID(r.Context()) == "" {
			id := r.Header.Get("X-Amzn-Trace-Id")
			if id == "" || len(id) > maxTraceHeader {
				id = randomID()
			}
			r = r.WithContext(withRequestIDValue(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// randomID is 16 hex digits.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
