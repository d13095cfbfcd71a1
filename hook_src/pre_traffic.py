"""CodeDeploy pre-traffic hook: does the new backend version answer GET /health before it gets traffic?

CodeDeploy invokes it, with {"DeploymentId", "LifecycleEventHookExecutionId"}, before it shifts
any of the live alias's traffic to a new version. It invokes that version (its qualified ARN in
TARGET_FUNCTION_ARN) with the seed's manual payload, then with the event the HTTP API really
sends, and reports Succeeded only when both answer statusCode 200. Fail closed: a missing
setting, an invoke error, a function error, an unreadable answer, a timeout or a bug here
reports Failed, never Succeeded, and always before this function's own timeout. An event
without the ids has nothing to report to and raises; so does a failed report, and CodeDeploy
then fails the deployment when the hook times out.

Runtime python3.14: the standard library and boto3 only, nothing from the project.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

TARGET_ENV = "TARGET_FUNCTION_ARN"
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
# Less than this to wait for an answer (a cold start included) is no check: fail without invoking.
MIN_READ_TIMEOUT_S = 1.0
LOG_EXCERPT_CHARS = 200

SEED_PAYLOAD: dict[str, Any] = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
USER_AGENT = "anigmaa-pre-traffic-hook"
API_ID = "pretraffic"  # no real API routes this request; the id only fills the event's shape

# The read timeout (seconds) for one invoke → a Lambda client that waits at most that long.
LambdaClientFor = Callable[[float], Any]


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


def http_api_event(account: str, region: str, request_id: str, now: float) -> dict[str, Any]:
    """The HTTP API's payload-format-2.0 event for GET /health."""
    domain = f"{API_ID}.execute-api.{region}.amazonaws.com"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/health",
        "rawQueryString": "",
        "headers": {"host": domain, "user-agent": USER_AGENT},
        "requestContext": {
            "accountId": account,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": "GET",
                "path": "/health",
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


def judge(answer: dict[str, Any], body: str) -> tuple[bool, str]:
    """Passed and why, for one Invoke answer and its payload."""
    if answer.get("StatusCode") != 200:
        return False, f"Invoke StatusCode {answer.get('StatusCode')}"
    if answer.get("FunctionError"):
        return False, f"FunctionError {answer['FunctionError']}: {excerpt(body)}"
    try:
        status = json.loads(body).get("statusCode")
    except (ValueError, AttributeError):
        return False, f"payload is not a JSON object: {excerpt(body)}"
    return (True, "statusCode 200") if status == 200 else (False, f"statusCode {status!r}: {excerpt(body)}")


def check(payload: dict[str, Any], arn: str, deadline: float, client_for: LambdaClientFor) -> tuple[bool, str]:
    """Invoke the version once with ``payload``, waiting no longer than the deadline allows."""
    left = deadline - time.monotonic()
    read_timeout = min(MAX_READ_TIMEOUT_S, left - REPORT_RESERVE_S - CONNECT_TIMEOUT_S)
    if read_timeout < MIN_READ_TIMEOUT_S:
        return False, f"too little time left to invoke: {int(left * 1000)} ms"
    try:
        answer = client_for(read_timeout).invoke(
            FunctionName=arn, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
        body = answer["Payload"].read().decode("utf-8", "replace")
    except Exception as error:  # a timeout, a refused call, a broken stream: all fail the check
        return False, describe(error)
    return judge(answer, body)


def checks_pass(deployment_id: str, arn: str | None, deadline: float, client_for: LambdaClientFor, now: float) -> bool:
    """Run the checks in turn, logging each; stop at the first failure (the verdict is then
    Failed, and a hanging version would spend the rest of the time a second time)."""
    target = TARGET_PATTERN.fullmatch(arn or "")
    if target is None:
        reason = f"not a function version ARN: {excerpt(arn)!r}" if arn else "not set"
        log(deployment_id=deployment_id, check=TARGET_ENV, passed=False, reason=reason)
        return False
    request_id = f"pre-traffic-{deployment_id}"
    checks = {
        "seed payload": SEED_PAYLOAD,
        "HTTP API GET /health": http_api_event(target["account"], target["region"], request_id, now),
    }
    for name, payload in checks.items():
        passed, reason = check(payload, target.group(), deadline, client_for)
        log(deployment_id=deployment_id, check=name, passed=passed, reason=reason)
        if not passed:
            return False
    return True


def run(
    event: Any,
    target_arn: str | None,
    remaining_ms: int,
    lambda_client: LambdaClientFor,
    codedeploy_client: Any,
    *,
    now: float | None = None,
) -> str:
    """Check the target version and report the verdict to CodeDeploy; returns the status reported."""
    fields = event if isinstance(event, dict) else {}
    deployment_id, execution_id = fields.get("DeploymentId"), fields.get("LifecycleEventHookExecutionId")
    if not (isinstance(deployment_id, str) and deployment_id and isinstance(execution_id, str) and execution_id):
        # Nothing to report to; CodeDeploy never sends such an event.
        raise ValueError("the event has no DeploymentId and LifecycleEventHookExecutionId: not sent by CodeDeploy?")
    deadline = time.monotonic() + remaining_ms / 1000
    try:
        passed = checks_pass(deployment_id, target_arn, deadline, lambda_client, time.time() if now is None else now)
    except Exception as error:  # a bug in the checks is a failed check, never a pass
        log(deployment_id=deployment_id, check="hook", passed=False, reason=describe(error))
        passed = False
    status = "Succeeded" if passed else "Failed"
    log(deployment_id=deployment_id, outcome=status, target=excerpt(target_arn or ""))
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id, lifecycleEventHookExecutionId=execution_id, status=status
    )
    return status


def handler(event: Any, context: Any) -> dict[str, str]:
    """The Lambda entry point."""
    reporter = make_codedeploy_client()
    remaining_ms = context.get_remaining_time_in_millis()  # after building a client: that time is spent
    return {"status": run(event, os.environ.get(TARGET_ENV), remaining_ms, make_lambda_client, reporter)}
