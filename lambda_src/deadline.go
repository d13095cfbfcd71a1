package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// answerMargin is what the frame keeps of a Lambda invocation's own deadline to hand its
// answer over: answering later would let Lambda time the invocation out, which is an
// error instead of the answer, and a new runtime (a cold start) for the next request.
const answerMargin = 500 * time.Millisecond

// cancelGrace is how long the frame waits past the deadline for the handler to return
// before it answers 504. The handler's context has ended, so pgx is sending PostgreSQL a
// cancel request (a connection, TLS, the request, the server's acknowledgement: milliseconds
// to tens of them); answered at once, Lambda may freeze the environment before it has left,
// and the statement would run on until statement_timeout. A query on the request's context
// returns after the cancel and a 100 ms pause of pgx's, so such a handler is usually seen to
// return, and the cancel has left even if the grace ends in that pause. A handler deaf to its
// context costs its request the grace, no more. It must fit well inside answerMargin, so
// that the 504 still reaches Lambda before the invocation's own deadline.
const cancelGrace = 200 * time.Millisecond

// withDeadline bounds every request: the handler runs in a goroutine of its own with a
// context that ends at the request's deadline, and if it has not returned by then, the
// frame answers 504 itself, once the handler has returned or cancelGrace has passed. A
// panic in the handler is answered 500 and the process serves on: aws-lambda-go would exit
// on it (a 502, and a cold start for the next request), and net/http would drop the
// connection.
//
// The handler writes through a guardedWriter, so that once the deadline has passed, what
// it still writes is dropped and never reaches the response. A response must start
// before the deadline: one a handler starts later (its own error, once its context has
// ended) is dropped too, and so is a panic then (logged), so such a request is the frame's
// 504 whichever goroutine gets there first. When the status went out before the deadline,
// a response still held in the process (Lambda's) is discarded and answered anew; on the
// wire (server mode) it is aborted, so the client sees a broken response rather than one
// that looks whole.
func withDeadline(limit time.Duration, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		deadline := requestDeadline(r.Context(), start, limit)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		guarded := newGuardedWriter(w, deadline)
		done := make(chan *handlerPanic, 1) // buffered: the handler may return after the frame has answered
		go func() {
			// Deferred, so that a handler that calls runtime.Goexit is also seen to return.
			defer func() {
				var failure *handlerPanic
				if value := recover(); value != nil {
					failure = &handlerPanic{value: value, stack: debug.Stack()}
				}
				done <- failure
			}()
			next.ServeHTTP(guarded, r.WithContext(ctx))
		}()
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		var returned bool
		var failure *handlerPanic
		select {
		case failure = <-done:
			returned = true
			if failure == nil && guarded.finish() {
				return
			}
			if failure != nil && time.Now().Before(deadline) {
				answerPanic(w, r, takeBack(w, guarded), failure, logger)
				return
			}
		case <-timer.C:
			// The timer, not ctx: a client that hangs up cancels ctx, and is no 504.
		}
		// Past the deadline the answer is the frame's 504, even to a handler that returned or
		// panicked since (its panic is logged). The handler can write no more, but the cancel
		// request of a query it is running must leave before the answer.
		answered := takeBack(w, guarded)
		if !returned {
			returned, failure = awaitReturn(done, cancelGrace)
		}
		if failure != nil {
			logPanic(r, failure, answered, logger)
		}
		answerDeadline(w, r, answered, returned, deadline.Sub(start), logger)
	})
}

// awaitReturn waits up to grace for the handler to return, and reports whether it did and
// the panic it ended with, if any.
func awaitReturn(done <-chan *handlerPanic, grace time.Duration) (bool, *handlerPanic) {
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case failure := <-done:
		return true, failure
	case <-timer.C:
		return false, nil
	}
}

// requestDeadline is when the frame answers for a request that arrived at start: limit
// after it, or sooner when the request's own context ends first (a Lambda invocation's
// deadline, less answerMargin).
func requestDeadline(ctx context.Context, start time.Time, limit time.Duration) time.Time {
	deadline := start.Add(limit)
	if outer, ok := ctx.Deadline(); ok && outer.Add(-answerMargin).Before(deadline) {
		deadline = outer.Add(-answerMargin)
	}
	return deadline
}

type handlerPanic struct {
	value any
	stack []byte
}

// answerDeadline answers 504 for a handler past its deadline, or aborts the response when
// answered is false (its status is on the wire). returned tells the log whether the handler
// had returned by then: if not, it ignores its context, or its query's cancel took longer
// than the grace (and may not have left a frozen Lambda environment).
func answerDeadline(w http.ResponseWriter, r *http.Request, answered, returned bool, budget time.Duration,
	logger *slog.Logger) {
	logger.Error("request deadline exceeded", "request_id", requestID(r.Context()), "method", r.Method,
		"path", r.URL.Path, "deadline_ms", budget.Milliseconds(), "handler_returned", returned, "aborted", !answered)
	if !answered {
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, http.StatusGatewayTimeout, map[string]string{"error": "deadline_exceeded",
		"message": "the server did not answer within its request deadline"})
}

// answerPanic answers 500 for a handler that panicked before its deadline, or aborts the
// response when answered is false.
func answerPanic(w http.ResponseWriter, r *http.Request, answered bool, failure *handlerPanic, logger *slog.Logger) {
	if failure.value == http.ErrAbortHandler {
		// The handler's own way to abort: honoured on the wire; a Lambda response cannot be
		// broken off, so it is answered 500.
		answered = answered && reset(w)
	}
	logPanic(r, failure, answered, logger)
	if !answered {
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal_error",
		"message": "the server failed to answer this request"})
}

// logPanic logs how the handler ended: its own abort (net/http logs no stack for it), or a
// panic with its stack. answered is whether the frame can still answer.
func logPanic(r *http.Request, failure *handlerPanic, answered bool, logger *slog.Logger) {
	if failure.value == http.ErrAbortHandler {
		logger.Warn("handler aborted the response", "request_id", requestID(r.Context()), "method", r.Method,
			"path", r.URL.Path)
		return
	}
	logger.Error("handler panicked", "request_id", requestID(r.Context()), "method", r.Method,
		"path", r.URL.Path, "panic", fmt.Sprint(failure.value), "stack", string(failure.stack),
		"aborted", !answered)
}

// takeBack ends the handler's access to the response and reports whether the frame can
// still answer: nothing was sent yet, or what was sent is still in the process and has
// been discarded.
func takeBack(w http.ResponseWriter, guarded *guardedWriter) bool {
	if !guarded.takeBack() {
		return true
	}
	return reset(w)
}

// reset discards what was written to w, if w is still in the process.
func reset(w http.ResponseWriter) bool {
	response, ok := w.(resettable)
	return ok && response.reset()
}

// resettable is a response that has not left the process yet (Lambda's, which is
// returned whole): reset discards what was written, status and headers included, and
// reports whether it could.
type resettable interface {
	reset() bool
}

// guardedWriter is the handler's response writer while the frame may answer in its
// place. Each call that reaches the response below holds mu, and none does once the
// frame has taken the response back, so a handler that outlives its request never
// touches it. The handler's headers are its own, copied to the response when the status
// is written and when the handler returns.
type guardedWriter struct {
	header   http.Header // the handler's goroutine's alone
	deadline time.Time   // a response not started by then is the frame's

	mu     sync.Mutex
	w      http.ResponseWriter
	sent   bool // the status went to w
	closed bool // the frame took the response back: later writes are dropped
}

func newGuardedWriter(w http.ResponseWriter, deadline time.Time) *guardedWriter {
	// Headers set before the handler ran (CORS) stay, as they would without the frame.
	return &guardedWriter{w: w, header: w.Header().Clone(), deadline: deadline}
}

func (g *guardedWriter) Header() http.Header { return g.header }

// refused is true when what the handler writes now must be dropped: the frame has taken
// the response back, or the response has not started and the deadline has passed. mu is
// held.
func (g *guardedWriter) refused() bool {
	return g.closed || (!g.sent && !time.Now().Before(g.deadline))
}

func (g *guardedWriter) WriteHeader(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused() {
		return
	}
	if g.sent {
		g.w.WriteHeader(status) // net/http's answer to a second status, as without the frame
		return
	}
	g.sendStatus(status)
}

// sendStatus sends the handler's headers and status; mu is held.
func (g *guardedWriter) sendStatus(status int) {
	replaceHeader(g.w.Header(), g.header)
	g.w.WriteHeader(status)
	if status >= 200 || status == http.StatusSwitchingProtocols { // 1xx, but 101, are informational
		g.sent = true
	}
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused() {
		return 0, http.ErrHandlerTimeout
	}
	if !g.sent {
		g.sendStatus(http.StatusOK)
	}
	return g.w.Write(p)
}

// Flush keeps `w.(http.Flusher)` working; FlushError is what http.ResponseController calls.
func (g *guardedWriter) Flush() { _ = g.FlushError() }

func (g *guardedWriter) FlushError() error {
	return g.control(func(rc *http.ResponseController) error {
		if !g.sent {
			g.sendStatus(http.StatusOK)
		}
		return rc.Flush()
	})
}

// The connection's deadlines and full duplex, for handlers that use http.ResponseController.

func (g *guardedWriter) SetReadDeadline(deadline time.Time) error {
	return g.control(func(rc *http.ResponseController) error { return rc.SetReadDeadline(deadline) })
}

func (g *guardedWriter) SetWriteDeadline(deadline time.Time) error {
	return g.control(func(rc *http.ResponseController) error { return rc.SetWriteDeadline(deadline) })
}

func (g *guardedWriter) EnableFullDuplex() error {
	return g.control(func(rc *http.ResponseController) error { return rc.EnableFullDuplex() })
}

// control runs call on the writer below, unless the frame has taken it back: the
// connection may serve another request by then.
func (g *guardedWriter) control(call func(*http.ResponseController) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused() {
		return http.ErrHandlerTimeout
	}
	return call(http.NewResponseController(g.w))
}

// takeBack closes the writer to the handler, once any write in progress is done, and
// reports whether the status had been sent.
func (g *guardedWriter) takeBack() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.sent
}

// finish closes the writer when the handler has returned, and hands the response its
// headers: those of a handler that wrote nothing, and trailers set after the body. It
// reports false, and hands nothing, when the handler returned past the deadline without
// having started its response: the frame answers for it.
func (g *guardedWriter) finish() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	late := g.refused()
	g.closed = true
	if late {
		return false
	}
	replaceHeader(g.w.Header(), g.header)
	return true
}

// replaceHeader makes dst hold what src holds, with values of its own.
func replaceHeader(dst, src http.Header) {
	for name := range dst {
		if _, ok := src[name]; !ok {
			delete(dst, name)
		}
	}
	for name, values := range src {
		dst[name] = append([]string(nil), values...)
	}
}
