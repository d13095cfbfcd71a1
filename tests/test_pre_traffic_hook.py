"""The CodeDeploy pre-traffic hook against stubbed boto3 clients, and a slow Lambda on loopback."""

from __future__ import annotations

import base64
import copy
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
BACKEND_TIMEOUT_S = 24  # prod's and dev's lambda_timeout
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
READY_REPORT = {"status": "ready", "checks": {"postgres": {"status": "up", "latency_ms": 3}}}
NOT_READY_REPORT = {"status": "not_ready", "checks": {"postgres": {"status": "down", "latency_ms": 2000}}}


def api_event(method: str, path: str, query: str = "") -> dict[str, Any]:
    """HTTP_API_EVENT for another request: the fields the HTTP API fills from the method and the target."""
    event: dict[str, Any] = copy.deepcopy(HTTP_API_EVENT)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = query
    return event


READY_EVENT = api_event("GET", "/health/ready")


def response(status: int, body: Any = None, *, base64_body: bool = False) -> bytes:
    """The frame's response document for ``status`` and a JSON ``body`` (none: no body, as for HEAD)."""
    document: dict[str, Any] = {"statusCode": status, "headers": {"content-type": "application/json"}}
    if body is not None:
        text = json.dumps(body)
        document["body"] = base64.b64encode(text.encode()).decode() if base64_body else text
        document["isBase64Encoded"] = base64_body
    return json.dumps(document).encode()


READY = response(200, READY_REPORT)


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

    def expect_health(self) -> None:
        """The three checks every release passes before its route checks."""
        self.expect_invoke(SEED, HEALTHY)
        self.expect_invoke(HTTP_API_EVENT, HEALTHY)
        self.expect_invoke(READY_EVENT, READY)

    def expect_report(self, status: str) -> None:
        params = {
            "deploymentId": EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"],
            "status": status,
        }
        self.deployments.add_response(
            "put_lifecycle_event_hook_execution_status", {"lifecycleEventHookExecutionId": "x"}, params
        )

    def run(
        self,
        *,
        event: Any = EVENT,
        target: str | None = TARGET,
        timeout: str | None = str(BACKEND_TIMEOUT_S),
        checks: str | None = "[]",
        remaining_ms: int = 120_000,
    ) -> str:
        """The hook, with each setting given (None: not in its environment)."""
        settings = {"TARGET_FUNCTION_ARN": target, "BACKEND_TIMEOUT_SECONDS": timeout, "RELEASE_CHECKS": checks}
        environment = {name: value for name, value in settings.items() if value is not None}
        status: str = hook.run(event, environment, remaining_ms, self.client_for, self.codedeploy, now=NOW)
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


def test_a_healthy_and_ready_version_passes_the_three_health_checks_and_succeeded_is_reported(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_health()
    aws.expect_report("Succeeded")
    assert aws.run() == "Succeeded"
    aws.assert_consumed()
    # Each wait is the backend's timeout, the first (the new version's cold start) 6 s more: what a
    # user's request may take, well inside the time left minus the reserve.
    assert aws.read_timeouts == [BACKEND_TIMEOUT_S + hook.COLD_START_S, BACKEND_TIMEOUT_S, BACKEND_TIMEOUT_S]
    assert log_lines(capsys) == [
        {"deployment_id": "d-EXAMPLE111", "check": "seed payload", "passed": True, "reason": "statusCode 200"},
        {"deployment_id": "d-EXAMPLE111", "check": "HTTP API GET /health", "passed": True, "reason": "statusCode 200"},
        {
            "deployment_id": "d-EXAMPLE111",
            "check": "HTTP API GET /health/ready",
            "passed": True,
            "reason": 'statusCode 200, body status "ready"',
        },
        {"deployment_id": "d-EXAMPLE111", "outcome": "Succeeded", "target": TARGET},
    ]


def test_the_cold_start_allowance_is_the_configurations() -> None:
    """The hook's extra wait on its first invoke is the init budget the configuration gives a cold start."""
    from config.limits import HTTP_API_MAX_TIMEOUT_SECONDS, LAMBDA_INIT_BUDGET_SECONDS, LAMBDA_MAX_TIMEOUT_SECONDS

    assert hook.COLD_START_S == LAMBDA_INIT_BUDGET_SECONDS
    assert hook.MAX_READ_TIMEOUT_S == HTTP_API_MAX_TIMEOUT_SECONDS
    # The longest lambda_timeout with its cold start is still a wait the HTTP API makes.
    assert LAMBDA_MAX_TIMEOUT_SECONDS + hook.COLD_START_S <= hook.MAX_READ_TIMEOUT_S


def test_each_wait_leaves_the_reserve_for_the_report(aws: Aws) -> None:
    aws.expect_health()
    aws.expect_report("Succeeded")
    assert aws.run(remaining_ms=20_000) == "Succeeded"
    budget = 20.0 - hook.REPORT_RESERVE_S - hook.CONNECT_TIMEOUT_S
    assert all(budget - 0.5 < timeout <= budget for timeout in aws.read_timeouts)
    # Each later check waits only for what is left.
    assert aws.read_timeouts[2] <= aws.read_timeouts[1] <= aws.read_timeouts[0]


@pytest.mark.parametrize(
    ("body", "function_error", "reason"),
    [
        (b'{"statusCode": 503, "body": "{\\"status\\":\\"down\\"}"}', None, "statusCode 503, expected 200"),
        (
            b'{"errorMessage": "panic: nil map", "errorType": "Runtime.ExitError"}',
            "Unhandled",
            "FunctionError Unhandled",
        ),
        (b"<html>bad gateway</html>", None, "payload is not a JSON object"),
        (b'[{"statusCode": 200}]', None, "payload is not a JSON object"),
        (b'{"statusCode": "200"}', None, "statusCode '200', expected 200"),  # a string is not a status
    ],
    ids=["status-503", "function-error", "not-json", "json-array", "string-status"],
)
def test_a_failing_first_check_reports_failed_and_no_other_is_run(
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


def test_a_version_that_is_not_ready_reports_failed_and_no_later_check_runs(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    """/health passes (the process serves), /health/ready answers 503: a dependency does not answer it."""
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.expect_invoke(READY_EVENT, response(503, NOT_READY_REPORT))
    aws.expect_report("Failed")
    checks = json.dumps([{"method": "GET", "path": "/events?limit=1", "status": 200}])
    assert aws.run(checks=checks) == "Failed"
    aws.assert_consumed()
    assert len(aws.read_timeouts) == 3  # the route check was never invoked
    *_, ready, outcome = log_lines(capsys)
    assert (ready["check"], ready["passed"]) == ("HTTP API GET /health/ready", False)
    assert ready["reason"].startswith("statusCode 503, expected 200: ")
    assert '\\"status\\": \\"not_ready\\"' in ready["reason"]
    assert outcome["outcome"] == "Failed"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (response(200, {"status": "ok"}), "body status 'ok', not \"ready\""),
        (response(200, {"status": "not_ready", "checks": {}}), "body status 'not_ready', not \"ready\""),
        (response(200, {"checks": {}}), 'body status None, not "ready"'),
        (response(200, ["ready"]), "body is not a JSON object"),
        (response(200), "body is not a JSON object"),  # no body at all
        (b'{"statusCode": 200, "body": "ready"}', "body is not a JSON object"),
        (b'{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}', "body is not a JSON object"),
    ],
    ids=["status-ok", "status-not-ready", "no-status", "json-array", "no-body", "not-json", "bad-base64"],
)
def test_a_200_from_health_ready_without_a_ready_body_reports_failed(
    aws: Aws, capsys: pytest.CaptureFixture[str], answer: bytes, reason: str
) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.expect_invoke(READY_EVENT, answer)
    aws.expect_report("Failed")
    assert aws.run() == "Failed"
    aws.assert_consumed()
    ready = log_lines(capsys)[2]
    assert (ready["check"], ready["passed"]) == ("HTTP API GET /health/ready", False)
    assert ready["reason"].startswith(reason)


def test_a_ready_body_the_frame_sent_as_base64_passes(aws: Aws) -> None:
    aws.expect_invoke(SEED, HEALTHY)
    aws.expect_invoke(HTTP_API_EVENT, HEALTHY)
    aws.expect_invoke(READY_EVENT, response(200, READY_REPORT, base64_body=True))
    aws.expect_report("Succeeded")
    assert aws.run() == "Succeeded"
    aws.assert_consumed()


# Read-only requests as lambda_release_checks gives them, with the HTTP API events they become.
ROUTE_CHECKS = [
    {"method": "GET", "path": "/events?limit=1&sort=-date", "status": 200},
    {"method": "HEAD", "path": "/events", "status": 200},
    {"method": "GET", "path": "/admin/users", "status": 401},  # a status other than 200 is what it says
    {"method": "GET", "path": "/tags/caf%C3%A9", "status": 200},  # the HTTP API decodes the path
]
ROUTE_EVENTS = [
    api_event("GET", "/events", "limit=1&sort=-date"),
    api_event("HEAD", "/events"),
    api_event("GET", "/admin/users"),
    api_event("GET", "/tags/café"),
]


def test_every_route_check_passes_in_order_and_succeeded_is_reported(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_health()
    aws.expect_invoke(ROUTE_EVENTS[0], response(200, {"events": []}))
    aws.expect_invoke(ROUTE_EVENTS[1], response(200))  # HEAD: no body, and none is read
    aws.expect_invoke(ROUTE_EVENTS[2], response(401, {"error": "unauthorized"}))
    aws.expect_invoke(ROUTE_EVENTS[3], response(200, {"tag": "café"}))
    aws.expect_report("Succeeded")
    assert aws.run(checks=json.dumps(ROUTE_CHECKS)) == "Succeeded"
    aws.assert_consumed()
    # Each route check waits the backend's timeout, as a user's request would.
    assert aws.read_timeouts[3:] == [BACKEND_TIMEOUT_S] * 4
    lines = log_lines(capsys)
    assert [(line.get("check"), line.get("passed"), line.get("reason")) for line in lines[3:]] == [
        ("HTTP API GET /events?limit=1&sort=-date", True, "statusCode 200"),
        ("HTTP API HEAD /events", True, "statusCode 200"),
        ("HTTP API GET /admin/users", True, "statusCode 401"),
        ("HTTP API GET /tags/caf%C3%A9", True, "statusCode 200"),
        (None, None, None),
    ]
    assert lines[-1]["outcome"] == "Succeeded"


def test_a_head_check_passes_on_its_status_alone(aws: Aws) -> None:
    aws.expect_health()
    aws.expect_invoke(api_event("HEAD", "/events"), b'{"statusCode": 200, "headers": {"content-length": "0"}}')
    aws.expect_report("Succeeded")
    assert aws.run(checks=json.dumps([ROUTE_CHECKS[1]])) == "Succeeded"
    aws.assert_consumed()


def test_a_route_check_with_the_wrong_status_reports_failed_and_stops(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_health()
    aws.expect_invoke(ROUTE_EVENTS[0], response(404, {"error": "not_found"}))
    aws.expect_report("Failed")
    assert aws.run(checks=json.dumps(ROUTE_CHECKS)) == "Failed"
    aws.assert_consumed()
    assert len(aws.read_timeouts) == 4  # the three health checks and the first route check, no more
    *_, route, outcome = log_lines(capsys)
    assert (route["check"], route["passed"]) == ("HTTP API GET /events?limit=1&sort=-date", False)
    assert route["reason"].startswith("statusCode 404, expected 200: ")
    assert outcome["outcome"] == "Failed"


def test_a_route_check_answered_by_the_frames_deadline_reports_failed(aws: Aws) -> None:
    """The frame answers 504 itself at the request's deadline: a slow route fails the release."""
    aws.expect_health()
    aws.expect_invoke(ROUTE_EVENTS[0], response(504, {"error": "deadline_exceeded"}))
    aws.expect_report("Failed")
    assert aws.run(checks=json.dumps(ROUTE_CHECKS[:1])) == "Failed"
    aws.assert_consumed()


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("RELEASE_CHECKS", None, "not set"),
        ("RELEASE_CHECKS", "", "not JSON"),
        ("RELEASE_CHECKS", "GET /events 200", "not JSON"),
        ("RELEASE_CHECKS", '{"method": "GET", "path": "/events", "status": 200}', "not a JSON list"),
        ("RELEASE_CHECKS", '["GET /events 200"]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "POST", "path": "/events", "status": 201}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "get", "path": "/events", "status": 200}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "events", "status": 200}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/a b", "status": 200}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events#top", "status": 200}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events", "status": "200"}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events", "status": 200.0}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events", "status": true}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events", "status": 700}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/events"}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/e", "status": 200, "body": "x"}]', "[0] is not"),
        ("RELEASE_CHECKS", '[{"method": "GET", "path": "/e", "status": 200}, null]', "[1] is not"),
        ("BACKEND_TIMEOUT_SECONDS", None, "not set"),
        ("BACKEND_TIMEOUT_SECONDS", "", "not set"),
        ("BACKEND_TIMEOUT_SECONDS", "0", "not whole seconds in 1..30"),
        ("BACKEND_TIMEOUT_SECONDS", "31", "not whole seconds in 1..30"),
        ("BACKEND_TIMEOUT_SECONDS", "900", "not whole seconds in 1..30"),
        ("BACKEND_TIMEOUT_SECONDS", "24.5", "not whole seconds in 1..30"),
        ("BACKEND_TIMEOUT_SECONDS", " 24", "not whole seconds in 1..30"),
        ("BACKEND_TIMEOUT_SECONDS", "twenty", "not whole seconds in 1..30"),
    ],
)
def test_a_missing_or_malformed_setting_reports_failed_without_invoking(
    aws: Aws, capsys: pytest.CaptureFixture[str], setting: str, value: str | None, reason: str
) -> None:
    aws.expect_report("Failed")
    if setting == "RELEASE_CHECKS":
        assert aws.run(checks=value) == "Failed"
    else:
        assert aws.run(timeout=value) == "Failed"
    aws.assert_consumed()
    assert aws.read_timeouts == []  # a setting that cannot be read stops the hook before any invoke
    check, outcome = log_lines(capsys)
    assert (check["check"], check["passed"]) == (setting, False)
    assert check["reason"].startswith(reason)
    assert outcome["outcome"] == "Failed"


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


def test_the_handler_reads_its_settings_from_the_environment(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hook, "make_codedeploy_client", lambda: aws.codedeploy)
    monkeypatch.setattr(hook, "make_lambda_client", aws.client_for)
    monkeypatch.setenv("TARGET_FUNCTION_ARN", TARGET)
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "10")
    monkeypatch.setenv("RELEASE_CHECKS", json.dumps([ROUTE_CHECKS[1]]))
    aws.expect_invoke(SEED, HEALTHY)
    # The HTTP API events carry the time of the call: only their shape is pinned elsewhere.
    for answer in (HEALTHY, READY, response(200)):
        aws.lambdas.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))},
            {"FunctionName": TARGET, "InvocationType": "RequestResponse", "Payload": ANY},
        )
    aws.expect_report("Succeeded")
    assert hook.handler(EVENT, _Context()) == {"status": "Succeeded"}
    aws.assert_consumed()
    assert aws.read_timeouts == [10 + hook.COLD_START_S, 10, 10, 10]  # its timeout, and the route check ran


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
    aws.expect_health()
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
    assert len(lines[0]["reason"]) < hook.LOG_EXCERPT_CHARS + 40  # a short prefix and the excerpt
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
    environment = {"TARGET_FUNCTION_ARN": TARGET, "BACKEND_TIMEOUT_SECONDS": "24", "RELEASE_CHECKS": "[]"}
    status = hook.run(
        EVENT,
        environment,
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
