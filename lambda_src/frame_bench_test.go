package main

// What one request costs through the frame's adapter, against the two things a team would
// pick instead: aws-lambda-go-api-proxy and the Lambda Web Adapter's loopback hop, measured
// in the module lambda_src/bench/ (a module of its own, so that neither adds a dependency to
// the deployed binary). Both sides serve the same payload-2.0 events with the same handler:
// benchHandler and benchEvents below are copied there word for word (bench/fixtures.go),
// and TestBenchFixturesMatchTheBenchModule keeps the two copies the same.
//
//	cd lambda_src && go test -run '^$' -bench Adapter -benchmem -count 5 .
//
// Results and method: docs/benchmarks.md, "The frame against its alternatives".

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// --- fixtures: the same in bench/fixtures.go (from here to the end marker) ---

// benchAnswer is what benchHandler answers to a GET.
type benchAnswer struct {
	Status string   `json:"status"`
	Page   string   `json:"page"`
	Tags   []string `json:"tags"`
}

// benchHandler is a small API route: a GET gets a small JSON document built from its query,
// anything else gets its body back with its own Content-Type.
func benchHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		query := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(benchAnswer{Status: "ok", Page: query.Get("page"), Tags: query["tag"]})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	_, _ = w.Write(body)
}

// benchEvent is one payload-2.0 event as API Gateway sends it, and the body the handler
// answers it with.
type benchEvent struct {
	name     string
	payload  []byte
	wantBody []byte
}

// benchEvents are (a) a small GET with a query string, a cookie and the headers a browser
// and API Gateway send, (b) a 256 KiB JSON POST and (c) 64 KiB of random bytes, base64 in
// the event (isBase64Encoded) and in the answer. The bodies are the same bytes every run.
func benchEvents() []benchEvent {
	var document bytes.Buffer
	document.WriteString(`{"items":[`)
	for i := 0; document.Len() < 256*1024-128; i++ {
		if i > 0 {
			document.WriteByte(',')
		}
		document.WriteString(`{"id":` + strconv.Itoa(i) + `,"name":"item ` + strconv.Itoa(i) +
			`","price":12.5,"tags":["a","b"],"on_sale":false}`)
	}
	document.WriteString(`]}`)
	binary := make([]byte, 64*1024)
	source := rand.NewChaCha8([32]byte{'a', 'n', 'i', 'g', 'm', 'a', 'a'})
	_, _ = source.Read(binary)
	getAnswer, _ := json.Marshal(benchAnswer{Status: "ok", Page: "2", Tags: []string{"a", "b"}})
	return []benchEvent{
		{"get-small", benchPayload("GET", "/items", "page=2&tag=a&tag=b", "", nil, false), append(getAnswer, '\n')},
		{"post-json-256KiB", benchPayload("POST", "/items", "", "application/json", document.Bytes(), false),
			document.Bytes()},
		{"post-binary-64KiB", benchPayload("POST", "/items/blob", "", "application/octet-stream", binary, true),
			binary},
	}
}

// benchPayload is the event API Gateway's HTTP API sends for one request.
func benchPayload(method, path, query, contentType string, body []byte, binary bool) []byte {
	headers := map[string]string{
		"accept":            "application/json",
		"accept-encoding":   "gzip, deflate, br",
		"accept-language":   "en-US,en;q=0.9",
		"host":              "api.anigmaa.example",
		"user-agent":        "Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
		"x-amzn-trace-id":   "Root=1-6750a3c0-0123456789abcdef01234567",
		"x-forwarded-for":   "203.0.113.7",
		"x-forwarded-port":  "443",
		"x-forwarded-proto": "https",
	}
	parameters := map[string]string{}
	for _, pair := range strings.Split(query, "&") {
		if name, value, ok := strings.Cut(pair, "="); ok {
			if parameters[name] != "" {
				value = parameters[name] + "," + value // API Gateway joins repeated parameters
			}
			parameters[name] = value
		}
	}
	encoded := string(body)
	if binary {
		encoded = base64.StdEncoding.EncodeToString(body)
	}
	if body != nil {
		headers["content-type"] = contentType
		headers["content-length"] = strconv.Itoa(len(body))
	}
	payload, err := json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: query,
		Cookies: []string{"session=7f3c9a1e", "theme=dark"}, Headers: headers, QueryStringParameters: parameters,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "$default", AccountID: "123456789012", Stage: "$default", RequestID: "CtXk1gQ0oAMEbXw=",
			APIID: "a1b2c3d4e5", DomainName: "api.anigmaa.example", DomainPrefix: "api",
			Time: "03/Dec/2026:18:00:00 +0000", TimeEpoch: 1796320800000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path,
				Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: headers["user-agent"]},
		},
		Body: encoded, IsBase64Encoded: binary,
	})
	if err != nil {
		panic(err)
	}
	return payload
}

// benchContext is an invocation's context as aws-lambda-go's runtime loop makes it: the
// invocation's deadline and its Lambda context.
func benchContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(30*time.Second))
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "8f6a3c2e-bench",
		InvokedFunctionArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-api:7"}), cancel
}

// decodedBody is the body of a payload-2.0 response document.
func decodedBody(document []byte) (int, []byte, error) {
	var response events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(document, &response); err != nil {
		return 0, nil, err
	}
	if !response.IsBase64Encoded {
		return response.StatusCode, []byte(response.Body), nil
	}
	body, err := base64.StdEncoding.DecodeString(response.Body)
	return response.StatusCode, body, err
}

// --- end of the fixtures ---

// benchRoutes is newRouter's ServeMux with benchHandler where the API's own routes go.
func benchRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", healthHandler)
	mux.HandleFunc("/items", benchHandler)
	mux.HandleFunc("/items/", benchHandler)
	return mux
}

// benchAdapters are the frame's two ways to serve a request, each as lambda.Start runs it
// (lambda.NewHandler: the bytes in, the bytes out): its adapter around the bare handler,
// like for like with the alternatives, and what a deployed request goes through, the
// adapter and withFrame (request id, the request log line with the function version's
// metrics, the origin check's pass-through, the deadline's goroutine) around a ServeMux.
func benchAdapters() []struct {
	name    string
	handler lambda.Handler
} {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil)) // formats every line, writes none
	framed := withFrame(backend{function: functionVersion{name: "anigmaa-api", version: "7"}}, logger, benchRoutes())
	return []struct {
		name    string
		handler lambda.Handler
	}{
		{"frame", lambda.NewHandler(httpAPIHandler{handler: http.HandlerFunc(benchHandler), logger: logger})},
		{"frame+withFrame", lambda.NewHandler(httpAPIHandler{handler: framed, logger: logger})},
	}
}

func BenchmarkAdapter(b *testing.B) {
	ctx, cancel := benchContext()
	defer cancel()
	for _, adapter := range benchAdapters() {
		for _, event := range benchEvents() {
			b.Run("adapter="+adapter.name+"/event="+event.name, func(b *testing.B) {
				b.SetBytes(int64(len(event.payload)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := adapter.handler.Invoke(ctx, event.payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestBenchBootstrap makes this package's test binary a Lambda bootstrap for the per-invocation
// measurement through a stand-in Runtime API (bench/runtimeapi_test.go, BenchmarkRuntimeAPI):
// with FRAME_BENCH_BOOTSTRAP=framed, the frame's adapter and withFrame around benchHandler,
// logging JSON lines to stdout as the deployed program does; with =bare, the adapter around
// benchHandler alone. It runs only with AWS_LAMBDA_RUNTIME_API set too, and never returns:
//
//	go test -c -tags lambda.norpc -trimpath -ldflags '-s -w' -o frame.test .
//	FRAME_BENCH_BOOTSTRAP=framed AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 ./frame.test -test.run '^TestBenchBootstrap$'
func TestBenchBootstrap(t *testing.T) {
	mode := os.Getenv("FRAME_BENCH_BOOTSTRAP")
	if (mode != "framed" && mode != "bare") || os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		t.Skip("bench/'s BenchmarkRuntimeAPI runs this: FRAME_BENCH_BOOTSTRAP=framed or bare, and AWS_LAMBDA_RUNTIME_API")
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var handler http.Handler = http.HandlerFunc(benchHandler)
	if mode == "framed" {
		handler = withFrame(backend{function: lambdaFunction(osEnvironment{})}, logger, benchRoutes())
	}
	lambda.Start(httpAPIHandler{handler: handler, logger: logger})
}

func TestBenchAdaptersAnswerEveryEventAlike(t *testing.T) {
	ctx, cancel := benchContext()
	defer cancel()
	for _, adapter := range benchAdapters() {
		for _, event := range benchEvents() {
			document, err := adapter.handler.Invoke(ctx, event.payload)
			if err != nil {
				t.Fatalf("%s, %s: %v", adapter.name, event.name, err)
			}
			status, body, err := decodedBody(document)
			if err != nil || status != http.StatusOK || !bytes.Equal(body, event.wantBody) {
				t.Fatalf("%s, %s: %d, %d bytes (%v); want 200 and the %d bytes expected", adapter.name, event.name,
					status, len(body), err, len(event.wantBody))
			}
		}
	}
}

// The fixtures are measured on both sides only if both sides have the same ones.
func TestBenchFixturesMatchTheBenchModule(t *testing.T) {
	fixtures := func(path string) string {
		t.Helper()
		source, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		const start, end = "// --- fixtures: the same in", "// --- end of the fixtures ---"
		from, to := bytes.Index(source, []byte(start)), bytes.Index(source, []byte(end))
		if from < 0 || to < from {
			t.Fatalf("%s: no fixtures between %q and %q", path, start, end)
		}
		_, block, _ := strings.Cut(string(source[from:to]), "\n") // the marker's line names the other file
		return block
	}
	if fixtures("frame_bench_test.go") != fixtures("bench/fixtures.go") {
		t.Fatal("benchHandler and benchEvents differ between frame_bench_test.go and bench/fixtures.go: copy them")
	}
}
