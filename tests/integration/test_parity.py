"""One table of requests, sent to the same binary twice: under the Lambda Runtime Interface
Emulator as API Gateway's HTTP API would deliver them (payload 2.0), and as an HTTP server
(as on ECS). Both must give the same status, headers and body, within Lambda's limits.

The binary is built with `-tags parity`, which adds the probe routes of
lambda_src/parity_routes.go; PostgreSQL, Redis and SSM/S3 are real and on loopback. Both
modes run with a request deadline of DEADLINE_MS, so a handler that outlives it costs the
suite 2.5 s rather than the deployed 23.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools import ROOT
from tools.build.go import build_bootstrap
from tools.local.harness import (
    FAKE_CREDENTIALS,
    REGION,
    SEED_PAYLOAD,
    Dependencies,
    Emulator,
    Server,
    dependencies,
    http_server,
    lambda_emulator,
    postgres,
)

# Set by the transport, not the handler: API Gateway and net/http each add their own.
TRANSPORT_HEADERS = frozenset({"date", "content-length", "connection", "transfer-encoding", "keep-alive"})
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")
# REQUEST_DEADLINE_MS of both binaries: above the 2 s /health/ready gives its checks, so that
# readiness answers for itself (Redis down takes 0.9 s of retries) and never gets the frame's 504.
DEADLINE_MS = 2500


@dataclass(frozen=True)
class Call:
    """A request as a client sends it: method, request target (path?query, as on the wire), headers, body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Answer:
    """What the client gets back, transport headers left out."""

    status: int
    headers: dict[str, str]
    cookies: list[str] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


def http_api_event(call: Call, source_ip: str = "127.0.0.1", request_id: str = "") -> dict[str, Any]:
    """The payload 2.0 event an HTTP API sends for ``call``: header names lower-cased and repeated ones
    joined with commas, cookies in their own list, rawPath decoded, a binary body in base64, the API's
    id (which tells the frame API Gateway sent it) and its id for the request (``request_id``, or a new
    one)."""
    path, _, query = call.target.partition("?")
    headers: dict[str, str] = {"host": "api.anigmaa.example", "x-forwarded-for": source_ip}
    cookies: list[str] = []
    for name, value in call.headers:
        if name.lower() == "cookie":
            cookies += [part.strip() for part in value.split(";")]
        elif name.lower() in headers:
            headers[name.lower()] += "," + value
        else:
            headers[name.lower()] = value
    if call.body:
        headers["content-length"] = str(len(call.body))
    raw_path = urllib.parse.unquote(path)  # an undecodable escape (%zz) stays as it is
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "http": {"method": call.method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": source_ip},
            "apiId": "parity",
            "domainName": "api.anigmaa.example",
            "stage": "$default",
            "requestId": request_id or secrets.token_urlsafe(12),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if call.body:
        textual = headers.get("content-type", "").startswith(TEXT_TYPES)
        try:
            event["body"] = call.body.decode() if textual else base64.b64encode(call.body).decode()
            event["isBase64Encoded"] = not textual
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(call.body).decode(), True
    return event


def from_lambda(document: dict[str, Any]) -> Answer:
    """The answer API Gateway makes of the function's response document."""
    body = document.get("body", "")
    raw = base64.b64decode(body) if document.get("isBase64Encoded") else body.encode()
    headers = {k.lower(): v for k, v in (document.get("headers") or {}).items() if k.lower() not in TRANSPORT_HEADERS}
    return Answer(document["statusCode"], headers, list(document.get("cookies") or []), raw)


def over_http(server: Server, call: Call) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)  # loopback only
    try:
        connection.putrequest(call.method, call.target, skip_accept_encoding=True)
        for name, value in call.headers:
            connection.putheader(name, value)
        if call.body:
            connection.putheader("Content-Length", str(len(call.body)))
        connection.endheaders(call.body or None)
        response = connection.getresponse()
        body = response.read()
        headers: dict[str, str] = {}
        cookies = []
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookies.append(value)
            elif name.lower() not in TRANSPORT_HEADERS:
                headers[name.lower()] = f"{headers[name.lower()]}, {value}" if name.lower() in headers else value
        return Answer(response.status, headers, cookies, body)
    finally:
        connection.close()


@dataclass
class Modes:
    emulator: Emulator
    server: Server
    deps: Dependencies

    def lambda_(self, call: Call, request_id: str = "") -> Answer:
        return from_lambda(self.emulator.invoke(http_api_event(call, request_id=request_id)))

    def server_log(self) -> list[dict[str, Any]]:
        """The server's JSON log lines."""
        text = self.server.log.read_text(encoding="utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def starts(self) -> int:
        """How many times the function has started (a panic that ended the runtime would add one)."""
        return sum(1 for line in self.emulator.function_log() if line.get("msg") == "starting")

    def both(self, call: Call) -> tuple[Answer, Answer]:
        """The same call in both modes; the answers must match."""
        on_lambda, on_server = self.lambda_(call), over_http(self.server, call)
        assert on_lambda == on_server, f"{call}:\n  lambda: {on_lambda}\n  server: {on_server}"
        return on_lambda, on_server


@pytest.fixture(scope="module")
def parity_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("parity") / "bootstrap"
    build_bootstrap(ROOT / "lambda_src", "amd64", binary, tags=("parity",))
    return binary


@pytest.fixture(scope="module")
def modes(parity_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Modes]:
    folder = tmp_path_factory.mktemp("parity-run")
    with dependencies(folder) as deps:
        environment = {**deps.environment, "REQUEST_DEADLINE_MS": str(DEADLINE_MS)}
        # Named as under Lambda, so the server's log shows that server mode never writes metrics.
        server_environment = {**environment, "AWS_LAMBDA_FUNCTION_NAME": "parity", "AWS_LAMBDA_FUNCTION_VERSION": "7"}
        with (
            lambda_emulator(parity_binary, environment, folder / "rie") as emulator,
            http_server(parity_binary, server_environment, folder / "server") as server,
        ):
            yield Modes(emulator, server, deps)


def test_the_seed_payload_is_get_health(modes: Modes) -> None:
    seed = from_lambda(modes.emulator.invoke(SEED_PAYLOAD))
    assert seed == over_http(modes.server, Call("GET", "/health"))
    assert (seed.status, seed.json()) == (200, {"status": "ok"})


def test_health_and_readiness_with_every_dependency_up(modes: Modes) -> None:
    on_lambda, _ = modes.both(Call("GET", "/health"))
    assert on_lambda.headers["content-type"] == "application/json"
    # Readiness bodies carry latencies: the same statuses, not the same milliseconds.
    for answer in (modes.lambda_(Call("GET", "/health/ready")), over_http(modes.server, Call("GET", "/health/ready"))):
        assert answer.status == 200, answer
        report = answer.json()
        assert report["status"] == "ready"
        assert {name: c["status"] for name, c in report["checks"].items()} == {
            "postgres": "up",
            "redis": "up",
            "s3": "up",
        }


@pytest.mark.parametrize(
    ("call", "status", "body", "headers"),
    [
        pytest.param(Call("GET", "/nope"), 404, b"404 page not found\n", {"content-type": "text/plain; charset=utf-8"},
                     id="unknown-path"),
        pytest.param(Call("POST", "/health"), 405, b"Method Not Allowed\n", {"allow": "GET, HEAD"}, id="wrong-method"),
        pytest.param(Call("HEAD", "/health"), 200, b"", {"content-type": "application/json"}, id="head"),
        pytest.param(Call("DELETE", "/probe/empty"), 200, b"", {}, id="empty-handler"),
        pytest.param(Call("GET", "/probe/binary"), 200, bytes(range(256)), {"content-type": "application/octet-stream"},
                     id="binary-out"),
    ],
)  # fmt: skip
def test_status_headers_and_body_match(
    modes: Modes, call: Call, status: int, body: bytes, headers: dict[str, str]
) -> None:
    answer, _ = modes.both(call)
    assert (answer.status, answer.body) == (status, body)
    assert headers.items() <= answer.headers.items(), answer.headers


def test_cookies_in_and_two_set_cookies_out(modes: Modes) -> None:
    answer, _ = modes.both(Call("GET", "/probe/cookies", (("Cookie", "session=abc; theme=light"),)))
    assert answer.json() == {"session": "abc", "theme": "light"}
    assert answer.cookies == ["session=s1; Path=/; HttpOnly; Secure", "theme=dark; Path=/; Max-Age=3600"]


@pytest.mark.parametrize(
    ("call", "seen"),
    [
        pytest.param(
            Call("GET", "/probe/echo/q?tag=a&tag=b&name=J%C3%BCrgen+X"),
            {"raw_query": "tag=a&tag=b&name=J%C3%BCrgen+X", "query": {"tag": ["a", "b"], "name": ["Jürgen X"]}},
            id="repeated-query-keys",
        ),
        pytest.param(
            Call("GET", "/probe/echo/caf%C3%A9%20au%20lait"), {"path": "/probe/echo/café au lait"}, id="encoded-path"
        ),
        # A literal % (sent as %25, which the HTTP API hands over decoded) stays a %.
        pytest.param(Call("GET", "/probe/echo/100%25?token=t0ken"), {"path": "/probe/echo/100%"}, id="literal-percent"),
        pytest.param(
            Call("POST", "/probe/echo/upload", (("Content-Type", "application/octet-stream"),), bytes(range(256))),
            {"body_sha256": hashlib.sha256(bytes(range(256))).hexdigest(), "content_length": 256},
            id="base64-in",
        ),
        pytest.param(
            Call("POST", "/probe/echo/hook", (("X-Signature", "t=1700000000,v1=5257a869e7"),
                                             ("If-Range", "Wed, 21 Oct 2015 07:28:00 GMT"))),
            {"x_signature": ["t=1700000000,v1=5257a869e7"], "if_range": ["Wed, 21 Oct 2015 07:28:00 GMT"]},
            id="comma-valued-headers",
        ),
        pytest.param(
            Call("GET", "/probe/echo/ip"), {"remote_host": "127.0.0.1", "remote_has_port": True}, id="source-ip"
        ),
    ],
)  # fmt: skip
def test_the_handler_sees_the_same_request(modes: Modes, call: Call, seen: dict[str, Any]) -> None:
    answer, _ = modes.both(call)
    assert answer.status == 200
    assert seen.items() <= answer.json().items(), answer.json()


def test_a_streaming_handler_can_flush_in_both_modes(modes: Modes) -> None:
    answer, _ = modes.both(Call("GET", "/probe/stream"))
    assert answer.body.splitlines()[-1] == b'{"flusher":true,"flushed":true}'


def test_over_six_megabytes_lambda_answers_502_and_keeps_its_runtime(modes: Modes) -> None:
    """The one row that cannot match: Lambda returns at most 6 MB. It answers 502 and serves on, without a new init."""
    call = Call("GET", "/probe/large?bytes=7000000")
    on_server = over_http(modes.server, call)
    assert (on_server.status, len(on_server.body)) == (200, 7_000_000)
    starts = modes.starts()
    on_lambda = modes.lambda_(call)
    assert on_lambda.status == 502
    assert on_lambda.json()["error"] == "response_too_large"
    assert modes.lambda_(Call("GET", "/health")).status == 200
    assert modes.starts() == starts
    # Just under the limit (4.5 MB of binary is 6 MB in base64) still arrives whole.
    fits = modes.lambda_(Call("GET", "/probe/large?bytes=4500000"))
    assert (fits.status, len(fits.body)) == (200, 4_500_000)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"version": "1.0", "httpMethod": "POST", "path": "/orders",
                      "requestContext": {"httpMethod": "POST"}}, id="rest-api-v1"),
        pytest.param({"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
                     id="eventbridge"),
    ],
)  # fmt: skip
def test_an_event_that_is_not_an_http_api_request_is_400_on_lambda(modes: Modes, event: dict[str, Any]) -> None:
    """No server-mode counterpart: only Lambda can be handed something other than an HTTP request."""
    answer = from_lambda(modes.emulator.invoke(event))
    assert (answer.status, answer.json()["error"]) == (400, "not_an_http_api_request")


def test_an_invalid_base64_body_is_400_and_no_query_reaches_the_log(modes: Modes) -> None:
    event = http_api_event(Call("POST", "/probe/echo/x?token=q-secret-1"))
    event.update(body="not base64!", isBase64Encoded=True)
    assert from_lambda(modes.emulator.invoke(event)).status == 400
    modes.lambda_(Call("GET", "/probe/echo/%zz?token=q-secret-2"))
    assert "q-secret" not in modes.emulator.log_text()


def wait_for(check: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    """The first truthy result of ``check`` within ``timeout`` seconds, or its last result."""
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(every)
    return result


Log = Callable[[], list[dict[str, Any]]]


def logged(log: Log, msg: str, **fields: Any) -> list[dict[str, Any]]:
    """The lines of ``log`` with ``msg`` and ``fields``, once there is one (or after 5 s, none)."""
    found: list[dict[str, Any]] = wait_for(
        lambda: [line for line in log() if line.get("msg") == msg and fields.items() <= line.items()], 5
    )
    return found


def answer_in(modes: Modes, mode: str, call: Call, request_id: str = "") -> tuple[Answer, float]:
    """The answer in ``mode`` ("lambda" or "server") and how long it took, in seconds. The id reaches
    the server as the load balancer's X-Amzn-Trace-Id would."""
    started = time.monotonic()
    if mode == "lambda":
        answer = modes.lambda_(call, request_id)
    else:
        trace = (("X-Amzn-Trace-Id", request_id),) if request_id else ()
        answer = over_http(modes.server, Call(call.method, call.target, call.headers + trace, call.body))
    return answer, time.monotonic() - started


def test_a_panic_is_the_same_500_in_both_modes_and_the_process_serves_on(modes: Modes) -> None:
    """aws-lambda-go would end the runtime on a panic (a 502, then a new init); net/http would drop the
    connection. The frame answers 500 in both modes, logs the stack, and keeps its process."""
    starts = modes.starts()
    answer, _ = modes.both(Call("GET", "/probe/panic"))
    assert (answer.status, answer.json()) == (
        500,
        {"error": "internal_error", "message": "the server failed to answer this request"},
    )
    assert (answer.headers["content-type"], answer.headers["cache-control"]) == ("application/json", "no-store")
    modes.both(Call("GET", "/health"))
    assert modes.starts() == starts
    assert modes.server.process.poll() is None
    for log in (modes.emulator.function_log, modes.server_log):
        panics = logged(log, "handler panicked")
        assert panics, "no panic line"
        assert (panics[-1]["level"], panics[-1]["panic"]) == ("ERROR", "probe: the handler panicked")
        assert "parity_routes.go" in panics[-1]["stack"]
        assert panics[-1]["request_id"]


def test_a_slow_handler_gets_the_frames_504_at_the_deadline_in_both_modes(modes: Modes) -> None:
    """/probe/sleep ignores its context; at the deadline the frame answers for it."""
    answers = {mode: answer_in(modes, mode, Call("GET", "/probe/sleep?ms=5000")) for mode in ("lambda", "server")}
    assert answers["lambda"][0] == answers["server"][0]
    answer = answers["lambda"][0]
    assert (answer.status, answer.json()) == (
        504,
        {"error": "deadline_exceeded", "message": "the server did not answer within its request deadline"},
    )
    assert (answer.headers["content-type"], answer.headers["cache-control"]) == ("application/json", "no-store")
    for mode, (_, elapsed) in answers.items():
        assert DEADLINE_MS / 1000 <= elapsed < DEADLINE_MS / 1000 + 1, f"{mode}: answered after {elapsed:.2f} s"
    fast, _ = modes.both(Call("GET", "/probe/sleep?ms=10"))
    assert (fast.status, fast.json()) == (200, {"slept_ms": 10})


@pytest.mark.parametrize(
    ("target", "status"),
    [
        pytest.param("/probe/sleep?ms=5000&flushed=1", 504, id="deadline"),
        pytest.param("/probe/panic?flushed=1", 500, id="panic"),
    ],
)
def test_after_the_status_went_out_lambda_answers_anew_and_the_server_breaks_the_response(
    modes: Modes, target: str, status: int
) -> None:
    """The row that cannot match: Lambda still holds the response, so the frame discards it and answers;
    on the wire the status is gone, so the server aborts the response rather than end it as if whole."""
    on_lambda = modes.lambda_(Call("GET", target))
    assert (on_lambda.status, on_lambda.cookies) == (status, [])
    assert b"part" not in on_lambda.body
    with pytest.raises(http.client.IncompleteRead) as broken:
        over_http(modes.server, Call("GET", target))
    assert broken.value.partial == b'{"part":1}\n'


def psql(deps: Dependencies, query: str) -> str:
    """``query``'s result, unaligned, from the harness's PostgreSQL."""
    result = subprocess.run(
        ["psql", "-XAtq", "-h", "127.0.0.1", "-p", deps.environment["DB_PORT"], "-U", "postgres", "-d", "anigmaa",
         "-c", query],
        env={**os.environ, "PGPASSWORD": deps.secret_values["DB_PASSWORD"], "PGSSLMODE": "require",
             "PGCONNECT_TIMEOUT": "5"},
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    return result.stdout.strip()


def sleeping(deps: Dependencies) -> list[int]:
    """The backends running a pg_sleep now (pg_stat_activity)."""
    query = "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
    return [int(pid) for pid in psql(deps, query).split()]


@pytest.mark.parametrize("mode", ["lambda", "server"])
def test_at_the_deadline_postgresql_cancels_the_query_and_the_connection_stays(modes: Modes, mode: str) -> None:
    """/probe/pg-sleep runs pg_sleep(30) with the request's context and statement_timeout off: only the
    cancel request pgx sends when that context ends can stop it early. After the frame's 504, the session
    that ran it is idle again (the query cancelled on the server, the pool's connection kept); pgx's
    default would close the connection instead (the session would end), and the next request would pay
    for a new one."""
    assert wait_for(lambda: not sleeping(modes.deps), 5), "a pg_sleep from before is still running"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(answer_in, modes, mode, Call("GET", "/probe/pg-sleep?s=30"))
        running = wait_for(lambda: sleeping(modes.deps), DEADLINE_MS / 1000)
        answer, _ = pending.result()
    answered = time.monotonic()
    assert len(running) == 1, f"the query was not seen running: {running}"
    assert (answer.status, answer.json()["error"]) == (504, "deadline_exceeded")

    def state() -> str:
        return psql(modes.deps, f"SELECT coalesce(max(state), 'gone') FROM pg_stat_activity WHERE pid = {running[0]}")

    left_active = wait_for(lambda: state() != "active", 5)
    stopped_after = time.monotonic() - answered
    assert left_active, "PostgreSQL still runs the query 5 s after the 504"
    assert stopped_after < 2, f"PostgreSQL ran the query {stopped_after:.2f} s past the 504"
    assert wait_for(lambda: state() == "idle", 2), f"the session is {state()}, not back in the pool"
    print(f"{mode}: the query left 'active' {stopped_after * 1000:.0f} ms after the 504; the session is idle")


@pytest.mark.parametrize("mode", ["lambda", "server"])
def test_statement_timeout_ends_a_query_run_without_the_requests_context(modes: Modes, mode: str) -> None:
    """/probe/pg-sleep-detached runs pg_sleep(30) with context.Background(): no cancel request ever comes,
    and PostgreSQL ends it itself at statement_timeout (the request deadline) with SQLSTATE 57014. The
    frame has answered 504 by then; the route logs the outcome."""
    request_id = f"detached-{mode}-{secrets.token_hex(4)}"
    answer, _ = answer_in(modes, mode, Call("GET", "/probe/pg-sleep-detached?s=30"), request_id)
    assert answer.status == 504
    ended = logged(modes.emulator.function_log if mode == "lambda" else modes.server_log, "probe query ended",
                   request_id=request_id)  # fmt: skip
    assert ended, "the query did not end within 5 s"
    assert ended[0]["sqlstate"] == "57014"
    assert DEADLINE_MS <= ended[0]["duration_ms"] < DEADLINE_MS + 1000
    print(f"{mode}: statement_timeout ended the query after {ended[0]['duration_ms']} ms")


def test_request_lines_carry_the_request_id_and_on_lambda_the_versions_metrics(modes: Modes) -> None:
    """Lambda's request line names the HTTP API's request id and carries the per-version Requests and
    ServerErrors in embedded metric format; the server's names the load balancer's trace id and carries no
    metrics, although its environment names a function version too."""
    ids = {"ok": f"api-{secrets.token_hex(4)}", "panic": f"api-{secrets.token_hex(4)}"}
    answer_in(modes, "lambda", Call("GET", "/health"), ids["ok"])
    answer_in(modes, "lambda", Call("GET", "/probe/panic"), ids["panic"])
    trace = f"Root=1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"
    answer_in(modes, "server", Call("GET", "/health"), trace)

    def request_line(log: Log, request_id: str) -> dict[str, Any]:
        lines = logged(log, "request", request_id=request_id)
        assert len(lines) == 1, lines
        return lines[0]

    directive = {
        "Namespace": "anigmaa/backend",
        "Dimensions": [["FunctionName", "Version"]],
        "Metrics": [{"Name": "Requests", "Unit": "Count"}, {"Name": "ServerErrors", "Unit": "Count"}],
    }
    for key, server_errors in (("ok", 0), ("panic", 1)):
        line = request_line(modes.emulator.function_log, ids[key])
        assert line["_aws"]["CloudWatchMetrics"] == [directive]
        assert abs(line["_aws"]["Timestamp"] - time.time() * 1000) < 60_000
        # The emulator names the function as Lambda does (AWS_LAMBDA_FUNCTION_NAME, _VERSION).
        assert (line["FunctionName"], line["Version"]) == ("test_function", "$LATEST")
        assert (line["Requests"], line["ServerErrors"]) == (1, server_errors)
    assert request_line(modes.server_log, trace)["status"] == 200
    assert not [line for line in modes.server_log() if "_aws" in line or "Requests" in line]


# The origin check (lambda_src/origin.go): a second pair of processes whose ORIGIN_VERIFY_SECRET names a
# Secrets Manager secret in moto, rotated once before they start, so that AWSCURRENT and AWSPREVIOUS
# both hold a value. CloudFront would send one of them in X-Origin-Verify.
ORIGIN_HEADER = "X-Origin-Verify"
FORBIDDEN = {
    "error": "forbidden",
    "message": "this API answers only requests that come through its CloudFront distribution",
}


@dataclass
class Guarded(Modes):
    """Both modes with the origin check on, and the secret's values (previous, current)."""

    previous: str = ""
    current: str = ""


@pytest.fixture(scope="module")
def guarded(modes: Modes, parity_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    import boto3

    folder = tmp_path_factory.mktemp("parity-origin")
    moto = modes.deps.environment["AWS_ENDPOINT_URL_SSM"]  # one moto server stands in for every AWS API
    client = boto3.session.Session(
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    ).client("secretsmanager", endpoint_url=moto)
    previous, current = f"origin-{secrets.token_urlsafe(24)}", f"origin-{secrets.token_urlsafe(24)}"
    arn = client.create_secret(Name="anigmaa/local/origin-verify", SecretString=previous)["ARN"]
    client.put_secret_value(SecretId=arn, SecretString=current)  # the rotation: AWSPREVIOUS is `previous`
    environment = {
        **modes.deps.environment,
        "REQUEST_DEADLINE_MS": str(DEADLINE_MS),
        "ORIGIN_VERIFY_SECRET": arn,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto,
    }
    with (
        lambda_emulator(parity_binary, environment, folder / "rie") as emulator,
        http_server(parity_binary, environment, folder / "server") as server,
    ):
        yield Guarded(emulator, server, modes.deps, previous=previous, current=current)


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        pytest.param(None, 403, id="no-header"),
        pytest.param("wrong", 403, id="wrong-header"),
        pytest.param("current", 200, id="right-header"),
        pytest.param("previous", 200, id="previous-value"),
    ],
)
def test_the_origin_check_answers_alike_in_both_modes(guarded: Guarded, sent: str | None, status: int) -> None:
    value = {"wrong": f"origin-{secrets.token_urlsafe(24)}", "current": guarded.current,
             "previous": guarded.previous}.get(sent or "")  # fmt: skip
    headers = ((ORIGIN_HEADER, value),) if value else ()
    answer, _ = guarded.both(Call("POST", "/probe/echo/origin", headers, b"{}"))
    assert answer.status == status, answer
    if status == 403:
        assert answer.json() == FORBIDDEN
        assert (answer.headers["content-type"], answer.headers["cache-control"]) == ("application/json", "no-store")
    else:
        assert answer.json()["x_origin_verify"] is None, "the route saw the header"


def test_with_the_origin_check_get_health_is_exempt_and_readiness_is_not(guarded: Guarded) -> None:
    """The load balancer's health check reaches /health without CloudFront; the outside-in probe reaches
    /health/ready through it."""
    answer, _ = guarded.both(Call("GET", "/health"))
    assert (answer.status, answer.json()) == (200, {"status": "ok"})
    answer, _ = guarded.both(Call("GET", "/health/ready"))
    assert (answer.status, answer.json()) == (403, FORBIDDEN)
    # Readiness bodies carry latencies: the same statuses, not the same milliseconds.
    ready = Call("GET", "/health/ready", ((ORIGIN_HEADER, guarded.current),))
    assert [answer_in(guarded, mode, ready)[0].status for mode in ("lambda", "server")] == [200, 200]


def test_with_the_origin_check_a_direct_invocation_is_exempt_on_lambda(guarded: Guarded) -> None:
    """No server-mode counterpart: an event without requestContext.apiId was not sent by API Gateway, and
    invoking the function takes lambda:InvokeFunction."""
    seed = from_lambda(guarded.emulator.invoke(SEED_PAYLOAD))
    assert (seed.status, seed.json()) == (200, {"status": "ok"})
    event = http_api_event(Call("GET", "/probe/echo/direct"))
    del event["requestContext"]["apiId"]
    assert from_lambda(guarded.emulator.invoke(event)).status == 200


def test_a_refused_request_is_logged_without_the_value(guarded: Guarded) -> None:
    """One warning per refusal, with the request id, method, path and whether the header was absent or
    wrong; no value of the secret, or a wrong one, in either log."""
    wrong = f"origin-{secrets.token_urlsafe(24)}"
    for mode, log in (("lambda", guarded.emulator.function_log), ("server", guarded.server_log)):
        [start] = [line for line in log() if line.get("msg") == "starting"]
        assert start["origin_check"] is True, start
        for header, headers in (("absent", ()), ("wrong", ((ORIGIN_HEADER, wrong),))):
            request_id = f"origin-{mode}-{header}-{secrets.token_hex(4)}"
            answer, _ = answer_in(guarded, mode, Call("GET", "/probe/echo/x", headers), request_id)
            assert answer.status == 403
            lines = logged(log, "origin check failed", request_id=request_id)
            assert len(lines) == 1, lines
            assert (lines[0]["level"], lines[0]["method"], lines[0]["path"], lines[0]["header"]) == (
                "WARN", "GET", "/probe/echo/x", header)  # fmt: skip
            assert logged(log, "request", request_id=request_id)[0]["status"] == 403
    for text in (guarded.emulator.log_text(), guarded.server.log.read_text(encoding="utf-8", errors="replace")):
        for value in (guarded.current, guarded.previous, wrong):
            assert value not in text


def test_readiness_says_redis_is_down_in_both_modes(modes: Modes) -> None:
    """Last in the module: it stops Redis."""
    modes.deps.redis.stop()
    time.sleep(1.1)  # past the one second a readiness result is reused
    for answer in (modes.lambda_(Call("GET", "/health/ready")), over_http(modes.server, Call("GET", "/health/ready"))):
        assert answer.status == 503
        report = answer.json()
        assert (report["status"], report["checks"]["redis"]["status"]) == ("not_ready", "down")
        assert report["checks"]["postgres"]["status"] == "up"
    modes.both(Call("GET", "/health"))


def test_a_burst_on_readiness_refuses_no_database_connection(
    parity_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Three bursts of 80 concurrent /health/ready on a server with DB_MAX_CONNS=10, against a PostgreSQL
    that admits 20 sessions: every call is answered 200, PostgreSQL refuses nothing, and the backend opens
    at most its pool."""
    folder = tmp_path_factory.mktemp("burst")
    with contextlib.ExitStack() as stack:
        deps = stack.enter_context(dependencies(folder))
        small = stack.enter_context(postgres(deps.certs, max_connections=20))
        environment = {**deps.environment, "DB_PORT": str(small.port), "DB_MAX_CONNS": "10"}
        environment.pop("DB_PASSWORD_PARAM")
        environment["DB_PASSWORD"] = small.password  # as ECS injects it
        server = stack.enter_context(http_server(parity_binary, environment, folder / "server"))
        statuses: list[int] = []
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=80) as pool:
            for _ in range(3):
                statuses += pool.map(lambda _: over_http(server, Call("GET", "/health/ready")).status, range(80))
                time.sleep(1.1)  # the next burst finds no fresh result to reuse
        elapsed = time.monotonic() - started
        log = small.log.read_text(encoding="utf-8", errors="replace")
    assert statuses == [200] * 240, statuses
    assert "too many clients" not in log
    admitted = log.count("connection authorized")
    assert 1 <= admitted <= 10, f"{admitted} sessions opened"
    assert elapsed < 30
