// Command server is the application behind the Lambda Web Adapter: the benchmarks' handler
// as a plain HTTP server on 127.0.0.1:$PORT (8080 by default), which the adapter's
// lambda-adapter extension sends each event to (docs/benchmarks.md, "The frame against its
// alternatives").
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"anigmaa/bench"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	server := &http.Server{Addr: "127.0.0.1:" + port, Handler: bench.Handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.ListenAndServe())
}
