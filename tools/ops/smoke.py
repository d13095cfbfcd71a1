"""Smoke-test a deployed environment: is the backend up, through every way it is reached?

Usage: python -m tools.ops.smoke --env prod

For each compute stack that is deployed (both during a switch), it reads the stack's
outputs and checks: the function answers the seed's manual invoke payload (Lambda), and
GET /health and /health/ready answer through the API endpoint (Lambda) or the load
balancer (ECS); with a custom domain, the same through the domain. It prints a pass/fail
table and exits 1 when any check fails. The rollback runbook runs it between steps.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import ssl
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors

SEED_PAYLOAD = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
HTTP_TIMEOUT = 10


@dataclass(frozen=True)
class Result:
    check: str
    target: str
    passed: bool
    detail: str


# GET a URL, optionally connecting to another address (the load balancer) while still
# presenting the URL's host name for TLS and Host: (status, body); status 0 = no answer.
Fetch = Callable[[str, str | None], tuple[int, str]]


class _Connection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with the certificate checked for ``server_name``."""

    def __init__(self, address: str, server_name: str, context: ssl.SSLContext) -> None:
        super().__init__(address, timeout=HTTP_TIMEOUT, context=context)
        self._server_name = server_name
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._server_name)


def http_get(url: str, via: str | None = None, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    """Status and body of GET ``url`` (an HTTP error status is a result, not an exception)."""
    context = context or ssl.create_default_context()
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _Connection(via or parts.netloc, host, context)
        else:
            connection = http.client.HTTPConnection(via or parts.netloc, timeout=HTTP_TIMEOUT)
        connection.request("GET", parts.path or "/", headers={"Host": parts.netloc, "User-Agent": "anigmaa-smoke"})
        response = connection.getresponse()
        return response.status, response.read(2048).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, str(error)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str] | None:
    """The outputs of ``stack_name``, or None when it is not deployed."""
    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    status = stack["StackStatus"]
    if status.startswith("DELETE"):
        return None
    if status.endswith("_FAILED") or status == "ROLLBACK_COMPLETE":
        raise AwsError(f"stack {stack_name} is {status}: see its events (aws cloudformation describe-stack-events)")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _output(outputs: dict[str, str], key: str, stack_name: str) -> str:
    if key not in outputs:
        raise AwsError(f"stack {stack_name} has no output {key}: deploy it with this version of the app")
    return outputs[key]


def check_http(base: str, label: str, fetch: Fetch, via: str | None = None) -> list[Result]:
    results = []
    base = base.rstrip("/")
    status, body = fetch(f"{base}/health", via)
    results.append(Result("GET /health", label, status == 200, f"{status} {body.strip()[:60]}"))
    status, body = fetch(f"{base}/health/ready", via)
    try:
        report = json.loads(body)
        states = ", ".join(f"{k} {v.get('status')}" for k, v in report.get("checks", {}).items())
    except (ValueError, AttributeError):
        states = body.strip()[:60]
    results.append(Result("GET /health/ready", label, status == 200, f"{status} {states}"))
    return results


def check_function(lambda_client: Any, function_name: str) -> Result:
    """Invoke with the seed's payload; the function must answer statusCode 200."""
    answer = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(SEED_PAYLOAD).encode())
    payload = answer["Payload"].read().decode("utf-8", "replace")
    if answer.get("FunctionError"):
        return Result("invoke seed payload", function_name, False, f"function error: {payload[:80]}")
    try:
        status = json.loads(payload).get("statusCode")
    except (ValueError, AttributeError):
        status = None
    return Result("invoke seed payload", function_name, status == 200, f"statusCode {status}")


def run(env: str, fetch: Fetch = http_get) -> list[Result]:
    environment = load_environment(env, ROOT)
    cloudformation = client("cloudformation", environment.region)
    results: list[Result] = []
    deployed = 0
    for mode in ("lambda", "ecs"):
        name = environment.stack_name(mode)
        outputs = stack_outputs(cloudformation, name)
        if outputs is None:
            continue
        deployed += 1
        if mode == "lambda":
            lambda_client = client("lambda", environment.region)
            results.append(check_function(lambda_client, _output(outputs, "FunctionName", name)))
            results += check_http(_output(outputs, "ApiGatewayEndpoint", name), f"{name} API endpoint", fetch)
        else:
            # Straight to the load balancer, even when the domain still points at Lambda.
            url, balancer = _output(outputs, "Url", name), _output(outputs, "LoadBalancerDnsName", name)
            results += check_http(url, f"{name} load balancer", fetch, via=balancer)
    if deployed == 0:
        raise AwsError(
            f"neither {environment.stack_name('lambda')} nor {environment.stack_name('ecs')} is deployed "
            f"in {environment.region}"
        )
    edge = stack_outputs(cloudformation, environment.stack_name("edge"))
    if edge is not None:
        served_by = edge.get("ServedBy", "?")
        results += check_http(_output(edge, "Url", environment.stack_name("edge")), f"domain (→ {served_by})", fetch)
    return results


def render(results: list[Result], out: TextIO) -> None:
    width = max(len(r.target) for r in results)
    out.write(f"{'result':<6}  {'check':<20}  {'through':<{width}}  detail\n")
    for r in results:
        out.write(f"{'PASS' if r.passed else 'FAIL':<6}  {r.check:<20}  {r.target:<{width}}  {r.detail}\n")
    failed = sum(not r.passed for r in results)
    out.write(f"{len(results) - failed} passed, {failed} failed\n")


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, fetch: Fetch = http_get) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    args = parser.parse_args(argv)
    try:
        with one_line_errors():
            results = run(args.env, fetch)
    except AwsError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 1
    render(results, out)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
