package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// echo reports what the handler saw, so tests can check the event → request mapping.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.Query(), "body": string(body),
		"content_type": r.Header.Get("Content-Type"),
	})
})

func invoke(t *testing.T, handler http.Handler, event string) (int, map[string]any) {
	t.Helper()
	resp, err := lambdaHandler(handler)(context.Background(), json.RawMessage(event))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if resp.Body != "" {
		raw := []byte(resp.Body)
		if resp.IsBase64Encoded {
			raw, _ = base64.StdEncoding.DecodeString(resp.Body)
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	return resp.StatusCode, body
}

func TestTheSeedsManualPayloadReachesHealth(t *testing.T) {
	status, body := invoke(t, newRouter(nil, quiet), `{"path":"/health","requestContext":{"http":{"method":"GET"}}}`)
	if status != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("seed payload → %d %v", status, body)
	}
}

func TestAnHTTPAPIv2EventWithQueryString(t *testing.T) {
	event := `{"version":"2.0","routeKey":"$default","rawPath":"/items","rawQueryString":"page=2&tag=a&tag=b",
		"headers":{"accept":"application/json"},
		"requestContext":{"http":{"method":"GET","path":"/items"},"requestId":"id-1","stage":"$default"}}`
	status, body := invoke(t, echo, event)
	query, _ := body["query"].(map[string]any)
	if status != http.StatusOK || body["method"] != "GET" || body["path"] != "/items" {
		t.Fatalf("→ %d %v", status, body)
	}
	if tags, _ := query["tag"].([]any); len(tags) != 2 || query["page"].([]any)[0] != "2" {
		t.Fatalf("query = %v", query)
	}
}

func TestAPlainBodyIsPassedThrough(t *testing.T) {
	event := `{"version":"2.0","rawPath":"/orders","headers":{"content-type":"application/json"},
		"body":"{\"qty\":3}","isBase64Encoded":false,
		"requestContext":{"http":{"method":"POST","path":"/orders"}}}`
	_, body := invoke(t, echo, event)
	if body["method"] != "POST" || body["body"] != `{"qty":3}` || body["content_type"] != "application/json" {
		t.Fatalf("got %v", body)
	}
}

func TestABase64BodyIsDecoded(t *testing.T) {
	encoded := base64.StdEncoding.EncodeToString([]byte("binary\x00payload"))
	event := `{"version":"2.0","rawPath":"/upload","body":"` + encoded + `","isBase64Encoded":true,
		"requestContext":{"http":{"method":"PUT","path":"/upload"}}}`
	_, body := invoke(t, echo, event)
	if body["body"] != "binary\x00payload" {
		t.Fatalf("body = %q", body["body"])
	}
}

func TestAnEventWithoutAnyPathGoesToTheRoot(t *testing.T) {
	_, body := invoke(t, echo, `{}`)
	if body["path"] != "/" || body["method"] != "GET" {
		t.Fatalf("got %v", body)
	}
}

func TestAnEventThatIsNotJSONObjectIsAnError(t *testing.T) {
	if _, err := lambdaHandler(echo)(context.Background(), json.RawMessage(`"hello"`)); err == nil {
		t.Fatal("want an error for a non-object event")
	}
}
