// Package bench measures what one request costs through the two things a team would pick
// instead of the frame's own payload-2.0 adapter (lambda_src/lambda.go): aws-lambda-go-api-proxy
// and the Lambda Web Adapter's hop over loopback. It is a module of its own, so that neither
// comes near the deployed binary's go.mod; lambda_src/frame_bench_test.go measures the frame with
// the same handler and events (the block between the markers below is the same there, and its
// TestBenchFixturesMatchTheBenchModule checks it).
//
// Results and method: docs/benchmarks.md, "The frame against its alternatives".
package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Handler is benchHandler, for the programs in cmd/.
var Handler http.Handler = http.HandlerFunc(benchHandler)

// --- fixtures: the same in ../frame_bench_test.go (from here to the end marker) ---

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
