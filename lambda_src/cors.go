package main

import (
	"net/http"
	"slices"
	"strconv"
)

// withCORS answers CORS for the server mode (ECS, local runs). Under Lambda the HTTP API
// answers CORS itself and ignores the function's CORS headers, so this is not used there.
func withCORS(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	anyOrigin := slices.Contains(allowed, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		// Every answer depends on Origin, including one without CORS headers: a shared cache
		// must not hand that one to an allowed origin.
		header.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || (!anyOrigin && !slices.Contains(allowed, origin)) {
			next.ServeHTTP(w, r)
			return
		}
		if anyOrigin {
			header.Set("Access-Control-Allow-Origin", "*")
		} else {
			header.Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			header.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			header.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With")
			header.Set("Access-Control-Max-Age", strconv.Itoa(3600))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
