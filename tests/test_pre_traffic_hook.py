"""The CodeDeploy pre-traffic hook against stubbed boto3 clients, and a slow Lambda on loopback."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from tests.fake_http import JsonHandler

HOOK_PATH = Path(__file__).resolve().parent.parent / "hook_src" / "pre_traffic.py"


def _load_hook() -> ModuleType:
    # A Lambda handler, not a package of the project: load it from its file.
    spec = importlib.util.spec_from_file_location("pre_traffic", HOOK_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()

REGION = "ap-southeast-1"
TARGET = "arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-backend:7"
EVENT = {"DeploymentId": "d-EXAMPLE111", "LifecycleEventHookExecutionId": "test-only-hook-execution-id"}
NOW = 1767225600.0  # 2026-01-01T00:00:00Z
SEED = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
HTTP_API_EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {
        "host": "pretraffic.execute-api.ap-southeast-1.amazonaws.com",
        "user-agent": "anigmaa-pre-traffic-hook",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "pretraffic",
        "domainName": "pretraffic.execute-api.ap-southeast-1.amazonaws.com",
        "domainPrefix": "pretraffic",
        "http": {
            "method": "GET",
            "path": "/health",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "anigmaa-pre-traffic-hook",
        },
        "requestId": "pre-traffic-d-EXAMPLE111",
        "routeKey": "$default",
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": 1767225600000,
    },
    "isBase64Encoded": False,
}
HEALTHY = b'{"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\\"status\\":\\"ok\\"}"}'


class JsonOf:
    """Equal to bytes holding the same JSON value: the Stubber compares parameters with !=."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, bytes) and json.loads(other) == self.value

    def __repr__(self) -> str:
        return f"JsonOf({self.value!r})"


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Obviously fake credentials, no profile, no proxy, no instance metadata: nothing leaves loopback."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for variable in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("AWS_ENDPOINT_URL_CODEDEPLOY", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)


@dataclass
class Aws:
    """Stubbed Lambda and CodeDeploy clients, and the read timeouts the hook asked for."""

    lambda_client: Any
    codedeploy: Any
    lambdas: Stubber
    deployments: Stubber
    read_timeouts: list[float] = field(default_factory=list)

    def client_for(self, read_timeout: float) -> Any:
        self.read_timeouts.append(read_timeout)
        return self.lambda_client

    def expect_invoke(self, payload: Any, body: bytes, function_error: str | None = None) -> None:
        answer = {"StatusCode": 200, "ExecutedVersion": "7", "Payload": StreamingBody(io.BytesIO(body), len(body))}
        if function_error:
            answer["FunctionError"] = function_error
        self.lambdas.add_response("invoke", answer, self.invoke_params(payload))

    @staticmethod
    def invoke_params(payload: Any) -> dict[str, Any]:
        return {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": JsonOf(payload)}

    def expect_report(self, status: str) -> None:
        params = {
            "deploymentId": EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"],
            "status": status,
        }
        self.deployments.add_response(
            "put_lifecycle_event_hook_execution_status", {"lifecycleEventHookExecutionId": "x"}, params
        )

    def run(self, *, event: Any = EVENT, target: str | None = TARGET, remaining_ms: int = 60_000) -> str:
        status: str = hook.run(event, target, remaining_ms, self.client_for, self.codedeploy, now=NOW)
        return status

    def assert_consumed(self) -> None:
        self.lambdas.assert_no_pending_responses()
        self.deployments.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[Aws]:
    lambda_client = boto3.client("lambda", region_name=REGION)
    codedeploy = boto3.client("codedeploy", region_name=REGION)
    with Stubber(lambda_client) as lambdas, Stubber(codedeploy) as deployments:
        yield Aws(lambda_client, codedeploy, lambdas, deployments)


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_healthy_version_passes_both_checks_and_succeeded_is_reported(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.expect_report("Succeeded")
    assert aws.run() == "Succeeded"
    aws.assert_consumed()
    # 60 s left: each wait is capped at the HTTP API's 30 s, well inside the time minus the reserve.
    assert aws.read_timeouts == [hook.MAX_READ_TIMEOUT_S] * 2
    assert log_lines(capsys) == [
        {"deployment_id": "d-EXAMPLE111", "check": "seed payload", "passed": True, "reason": "statusCode 200"},
        {"deployment_id": "d-EXAMPLE111", "check": "HTTP API GET /health", "passed": True, "reason": "statusCode 200"},
        {"deployment_id": "d-EXAMPLE111", "outcome": "Succeeded", "target": TARGET},
    ]


def test_each_wait_leaves_the_reserve_for_the_report(aws: Aws) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.expect_report("Succeeded")
    assert aws.run(remaining_ms=20_000) == "Succeeded"
    budget = 20.0 - hook.REPORT_RESERVE_S - hook.CONNECT_TIMEOUT_S
    assert all(budget - 0.5 < timeout <= budget for timeout in aws.read_timeouts)
    assert aws.read_timeouts[1] <= aws.read_timeouts[0]  # the second check waits only for what is left


@pytest.mark.parametrize(
    ("body", "function_error", "reason"),
    [
        (b'{"statusCode": 503, "body": "{\\"status\\":\\"down\\"}"}', None, "statusCode 503"),
        (
            b'{"errorMessage": "panic: nil map", "errorType": "Runtime.ExitError"}',
            "Unhandled",
            "FunctionError Unhandled",
        ),
        (b"<html>bad gateway</html>", None, "payload is not a JSON object"),
        (b'[{"statusCode": 200}]', None, "payload is not a JSON object"),
        (b'{"statusCode": "200"}', None, "statusCode '200'"),  # a string is not the status the HTTP API needs
    ],
    ids=["status-503", "function-error", "not-json", "json-array", "string-status"],
)
def test_a_failing_first_check_reports_failed_and_the_second_is_not_run(
    aws: Aws, capsys: pytest.CaptureFixture[str], body: bytes, function_error: str | None, reason: str
) -> None:
    aws.expect_invoke(SEED, body, function_error)
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    aws.assert_consumed()
    assert len(aws.read_timeouts) == 1  # stopped at the first failure: one invoke
    check, outcome = log_lines(capsys)
    assert (check["check"], check["passed"]) == ("seed payload", False)
    assert check["reason"].startswith(reason)
    assert outcome["outcome"] == "Failed"


def test_a_version_that_fails_only_the_real_http_api_event_reports_failed(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, b'{"statusCode": 500, "body": "no route"}')
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    aws.assert_consumed()
    assert [line.get("passed") for line in log_lines(capsys)] == [True, False, None]


def test_an_invoke_error_reports_failed(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.lambdas.add_client_error(
        "invoke",
        service_error_code="ResourceNotFoundException",
        service_message="Function not found: " + TARGET,
        http_status_code=404,
        expected_params=Aws.invoke_params(SEED),
    )
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    aws.assert_consumed()
    check = log_lines(capsys)[0]
    assert check["reason"].startswith(
        "ResourceNotFoundException: An error occurred (ResourceNotFoundException) when calling the Invoke operation"
    )


def test_an_unexpected_exception_while_checking_reports_failed(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> dict[str, Any]:
        raise KeyError("region")

    monkeypatch.setattr(hook, "http_api_event", broken)
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    aws.assert_consumed()
    assert log_lines(capsys)[0] == {
        "deployment_id": "d-EXAMPLE111",
        "check": "hook",
        "passed": False,
        "reason": "KeyError: 'region'",
    }


def test_too_little_time_left_fails_without_invoking(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_report("Failed")
    assert aws.run(remaining_ms=7_500) == "Failed"  # 7.5 s - 5 s reserve - 2 s connect < 1 s to wait
    aws.assert_consumed()
    assert aws.read_timeouts == []
    assert log_lines(capsys)[0]["reason"].startswith("too little time left to invoke: ")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (None, "not set"),
        ("", "not set"),
        ("arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-backend", "not a function version ARN"),
        ("arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-backend:live", "not a function version ARN"),
        ("arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-backend:$LATEST", "not a function version ARN"),
        ("anigmaa-backend:7", "not a function version ARN"),
    ],
    ids=["missing", "empty", "unqualified", "alias", "latest", "not-an-arn"],
)
def test_a_missing_or_malformed_target_reports_failed_without_invoking(
    aws: Aws, capsys: pytest.CaptureFixture[str], target: str | None, reason: str
) -> None:
    aws.expect_report("Failed")
    assert aws.run(target=target) == "Failed"
    aws.assert_consumed()
    assert aws.read_timeouts == []
    check = log_lines(capsys)[0]
    assert (check["check"], check["passed"]) == ("TARGET_FUNCTION_ARN", False)
    assert check["reason"].startswith(reason)


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_the_handler_reads_the_target_from_the_environment(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hook, "make_codedeploy_client", lambda: aws.codedeploy)
    monkeypatch.setattr(hook, "make_lambda_client", aws.client_for)
    monkeypatch.setenv("TARGET_FUNCTION_ARN", TARGET)
    aws.expect_invoke(SEED, HEALTHY)
    # The HTTP API event carries the time of the call: only its shape is pinned elsewhere.
    aws.lambdas.add_response(
        "invoke",
        {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(HEALTHY), len(HEALTHY))},
        {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": ANY},
    )
    aws.expect_report("Succeeded")
    assert hook.handler(EVENT, _Context()) == {"status": "Succeeded"}
    aws.assert_consumed()


def test_the_handler_without_the_target_in_its_environment_reports_failed(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook, "make_codedeploy_client", lambda: aws.codedeploy)
    monkeypatch.setattr(hook, "make_lambda_client", aws.client_for)
    monkeypatch.delenv("TARGET_FUNCTION_ARN", raising=False)
    aws.expect_report("Failed")
    assert hook.handler(EVENT, _Context()) == {"status": "Failed"}
    aws.assert_consumed()
    assert aws.read_timeouts == []


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"DeploymentId": "d-EXAMPLE111"},
        {"LifecycleEventHookExecutionId": "test-only-hook-execution-id"},
        {"DeploymentId": "", "LifecycleEventHookExecutionId": "test-only-hook-execution-id"},
        {"DeploymentId": 7, "LifecycleEventHookExecutionId": "test-only-hook-execution-id"},
        None,
        ["d-EXAMPLE111"],
    ],
)
def test_an_event_without_the_ids_raises_and_reports_nothing(aws: Aws, event: Any) -> None:
    with pytest.raises(ValueError, match="the event has no DeploymentId and LifecycleEventHookExecutionId"):
        aws.run(event=event)
    assert aws.read_timeouts == []
    aws.assert_consumed()  # nothing was stubbed, so nothing was called


def test_a_failed_report_raises(aws: Aws) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.deployments.add_client_error(
        "put_lifecycle_event_hook_execution_status",
        service_error_code="LifecycleEventAlreadyCompletedException",
        expected_params={
            "deploymentId": "d-EXAMPLE111",
            "lifecycleEventHookExecutionId": "test-only-hook-execution-id",
            "status": "Succeeded",
        },
    )
    with pytest.raises(ClientError, match="LifecycleEventAlreadyCompletedException"):
        aws.run()
    aws.assert_consumed()


def test_log_lines_are_json_and_hold_no_more_than_an_excerpt_of_the_body(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "test-only-db-password-0000")  # the environment is never logged
    secret = "test-only-leaked-token-0000"
    body = json.dumps({"statusCode": 503, "body": "x" * 300 + secret}).encode()
    aws.expect_invoke(SEED, body)
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["reason"].endswith("…")
    assert len(lines[0]["reason"]) < hook.LOG_EXCERPT_CHARS + 30
    assert secret not in out
    assert "test-only-db-password-0000" not in out


def test_the_report_fits_in_the_reserve_and_an_invoke_is_never_retried() -> None:
    retries = hook.make_lambda_client(12.5).meta.config.retries
    assert retries["total_max_attempts"] == 1
    config = hook.make_codedeploy_client().meta.config
    throttled_backoff_s = 1.0  # botocore's standard mode waits up to 1 s before retrying a throttled call
    attempts = config.retries["total_max_attempts"]
    worst_s = attempts * (config.connect_timeout + config.read_timeout) + (attempts - 1) * throttled_backoff_s
    assert worst_s <= hook.REPORT_RESERVE_S


# ---------------------------------------------------------------------------- a real timeout


class _SlowLambda(JsonHandler):
    """Takes the Invoke request and answers nothing until the test is over."""

    release = threading.Event()
    paths: ClassVar[list[str]] = []  # the decoded request paths, reset by the fixture

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        type(self).paths.append(urllib.parse.unquote(self.path))
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).release.wait(30)  # far longer than any read timeout here


@pytest.fixture
def slow_lambda() -> Iterator[str]:
    _SlowLambda.release = threading.Event()
    _SlowLambda.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowLambda)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _SlowLambda.release.set()
    server.shutdown()
    server.server_close()


def test_a_version_that_does_not_answer_in_time_reports_failed_before_the_deadline(
    aws: Aws, capsys: pytest.CaptureFixture[str], slow_lambda: str
) -> None:
    # Just enough time left for a check: the read timeout is then 0.3 s over the minimum.
    minimum_s = hook.REPORT_RESERVE_S + hook.CONNECT_TIMEOUT_S + hook.MIN_READ_TIMEOUT_S
    read_timeout_s = hook.MIN_READ_TIMEOUT_S + 0.3
    aws.expect_report("Failed")
    started = time.monotonic()
    status = hook.run(
        EVENT,
        TARGET,
        int((minimum_s + 0.3) * 1000),
        functools.partial(hook.make_lambda_client, endpoint_url=slow_lambda),
        aws.codedeploy,
        now=NOW,
    )
    elapsed = time.monotonic() - started
    assert status == "Failed"
    aws.assert_consumed()
    assert elapsed < read_timeout_s + 1.0  # the 30 s wait was cut short by botocore's read timeout
    assert _SlowLambda.paths == [f"/2015-03-31/functions/{TARGET}/invocations"]  # once: no retry
    check = log_lines(capsys)[0]
    assert check["passed"] is False
    assert check["reason"].startswith("ReadTimeoutError: Read timeout on endpoint URL")
