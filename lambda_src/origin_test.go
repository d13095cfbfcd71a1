package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const (
	testOriginSecret = "arn:aws:secretsmanager:ap-southeast-1:111111111111:secret:anigmaa/origin-verify-AbCdEf"
	firstValue       = "fixture-origin-first"
	secondValue      = "fixture-origin-second"
	thirdValue       = "fixture-origin-third"
)

// fakeSecretsManager answers GetSecretValue from its stages (a stage it lacks is
// ResourceNotFoundException, as for a secret never rotated), counting the calls.
type fakeSecretsManager struct {
	mu          sync.Mutex
	stages      map[string]string
	err         error // every call fails with it
	previousErr error // AWSPREVIOUS calls fail with it
	hang        bool  // calls wait for their context to end
	delay       time.Duration
	calls       int
}

func newFakeSecretsManager(current, previous string) *fakeSecretsManager {
	stages := map[string]string{"AWSCURRENT": current}
	if previous != "" {
		stages["AWSPREVIOUS"] = previous
	}
	return &fakeSecretsManager{stages: stages}
}

func (f *fakeSecretsManager) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	f.calls++
	hang, err, previousErr, delay := f.hang, f.err, f.previousErr, f.delay
	value, ok := f.stages[aws.ToString(in.VersionStage)]
	f.mu.Unlock()
	time.Sleep(delay)
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if aws.ToString(in.SecretId) != testOriginSecret {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such secret")}
	}
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.VersionStage) == "AWSPREVIOUS" && previousErr != nil {
		return nil, previousErr
	}
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String(
			"Secrets Manager can't find the specified secret value for staging label: " + aws.ToString(in.VersionStage))}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(value)}, nil
}

// rotate makes value current and the current one previous, as a rotation does.
func (f *fakeSecretsManager) rotate(value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stages["AWSPREVIOUS"], f.stages["AWSCURRENT"] = f.stages["AWSCURRENT"], value
}

func (f *fakeSecretsManager) set(change func(*fakeSecretsManager)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSecretsManager) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakeClock is the origin check's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncLog is a log the handler's goroutines and the test share.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines are the log's lines with msg.
func (l *syncLog) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, text := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var line map[string]any
		if text == "" {
			continue
		}
		if err := json.Unmarshal([]byte(text), &line); err != nil {
			t.Fatalf("log line %q: %v", text, err)
		}
		if line["msg"] == msg {
			found = append(found, line)
		}
	}
	return found
}

type originFixture struct {
	fake    *fakeSecretsManager
	clock   *fakeClock
	log     *syncLog
	check   *originCheck
	handler http.Handler
	seen    chan http.Header // what the route saw of each request that reached it
}

// newOriginFixture starts an origin check on fake and serves a frame with it: /health,
// /health/ready and /items answer 200 and report the headers they saw.
func newOriginFixture(t *testing.T, fake *fakeSecretsManager) *originFixture {
	t.Helper()
	f := &originFixture{fake: fake, clock: &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)},
		log: &syncLog{}, seen: make(chan http.Header, 100)}
	logger := slog.New(slog.NewJSONHandler(f.log, nil))
	check, err := newOriginCheck(context.Background(), testOriginSecret,
		func() (secretValueGetter, error) { return fake, nil }, logger, f.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	f.check = check
	route := func(w http.ResponseWriter, r *http.Request) {
		f.seen <- r.Header.Clone()
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", route)
	mux.HandleFunc("GET /health/ready", route)
	mux.HandleFunc("/items", route)
	f.handler = withFrame(backend{origin: check}, logger, mux)
	return f
}

// request serves method path with X-Origin-Verify set to each of values.
func (f *originFixture) request(method, path string, values ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for _, value := range values {
		r.Header.Add(originHeader, value)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, r)
	return rec
}

func assertPassed(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s; want 200", rec.Code, rec.Body)
	}
}

func assertRefused(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status = %d, body %s; want 403", rec.Code, rec.Body)
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body["error"] != "forbidden" || body["message"] == "" || len(body) != 2 {
		t.Fatalf("body = %v", body)
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers = %v", rec.Header())
	}
}

func TestTheCurrentValuePasses(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	assertPassed(t, f.request(http.MethodGet, "/items", firstValue))
	if calls := f.fake.callCount(); calls != 2 {
		t.Fatalf("%d GetSecretValue calls; want 2 at start (AWSCURRENT, AWSPREVIOUS) and none per request", calls)
	}
}

func TestThePreviousValuePasses(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(secondValue, firstValue))
	assertPassed(t, f.request(http.MethodPost, "/items", firstValue))
	assertPassed(t, f.request(http.MethodPost, "/items", secondValue))
}

func TestAnAbsentHeaderIs403AndLoggedAsAbsent(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	f.clock.advance(time.Hour)
	r := httptest.NewRequest(http.MethodGet, "/items?token=q", nil)
	r.Header.Set("X-Amzn-Trace-Id", "Root=1-absent")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, r)
	assertRefused(t, rec)
	lines := f.log.lines(t, "origin check failed")
	if len(lines) != 1 {
		t.Fatalf("origin check lines = %v", lines)
	}
	want := map[string]any{"level": "WARN", "request_id": "Root=1-absent", "method": "GET", "path": "/items",
		"header": "absent"}
	for key, value := range want {
		if lines[0][key] != value {
			t.Fatalf("line = %v; want %s = %v", lines[0], key, value)
		}
	}
	// No value can match a header that is not there: no read of the secret for it.
	if calls := f.fake.callCount(); calls != 2 {
		t.Fatalf("%d GetSecretValue calls; want the 2 at start", calls)
	}
	// The request log sees the 403 under the same id.
	if requests := f.log.lines(t, "request"); len(requests) != 1 || requests[0]["status"] != float64(403) ||
		requests[0]["request_id"] != "Root=1-absent" {
		t.Fatalf("request lines = %v", requests)
	}
	if len(f.seen) != 0 {
		t.Fatal("the route ran")
	}
}

func TestAWrongHeaderIs403AndNoValueIsLogged(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(secondValue, firstValue))
	for _, sent := range [][]string{{"fixture-origin-wrong"}, {""}, {firstValue, secondValue}, {firstValue + "," + secondValue}} {
		assertRefused(t, f.request(http.MethodGet, "/items", sent...))
	}
	lines := f.log.lines(t, "origin check failed")
	if len(lines) != 4 {
		t.Fatalf("origin check lines = %v", lines)
	}
	for _, line := range lines {
		if line["header"] != "wrong" {
			t.Fatalf("line = %v; want header wrong", line)
		}
	}
	if log := f.log.String(); strings.Contains(log, "fixture-origin") {
		t.Fatalf("a value reached the log: %s", log)
	}
}

func TestARefreshPicksUpARotatedValue(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	f.fake.rotate(secondValue) // CloudFront sends the new value before this process has read it
	f.clock.advance(31 * time.Second)
	assertPassed(t, f.request(http.MethodGet, "/items", secondValue))
	if calls := f.fake.callCount(); calls != 4 {
		t.Fatalf("%d GetSecretValue calls; want 2 at start and 2 for the refresh", calls)
	}
	assertPassed(t, f.request(http.MethodGet, "/items", firstValue)) // now AWSPREVIOUS, still held
	assertPassed(t, f.request(http.MethodGet, "/items", secondValue))
	if calls := f.fake.callCount(); calls != 4 {
		t.Fatalf("%d GetSecretValue calls; want no more once both values match", calls)
	}
}

func TestRefreshesComeAtMostOnceEvery30Seconds(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	f.fake.rotate(secondValue)
	f.clock.advance(30 * time.Second) // not more than 30 s since the read at start
	assertRefused(t, f.request(http.MethodGet, "/items", secondValue))
	if calls := f.fake.callCount(); calls != 2 {
		t.Fatalf("%d GetSecretValue calls within 30 s of the start; want the 2 at start", calls)
	}
	f.clock.advance(time.Second)
	assertRefused(t, f.request(http.MethodGet, "/items", "fixture-origin-wrong")) // refreshes: reads the rotation
	f.fake.rotate(thirdValue)
	f.clock.advance(29 * time.Second)
	for range 5 {
		assertRefused(t, f.request(http.MethodGet, "/items", thirdValue))
	}
	assertPassed(t, f.request(http.MethodGet, "/items", secondValue)) // read by the refresh
	if calls := f.fake.callCount(); calls != 4 {
		t.Fatalf("%d GetSecretValue calls; want 2 at start and 2 for the one refresh", calls)
	}
	f.clock.advance(2 * time.Second)
	assertPassed(t, f.request(http.MethodGet, "/items", thirdValue))
	if calls := f.fake.callCount(); calls != 6 {
		t.Fatalf("%d GetSecretValue calls; want 6 after the second refresh", calls)
	}
}

func TestConcurrentWrongHeadersShareOneRefresh(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	f.fake.rotate(secondValue)
	// A slow read, so that the others queue behind the request that refreshes, holding
	// the values from before it.
	f.fake.set(func(f *fakeSecretsManager) { f.delay = 50 * time.Millisecond })
	f.clock.advance(time.Minute)
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := range 40 {
		value := secondValue
		if i%2 == 0 {
			value = "fixture-origin-wrong"
		}
		wg.Go(func() { codes <- f.request(http.MethodGet, "/items", value).Code })
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for code := range codes {
		count[code]++
	}
	if count[http.StatusOK] != 20 || count[http.StatusForbidden] != 20 {
		t.Fatalf("statuses = %v; want 20 of 200 and 20 of 403", count)
	}
	if calls := f.fake.callCount(); calls != 4 {
		t.Fatalf("%d GetSecretValue calls; want 2 at start and 2 for one refresh", calls)
	}
}

func TestAFailedRefreshKeepsTheValuesHeld(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(secondValue, firstValue))
	f.fake.set(func(f *fakeSecretsManager) { f.err = errors.New("throttled") })
	f.clock.advance(31 * time.Second)
	assertRefused(t, f.request(http.MethodGet, "/items", "fixture-origin-wrong"))
	warnings := f.log.lines(t, "origin check: refresh failed, the values held stay")
	if len(warnings) != 1 || warnings[0]["level"] != "WARN" || warnings[0]["secret"] != testOriginSecret ||
		!strings.Contains(warnings[0]["error"].(string), "throttled") {
		t.Fatalf("warnings = %v", warnings)
	}
	assertPassed(t, f.request(http.MethodGet, "/items", secondValue))
	assertPassed(t, f.request(http.MethodGet, "/items", firstValue))
	// A refresh whose AWSPREVIOUS read fails (not for its absence) fails as a whole too.
	f.fake.set(func(f *fakeSecretsManager) { f.err, f.previousErr = nil, errors.New("access denied") })
	f.fake.rotate(thirdValue)
	f.clock.advance(31 * time.Second)
	assertRefused(t, f.request(http.MethodGet, "/items", thirdValue))
	assertPassed(t, f.request(http.MethodGet, "/items", firstValue))
	if warnings := f.log.lines(t, "origin check: refresh failed, the values held stay"); len(warnings) != 2 {
		t.Fatalf("warnings = %v", warnings)
	}
	if log := f.log.String(); strings.Contains(log, "fixture-origin") {
		t.Fatalf("a value reached the log: %s", log)
	}
}

func TestARefreshEndsWithTheRequestsContext(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	f.fake.set(func(f *fakeSecretsManager) { f.hang = true })
	f.clock.advance(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/items", nil)
	r.Header.Set(originHeader, "fixture-origin-wrong")
	rec := httptest.NewRecorder()
	start := time.Now()
	f.handler.ServeHTTP(rec, r)
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("answered after %v", elapsed)
	}
	assertRefused(t, rec)
	assertPassed(t, f.request(http.MethodGet, "/items", firstValue))
}

func TestGetHealthIsExemptAndReadinessIsNot(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	assertPassed(t, f.request(http.MethodGet, "/health"))
	assertPassed(t, f.request(http.MethodGet, "/health", "fixture-origin-wrong"))
	assertRefused(t, f.request(http.MethodGet, "/health/ready"))
	assertRefused(t, f.request(http.MethodPost, "/health")) // 403, not the mux's 405
	assertRefused(t, f.request(http.MethodGet, "/health/"))
	assertPassed(t, f.request(http.MethodGet, "/health/ready", firstValue))
}

func TestTheHeaderIsTakenOffBeforeTheRoute(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	for _, path := range []string{"/items", "/health"} {
		assertPassed(t, f.request(http.MethodGet, path, firstValue))
		if seen := <-f.seen; seen.Values(originHeader) != nil {
			t.Fatalf("%s: the route saw %s", path, originHeader)
		}
	}
}

func TestADirectInvocationIsExemptAndAnAPIGatewayEventIsChecked(t *testing.T) {
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	serve := func(event string) events.APIGatewayV2HTTPResponse { return serveEvent(t, f.handler, event) }
	direct := `{"path":"/items","requestContext":{"http":{"method":"GET"}}}`
	viaAPI := func(headers string) string {
		return `{"version":"2.0","rawPath":"/items","headers":{` + headers + `},` +
			`"requestContext":{"apiId":"a1b2c3","requestId":"api-1","http":{"method":"GET","path":"/items"}}}`
	}
	if response := serve(direct); response.StatusCode != http.StatusOK {
		t.Fatalf("direct invocation: %d %s", response.StatusCode, response.Body)
	}
	if response := serve(viaAPI(`"host":"a1b2c3.execute-api.example"`)); response.StatusCode != http.StatusForbidden ||
		!strings.Contains(response.Body, `"error":"forbidden"`) {
		t.Fatalf("API Gateway event without the header: %d %s", response.StatusCode, response.Body)
	}
	if response := serve(viaAPI(`"x-origin-verify":"fixture-origin-wrong"`)); response.StatusCode != http.StatusForbidden {
		t.Fatalf("API Gateway event with a wrong header: %d %s", response.StatusCode, response.Body)
	}
	if response := serve(viaAPI(`"x-origin-verify":"` + firstValue + `"`)); response.StatusCode != http.StatusOK {
		t.Fatalf("API Gateway event with the header: %d %s", response.StatusCode, response.Body)
	}
	if seen := <-f.seen; seen.Values(originHeader) != nil {
		t.Fatalf("the route saw %s on a direct invocation", originHeader)
	}
	if seen := <-f.seen; seen.Values(originHeader) != nil {
		t.Fatalf("the route saw %s through API Gateway", originHeader)
	}
	lines := f.log.lines(t, "origin check failed")
	if len(lines) != 2 || lines[0]["request_id"] != "api-1" || lines[0]["header"] != "absent" ||
		lines[1]["header"] != "wrong" {
		t.Fatalf("origin check lines = %v", lines)
	}
}

func TestWithoutTheSecretThereIsNoCheck(t *testing.T) {
	check, err := newOriginCheck(context.Background(), "", func() (secretValueGetter, error) {
		t.Fatal("a Secrets Manager client was made")
		return nil, nil
	}, quiet, time.Now)
	if check != nil || err != nil {
		t.Fatalf("check = %v, err = %v; want no check", check, err)
	}
	var seen http.Header
	handler := withFrame(backend{origin: check}, quiet, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest(http.MethodPost, "/items", nil)
	r.Header.Set(originHeader, "anything")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)
	if rec.Code != http.StatusNoContent || seen.Get(originHeader) != "anything" {
		t.Fatalf("status %d, route saw %v: want the request untouched", rec.Code, seen)
	}
	if cfg, err := readSettings(mapEnv{}); err != nil || cfg.originSecret != "" {
		t.Fatalf("originSecret = %q, %v; want empty by default", cfg.originSecret, err)
	}
	if cfg, _ := readSettings(mapEnv{"ORIGIN_VERIFY_SECRET": testOriginSecret}); cfg.originSecret != testOriginSecret {
		t.Fatalf("originSecret = %q", cfg.originSecret)
	}
}

func TestStartupFailsWhenTheCurrentValueCannotBeRead(t *testing.T) {
	for name, fake := range map[string]*fakeSecretsManager{
		"error": {stages: map[string]string{"AWSCURRENT": firstValue}, err: errors.New("AccessDeniedException")},
		"empty": newFakeSecretsManager("", ""),
	} {
		t.Run(name, func(t *testing.T) {
			check, err := newOriginCheck(context.Background(), testOriginSecret,
				func() (secretValueGetter, error) { return fake, nil }, quiet, time.Now)
			if check != nil || err == nil {
				t.Fatalf("check = %v, err = %v; want a start-up error", check, err)
			}
			if !strings.Contains(err.Error(), testOriginSecret) || !strings.Contains(err.Error(), "AWSCURRENT") ||
				strings.Contains(err.Error(), "fixture-origin") {
				t.Fatalf("err = %v; want the secret and stage named, and no value", err)
			}
		})
	}
	_, err := newOriginCheck(context.Background(), testOriginSecret,
		func() (secretValueGetter, error) { return nil, errors.New("no region") }, quiet, time.Now)
	if err == nil || !strings.Contains(err.Error(), "no region") {
		t.Fatalf("err = %v", err)
	}
}

func TestAPreviousValueThatCannotBeReadIsLoggedAndLeftOut(t *testing.T) {
	// Absent (never rotated): nothing to say.
	f := newOriginFixture(t, newFakeSecretsManager(firstValue, ""))
	if lines := f.log.lines(t, "origin check: the previous value is not held"); len(lines) != 0 {
		t.Fatalf("lines = %v", lines)
	}
	// Another error: one warning, and the current value serves alone.
	fake := newFakeSecretsManager(secondValue, firstValue)
	fake.previousErr = errors.New("throttled")
	f = newOriginFixture(t, fake)
	lines := f.log.lines(t, "origin check: the previous value is not held")
	if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["secret"] != testOriginSecret {
		t.Fatalf("lines = %v", lines)
	}
	assertPassed(t, f.request(http.MethodGet, "/items", secondValue))
	assertRefused(t, f.request(http.MethodGet, "/items", firstValue)) // within 30 s of the start: no refresh
}
