package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runtimeAPI stands in for Lambda's Runtime API (and the Extensions API that the Lambda Web
// Adapter registers with) on loopback: `next` hands out the events put on events, one per
// call, and what the runtime posts as the invocation's response or error comes back on
// answers. Each round trip is what Lambda's runtime loop does per invocation, with the
// program under test a real process; only the loopback stands in for Lambda's own API.
type runtimeAPI struct {
	*httptest.Server
	events  chan []byte
	answers chan answer
	ids     atomic.Int64
}

type answer struct {
	document []byte
	failed   bool // the runtime reported an error, or failed its init
}

func newRuntimeAPI() *runtimeAPI {
	api := &runtimeAPI{events: make(chan []byte), answers: make(chan answer, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		var payload []byte
		select {
		case payload = <-api.events:
		case <-r.Context().Done():
			return
		}
		header := w.Header()
		header.Set("Lambda-Runtime-Aws-Request-Id", "bench-"+strconv.FormatInt(api.ids.Add(1), 10))
		header.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		header.Set("Lambda-Runtime-Invoked-Function-Arn",
			"arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-api:7")
		header.Set("Lambda-Runtime-Trace-Id", "Root=1-6750a3c0-0123456789abcdef01234567;Parent=0;Sampled=0")
		header.Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{outcome}", func(w http.ResponseWriter, r *http.Request) {
		document, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		api.answers <- answer{document: document, failed: r.PathValue("outcome") != "response"}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		document, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		api.answers <- answer{document: document, failed: true}
	})
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "bench-extension")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"functionName":"anigmaa-api","functionVersion":"7","handler":"bootstrap"}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // no INVOKE or SHUTDOWN events: LWA registered for none
	})
	api.Server = httptest.NewServer(mux) // 127.0.0.1
	return api
}

// invoke hands one event to the runtime and waits for its answer.
func (api *runtimeAPI) invoke(payload []byte) (answer, error) {
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case api.events <- payload:
	case got := <-api.answers: // an init error, before any `next`
		return got, fmt.Errorf("the runtime failed before asking for an event: %s", got.document)
	case <-timeout.C:
		return answer{}, fmt.Errorf("the runtime never asked for an event")
	}
	select {
	case got := <-api.answers:
		if got.failed {
			return got, fmt.Errorf("the runtime reported an error: %s", got.document)
		}
		return got, nil
	case <-timeout.C:
		return answer{}, fmt.Errorf("no answer within 30 s")
	}
}

// A process is one program of an adapter, as environment variables name it; an adapter may
// need two (the Lambda Web Adapter and the application's server).
type process struct {
	command []string
	env     []string
}

// runtimeAdapters are the programs BenchmarkRuntimeAPI starts, from the environment (each
// left out when its variable is unset; tools/local/bench_frame.py builds them all):
//
//	BENCH_FRAME_BOOTSTRAP  lambda_src's test binary (go test -c), run as its
//	                       TestBenchBootstrap twice: the frame's adapter around the same
//	                       handler, and the adapter and withFrame, logging to stdout as deployed
//	BENCH_PROXY_BOOTSTRAP  cmd/proxy: aws-lambda-go-api-proxy around the same handler
//	BENCH_LWA, BENCH_APP   the Lambda Web Adapter's lambda-adapter binary, and cmd/server
//	                       (the same handler on 127.0.0.1:$PORT) behind it
//	BENCH_GOMAXPROCS       GOMAXPROCS for all of them (unset: Go's own choice, 2 here)
func runtimeAdapters(port int) map[string][]process {
	adapters := map[string][]process{}
	if path := os.Getenv("BENCH_FRAME_BOOTSTRAP"); path != "" {
		run := []string{path, "-test.run", "^TestBenchBootstrap$"}
		adapters["frame"] = []process{{command: run, env: []string{"FRAME_BENCH_BOOTSTRAP=bare"}}}
		adapters["frame+withFrame"] = []process{{command: run, env: []string{"FRAME_BENCH_BOOTSTRAP=framed"}}}
	}
	if path := os.Getenv("BENCH_PROXY_BOOTSTRAP"); path != "" {
		adapters["aws-lambda-go-api-proxy"] = []process{{command: []string{path}}}
	}
	lwa, app := os.Getenv("BENCH_LWA"), os.Getenv("BENCH_APP")
	if lwa != "" && app != "" {
		listen := "PORT=" + strconv.Itoa(port)
		adapters["lambda-web-adapter"] = []process{
			{command: []string{app}, env: []string{listen}},
			{command: []string{lwa}, env: []string{listen, "AWS_LWA_READINESS_CHECK_PATH=/health"}},
		}
	}
	return adapters
}

// lambdaEnvironment is what Lambda sets for a function's processes (the ones these read), and
// GOMAXPROCS from BENCH_GOMAXPROCS: 1 is what Go picks where it is given one CPU.
func lambdaEnvironment(api string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_RUNTIME_API=" + api, "AWS_REGION=ap-southeast-1",
		"AWS_LAMBDA_FUNCTION_NAME=anigmaa-api", "AWS_LAMBDA_FUNCTION_VERSION=7",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/anigmaa-api",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/12/03/[7]bench", "_HANDLER=bootstrap"}
	if procs := os.Getenv("BENCH_GOMAXPROCS"); procs != "" {
		env = append(env, "GOMAXPROCS="+procs)
	}
	return env
}

// start runs an adapter's programs against api; stop ends them.
func start(tb testing.TB, api *runtimeAPI, programs []process) (stop func()) {
	tb.Helper()
	var started []*exec.Cmd
	stop = func() {
		for _, cmd := range started {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	for _, program := range programs {
		cmd := exec.Command(program.command[0], program.command[1:]...)
		cmd.Env = append(lambdaEnvironment(strings.TrimPrefix(api.URL, "http://")), program.env...)
		// Stdout and Stderr stay nil: /dev/null. (A writer here would be a pipe to a goroutine of this
		// process, which then competes with the program for the two cores at every log line.)
		if err := cmd.Start(); err != nil {
			stop()
			tb.Fatal(err)
		}
		started = append(started, cmd)
	}
	return stop
}

// BenchmarkRuntimeAPI is one invocation through a real process per op: the event from
// `next`, through the adapter and the handler, back as the posted response.
func BenchmarkRuntimeAPI(b *testing.B) {
	port := freePort(b)
	adapters := runtimeAdapters(port)
	if len(adapters) == 0 {
		b.Skip("no program to run: set BENCH_FRAME_BOOTSTRAP, BENCH_PROXY_BOOTSTRAP or BENCH_LWA and BENCH_APP")
	}
	for _, name := range []string{"frame", "frame+withFrame", "aws-lambda-go-api-proxy", "lambda-web-adapter"} {
		programs, ok := adapters[name]
		if !ok {
			continue
		}
		api := newRuntimeAPI()
		stop := start(b, api, programs)
		for _, event := range benchEvents() {
			// The first answer is checked, and warms the process (and LWA's connection).
			got, err := api.invoke(event.payload)
			if err == nil {
				err = check(got.document, nil)(event)
			}
			if err != nil {
				stop()
				api.Close()
				b.Fatalf("%s, %s: %v", name, event.name, err)
			}
			b.Run("adapter="+name+"/event="+event.name, func(b *testing.B) {
				b.SetBytes(int64(len(event.payload)))
				for b.Loop() {
					if _, err := api.invoke(event.payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		stop()
		api.Close()
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	server := httptest.NewServer(http.NotFoundHandler())
	defer server.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(server.URL, "http://"), ":")
	number, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatal(err)
	}
	return number
}

// The harness's own check, without any program: a stand-in runtime that answers every event
// with benchHandler through aws-lambda-go-api-proxy, over real HTTP to the stand-in API.
func TestRuntimeAPIRoundTrip(t *testing.T) {
	api := newRuntimeAPI()
	defer api.Close()
	proxy := apiProxy(Handler)
	ctx, cancel := benchContext()
	defer cancel()
	go func() {
		for range benchEvents() {
			response, err := http.Get(api.URL + "/2018-06-01/runtime/invocation/next")
			if err != nil {
				return
			}
			payload, _ := io.ReadAll(response.Body)
			_ = response.Body.Close()
			id := response.Header.Get("Lambda-Runtime-Aws-Request-Id")
			document, _ := proxy.Invoke(ctx, payload)
			posted, err := http.Post(api.URL+"/2018-06-01/runtime/invocation/"+id+"/response", "application/json",
				bytes.NewReader(document))
			if err != nil {
				return
			}
			_ = posted.Body.Close()
		}
	}()
	for _, event := range benchEvents() {
		got, err := api.invoke(event.payload)
		if err == nil {
			err = check(got.document, nil)(event)
		}
		if err != nil {
			t.Fatalf("%s: %v", event.name, err)
		}
	}
}
