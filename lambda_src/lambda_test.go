package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echo reports what the handler saw, so tests can check the event → request mapping.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	host, _, splitErr := net.SplitHostPort(r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.Query(), "body": string(body),
		"content_type": r.Header.Get("Content-Type"), "signature": r.Header.Values("X-Signature"),
		"if_range": r.Header.Values("If-Range"), "cookie": r.Header.Get("Cookie"), "host": r.Host,
		"remote_host": host, "remote_split": splitErr == nil, "content_length": r.ContentLength,
	})
})

func serveEvent(t *testing.T, handler http.Handler, event string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	document, err := httpAPIHandler{handler: handler, logger: quiet}.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatalf("Invoke: %v (a function error: API Gateway would answer 500)", err)
	}
	var response events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(document, &response); err != nil {
		t.Fatal(err)
	}
	return response
}

func responseBody(t *testing.T, response events.APIGatewayV2HTTPResponse) []byte {
	t.Helper()
	if !response.IsBase64Encoded {
		return []byte(response.Body)
	}
	raw, err := base64.StdEncoding.DecodeString(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func invoke(t *testing.T, handler http.Handler, event string) (int, map[string]any) {
	t.Helper()
	response := serveEvent(t, handler, event)
	var body map[string]any
	if raw := responseBody(t, response); len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("body %q: %v", raw, err)
		}
	}
	return response.StatusCode, body
}

func event(method, rawPath, extra string) string {
	return `{"version":"2.0","rawPath":"` + rawPath + `",` + extra + `"requestContext":{"http":{"method":"` + method +
		`","path":"` + rawPath + `","sourceIp":"203.0.113.7"}}}`
}

func TestTheSeedsManualPayloadReachesHealth(t *testing.T) {
	status, body := invoke(t, newRouter(backend{}, quiet), `{"path":"/health","requestContext":{"http":{"method":"GET"}}}`)
	if status != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("seed payload → %d %v", status, body)
	}
}

func TestAnHTTPAPIv2EventWithQueryString(t *testing.T) {
	status, body := invoke(t, echo, event("GET", "/items", `"rawQueryString":"page=2&tag=a&tag=b",`))
	query, _ := body["query"].(map[string]any)
	if status != http.StatusOK || body["method"] != "GET" || body["path"] != "/items" {
		t.Fatalf("→ %d %v", status, body)
	}
	if tags, _ := query["tag"].([]any); len(tags) != 2 || query["page"].([]any)[0] != "2" {
		t.Fatalf("query = %v", query)
	}
}

func TestAPlainBodyIsPassedThrough(t *testing.T) {
	_, body := invoke(t, echo, event("POST", "/orders",
		`"headers":{"content-type":"application/json"},"body":"{\"qty\":3}","isBase64Encoded":false,`))
	if body["method"] != "POST" || body["body"] != `{"qty":3}` || body["content_type"] != "application/json" {
		t.Fatalf("got %v", body)
	}
	if body["content_length"] != float64(9) {
		t.Fatalf("ContentLength = %v, want 9", body["content_length"])
	}
}

func TestABase64BodyIsDecoded(t *testing.T) {
	encoded := base64.StdEncoding.EncodeToString([]byte("binary\x00payload"))
	_, body := invoke(t, echo, event("PUT", "/upload", `"body":"`+encoded+`","isBase64Encoded":true,`))
	if body["body"] != "binary\x00payload" {
		t.Fatalf("body = %q", body["body"])
	}
}

func TestHeaderValuesWithCommasArriveWhole(t *testing.T) {
	_, body := invoke(t, echo, event("POST", "/webhook",
		`"headers":{"x-signature":"t=1700000000,v1=5257a869e7","if-range":"Wed, 21 Oct 2015 07:28:00 GMT"},`))
	if got := body["signature"].([]any); len(got) != 1 || got[0] != "t=1700000000,v1=5257a869e7" {
		t.Fatalf("X-Signature = %v", got)
	}
	if got := body["if_range"].([]any); len(got) != 1 || got[0] != "Wed, 21 Oct 2015 07:28:00 GMT" {
		t.Fatalf("If-Range = %v", got)
	}
}

func TestCookiesHostAndSourceAddressAreThoseOfAServer(t *testing.T) {
	_, body := invoke(t, echo, event("GET", "/me",
		`"cookies":["session=abc","theme=dark"],"headers":{"host":"api.anigmaa.example"},`))
	if body["cookie"] != "session=abc; theme=dark" || body["host"] != "api.anigmaa.example" {
		t.Fatalf("got %v", body)
	}
	if body["remote_host"] != "203.0.113.7" || body["remote_split"] != true {
		t.Fatalf("RemoteAddr must be host:port, got %v", body)
	}
}

func TestADecodedRawPathIsEncodedAgainAndAPercentIsLiteral(t *testing.T) {
	// HTTP APIs hand rawPath over decoded: a client's %20 is a space, its %25 a `%`.
	if _, body := invoke(t, echo, event("GET", "/files/café au lait", "")); body["path"] != "/files/café au lait" {
		t.Fatalf("path = %v", body["path"])
	}
	for _, raw := range []string{"/files/100%", "/files/a%41", "/files/%zz"} {
		if _, body := invoke(t, echo, event("GET", raw, `"rawQueryString":"token=secret",`)); body["path"] != raw {
			t.Fatalf("rawPath %q → path %v", raw, body["path"])
		}
	}
}

func TestAnInvalidBase64BodyIs400(t *testing.T) {
	response := serveEvent(t, echo, event("POST", "/upload", `"body":"not base64!","isBase64Encoded":true,`))
	if response.StatusCode != http.StatusBadRequest {
		t.Fatalf("→ %d %q", response.StatusCode, response.Body)
	}
}

func TestAnEventThatIsNotAnHTTPAPIRequestIs400NotAGET(t *testing.T) {
	for name, payload := range map[string]string{
		"empty":       `{}`,
		"json string": `"hello"`,
		"rest v1":     `{"version":"1.0","httpMethod":"POST","path":"/orders","requestContext":{"httpMethod":"POST"}}`,
		"eventbridge": `{"version":"0","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`,
	} {
		called := false
		handler := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
		status, body := invoke(t, handler, payload)
		if called || status != http.StatusBadRequest || body["error"] != "not_an_http_api_request" {
			t.Fatalf("%s: called=%v → %d %v", name, called, status, body)
		}
	}
}

func TestAHandlerThatWritesNothingAnswers200(t *testing.T) {
	response := serveEvent(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), event("DELETE", "/items/1", ""))
	if response.StatusCode != http.StatusOK || response.Body != "" {
		t.Fatalf("→ %d %q", response.StatusCode, response.Body)
	}
}

func TestTwoSetCookiesBecomeTwoCookiesAndOtherRepeatedHeadersJoin(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Add("Cache-Control", "no-cache")
		w.Header().Add("Cache-Control", "no-store")
		w.WriteHeader(http.StatusCreated)
	})
	response := serveEvent(t, handler, event("POST", "/login", ""))
	if response.StatusCode != http.StatusCreated || strings.Join(response.Cookies, "|") != "a=1|b=2" {
		t.Fatalf("→ %d cookies %v", response.StatusCode, response.Cookies)
	}
	if response.Headers["Cache-Control"] != "no-cache, no-store" || response.Headers["Set-Cookie"] != "" {
		t.Fatalf("headers = %v", response.Headers)
	}
}

func TestABinaryBodyGoesBase64AndTextDoesNot(t *testing.T) {
	binary := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0}) })
	response := serveEvent(t, binary, event("GET", "/logo", ""))
	if !response.IsBase64Encoded || string(responseBody(t, response)) != "\x89PNG\x00" {
		t.Fatalf("→ %+v", response)
	}
	// Sniffed as net/http's server would: no Content-Type set, so it is detected.
	if response.Headers["Content-Type"] != "application/octet-stream" {
		t.Fatalf("Content-Type = %q", response.Headers["Content-Type"])
	}
	if text := serveEvent(t, echo, event("GET", "/x", "")); text.IsBase64Encoded {
		t.Fatal("JSON went base64")
	}
}

func TestHEADAnswersWithoutABody(t *testing.T) {
	response := serveEvent(t, newRouter(backend{}, quiet), event("HEAD", "/health", ""))
	if response.StatusCode != http.StatusOK || response.Body != "" || response.Headers["Content-Type"] != "application/json" {
		t.Fatalf("→ %+v", response)
	}
}

func TestAResponseOverSixMegabytesIsA502AndNotAFunctionError(t *testing.T) {
	large := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(make([]byte, 4_800_000)) // 6.4 MB once in base64
	})
	handler := httpAPIHandler{handler: large, logger: quiet}
	document, err := handler.Invoke(context.Background(), []byte(event("GET", "/export", "")))
	if err != nil {
		t.Fatal(err)
	}
	var response events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(document, &response); err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != http.StatusBadGateway || !strings.Contains(response.Body, "response_too_large") {
		t.Fatalf("→ %d %q", response.StatusCode, response.Body)
	}
	// Just under the limit still goes through whole.
	fits := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(make([]byte, 4_600_000)) })
	document, err = httpAPIHandler{handler: fits, logger: quiet}.Invoke(context.Background(), []byte(event("GET", "/export", "")))
	if err != nil || len(document) > maxResponseBytes {
		t.Fatalf("err=%v, %d bytes", err, len(document))
	}
	if err := json.Unmarshal(document, &response); err != nil || response.StatusCode != http.StatusOK {
		t.Fatalf("→ %d (%v)", response.StatusCode, err)
	}
}
