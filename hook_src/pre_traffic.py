"""CodeDeploy pre-traffic hook: does the new backend version answer what users ask before it gets traffic?

CodeDeploy invokes it, with {"DeploymentId", "LifecycleEventHookExecutionId"}, before it shifts
any of the live alias's traffic to a new version. It invokes that version (its qualified ARN in
TARGET_FUNCTION_ARN), one request at a time, stopping at the first that fails:

1. the seed's manual payload for /health, which must answer statusCode 200;
2. the event the HTTP API really sends (payload format 2.0) for GET /health: 200;
3. the same for GET /health/ready: 200 and a JSON body whose "status" is "ready" (PostgreSQL,
   Redis and the bucket all answer the new version);
4. each of RELEASE_CHECKS in turn (a JSON list of {"method": "GET" or "HEAD", "path", "status"};
   the path may carry a query string): the status it names. A HEAD answer has no body to read.

It reports Succeeded only when every one passes. Each invoke waits as long as a user's request
may take on the backend, BACKEND_TIMEOUT_SECONDS (the first, which meets the new version's cold
start, COLD_START_S more), and never so long that the report would miss this function's own
timeout. Fail closed: a missing or malformed setting, an invoke error, a function error, an
unreadable answer, a timeout or a bug here reports Failed, never Succeeded, and always before
this function's own timeout. An event without the ids has nothing to report to and raises; so
does a failed report, and CodeDeploy then fails the deployment when the hook times out.

Runtime python3.14: the standard library and boto3 only, nothing from the project.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import boto3
from botocore.config import Config

TARGET_ENV = "TARGET_FUNCTION_ARN"
TIMEOUT_ENV = "BACKEND_TIMEOUT_SECONDS"
CHECKS_ENV = "RELEASE_CHECKS"
# A published version, never an alias or $LATEST: the alias still points at the old version.
TARGET_PATTERN = re.compile(
    r"arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:[A-Za-z0-9_-]{1,64}:\d+"
)

# Kept back from the time left for the report: CodeDeploy's client makes at most two
# attempts of (1 s connect + 1 s read) with up to 1 s backoff between them.
REPORT_RESERVE_S = 5.0
CONNECT_TIMEOUT_S = 2.0
# The HTTP API's integration timeout: an answer slower than this never reaches a client.
MAX_READ_TIMEOUT_S = 30.0
# What the new version's first invoke may spend starting, on top of its timeout (Lambda waits for
# its init before it runs the handler): config/limits.py LAMBDA_INIT_BUDGET_SECONDS, which a test
# keeps equal. The later invokes find it started.
COLD_START_S = 6.0
# Less than this to wait for an answer (a cold start included) is no check: fail without invoking.
MIN_READ_TIMEOUT_S = 1.0
LOG_EXCERPT_CHARS = 200

SEED_PAYLOAD: dict[str, Any] = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
USER_AGENT = "anigmaa-pre-traffic-hook"
API_ID = "pretraffic"  # no real API routes this request; the id only fills the event's shape

# The read timeout (seconds) for one invoke → a Lambda client that waits at most that long.
LambdaClientFor = Callable[[float], Any]

# A RELEASE_CHECKS entry, as config/keys.py accepts lambda_release_checks: read-only, with a path and
# an optional query string, and a status 100..599.
ROUTE_METHODS = ("GET", "HEAD")
ROUTE_PATH = re.compile(r"/[^\s?#]*(\?\S*)?")


class SettingError(ValueError):
    """A setting in this function's environment that is missing or malformed."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name


class Request(NamedTuple):
    """One request to send the new version, and what its answer must be."""

    name: str
    payload: dict[str, Any]
    status: int
    # The body must also be JSON whose "status" is "ready" (GET /health/ready); no other body is read.
    ready: bool = False


def make_lambda_client(read_timeout: float, *, endpoint_url: str | None = None) -> Any:
    """A Lambda client that waits ``read_timeout`` seconds for an answer and never retries."""
    # total_max_attempts counts the first try (botocore's max_attempts counts only retries):
    # 1 means a slow version is invoked once, not again after its read timeout.
    retries = {"total_max_attempts": 1, "mode": "standard"}
    config = Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=read_timeout, retries=retries)
    return boto3.client("lambda", config=config, endpoint_url=endpoint_url)


def make_codedeploy_client() -> Any:
    """A CodeDeploy client whose report fits in REPORT_RESERVE_S."""
    config = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 2, "mode": "standard"})
    return boto3.client("codedeploy", config=config)


def http_api_event(
    account: str, region: str, request_id: str, now: float, method: str = "GET", target: str = "/health"
) -> dict[str, Any]:
    """The HTTP API's payload-format-2.0 event for ``method`` ``target`` (a path and an optional query)."""
    domain = f"{API_ID}.execute-api.{region}.amazonaws.com"
    path, _, query = target.partition("?")
    # The HTTP API hands the path over decoded (lambda_src/lambda.go requestTarget), the query as sent;
    # the frame reads rawQueryString, never queryStringParameters.
    path = urllib.parse.unquote(path)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": domain, "user-agent": USER_AGENT},
        # No apiId: the event is a direct invocation (lambda:InvokeFunction, which IAM authenticated), not one
        # API Gateway forwarded, so the frame's origin check (lambda_src/origin.go) lets it through.
        "requestContext": {
            "accountId": account,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",  # TEST-NET-1: documentation only, never a real client
                "userAgent": USER_AGENT,
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }


def log(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def excerpt(text: str) -> str:
    return text if len(text) <= LOG_EXCERPT_CHARS else text[:LOG_EXCERPT_CHARS] + "…"


def describe(error: BaseException) -> str:
    return excerpt(f"{type(error).__name__}: {error}")


def read_target(value: str | None) -> re.Match[str]:
    """TARGET_FUNCTION_ARN: the new version's qualified ARN."""
    if not value:
        raise SettingError(TARGET_ENV, "not set")
    target = TARGET_PATTERN.fullmatch(value)
    if target is None:
        raise SettingError(TARGET_ENV, f"not a function version ARN: {excerpt(value)!r}")
    return target


def read_backend_timeout(value: str | None) -> int:
    """BACKEND_TIMEOUT_SECONDS: the backend function's timeout, whole seconds the HTTP API waits for."""
    if not value:
        raise SettingError(TIMEOUT_ENV, "not set")
    if not re.fullmatch(r"[0-9]{1,2}", value) or not 1 <= int(value) <= MAX_READ_TIMEOUT_S:
        raise SettingError(TIMEOUT_ENV, f"not whole seconds in 1..{MAX_READ_TIMEOUT_S:.0f}: {excerpt(value)!r}")
    return int(value)


def read_route_checks(value: str | None) -> list[tuple[str, str, int]]:
    """RELEASE_CHECKS: a JSON list of {"method", "path", "status"}, each as lambda_release_checks accepts it."""
    if value is None:
        raise SettingError(CHECKS_ENV, "not set")
    try:
        entries = json.loads(value)
    except ValueError:
        raise SettingError(CHECKS_ENV, f"not JSON: {excerpt(value)!r}") from None
    if not isinstance(entries, list):
        raise SettingError(CHECKS_ENV, f"not a JSON list: {excerpt(value)!r}")
    routes = []
    for index, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and set(entry) == {"method", "path", "status"}
            and entry["method"] in ROUTE_METHODS
            and isinstance(entry["path"], str)
            and ROUTE_PATH.fullmatch(entry["path"])
            and type(entry["status"]) is int  # not a bool, a float or a string
            and 100 <= entry["status"] <= 599
        ):
            reason = f'[{index}] is not {{"method": "GET" or "HEAD", "path": "/…", "status": 100..599}}'
            raise SettingError(CHECKS_ENV, f"{reason}: {excerpt(json.dumps(entry))}")
        routes.append((entry["method"], entry["path"], entry["status"]))
    return routes


def requests_to_send(
    target: re.Match[str], routes: list[tuple[str, str, int]], request_id: str, now: float
) -> list[Request]:
    """/health twice (the seed's payload, the HTTP API's event), /health/ready, then each route check."""

    def event(method: str, path: str) -> dict[str, Any]:
        return http_api_event(target["account"], target["region"], request_id, now, method, path)

    return [
        Request("seed payload", SEED_PAYLOAD, 200),
        Request("HTTP API GET /health", event("GET", "/health"), 200),
        Request("HTTP API GET /health/ready", event("GET", "/health/ready"), 200, ready=True),
        *(Request(f"HTTP API {method} {path}", event(method, path), status) for method, path, status in routes),
    ]


def judge(answer: dict[str, Any], body: str, request: Request) -> tuple[bool, str]:
    """Passed and why, for one Invoke answer and its payload."""
    if answer.get("StatusCode") != 200:
        return False, f"Invoke StatusCode {answer.get('StatusCode')}"
    if answer.get("FunctionError"):
        return False, f"FunctionError {answer['FunctionError']}: {excerpt(body)}"
    try:
        document = json.loads(body)
        status = document.get("statusCode")
    except (ValueError, AttributeError):
        return False, f"payload is not a JSON object: {excerpt(body)}"
    if status != request.status:
        return False, f"statusCode {status!r}, expected {request.status}: {excerpt(body)}"
    if not request.ready:
        return True, f"statusCode {status}"
    return readiness(document)


def readiness(document: dict[str, Any]) -> tuple[bool, str]:
    """Passed and why, for the response document of GET /health/ready."""
    content: Any = document.get("body")
    try:
        if document.get("isBase64Encoded") is True:
            content = base64.b64decode(content, validate=True).decode("utf-8")
        status = json.loads(content).get("status")
    except (TypeError, ValueError, AttributeError):  # no body, not base64, not UTF-8, not a JSON object
        return False, f"body is not a JSON object: {excerpt(str(content))}"
    if status != "ready":
        return False, f'body status {status!r}, not "ready": {excerpt(str(content))}'
    return True, 'statusCode 200, body status "ready"'


def check(request: Request, arn: str, wait: float, deadline: float, client_for: LambdaClientFor) -> tuple[bool, str]:
    """Invoke the version once, waiting up to ``wait`` seconds but no longer than the deadline allows."""
    left = deadline - time.monotonic()
    read_timeout = min(wait, MAX_READ_TIMEOUT_S, left - REPORT_RESERVE_S - CONNECT_TIMEOUT_S)
    if read_timeout < MIN_READ_TIMEOUT_S:
        return False, f"too little time left to invoke: {int(left * 1000)} ms"
    try:
        answer = client_for(read_timeout).invoke(
            FunctionName=arn, InvocationType="RequestResponse", Payload=json.dumps(request.payload).encode()
        )
        # The response document: its status and headers, and a body (none for HEAD).
        body = answer["Payload"].read().decode("utf-8", "replace")
    except Exception as error:  # a timeout, a refused call, a broken stream: all fail the check
        return False, describe(error)
    return judge(answer, body, request)


def checks_pass(
    deployment_id: str, environment: Mapping[str, str], deadline: float, client_for: LambdaClientFor, now: float
) -> bool:
    """Read the settings, then run the checks in turn, logging each; stop at the first failure (the
    verdict is then Failed, and a hanging version would spend the rest of the time a second time)."""
    try:
        target = read_target(environment.get(TARGET_ENV))
        backend_timeout = read_backend_timeout(environment.get(TIMEOUT_ENV))
        routes = read_route_checks(environment.get(CHECKS_ENV))
    except SettingError as error:
        log(deployment_id=deployment_id, check=error.name, passed=False, reason=str(error))
        return False
    requests = requests_to_send(target, routes, f"pre-traffic-{deployment_id}", now)
    for position, request in enumerate(requests):
        wait = backend_timeout + (COLD_START_S if position == 0 else 0)
        passed, reason = check(request, target.group(), wait, deadline, client_for)
        log(deployment_id=deployment_id, check=request.name, passed=passed, reason=reason)
        if not passed:
            return False
    return True


def run(
    event: Any,
    environment: Mapping[str, str],
    remaining_ms: int,
    lambda_client: LambdaClientFor,
    codedeploy_client: Any,
    *,
    now: float | None = None,
) -> str:
    """Check the target version (settings from ``environment``) and report the verdict to CodeDeploy;
    returns the status reported."""
    fields = event if isinstance(event, dict) else {}
    deployment_id, execution_id = fields.get("DeploymentId"), fields.get("LifecycleEventHookExecutionId")
    if not (isinstance(deployment_id, str) and deployment_id and isinstance(execution_id, str) and execution_id):
        # Nothing to report to; CodeDeploy never sends such an event.
        raise ValueError("the event has no DeploymentId and LifecycleEventHookExecutionId: not sent by CodeDeploy?")
    deadline = time.monotonic() + remaining_ms / 1000
    try:
        passed = checks_pass(deployment_id, environment, deadline, lambda_client, time.time() if now is None else now)
    except Exception as error:  # a bug in the checks is a failed check, never a pass
        log(deployment_id=deployment_id, check="hook", passed=False, reason=describe(error))
        passed = False
    status = "Succeeded" if passed else "Failed"
    log(deployment_id=deployment_id, outcome=status, target=excerpt(environment.get(TARGET_ENV) or ""))
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id, lifecycleEventHookExecutionId=execution_id, status=status
    )
    return status


def handler(event: Any, context: Any) -> dict[str, str]:
    """The Lambda entry point."""
    reporter = make_codedeploy_client()
    remaining_ms = context.get_remaining_time_in_millis()  # after building a client: that time is spent
    return {"status": run(event, os.environ, remaining_ms, make_lambda_client, reporter)}
