//go:build parity

package main

// Routes for the Lambda/server parity suite (tests/integration/test_parity.py), built only
// with `-tags parity`: they show what the handler saw and answer in the shapes a real API
// does (cookies, binary, nothing at all, too much). The deployed binary has none of them.

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strconv"
)

func init() { parityRoutes = addParityRoutes }

func addParityRoutes(mux *http.ServeMux) {
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
}
