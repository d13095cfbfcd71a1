package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// maxResponseBytes is what Lambda returns from a synchronous invocation: 6 MB (6 MiB plus
// a few bytes of framing). A larger document is refused by the Runtime API, and the
// runtime process exits with it; the adapter answers 502 instead and keeps serving.
const maxResponseBytes = 6 * 1024 * 1024

// invocation is an HTTP API (payload 2.0) event, plus the `path` field of hand-written
// test events such as the seed's {"path":"/health","requestContext":{"http":{"method":"GET"}}}.
type invocation struct {
	events.APIGatewayV2HTTPRequest
	Path string `json:"path"`
}

// httpAPIHandler serves HTTP API payload 2.0 events with an http.Handler, so that the
// handler sees the same request, and the caller gets the same status, headers and body, as
// in server mode (within Lambda's limits).
type httpAPIHandler struct {
	handler http.Handler
	logger  *slog.Logger
}

// Invoke implements lambda.Handler: it marshals the response itself to keep it under
// Lambda's limit.
func (h httpAPIHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var event invocation
	parseErr := json.Unmarshal(payload, &event)
	id := lambdaRequestID(ctx, event)
	response := h.serve(ctx, event, parseErr, id, len(payload))
	document, err := json.Marshal(response)
	if err != nil {
		return nil, err
	}
	if len(document) > maxResponseBytes {
		h.logger.Error("response too large for Lambda", "request_id", id, "status", response.StatusCode,
			"bytes", len(document), "limit_bytes", maxResponseBytes)
		return json.Marshal(errorResponse(http.StatusBadGateway, "response_too_large", fmt.Sprintf(
			"the response is %d bytes as Lambda returns it; Lambda returns at most %d: page it, or hand out an S3 link",
			len(document), maxResponseBytes)))
	}
	return document, nil
}

// serve turns one event (parsed, or parseErr) into one response; a request it cannot form
// is answered as the HTTP server would answer it, never as a function error.
func (h httpAPIHandler) serve(ctx context.Context, event invocation, parseErr error, id string,
	size int) events.APIGatewayV2HTTPResponse {
	if parseErr != nil || event.RequestContext.HTTP.Method == "" || (event.Version != "" && event.Version != "2.0") {
		// A REST API (1.0) event, an EventBridge event, a bare JSON value: nothing to route.
		h.logger.Warn("event is not an HTTP API request", "request_id", id, "bytes", size)
		return errorResponse(http.StatusBadRequest, "not_an_http_api_request",
			"this function serves API Gateway HTTP API (payload format 2.0) requests")
	}
	ctx = withRequestIDValue(ctx, id)
	if event.RequestContext.APIID == "" {
		ctx = withDirectInvocation(ctx) // not API Gateway's: exempt from the origin check
	}
	request, err := newRequest(ctx, event)
	if err != nil {
		h.logger.Warn("bad request", "request_id", id, "error", err.Error())
		// What net/http's server answers to a request line it cannot parse.
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusBadRequest,
			Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			Body:       "400 Bad Request",
		}
	}
	recorder := newBufferedResponse()
	h.handler.ServeHTTP(recorder, request)
	return recorder.result(request.Method == http.MethodHead)
}

// lambdaRequestID is the request's id: the HTTP API's (what its access log shows as
// requestId), or else the invocation's.
func lambdaRequestID(ctx context.Context, event invocation) string {
	if event.RequestContext.RequestID != "" {
		return event.RequestContext.RequestID
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// newRequest forms the request the HTTP server would have read from the same call.
func newRequest(ctx context.Context, event invocation) (*http.Request, error) {
	target, err := requestTarget(event)
	if err != nil {
		return nil, err
	}
	body := []byte(event.Body)
	if event.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(event.Body); err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
	}
	request, err := http.NewRequestWithContext(ctx, event.RequestContext.HTTP.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("method: %w", err)
	}
	request.RequestURI = target.RequestURI()
	request.Proto, request.ProtoMajor, request.ProtoMinor = "HTTP/1.1", 1, 1
	// Payload 2.0 joins repeated headers with commas; a value is never split again, since
	// commas belong to many single values (dates, signatures).
	for name, value := range event.Headers {
		request.Header[http.CanonicalHeaderKey(name)] = []string{value}
	}
	if len(event.Cookies) > 0 {
		request.Header.Set("Cookie", strings.Join(event.Cookies, "; "))
	}
	request.Host = request.Header.Get("Host")
	if request.Host == "" {
		request.Host = event.RequestContext.DomainName
	}
	request.Header.Del("Host") // net/http moves it to Request.Host
	request.ContentLength = int64(len(body))
	request.Header.Del("Content-Length")
	if request.ContentLength > 0 {
		request.Header.Set("Content-Length", strconv.FormatInt(request.ContentLength, 10))
	}
	// host:port, as in server mode: API Gateway gives the address without the port.
	if ip := event.RequestContext.HTTP.SourceIP; ip != "" {
		request.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	return request, nil
}

// requestTarget is the path and query the client asked for. HTTP APIs hand rawPath over
// decoded (a space, `é`, `?` or `%` arrive as themselves), so every such byte is encoded
// again: a `%` in rawPath is always a literal one (the client sent `%25`).
func requestTarget(event invocation) (*url.URL, error) {
	path := event.RawPath
	for _, fallback := range []string{event.RequestContext.HTTP.Path, event.Path, "/"} {
		if path != "" {
			break
		}
		path = fallback
	}
	var escaped strings.Builder
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"#%<>?\^`+"`{|}", c) >= 0 {
			fmt.Fprintf(&escaped, "%%%02X", c)
		} else {
			escaped.WriteByte(c)
		}
	}
	target := escaped.String()
	if event.RawQueryString != "" {
		target += "?" + event.RawQueryString
	}
	parsed, err := url.ParseRequestURI(target)
	if err != nil {
		// The error quotes the URL, query string and all: keep only what went wrong.
		if urlError, ok := errors.AsType[*url.Error](err); ok {
			return nil, fmt.Errorf("path: %w", urlError.Err)
		}
		return nil, errors.New("path: malformed")
	}
	return parsed, nil
}

// bufferedResponse collects what the handler writes, as http.ResponseWriter, for one
// response document.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.wroteHeader || status < 100 || status > 999 {
		return
	}
	if status >= 200 { // 1xx informational answers are not part of the final response
		b.status, b.wroteHeader = status, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if !b.wroteHeader {
		b.WriteHeader(http.StatusOK)
	}
	return b.body.Write(p)
}

// Flush has nothing to send early: Lambda returns the response whole.
func (b *bufferedResponse) Flush() {}

// reset discards what was written: nothing has left the process, so the frame can still
// answer in the handler's place (see resettable).
func (b *bufferedResponse) reset() bool {
	b.header, b.status, b.wroteHeader = http.Header{}, http.StatusOK, false
	b.body.Reset()
	return true
}

// result is the response document, with what net/http's server would add: the sniffed
// Content-Type of a body written without one, no body for HEAD or a bodiless status.
func (b *bufferedResponse) result(head bool) events.APIGatewayV2HTTPResponse {
	body := b.body.Bytes()
	bodyAllowed := b.status != http.StatusNoContent && b.status != http.StatusNotModified
	_, typed := b.header["Content-Type"]
	if len(body) > 0 && bodyAllowed && !typed && b.header.Get("Content-Encoding") == "" &&
		b.header.Get("Transfer-Encoding") == "" {
		b.header.Set("Content-Type", http.DetectContentType(body))
	}
	if head || !bodyAllowed {
		body = nil
	}
	response := events.APIGatewayV2HTTPResponse{StatusCode: b.status, Headers: map[string]string{}}
	for name, values := range b.header {
		if name == "Set-Cookie" {
			response.Cookies = append(response.Cookies, values...)
			continue
		}
		if len(values) > 0 {
			response.Headers[name] = strings.Join(values, ", ")
		}
	}
	if textual(b.header.Get("Content-Type")) && utf8.Valid(body) {
		response.Body = string(body)
	} else if len(body) > 0 {
		response.Body = base64.StdEncoding.EncodeToString(body)
		response.IsBase64Encoded = true
	}
	return response
}

// textual is true for media types API Gateway may pass as text; anything else goes base64.
func textual(contentType string) bool {
	media := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch {
	case media == "", strings.HasPrefix(media, "text/"):
		return true
	case strings.HasSuffix(media, "+json"), strings.HasSuffix(media, "+xml"):
		return true
	}
	switch media {
	case "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded",
		"application/problem+json", "image/svg+xml":
		return true
	}
	return false
}

// errorResponse is a JSON error document the frame itself answers with.
func errorResponse(status int, code, message string) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(map[string]string{"error": code, "message": message})
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(body),
	}
}
