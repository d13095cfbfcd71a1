package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// apiProxy is what a team would write with aws-lambda-go-api-proxy:
// lambda.Start(httpadapter.NewV2(handler).ProxyWithContext), here through lambda.NewHandler,
// which is what lambda.Start wraps the function in (its JSON in and out included).
// (httpadapter's V2 adapter calls the method ProxyWithContext; ProxyWithContextV2 is the
// name in the chi and fiber adapters.)
func apiProxy(handler http.Handler) lambda.Handler {
	return lambda.NewHandler(httpadapter.NewV2(handler).ProxyWithContext)
}

// loopbackHop is the Lambda Web Adapter's model, not LWA: LWA is a Rust extension that turns
// each event into an HTTP request to the application's server on loopback. Here, in Go, the
// event is parsed, sent as an http.Request over a kept-alive loopback TCP connection to an
// http.Server running the same handler, with the two headers LWA adds
// (x-amzn-request-context and x-amzn-lambda-context, each a JSON document), and the response
// is read back and marshalled as the payload-2.0 response, base64 unless its type is text.
type loopbackHop struct {
	client *http.Client
	base   string
}

// newLoopbackHop starts the application's server on 127.0.0.1 and the hop's client; stop
// ends both.
func newLoopbackHop(handler http.Handler) (hop *loopbackHop, stop func(), err error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	transport := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, DisableCompression: true}
	hop = &loopbackHop{client: &http.Client{Transport: transport}, base: "http://" + listener.Addr().String()}
	return hop, func() { transport.CloseIdleConnections(); _ = server.Close() }, nil
}

func (l *loopbackHop) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var event events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, err
	}
	body := []byte(event.Body)
	if event.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(event.Body); err != nil {
			return nil, err
		}
	}
	target := l.base + event.RawPath
	if event.RawQueryString != "" {
		target += "?" + event.RawQueryString
	}
	request, err := http.NewRequestWithContext(ctx, event.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for name, value := range event.Headers {
		request.Header.Set(name, value)
	}
	if len(event.Cookies) > 0 {
		request.Header.Set("Cookie", strings.Join(event.Cookies, "; "))
	}
	request.Host = event.Headers["host"]
	requestContext, err := json.Marshal(event.RequestContext)
	if err != nil {
		return nil, err
	}
	request.Header.Set("X-Amzn-Request-Context", string(requestContext))
	lambdaContext := []byte("{}")
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if lambdaContext, err = json.Marshal(lc); err != nil {
			return nil, err
		}
	}
	request.Header.Set("X-Amzn-Lambda-Context", string(lambdaContext))
	answer, err := l.client.Do(request)
	if err != nil {
		return nil, err
	}
	defer answer.Body.Close()
	data, err := io.ReadAll(answer.Body)
	if err != nil {
		return nil, err
	}
	response := events.APIGatewayV2HTTPResponse{StatusCode: answer.StatusCode, Headers: map[string]string{}}
	for name, values := range answer.Header {
		if name == "Set-Cookie" {
			response.Cookies = append(response.Cookies, values...)
			continue
		}
		response.Headers[name] = strings.Join(values, ",")
	}
	if textual(answer.Header.Get("Content-Type")) {
		response.Body = string(data)
	} else {
		response.Body, response.IsBase64Encoded = base64.StdEncoding.EncodeToString(data), true
	}
	return json.Marshal(response)
}

// textual is LWA's (lambda_http's) rule: text/*, JSON, XML and JavaScript pass as text.
func textual(contentType string) bool {
	media, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	media = strings.TrimSpace(media)
	return strings.HasPrefix(media, "text/") || strings.HasSuffix(media, "json") || strings.HasSuffix(media, "xml") ||
		strings.HasSuffix(media, "javascript")
}

type adapter struct {
	name    string
	handler lambda.Handler
}

func benchAdapters(t testing.TB) []adapter {
	hop, stop, err := newLoopbackHop(Handler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return []adapter{
		{"aws-lambda-go-api-proxy", apiProxy(Handler)},
		{"loopback-hop-model", lambda.NewHandler(hop)},
	}
}

func BenchmarkAdapter(b *testing.B) {
	ctx, cancel := benchContext()
	defer cancel()
	for _, adapter := range benchAdapters(b) {
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

func TestAdaptersAnswerEveryEventAlike(t *testing.T) {
	ctx, cancel := benchContext()
	defer cancel()
	for _, adapter := range benchAdapters(t) {
		for _, event := range benchEvents() {
			if err := check(adapter.handler.Invoke(ctx, event.payload))(event); err != nil {
				t.Fatalf("%s, %s: %v", adapter.name, event.name, err)
			}
		}
	}
}

// check is whether document answers event as the handler does: 200 and the expected body.
func check(document []byte, err error) func(benchEvent) error {
	return func(event benchEvent) error {
		if err != nil {
			return err
		}
		status, body, err := decodedBody(document)
		if err != nil || status != http.StatusOK || !bytes.Equal(body, event.wantBody) {
			return fmt.Errorf("%d, %d bytes (%v); want 200 and the %d bytes expected", status, len(body), err,
				len(event.wantBody))
		}
		return nil
	}
}
