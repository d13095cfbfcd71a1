"""Smoke-test a deployed environment: is the backend up, through every way it is reached?

Usage: python -m tools.ops.smoke --env prod [--sample 40]

For each compute stack that is deployed (both during a switch or a split), it reads the
stack's outputs and checks: the function's live alias answers the seed's manual invoke
payload (Lambda), and GET /health and /health/ready answer through the API endpoint
(Lambda) or the load balancer (ECS); with a custom domain, the same through the domain. It
prints a pass/fail table and exits 1 when any check fails. The rollback runbook runs it
between steps.

When the edge stack shares the domain between the two (ServedBy: split), both compute
stacks must be deployed, and it also sends --sample requests to GET /health through the
domain, each on a fresh connection, and counts which platform answered each: API Gateway's
HTTP API adds an apigw-requestid header to every response it returns, the load balancer
does not. That check passes when every request got a 200. The share is reported next to
LambdaWeight, never judged against it: one client's resolver caches one DNS answer for the
record's TTL (60 s for these alias targets), so one machine's sample mostly sees one side.

With edge protection enforced (edge_protection on), the load balancer takes HTTPS from
CloudFront's addresses only and both paths refuse a request without the origin secret, so no
path's own address can answer from here: it checks the function's live alias as above (a
direct invocation, which the origin check exempts), then GET /health and /health/ready once
through the domain, where CloudFront's function picks each request's path by the weights the
cdn stack (us-east-1) reports in its OriginWeights output.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from config import AppConfig
from config.backend import LIVE_ALIAS
from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors

SEED_PAYLOAD = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
HTTP_TIMEOUT = 10
# API Gateway's HTTP API sets this on every response it returns, its own errors included;
# the load balancer's responses do not carry it.
API_GATEWAY_HEADER = "apigw-requestid"
SAMPLE_DEFAULT = 40
SAMPLE_RANGE = range(1, 1001)


@dataclass(frozen=True)
class Result:
    check: str
    target: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Answer:
    """What one GET got back; status 0 means no answer, and the body then says why."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


# GET a URL, optionally connecting to another address (the load balancer) while still
# presenting the URL's host name for TLS and Host:.
Fetch = Callable[[str, str | None], Answer]


class _Connection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with the certificate checked for ``server_name``."""

    def __init__(self, address: str, server_name: str, context: ssl.SSLContext) -> None:
        super().__init__(address, timeout=HTTP_TIMEOUT, context=context)
        self._server_name = server_name
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._server_name)


def http_get(url: str, via: str | None = None, context: ssl.SSLContext | None = None) -> Answer:
    """GET ``url`` on a connection of its own (an HTTP error status is an answer, not an exception).

    A fresh connection resolves the name again, so a weighted record can answer differently.
    """
    context = context or ssl.create_default_context()
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection | None = None
    try:
        if parts.scheme == "https":
            connection = _Connection(via or parts.netloc, host, context)
        else:
            connection = http.client.HTTPConnection(via or parts.netloc, timeout=HTTP_TIMEOUT)
        headers = {"Host": parts.netloc, "User-Agent": "anigmaa-smoke", "Connection": "close"}
        connection.request("GET", parts.path or "/", headers=headers)
        response = connection.getresponse()
        received = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, response.read(2048).decode("utf-8", "replace"), received)
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, str(error))
    finally:
        if connection is not None:
            connection.close()


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
    health = fetch(f"{base}/health", via)
    results.append(Result("GET /health", label, health.status == 200, f"{health.status} {health.body.strip()[:60]}"))
    ready = fetch(f"{base}/health/ready", via)
    try:
        report = json.loads(ready.body)
        states = ", ".join(f"{k} {v.get('status')}" for k, v in report.get("checks", {}).items())
    except (ValueError, AttributeError):
        states = ready.body.strip()[:60]
    results.append(Result("GET /health/ready", label, ready.status == 200, f"{ready.status} {states}"))
    return results


def check_function(lambda_client: Any, function_name: str) -> Result:
    """Invoke the live alias with the seed's payload; it must answer statusCode 200."""
    target = f"{function_name}:{LIVE_ALIAS}"
    try:
        answer = lambda_client.invoke(
            FunctionName=function_name, Qualifier=LIVE_ALIAS, Payload=json.dumps(SEED_PAYLOAD).encode()
        )
    except lambda_client.exceptions.ResourceNotFoundException:
        detail = f"not found: deploy the Lambda stack with this version of the app (it serves alias {LIVE_ALIAS})"
        return Result("invoke seed payload", target, False, detail)
    payload = answer["Payload"].read().decode("utf-8", "replace")
    if answer.get("FunctionError"):
        return Result("invoke seed payload", target, False, f"function error: {payload[:80]}")
    try:
        status = json.loads(payload).get("statusCode")
    except (ValueError, AttributeError):
        status = None
    return Result("invoke seed payload", target, status == 200, f"statusCode {status}")


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f}%)"


def check_share(base: str, label: str, lambda_weight: str, sample: int, fetch: Fetch) -> Result:
    """GET /health ``sample`` times through the split domain and count the platform that answered each.

    Passes when every request got a 200. The share is reported, not judged: one client's
    resolver caches one DNS answer for the record's TTL, so one machine mostly sees one side.
    """
    answered = {"lambda": 0, "ecs": 0}
    failures: list[str] = []
    for _ in range(sample):
        answer = fetch(f"{base.rstrip('/')}/health", None)
        platform = "lambda" if API_GATEWAY_HEADER in answer.headers else "ecs"
        if answer.status == 200:
            answered[platform] += 1
        elif answer.status == 0:
            failures.append(f"no answer: {answer.body.strip()[:60]}")
        else:
            failures.append(f"{answer.status} from {platform}")
    shares = [f"{platform} {_share(count, sample)}" for platform, count in answered.items()]
    if failures:
        shares.append(f"failed {len(failures)}/{sample} (first: {failures[0]})")
    detail = f"{', '.join(shares)}; lambda_weight {lambda_weight} (one resolver; see the runbook)"
    return Result("share of GET /health", label, not failures, detail)


def through_cloudfront(environment: AppConfig) -> bool:
    """Whether only CloudFront reaches the paths (edge_protection on): none answers at its own address."""
    edge = environment.api.edge
    return edge is not None and edge.enforced and environment.api.domain is not None


def check_cloudfront(environment: AppConfig, fetch: Fetch) -> list[Result]:
    """GET /health and /health/ready through the domain, once: CloudFront picks each request's path by the
    weights of the cdn stack (us-east-1), which the label names."""
    domain, region = environment.api.domain, environment.edge_region
    assert domain is not None
    assert region is not None
    name = environment.stack_name("cdn")
    outputs = stack_outputs(client("cloudformation", region), name)
    if outputs is None:
        detail = f"{name} is not deployed in {region}: CloudFront serves the domain from it"
        return [Result("GET /health", f"domain {domain.name}", False, detail)]
    weights = _output(outputs, "OriginWeights", name)
    return check_http(f"https://{domain.name}", f"domain (CloudFront picks the path: {weights})", fetch)


def run(env: str, fetch: Fetch = http_get, *, sample: int = SAMPLE_DEFAULT, root: Path = ROOT) -> list[Result]:
    environment = load_environment(env, root)
    cloudfront_only = through_cloudfront(environment)
    cloudformation = client("cloudformation", environment.region)
    results: list[Result] = []
    deployed: list[str] = []
    for mode in ("lambda", "ecs"):
        name = environment.stack_name(mode)
        outputs = stack_outputs(cloudformation, name)
        if outputs is None:
            continue
        deployed.append(mode)
        if mode == "lambda":
            lambda_client = client("lambda", environment.region)
            results.append(check_function(lambda_client, _output(outputs, "FunctionName", name)))
            if not cloudfront_only:
                results += check_http(_output(outputs, "ApiGatewayEndpoint", name), f"{name} API endpoint", fetch)
        elif not cloudfront_only:
            # Straight to the load balancer, even when the domain still points at Lambda.
            url, balancer = _output(outputs, "Url", name), _output(outputs, "LoadBalancerDnsName", name)
            results += check_http(url, f"{name} load balancer", fetch, via=balancer)
    if not deployed:
        raise AwsError(
            f"neither {environment.stack_name('lambda')} nor {environment.stack_name('ecs')} is deployed "
            f"in {environment.region}"
        )
    if cloudfront_only:
        return results + check_cloudfront(environment, fetch)
    edge_name = environment.stack_name("edge")
    edge = stack_outputs(cloudformation, edge_name)
    if edge is not None:
        served_by = edge.get("ServedBy", "?")
        url, label = _output(edge, "Url", edge_name), f"domain (→ {served_by})"
        results += check_http(url, label, fetch)
        if served_by == "split":
            missing = [environment.stack_name(mode) for mode in ("lambda", "ecs") if mode not in deployed]
            if missing:
                detail = f"ServedBy is split, but {' and '.join(missing)} is not deployed"
                results.append(Result("share of GET /health", label, False, detail))
            else:
                weight = _output(edge, "LambdaWeight", edge_name)
                results.append(check_share(url, label, weight, sample, fetch))
    return results


def render(results: list[Result], out: TextIO) -> None:
    width = max(len(r.target) for r in results)
    out.write(f"{'result':<6}  {'check':<20}  {'through':<{width}}  detail\n")
    for r in results:
        out.write(f"{'PASS' if r.passed else 'FAIL':<6}  {r.check:<20}  {r.target:<{width}}  {r.detail}\n")
    failed = sum(not r.passed for r in results)
    out.write(f"{len(results) - failed} passed, {failed} failed\n")


def _sample_size(text: str) -> int:
    accepted = f"{SAMPLE_RANGE.start}..{SAMPLE_RANGE.stop - 1}"
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; accepted: {accepted}") from None
    if size not in SAMPLE_RANGE:
        raise argparse.ArgumentTypeError(f"{size} is out of range {accepted}")
    return size


class _Parser(argparse.ArgumentParser):
    """Reports a bad argument in one line, like every other failure here (exit status 2, as argparse's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"smoke: {message}\n")


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, fetch: Fetch = http_get, root: Path = ROOT) -> int:
    parser = _Parser(prog="python -m tools.ops.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    parser.add_argument(
        "--sample",
        type=_sample_size,
        default=SAMPLE_DEFAULT,
        help=(
            f"with ServedBy split: requests through the domain to count each platform's share "
            f"({SAMPLE_RANGE.start}..{SAMPLE_RANGE.stop - 1}, default {SAMPLE_DEFAULT}); one resolver caches one "
            f"DNS answer for 60 s, so one machine mostly sees one side"
        ),
    )
    args = parser.parse_args(argv)
    try:
        with one_line_errors():
            results = run(args.env, fetch, sample=args.sample, root=root)
    except AwsError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 1
    render(results, out)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
