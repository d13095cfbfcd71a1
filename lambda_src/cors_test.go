package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func request(method, origin string, preflight bool) *http.Request {
	r := httptest.NewRequest(method, "/items", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if preflight {
		r.Header.Set("Access-Control-Request-Method", "POST")
	}
	return r
}

func TestAnAllowedOriginIsEchoedWithVary(t *testing.T) {
	rec := httptest.NewRecorder()
	withCORS([]string{"https://app.example.com"}, ok).ServeHTTP(rec, request(http.MethodGet, "https://app.example.com", false))
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Fatalf("Allow-Origin = %q", got)
	}
	if rec.Header().Get("Vary") != "Origin" {
		t.Fatal("missing Vary: Origin")
	}
}

func TestAnotherOriginGetsNoCORSHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	withCORS([]string{"https://app.example.com"}, ok).ServeHTTP(rec, request(http.MethodGet, "https://evil.example.com", false))
	if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Code != http.StatusOK {
		t.Fatalf("headers = %v", rec.Header())
	}
	if rec.Header().Get("Vary") != "Origin" {
		t.Fatal("an answer without CORS headers needs Vary: Origin too, or a cache serves it to allowed origins")
	}
}

func TestARequestWithoutOriginStillVariesByOrigin(t *testing.T) {
	for _, allowed := range [][]string{{"https://app.example.com"}, {"*"}} {
		rec := httptest.NewRecorder()
		withCORS(allowed, ok).ServeHTTP(rec, request(http.MethodGet, "", false))
		if rec.Header().Get("Vary") != "Origin" || rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("allowed %v: headers = %v", allowed, rec.Header())
		}
	}
}

func TestAPreflightIsAnsweredWithoutTheHandler(t *testing.T) {
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	rec := httptest.NewRecorder()
	withCORS([]string{"*"}, next).ServeHTTP(rec, request(http.MethodOptions, "https://any.example.com", true))
	if called || rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("called=%v code=%d headers=%v", called, rec.Code, rec.Header())
	}
	if rec.Header().Get("Access-Control-Allow-Methods") == "" || rec.Header().Get("Access-Control-Max-Age") != "3600" {
		t.Fatalf("headers = %v", rec.Header())
	}
}

func TestNoOriginsMeansNoCORS(t *testing.T) {
	rec := httptest.NewRecorder()
	withCORS(nil, ok).ServeHTTP(rec, request(http.MethodGet, "https://app.example.com", false))
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS answered with no allowed origins")
	}
}
