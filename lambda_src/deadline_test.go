package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// logBuffer collects the JSON lines several goroutines log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines are the logged lines whose msg is msg.
func (l *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var found []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if line["msg"] == msg {
			found = append(found, line)
		}
	}
	return found
}

func newLog() (*slog.Logger, *logBuffer) {
	logged := &logBuffer{}
	return slog.New(slog.NewJSONHandler(logged, nil)), logged
}

// untouchable fails the test if anything reaches the response once the frame has returned.
type untouchable struct {
	*httptest.ResponseRecorder
	t        *testing.T
	returned atomic.Bool
}

func (u *untouchable) check() {
	if u.returned.Load() {
		u.t.Error("the handler reached the response after the frame had answered")
	}
}

func (u *untouchable) Header() http.Header         { u.check(); return u.ResponseRecorder.Header() }
func (u *untouchable) Write(p []byte) (int, error) { u.check(); return u.ResponseRecorder.Write(p) }
func (u *untouchable) WriteHeader(status int)      { u.check(); u.ResponseRecorder.WriteHeader(status) }

func decodeError(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var answer map[string]string
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return answer
}

func TestAHandlerDeafToItsContextIsAnswered504AfterTheGraceAndItsLaterWritesAreDropped(t *testing.T) {
	logger, logged := newLog()
	release, late := make(chan struct{}), make(chan error, 1)
	handler := withFrame(backend{deadline: 100 * time.Millisecond}, logger, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release // deaf to its context
		w.Header().Set("X-Late", "yes")
		_, err := io.WriteString(w, "too late")
		late <- err
	}))
	response := &untouchable{ResponseRecorder: httptest.NewRecorder(), t: t}
	start := time.Now()
	handler.ServeHTTP(response, httptest.NewRequest(http.MethodGet, "/slow", nil))
	elapsed := time.Since(start)
	response.returned.Store(true)
	close(release)
	if err := <-late; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Fatalf("a write after the deadline returned %v, want http.ErrHandlerTimeout", err)
	}
	// The grace is all it costs: the handler has not returned, and is not waited for.
	if elapsed < 100*time.Millisecond+cancelGrace || elapsed > 250*time.Millisecond+cancelGrace {
		t.Fatalf("answered after %v with a 100 ms deadline and a %v grace", elapsed, cancelGrace)
	}
	t.Logf("answered %v after the deadline", elapsed-100*time.Millisecond)
	if response.Code != http.StatusGatewayTimeout || decodeError(t, response.Body.Bytes())["error"] != "deadline_exceeded" {
		t.Fatalf("→ %d %s", response.Code, response.Body.String())
	}
	header := response.ResponseRecorder.Header()
	if header.Get("Content-Type") != "application/json" || header.Get("Cache-Control") != "no-store" || header.Get("X-Late") != "" {
		t.Fatalf("headers = %v", header)
	}
	exceeded := logged.lines(t, "request deadline exceeded")
	if len(exceeded) != 1 || exceeded[0]["request_id"] == "" || exceeded[0]["deadline_ms"] != float64(100) ||
		exceeded[0]["level"] != "ERROR" || exceeded[0]["handler_returned"] != false {
		t.Fatalf("deadline lines = %v", exceeded)
	}
	if requests := logged.lines(t, "request"); len(requests) != 1 || requests[0]["status"] != float64(504) ||
		requests[0]["request_id"] != exceeded[0]["request_id"] {
		t.Fatalf("request lines = %v", requests)
	}
}

// cancelling returns cancelTime after its context ends, as a handler whose query pgx has had
// PostgreSQL cancel does, and reports when it returned.
func cancelling(cancelTime time.Duration, returned chan<- time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { returned <- time.Now() }()
		<-r.Context().Done()
		time.Sleep(cancelTime)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database"})
	})
}

func TestAtTheDeadlineTheFrameWaitsForAHandlerThatReturnsOnItsContextThenAnswers504(t *testing.T) {
	const deadline, cancelTime = 100 * time.Millisecond, 20 * time.Millisecond
	for _, mode := range []string{"lambda", "server"} {
		t.Run(mode, func(t *testing.T) {
			logger, logged := newLog()
			returned := make(chan time.Time, 1)
			handler := withFrame(backend{deadline: deadline}, logger, cancelling(cancelTime, returned))
			start := time.Now()
			status := 0
			if mode == "lambda" {
				status = serveEvent(t, handler, event("GET", "/", "")).StatusCode
			} else {
				server := httptest.NewServer(handler)
				defer server.Close()
				response, err := server.Client().Get(server.URL)
				if err != nil {
					t.Fatal(err)
				}
				_ = response.Body.Close()
				status = response.StatusCode
			}
			answered := time.Now()
			if status != http.StatusGatewayTimeout {
				t.Fatalf("→ %d", status)
			}
			// Waited for: the answer follows the handler's return, well inside the grace.
			returnedAt := <-returned
			late := answered.Sub(start) - deadline
			if answered.Before(returnedAt) || late < cancelTime || late > cancelGrace*3/4 {
				t.Fatalf("answered %v after the deadline, %v after the handler returned", late, answered.Sub(returnedAt))
			}
			t.Logf("answered %v after the deadline", late)
			if exceeded := logged.lines(t, "request deadline exceeded"); len(exceeded) != 1 ||
				exceeded[0]["handler_returned"] != true {
				t.Fatalf("deadline lines = %v", exceeded)
			}
		})
	}
}

func TestOnLambdaTheGraceEndsBeforeTheInvocationsOwnDeadline(t *testing.T) {
	// A 1 s invocation: the request's deadline is 0.5 s, the grace follows it, and the
	// answer must be back with Lambda before the invocation would time out.
	const invocation = time.Second
	release := make(chan struct{})
	defer close(release)
	handler := withFrame(backend{}, quiet, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		<-release // deaf to its context
	}))
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(invocation))
	defer cancel()
	document, err := httpAPIHandler{handler: handler, logger: quiet}.Invoke(ctx, []byte(event("GET", "/", "")))
	elapsed := time.Since(start)
	if err != nil || !strings.Contains(string(document), `"statusCode":504`) {
		t.Fatalf("→ %s, %v", document, err)
	}
	if elapsed < invocation-answerMargin+cancelGrace || elapsed > invocation-answerMargin/2 {
		t.Fatalf("answered %v into a %v invocation", elapsed, invocation)
	}
	t.Logf("answered %v before the invocation's deadline", invocation-elapsed)
}

func TestAPanicInTheGraceIsLoggedAndTheAnswerStays504(t *testing.T) {
	// A route that panics on its cancelled query: at once (as the frame's timer fires), or
	// after the cancel's round trip (in the grace).
	logger, logged := newLog()
	var calls atomic.Int32
	handler := withFrame(backend{deadline: 20 * time.Millisecond}, logger, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		if calls.Add(1)%2 == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		panic("query cancelled")
	}))
	server := httptest.NewServer(handler)
	defer server.Close()
	const rounds = 10
	for i := range rounds {
		response, err := server.Client().Get(server.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_ = response.Body.Close()
		if response.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("request %d → %d", i, response.StatusCode)
		}
		if lambda := serveEvent(t, handler, event("GET", "/", "")); lambda.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("invocation %d: %+v", i, lambda)
		}
	}
	if lines := logged.lines(t, "handler panicked"); len(lines) != 2*rounds || lines[0]["panic"] != "query cancelled" ||
		lines[0]["aborted"] != false {
		t.Fatalf("%d panic lines, the first %v", len(lines), lines[0])
	}
	if exceeded := logged.lines(t, "request deadline exceeded"); len(exceeded) != 2*rounds {
		t.Fatalf("%d deadline lines", len(exceeded))
	}
}

func TestTheHandlersContextEndsAtTheRequestDeadline(t *testing.T) {
	seen := make(chan time.Duration, 1)
	handler := withFrame(backend{deadline: 80 * time.Millisecond}, quiet, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		deadline, ok := r.Context().Deadline()
		if !ok {
			t.Error("the request's context has no deadline")
		}
		<-r.Context().Done()
		seen <- time.Until(deadline)
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if left := <-seen; left > 0 {
		t.Fatalf("the context ended %v before its deadline", left)
	}
}

func TestAHandlerThatAnswersItsEndedContextGetsTheFrames504NeverABrokenResponse(t *testing.T) {
	// It writes its own error the moment its context ends, as a route whose query was
	// cancelled does: the same instant the frame answers. The frame's answer must win.
	prompt := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database"})
	})
	server := httptest.NewServer(withFrame(backend{deadline: 20 * time.Millisecond}, quiet, prompt))
	defer server.Close()
	for i := range 25 {
		response, err := server.Client().Get(server.URL)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(response.Body)
		_ = response.Body.Close()
		if err != nil || response.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("request %d: %d %q, %v", i, response.StatusCode, body, err)
		}
		lambda := serveEvent(t, withFrame(backend{deadline: 20 * time.Millisecond}, quiet, prompt), event("GET", "/", ""))
		if lambda.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("invocation %d: %+v", i, lambda)
		}
	}
}

func TestTheDeadlineIsTheInvocationsLessHalfASecondWhenThatComesFirst(t *testing.T) {
	start := time.Now()
	if got := requestDeadline(context.Background(), start, 23*time.Second); !got.Equal(start.Add(23 * time.Second)) {
		t.Fatalf("no outer deadline: %v after arrival", got.Sub(start))
	}
	soon, cancel := context.WithDeadline(context.Background(), start.Add(10*time.Second))
	defer cancel()
	if got := requestDeadline(soon, start, 23*time.Second); !got.Equal(start.Add(9500 * time.Millisecond)) {
		t.Fatalf("a 10 s invocation: %v after arrival, want 9.5 s", got.Sub(start))
	}
	late, cancelLate := context.WithDeadline(context.Background(), start.Add(24*time.Second))
	defer cancelLate()
	if got := requestDeadline(late, start, 23*time.Second); !got.Equal(start.Add(23 * time.Second)) {
		t.Fatalf("a 24 s invocation: %v after arrival, want 23 s", got.Sub(start))
	}
}

// startsThenHangs sends its status, a cookie and a line, then waits for release (or
// panics); what it writes after that is reported on late.
func startsThenHangs(release chan struct{}, late chan error, panics bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"part":1}`+"\n")
		_ = http.NewResponseController(w).Flush()
		if panics {
			panic("after the status")
		}
		<-release
		_, err := io.WriteString(w, `{"part":2}`+"\n")
		late <- err
	})
}

func TestOnLambdaAResponseAlreadyStartedIsDiscardedAndAnsweredAnew(t *testing.T) {
	for name, want := range map[string]struct {
		panics bool
		status int
		code   string
	}{"deadline": {false, http.StatusGatewayTimeout, "deadline_exceeded"}, "panic": {true, http.StatusInternalServerError, "internal_error"}} {
		t.Run(name, func(t *testing.T) {
			logger, logged := newLog()
			release, late := make(chan struct{}), make(chan error, 1)
			handler := withFrame(backend{deadline: 100 * time.Millisecond}, logger, startsThenHangs(release, late, want.panics))
			response := serveEvent(t, handler, event("GET", "/export", ""))
			close(release)
			if !want.panics {
				if err := <-late; !errors.Is(err, http.ErrHandlerTimeout) {
					t.Fatalf("late write: %v", err)
				}
			}
			if response.StatusCode != want.status || len(response.Cookies) != 0 || strings.Contains(response.Body, "part") {
				t.Fatalf("→ %+v", response)
			}
			if decodeError(t, []byte(response.Body))["error"] != want.code || response.Headers["Cache-Control"] != "no-store" {
				t.Fatalf("→ %+v", response)
			}
			if requests := logged.lines(t, "request"); len(requests) != 1 || requests[0]["status"] != float64(want.status) ||
				requests[0]["aborted"] != nil {
				t.Fatalf("request lines = %v", requests)
			}
		})
	}
}

func TestInServerModeAResponseAlreadyStartedIsAbortedNeverCutShortAsIfWhole(t *testing.T) {
	for _, panics := range []bool{false, true} {
		logger, logged := newLog()
		release, late := make(chan struct{}), make(chan error, 1)
		server := httptest.NewServer(withFrame(backend{deadline: 100 * time.Millisecond}, logger, startsThenHangs(release, late, panics)))
		response, err := http.Get(server.URL + "/export")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(response.Body)
		_ = response.Body.Close()
		close(release)
		server.Close()
		if response.StatusCode != http.StatusOK || string(body) != `{"part":1}`+"\n" || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("panics=%v: %d %q, read error %v: want the first part, then a broken stream", panics, response.StatusCode, body, err)
		}
		if !panics {
			if err := <-late; !errors.Is(err, http.ErrHandlerTimeout) {
				t.Fatalf("late write: %v", err)
			}
		}
		if requests := logged.lines(t, "request"); len(requests) != 1 || requests[0]["aborted"] != true {
			t.Fatalf("panics=%v: request lines = %v", panics, requests)
		}
	}
}

// panicky panics on /boom and answers 200 elsewhere.
var panicky = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/boom" {
		var items []string
		_ = items[3] // a real bug: index out of range
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
})

func checkPanicLine(t *testing.T, logged *logBuffer) {
	t.Helper()
	panics := logged.lines(t, "handler panicked")
	if len(panics) != 1 {
		t.Fatalf("panic lines = %v", panics)
	}
	line := panics[0]
	stack, _ := line["stack"].(string)
	if line["level"] != "ERROR" || line["request_id"] == "" || !strings.Contains(line["panic"].(string), "index out of range") ||
		!strings.Contains(stack, "deadline_test.go") {
		t.Fatalf("panic line = %v", line)
	}
}

func TestOnLambdaAPanicIsA500AndTheNextInvocationIsServed(t *testing.T) {
	logger, logged := newLog()
	handler := withFrame(backend{}, logger, panicky)
	response := serveEvent(t, handler, event("GET", "/boom", ""))
	if response.StatusCode != http.StatusInternalServerError || decodeError(t, []byte(response.Body))["error"] != "internal_error" ||
		response.Headers["Content-Type"] != "application/json" {
		t.Fatalf("→ %+v", response)
	}
	if status, _ := invoke(t, handler, event("GET", "/ok", "")); status != http.StatusOK {
		t.Fatalf("the next invocation → %d", status)
	}
	checkPanicLine(t, logged)
}

func TestInServerModeAPanicIsA500AndTheConnectionServesOn(t *testing.T) {
	logger, logged := newLog()
	server := httptest.NewServer(withFrame(backend{}, logger, panicky))
	defer server.Close()
	client := server.Client()
	response, err := client.Get(server.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if response.StatusCode != http.StatusInternalServerError || decodeError(t, body)["error"] != "internal_error" {
		t.Fatalf("→ %d %s", response.StatusCode, body)
	}
	if response, err = client.Get(server.URL + "/ok"); err != nil || response.StatusCode != http.StatusOK {
		t.Fatalf("the next request → %v, %v", response, err)
	}
	_ = response.Body.Close()
	checkPanicLine(t, logged)
}

func TestAHandlersOwnAbortDropsTheConnectionInServerModeAndIsA500OnLambda(t *testing.T) {
	logger, logged := newLog()
	aborts := withFrame(backend{}, logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	server := httptest.NewServer(aborts)
	defer server.Close()
	if response, err := http.Get(server.URL); err == nil {
		_ = response.Body.Close()
		t.Fatalf("server mode answered %d, want the connection dropped", response.StatusCode)
	}
	if response := serveEvent(t, aborts, event("GET", "/", "")); response.StatusCode != http.StatusInternalServerError {
		t.Fatalf("Lambda → %+v", response)
	}
	if lines := logged.lines(t, "handler aborted the response"); len(lines) != 2 || lines[0]["level"] != "WARN" {
		t.Fatalf("abort lines = %v", lines)
	}
	if panics := logged.lines(t, "handler panicked"); len(panics) != 0 {
		t.Fatalf("a deliberate abort was logged as a panic: %v", panics)
	}
}

func TestInServerModeAFlushedPartReachesTheClientBeforeTheHandlerReturns(t *testing.T) {
	received := make(chan struct{})
	server := httptest.NewServer(withFrame(backend{deadline: 5 * time.Second}, quiet, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "part one\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-received // only a response that is not held back lets the client say so
		_, _ = io.WriteString(w, "part two\n")
	})))
	defer server.Close()
	response, err := http.Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = response.Body.Close() }()
	reader := bufio.NewReader(response.Body)
	if first, err := reader.ReadString('\n'); err != nil || first != "part one\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	close(received)
	if rest, err := io.ReadAll(reader); err != nil || string(rest) != "part two\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// idOf serves one request through the frame and returns the id the handler saw and the
// one the request log printed.
func idOf(t *testing.T, serve func(http.Handler)) (string, string) {
	t.Helper()
	logger, logged := newLog()
	seen := make(chan string, 1)
	serve(withFrame(backend{}, logger, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen <- requestID(r.Context())
	})))
	requests := logged.lines(t, "request")
	if len(requests) != 1 {
		t.Fatalf("request lines = %v", requests)
	}
	printed, _ := requests[0]["request_id"].(string)
	return <-seen, printed
}

func TestTheRequestIDOnLambdaIsTheHTTPAPIsElseTheInvocations(t *testing.T) {
	withAPIID := `{"version":"2.0","rawPath":"/x","requestContext":{"requestId":"JxQ1bgYVSQ0EMaw=","http":{"method":"GET","path":"/x"}}}`
	seen, logged := idOf(t, func(h http.Handler) { serveEvent(t, h, withAPIID) })
	if seen != "JxQ1bgYVSQ0EMaw=" || logged != seen {
		t.Fatalf("handler saw %q, log says %q", seen, logged)
	}
	invocation := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	seen, logged = idOf(t, func(h http.Handler) {
		if _, err := (httpAPIHandler{handler: h, logger: quiet}).Invoke(invocation, []byte(event("GET", "/x", ""))); err != nil {
			t.Fatal(err)
		}
	})
	if seen != "8476a536-e9f4-11e8-9739-2dfe598c3fcd" || logged != seen {
		t.Fatalf("handler saw %q, log says %q", seen, logged)
	}
}

func TestTheRequestIDInServerModeIsTheLoadBalancersTraceIDElseRandom(t *testing.T) {
	trace := "Root=1-67891233-abcdef012345678912345678"
	seen, logged := idOf(t, func(h http.Handler) {
		request := httptest.NewRequest(http.MethodGet, "/x", nil)
		request.Header.Set("X-Amzn-Trace-Id", trace)
		h.ServeHTTP(httptest.NewRecorder(), request)
	})
	if seen != trace || logged != seen {
		t.Fatalf("handler saw %q, log says %q", seen, logged)
	}
	first, _ := idOf(t, func(h http.Handler) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	})
	second, _ := idOf(t, func(h http.Handler) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	})
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(first) || first == second {
		t.Fatalf("random ids %q, %q", first, second)
	}
}

// byStatus answers the status its path names: /503 is a 503.
var byStatus = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/503":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "/404":
		w.WriteHeader(http.StatusNotFound)
	}
})

func TestOnLambdaEachRequestLineCarriesTheVersionsMetricsInEmbeddedMetricFormat(t *testing.T) {
	logger, logged := newLog()
	handler := withFrame(backend{function: functionVersion{name: "anigmaa-backend-BackendFunction", version: "42"}}, logger, byStatus)
	before := time.Now().UnixMilli()
	for _, path := range []string{"/200", "/404", "/503"} {
		serveEvent(t, handler, event("GET", path, ""))
	}
	after := time.Now().UnixMilli()
	directive := `{"CloudWatchMetrics":[{"Dimensions":[["FunctionName","Version"]],"Metrics":[` +
		`{"Name":"Requests","Unit":"Count"},{"Name":"ServerErrors","Unit":"Count"}],"Namespace":"anigmaa/backend"}]}`
	requests := logged.lines(t, "request")
	if len(requests) != 3 {
		t.Fatalf("request lines = %v", requests)
	}
	for i, serverErrors := range []float64{0, 0, 1} {
		line := requests[i]
		aws, _ := line["_aws"].(map[string]any)
		stamp, _ := aws["Timestamp"].(float64)
		delete(aws, "Timestamp")
		shape, _ := json.Marshal(aws)
		if string(shape) != directive || int64(stamp) < before || int64(stamp) > after {
			t.Fatalf("_aws = %s, Timestamp %v not in [%d, %d]", shape, stamp, before, after)
		}
		if line["FunctionName"] != "anigmaa-backend-BackendFunction" || line["Version"] != "42" ||
			line["Requests"] != float64(1) || line["ServerErrors"] != serverErrors {
			t.Fatalf("line %d = %v", i, line)
		}
	}
}

func TestInServerModeTheRequestLineCarriesNoMetrics(t *testing.T) {
	logger, logged := newLog()
	withFrame(backend{}, logger, byStatus).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/503", nil))
	line := logged.lines(t, "request")[0]
	for _, key := range []string{"_aws", "FunctionName", "Version", "Requests", "ServerErrors"} {
		if _, ok := line[key]; ok {
			t.Fatalf("server mode logged %s: %v", key, line)
		}
	}
}

func TestTheFunctionVersionComesFromLambdasEnvironmentAndNeedsBoth(t *testing.T) {
	both := mapEnv{"AWS_LAMBDA_FUNCTION_NAME": "backend", "AWS_LAMBDA_FUNCTION_VERSION": "7"}
	if got := lambdaFunction(both); got != (functionVersion{name: "backend", version: "7"}) {
		t.Fatalf("got %+v", got)
	}
	for _, partial := range []mapEnv{{"AWS_LAMBDA_FUNCTION_NAME": "backend"}, {"AWS_LAMBDA_FUNCTION_VERSION": "7"}, {}} {
		if got := lambdaFunction(partial); got != (functionVersion{}) {
			t.Fatalf("%v → %+v, want none", partial, got)
		}
	}
}
