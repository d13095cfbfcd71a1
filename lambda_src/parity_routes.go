//go:build parity

package main

// Routes for the Lambda/server parity suite (tests/integration/test_parity.py), built only
// with `-tags parity`: they show what the handler saw and answer in the shapes a real API
// does (cookies, binary, nothing at all, too much). The deployed binary has none of them.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func init() { parityRoutes = addParityRoutes }

func addParityRoutes(mux *http.ServeMux, b backend, logger *slog.Logger) {
	mux.HandleFunc("/probe/echo/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		digest := sha256.Sum256(body)
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		writeJSON(w, http.StatusOK, map[string]any{
			"method":          r.Method,
			"path":            r.URL.Path,
			"raw_query":       r.URL.RawQuery,
			"query":           r.URL.Query(),
			"x_signature":     r.Header.Values("X-Signature"),
			"if_range":        r.Header.Values("If-Range"),
			"x_origin_verify": r.Header.Values("X-Origin-Verify"), // null with the origin check on
			"content_type":    r.Header.Get("Content-Type"),
			"content_length":  r.ContentLength,
			"body_sha256":     hex.EncodeToString(digest[:]),
			"remote_host":     host,
			"remote_has_port": err == nil,
		})
	})
	mux.HandleFunc("GET /probe/cookies", func(w http.ResponseWriter, r *http.Request) {
		seen := map[string]string{}
		for _, c := range r.Cookies() {
			seen[c.Name] = c.Value
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/", HttpOnly: true, Secure: true})
		http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark", Path: "/", MaxAge: 3600})
		writeJSON(w, http.StatusOK, seen)
	})
	mux.HandleFunc("GET /probe/binary", func(w http.ResponseWriter, _ *http.Request) {
		body := make([]byte, 256)
		for i := range body {
			body[i] = byte(i)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("DELETE /probe/empty", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /probe/large", func(w http.ResponseWriter, r *http.Request) {
		size, err := strconv.Atoi(r.URL.Query().Get("bytes"))
		if err != nil || size < 0 || size > 64<<20 {
			http.Error(w, "bytes: 0..64 MiB", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 64<<10)
		for left := size; left > 0; left -= len(chunk) {
			_, _ = w.Write(chunk[:min(left, len(chunk))])
		}
	})
	mux.HandleFunc("GET /probe/stream", func(w http.ResponseWriter, _ *http.Request) {
		_, isFlusher := w.(http.Flusher)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"part":1}`+"\n")
		flushErr := http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, `{"flusher":`+strconv.FormatBool(isFlusher)+`,"flushed":`+strconv.FormatBool(flushErr == nil)+"}\n")
	})
	addFailureRoutes(mux, b, logger)
}

// addFailureRoutes adds handlers that fail the ways the frame must answer for: a panic, a
// handler that ignores its context, queries that would outlive the request. With
// ?flushed=1, /probe/panic and /probe/sleep first send their status and a line.
func addFailureRoutes(mux *http.ServeMux, b backend, logger *slog.Logger) {
	mux.HandleFunc("GET /probe/panic", func(w http.ResponseWriter, r *http.Request) {
		startStreaming(w, r)
		panic("probe: the handler panicked")
	})
	mux.HandleFunc("GET /probe/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > 60_000 {
			http.Error(w, "ms: 0..60000", http.StatusBadRequest)
			return
		}
		startStreaming(w, r)
		time.Sleep(time.Duration(ms) * time.Millisecond) // deaf to its context, as a stuck call is
		writeJSON(w, http.StatusOK, map[string]int{"slept_ms": ms})
	})
	// pg_sleep on the shared pool with the request's context, in a transaction with
	// statement_timeout off: only the cancel request sent when the context ends can stop it
	// before its time. The suite watches the session in pg_stat_activity: the query stops,
	// and the connection stays in the pool.
	mux.HandleFunc("GET /probe/pg-sleep", func(w http.ResponseWriter, r *http.Request) {
		seconds, ok := sleepSeconds(w, r)
		if !ok {
			return
		}
		pool, err := b.conns.DB()
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		tx, err := pool.Begin(r.Context())
		if err != nil {
			answerQuery(w, err)
			return
		}
		// Not on the request's context, which has ended by then: pgx closes a connection
		// whose rollback fails.
		defer func() { _ = tx.Rollback(context.WithoutCancel(r.Context())) }()
		if _, err = tx.Exec(r.Context(), "SET LOCAL statement_timeout = 0"); err == nil {
			_, err = tx.Exec(r.Context(), "SELECT pg_sleep($1)", seconds)
		}
		answerQuery(w, err)
	})
	// pg_sleep with a context that never ends: the session's statement_timeout (the request
	// deadline) is all that stops it. The frame has answered 504 by then, so the outcome
	// goes to the log for the suite to read.
	mux.HandleFunc("GET /probe/pg-sleep-detached", func(w http.ResponseWriter, r *http.Request) {
		seconds, ok := sleepSeconds(w, r)
		if !ok {
			return
		}
		pool, err := b.conns.DB()
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		start := time.Now()
		_, err = pool.Exec(context.Background(), "SELECT pg_sleep($1)", seconds)
		logger.Info("probe query ended", "request_id", requestID(r.Context()),
			"sqlstate", sqlState(err), "duration_ms", time.Since(start).Milliseconds())
		answerQuery(w, err)
	})
}

// startStreaming sends the status and a first line, when the request asks for it.
func startStreaming(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("flushed") == "1" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"part":1}`+"\n")
		_ = http.NewResponseController(w).Flush()
	}
}

func sleepSeconds(w http.ResponseWriter, r *http.Request) (float64, bool) {
	seconds, err := strconv.ParseFloat(r.URL.Query().Get("s"), 64)
	if err != nil || seconds < 0 || seconds > 60 {
		http.Error(w, "s: 0..60", http.StatusBadRequest)
		return 0, false
	}
	return seconds, true
}

func answerQuery(w http.ResponseWriter, err error) {
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database", "sqlstate": sqlState(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "slept"})
}

// sqlState is the SQLSTATE PostgreSQL answered with ("" for another error, or none).
func sqlState(err error) string {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code
	}
	return ""
}
