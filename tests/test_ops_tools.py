"""The operations tools against moto (the real boto3 calls, AWS mocked) and a local HTTP server."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import ssl
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from moto.awslambda_simple.models import lambda_simple_backends

from config.backend import LIVE_ALIAS
from tests.fake_http import JsonHandler
from tools import ROOT
from tools.local.harness import certificates
from tools.ops import smoke
from tools.ops import ssm_secrets as secrets
from tools.ops.aws import AwsError
from tools.ops.aws import client as aws_client

REGION = "ap-southeast-1"
# Test-only values, shaped to pass each validator and obviously not real.
VALID = {
    "DB_PASSWORD": "test-only-db-password-0000",
    "JWT_SECRET": "test-only-jwt-secret-0000000000000000",
    "REDIS_PASSWORD": "test-only-redis-token-0000",
    "MIDTRANS_SERVER_KEY": "test-only-midtrans-server-key",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-only-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-only-not-a-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield


ALIAS = "alias/anigmaa-prod-secrets"


@pytest.fixture
def key(aws: None) -> str:
    """The environment's secrets key, as the network stack creates it; its ARN."""
    kms = boto3.client("kms", region_name=REGION)
    arn: str = kms.create_key(Description="test-only secrets key")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=arn)
    return arn


def run_secrets(*args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = secrets.main(list(args), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


# ---------------------------------------------------------------------------- secrets


def test_check_lists_missing_parameters_and_fails(aws: None) -> None:
    code, text = run_secrets("check", "--env", "prod")
    assert code == 1
    assert text.count("MISSING") == 4
    assert "/anigmaa/prod/DB_PASSWORD" in text
    assert "0 of 4 present" in text


def test_put_from_stdin_writes_securestrings_under_the_environments_key_and_check_passes(key: str) -> None:
    for name, value in VALID.items():
        code, text = run_secrets("put", "--env", "prod", name, stdin=value + "\n")
        assert code == 0, text
        assert text.startswith(f"wrote /anigmaa/prod/{name} (SecureString under {ALIAS}, version 1)")
    ssm = boto3.client("ssm", region_name=REGION)
    stored = ssm.get_parameter(Name="/anigmaa/prod/REDIS_PASSWORD", WithDecryption=True)["Parameter"]
    assert (stored["Type"], stored["Value"]) == ("SecureString", VALID["REDIS_PASSWORD"])
    assert {p["KeyId"] for p in ssm.describe_parameters()["Parameters"]} == {ALIAS}
    code, text = run_secrets("check", "--env", "prod")
    assert code == 0
    assert "4 of 4 present" in text
    assert text.count(f"(SecureString under {ALIAS})") == 4
    for value in VALID.values():
        assert value not in text  # check never prints values


def test_put_refuses_to_overwrite_without_the_flag(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_secrets("put", "--env", "prod", "JWT_SECRET", stdin=VALID["JWT_SECRET"])[0] == 0
    code, _ = run_secrets("put", "--env", "prod", "JWT_SECRET", stdin="test-only-another-jwt-secret-000000000")
    assert code == 1
    assert "already exists; add --overwrite" in capsys.readouterr().err
    code, text = run_secrets(
        "put", "--env", "prod", "JWT_SECRET", "--overwrite", stdin="test-only-another-jwt-secret-0000"
    )
    assert code == 0
    assert "version 2" in text


def test_a_value_on_the_command_line_is_refused_and_nothing_is_written(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run_secrets("put", "--env", "prod", "DB_PASSWORD", VALID["DB_PASSWORD"])
    assert code == 2
    assert "would land in shell history" in capsys.readouterr().err
    assert boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"] == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REDIS_PASSWORD", "short", "must be 16 to 128 characters (ElastiCache AUTH token)"),
        ("REDIS_PASSWORD", "test-only-token-with-%-sign", "may hold only letters, digits and ! & # $ ^ < > -"),
        ("DB_PASSWORD", "test only spaces", 'must be printable ASCII without / " @ or spaces (RDS)'),
        ("DB_PASSWORD", "test@only/password", 'must be printable ASCII without / " @ or spaces (RDS)'),
        ("JWT_SECRET", "too-short", "must be at least 32 characters"),
        ("MIDTRANS_SERVER_KEY", "", "must be non-empty"),
    ],
)
def test_values_a_backend_would_reject_are_refused_before_writing(
    key: str, capsys: pytest.CaptureFixture[str], name: str, value: str, message: str
) -> None:
    code, _ = run_secrets("put", "--env", "prod", name, stdin=value + "\n")
    assert code == 1
    error = capsys.readouterr().err
    assert message in error
    assert value not in error or not value  # the value itself is never echoed
    assert boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"] == []


def test_put_before_the_network_stack_made_the_key_names_the_command_and_writes_nothing(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run_secrets("put", "--env", "dev", "JWT_SECRET", stdin=VALID["JWT_SECRET"])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "secrets: alias/anigmaa-dev-secrets does not exist yet: deploy the network stack first: "
        "npx cdk deploy --exclusively Network -c env=dev; nothing was written"
    )
    assert boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"] == []


def _put_under_aws_ssm(*names: str) -> None:
    """SecureStrings as an earlier version of the tool wrote them: under the AWS-managed aws/ssm key."""
    ssm = boto3.client("ssm", region_name=REGION)
    for name in names:
        ssm.put_parameter(Name=f"/anigmaa/prod/{name}", Value=VALID[name], Type="SecureString")


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The AWS operations the secrets tool calls, in order."""
    calls: list[str] = []

    def recording_client(service: str, region: str) -> Any:
        made = aws_client(service, region)
        made.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return made

    monkeypatch.setattr(secrets, "client", recording_client)
    return calls


def test_check_reads_no_value_and_fails_on_a_secret_still_under_aws_ssm(key: str, aws_calls: list[str]) -> None:
    _put_under_aws_ssm("DB_PASSWORD")
    for name in ("JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY"):
        assert run_secrets("put", "--env", "prod", name, stdin=VALID[name])[0] == 0
    aws_calls.clear()
    code, text = run_secrets("check", "--env", "prod")
    assert code == 1
    assert "4 of 4 present" in text
    [line] = [line for line in text.splitlines() if line.startswith("REKEY")]
    assert "/anigmaa/prod/DB_PASSWORD" in line
    assert "under alias/aws/ssm" in line
    assert line.endswith(".venv/bin/python -m tools.ops.ssm_secrets rekey --env prod)")
    # Metadata only: no GetParameter(s), no KMS Decrypt.
    assert set(aws_calls) == {"DescribeKey", "DescribeParameters"}
    for value in VALID.values():
        assert value not in text
    # Once every one is under the alias, the parameters' metadata is all it reads.
    assert run_secrets("put", "--env", "prod", "DB_PASSWORD", "--overwrite", stdin=VALID["DB_PASSWORD"])[0] == 0
    aws_calls.clear()
    assert run_secrets("check", "--env", "prod")[0] == 0
    assert aws_calls == ["DescribeParameters"]


def test_check_before_the_key_exists_checks_presence_and_says_what_comes_next(aws: None) -> None:
    _put_under_aws_ssm(*VALID)
    code, text = run_secrets("check", "--env", "prod")
    assert code == 0  # an environment the key is not deployed to yet can still deploy (which creates it)
    assert text.splitlines()[-1] == (
        f"note: {ALIAS} does not exist yet, so no key is checked: deploy every stack (make deploy env=prod: the key, "
        "and the compute roles' grant to use it), then .venv/bin/python -m tools.ops.ssm_secrets rekey --env prod"
    )


def test_check_refuses_a_plain_string(key: str) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/anigmaa/prod/JWT_SECRET", Value=VALID["JWT_SECRET"], Type="String")
    code, text = run_secrets("check", "--env", "prod")
    assert code == 1
    assert "WRONG    /anigmaa/prod/JWT_SECRET  version 1  (type String: must be SecureString" in text


def test_rekey_moves_each_secret_onto_the_key_keeps_its_value_prints_none_and_can_run_again(key: str) -> None:
    _put_under_aws_ssm("DB_PASSWORD", "REDIS_PASSWORD")
    assert run_secrets("put", "--env", "prod", "JWT_SECRET", stdin=VALID["JWT_SECRET"])[0] == 0
    code, text = run_secrets("rekey", "--env", "prod")
    assert code == 1  # MIDTRANS_SERVER_KEY is missing: nothing to move
    lines = text.splitlines()
    assert f"rekeyed  /anigmaa/prod/DB_PASSWORD  (version 1 → 2, from alias/aws/ssm to {ALIAS})" in lines
    assert f"rekeyed  /anigmaa/prod/REDIS_PASSWORD  (version 1 → 2, from alias/aws/ssm to {ALIAS})" in lines
    assert f"skipped  /anigmaa/prod/JWT_SECRET  (already under {ALIAS})" in lines
    assert "MISSING  /anigmaa/prod/MIDTRANS_SERVER_KEY  (nothing to move: put it)" in lines
    assert f"2 moved, 1 already under {ALIAS}, 1 not moved" in lines
    for value in VALID.values():
        assert value not in text
    ssm = boto3.client("ssm", region_name=REGION)
    for name in ("DB_PASSWORD", "REDIS_PASSWORD"):
        stored = ssm.get_parameter(Name=f"/anigmaa/prod/{name}", WithDecryption=True)["Parameter"]
        assert (stored["Value"], stored["Version"]) == (VALID[name], 2)
    assert run_secrets("put", "--env", "prod", "MIDTRANS_SERVER_KEY", stdin=VALID["MIDTRANS_SERVER_KEY"])[0] == 0
    code, again = run_secrets("rekey", "--env", "prod")
    assert code == 0
    assert again.count("skipped") == 4
    assert again.splitlines()[-1] == f"0 moved, 4 already under {ALIAS}, 0 not moved"
    assert run_secrets("check", "--env", "prod")[0] == 0


def test_rekey_without_the_key_changes_nothing(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    _put_under_aws_ssm("DB_PASSWORD")
    assert run_secrets("rekey", "--env", "prod")[0] == 1
    assert "deploy the network stack first: npx cdk deploy --exclusively Network -c env=prod" in capsys.readouterr().err
    [parameter] = boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"]
    assert (parameter["KeyId"], parameter["Version"]) == ("alias/aws/ssm", 1)


def test_the_hidden_prompt_asks_twice_and_rejects_a_mismatch() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["first-entry", "second-entry"])
    with pytest.raises(AwsError, match="the two entries differ"):
        secrets.read_value(Terminal(), lambda _: next(answers))
    same = iter(["same-entry", "same-entry"])
    assert secrets.read_value(Terminal(), lambda _: next(same)) == "same-entry"


def test_missing_credentials_are_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # no credentials another test's session resolved
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance-metadata endpoint
    code, _ = run_secrets("check", "--env", "prod")
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == "secrets: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/…) and retry"


def test_an_unknown_environment_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_secrets("check", "--env", "staging")[0] == 1
    assert capsys.readouterr().err.strip() == "secrets: env: 'staging' is not a known environment; accepted: prod | dev"


# ---------------------------------------------------------------------------- smoke


class _Backend(JsonHandler):
    """The backend's health routes; counts the connections and requests it serves."""

    ready_status = 200
    connections = 0
    requests = 0

    def handle(self) -> None:
        type(self).connections += 1  # one handler per connection
        super().handle()

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests += 1
        if self.path == "/health":
            self.answer(200, {"status": "ok"})
        elif self.path == "/health/ready":
            state = "up" if type(self).ready_status == 200 else "down"
            status = "ready" if state == "up" else "not_ready"
            self.answer(
                type(self).ready_status,
                {"status": status, "checks": {"postgres": {"status": "up"}, "redis": {"status": state}}},
            )
        else:
            self.answer(404, {})


class _ApiGateway(_Backend):
    """The backend behind an HTTP API: every response carries the header API Gateway adds."""

    connections = 0
    requests = 0

    def end_headers(self) -> None:
        self.send_header("apigw-requestid", "test-only-request-id=")
        super().end_headers()


class _LoadBalancer(_Backend):
    """The backend behind the load balancer: no API Gateway header."""

    connections = 0
    requests = 0


@contextlib.contextmanager
def serving(handler: type[_Backend]) -> Iterator[str]:
    handler.ready_status, handler.connections, handler.requests = 200, 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def backend() -> Iterator[str]:
    with serving(_Backend) as base:
        yield base


@pytest.fixture
def api_gateway() -> Iterator[str]:
    with serving(_ApiGateway) as base:
        yield base


@pytest.fixture
def load_balancer() -> Iterator[str]:
    with serving(_LoadBalancer) as base:
        yield base


def deploy_stack(name: str, outputs: dict[str, str], region: str = REGION) -> None:
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=region).create_stack(StackName=name, TemplateBody=json.dumps(template))


def deploy_function(answer: dict[str, Any]) -> None:
    """The function and its live alias; moto's Lambda without Docker answers ``answer`` to one invoke."""
    role = boto3.client("iam", region_name=REGION).create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("bootstrap", "test")
    lambda_client = boto3.client("lambda", region_name=REGION)
    lambda_client.create_function(
        FunctionName="anigmaa-backend",
        Runtime="provided.al2023",
        Role=role["Role"]["Arn"],
        Handler="bootstrap",
        Code={"ZipFile": archive.getvalue()},
    )
    version = lambda_client.publish_version(FunctionName="anigmaa-backend")["Version"]
    lambda_client.create_alias(FunctionName="anigmaa-backend", Name=LIVE_ALIAS, FunctionVersion=version)
    lambda_simple_backends["123456789012"][REGION].lambda_simple_results_queue.append(json.dumps(answer))


def invoke_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs of the Invoke requests the smoke test's Lambda client sends (to moto).

    moto's Lambda without Docker answers any qualifier, and moto 5.2 reads the query
    parameter as ``qualifier`` where botocore sends ``Qualifier``: only the request itself
    shows which version was asked for.
    """
    urls: list[str] = []

    def spied_client(service: str, region: str) -> Any:
        made = aws_client(service, region)
        if service == "lambda":
            made.meta.events.register("before-send.lambda.Invoke", lambda request, **_: urls.append(request.url))
        return made

    monkeypatch.setattr(smoke, "client", spied_client)
    return urls


def run_smoke(*args: str, fetch: smoke.Fetch = smoke.http_get) -> tuple[int, str]:
    out = io.StringIO()
    return smoke.main(["--env", "prod", *args], out=out, fetch=fetch), out.getvalue()


def test_smoke_passes_through_the_function_and_the_api(
    aws: None, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    invokes = invoke_requests(monkeypatch)
    deploy_function({"statusCode": 200, "body": '{"status":"ok"}'})
    deploy_stack("anigmaa-prod-lambda", {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": backend})
    code, text = run_smoke()
    assert code == 0, text
    assert "PASS    invoke seed payload   anigmaa-backend:live" in text
    [url] = invokes  # the alias, never $LATEST
    assert urllib.parse.urlsplit(url).path == "/2015-03-31/functions/anigmaa-backend/invocations"
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query) == {"Qualifier": ["live"]}
    assert text.count("PASS") == 3
    assert "200 postgres up, redis up" in text
    assert text.rstrip().endswith("3 passed, 0 failed")


def _stubbed_lambda() -> tuple[Any, Any]:
    """A Lambda client answering from a Stubber, which checks each call's parameters exactly."""
    from botocore.stub import Stubber

    lambda_client = boto3.client(
        "lambda", region_name=REGION, aws_access_key_id="test-only", aws_secret_access_key="test-only"
    )
    return lambda_client, Stubber(lambda_client)


INVOKE_LIVE = {
    "FunctionName": "anigmaa-backend",
    "Qualifier": "live",
    "Payload": json.dumps(smoke.SEED_PAYLOAD).encode(),
}


def test_the_manual_invoke_addresses_the_live_alias() -> None:
    from botocore.response import StreamingBody

    lambda_client, stub = _stubbed_lambda()
    payload = json.dumps({"statusCode": 200}).encode()
    stub.add_response(
        "invoke", {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(payload), len(payload))}, INVOKE_LIVE
    )
    with stub:
        result = smoke.check_function(lambda_client, "anigmaa-backend")
    stub.assert_no_pending_responses()
    assert result == smoke.Result("invoke seed payload", "anigmaa-backend:live", True, "statusCode 200")


def test_a_missing_alias_is_one_failed_line() -> None:
    lambda_client, stub = _stubbed_lambda()
    stub.add_client_error(
        "invoke",
        "ResourceNotFoundException",
        "Function not found: arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-backend:live",
        http_status_code=404,
        expected_params=INVOKE_LIVE,
    )
    with stub:
        result = smoke.check_function(lambda_client, "anigmaa-backend")
    out = io.StringIO()
    smoke.render([result], out)
    assert out.getvalue().splitlines()[1:] == [
        "FAIL    invoke seed payload   anigmaa-backend:live  not found: deploy the Lambda stack with this version "
        "of the app (it serves alias live)",
        "0 passed, 1 failed",
    ]


def test_smoke_fails_when_a_dependency_is_down(aws: None, backend: str) -> None:
    _Backend.ready_status = 503
    deploy_function({"statusCode": 200})
    deploy_stack("anigmaa-prod-lambda", {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": backend})
    code, text = run_smoke()
    assert code == 1
    assert "FAIL    GET /health/ready" in text
    assert "503 postgres up, redis down" in text


def test_smoke_fails_when_the_function_does_not_answer_200(aws: None, backend: str) -> None:
    deploy_function({"statusCode": 502})
    deploy_stack("anigmaa-prod-lambda", {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": backend})
    code, text = run_smoke()
    assert code == 1
    assert "FAIL    invoke seed payload" in text


def test_smoke_checks_both_paths_and_the_domain_during_a_switch(aws: None, backend: str) -> None:
    deploy_function({"statusCode": 200})
    deploy_stack("anigmaa-prod-lambda", {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": backend})
    deploy_stack("anigmaa-prod-ecs", {"Url": backend, "LoadBalancerDnsName": backend.removeprefix("http://")})
    deploy_stack("anigmaa-prod-edge", {"Url": backend, "ServedBy": "ecs"})
    code, text = run_smoke()
    assert code == 0, text
    assert "anigmaa-prod-ecs load balancer" in text
    assert "domain (→ ecs)" in text
    assert "share of GET /health" not in text  # one path serves the domain: nothing to share
    assert text.rstrip().endswith("7 passed, 0 failed")


def test_smoke_reaches_the_load_balancer_itself_while_the_domain_points_elsewhere(aws: None, backend: str) -> None:
    """Before DNS moves, the ECS URL is the domain (still Lambda's): the check must go to the ALB."""
    deploy_stack(
        "anigmaa-prod-ecs",
        {"Url": "https://api.anigmaa.example", "LoadBalancerDnsName": "internal-alb.example:443"},
    )
    calls: list[tuple[str, str | None]] = []

    def fetch(url: str, via: str | None) -> smoke.Answer:
        calls.append((url, via))
        return smoke.Answer(200, '{"status": "ready", "checks": {}}')

    assert run_smoke(fetch=fetch)[0] == 0
    assert calls == [
        ("https://api.anigmaa.example/health", "internal-alb.example:443"),
        ("https://api.anigmaa.example/health/ready", "internal-alb.example:443"),
    ]


DOMAIN = "api.anigmaa.example"


class WeightedRecord:
    """Route 53's weighted answers for the domain, as a fixed sequence: each request to the
    domain goes to the next platform in ``answers`` (the real thing, over HTTP on loopback).
    A request with ``via`` goes straight to that address, as to the load balancer."""

    def __init__(self, platforms: dict[str, str], answers: list[str]) -> None:
        self.platforms = platforms
        self.answers = iter(answers)
        self.domain_requests = 0

    def __call__(self, url: str, via: str | None) -> smoke.Answer:
        parts = urllib.parse.urlsplit(url)
        if via is not None:
            return smoke.http_get(f"http://{via}{parts.path}")
        if parts.hostname != DOMAIN:
            return smoke.http_get(url)
        self.domain_requests += 1
        return smoke.http_get(self.platforms[next(self.answers)] + parts.path)


def deploy_split(api_gateway: str, load_balancer: str, *, weight: str | None = "5", ecs: bool = True) -> None:
    deploy_function({"statusCode": 200})
    deploy_stack("anigmaa-prod-lambda", {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": api_gateway})
    if ecs:
        balancer = load_balancer.removeprefix("http://")
        deploy_stack("anigmaa-prod-ecs", {"Url": f"https://{DOMAIN}", "LoadBalancerDnsName": balancer})
    edge = {"Url": f"https://{DOMAIN}", "ServedBy": "split"}
    deploy_stack("anigmaa-prod-edge", edge if weight is None else {**edge, "LambdaWeight": weight})


def test_a_split_reports_which_platform_answered_each_sampled_request(
    aws: None, api_gateway: str, load_balancer: str
) -> None:
    deploy_split(api_gateway, load_balancer)
    # The domain's two checks first (one to each side), then the 40 sampled: 3 to Lambda, 37 to ECS.
    sample = (["lambda"] + ["ecs"] * 12) * 3 + ["ecs"]
    record = WeightedRecord({"lambda": api_gateway, "ecs": load_balancer}, ["lambda", "ecs", *sample])
    code, text = run_smoke(fetch=record)
    assert code == 0, text
    assert record.domain_requests == 2 + 40
    lines = text.splitlines()
    assert lines[-2] == (
        "PASS    share of GET /health  domain (→ split)                  "
        "lambda 3/40 (8%), ecs 37/40 (92%); lambda_weight 5 (one resolver; see the runbook)"
    )
    assert lines[-1] == "8 passed, 0 failed"
    assert len({len(line.split("  domain")[0]) for line in lines if "  domain (" in line}) == 1  # aligned
    # Every request on its own connection, so each sampled one is resolved (and weighted) anew.
    for platform in (_ApiGateway, _LoadBalancer):
        assert platform.connections == platform.requests


def test_a_split_counts_a_smaller_sample(aws: None, api_gateway: str, load_balancer: str) -> None:
    deploy_split(api_gateway, load_balancer, weight="50")
    record = WeightedRecord({"lambda": api_gateway, "ecs": load_balancer}, ["ecs", "ecs", "lambda", "ecs", "lambda"])
    code, text = run_smoke("--sample", "3", fetch=record)
    assert code == 0, text
    assert "lambda 2/3 (67%), ecs 1/3 (33%); lambda_weight 50 (one resolver; see the runbook)" in text


def test_a_split_without_the_ecs_stack_fails_naming_it(aws: None, api_gateway: str, load_balancer: str) -> None:
    deploy_split(api_gateway, load_balancer, ecs=False)
    record = WeightedRecord({"lambda": api_gateway}, ["lambda"] * 2)
    code, text = run_smoke(fetch=record)
    assert code == 1
    assert (
        "FAIL    share of GET /health  domain (→ split)                  "
        "ServedBy is split, but anigmaa-prod-ecs is not deployed"
    ) in text
    assert record.domain_requests == 2  # the domain's own checks; no sample of a half-deployed split


def test_a_failed_sampled_request_fails_the_smoke(aws: None, api_gateway: str, load_balancer: str) -> None:
    deploy_split(api_gateway, load_balancer)
    answers = iter(
        [smoke.Answer(200, '{"status": "ok"}', {})] * 3
        + [smoke.Answer(503, '{"message":"Service Unavailable"}', {"apigw-requestid": "test-only="})]
        + [smoke.Answer(200, '{"status": "ok"}', {"apigw-requestid": "test-only="})] * 2
    )
    record = WeightedRecord({"lambda": api_gateway, "ecs": load_balancer}, ["ecs", "ecs"])

    def fetch(url: str, via: str | None) -> smoke.Answer:
        if url == f"https://{DOMAIN}/health" and record.domain_requests >= 1:
            return next(answers)  # the sample (after the domain's own GET /health)
        return record(url, via)

    code, text = run_smoke("--sample", "6", fetch=fetch)
    assert code == 1
    assert (
        "FAIL    share of GET /health  domain (→ split)                  lambda 2/6 (33%), ecs 3/6 (50%), "
        "failed 1/6 (first: 503 from lambda); lambda_weight 5 (one resolver; see the runbook)"
    ) in text
    assert text.rstrip().endswith("7 passed, 1 failed")


def test_a_sampled_request_without_an_answer_fails(aws: None, api_gateway: str, load_balancer: str) -> None:
    deploy_split(api_gateway, load_balancer)
    with socket.socket() as unused:  # a loopback port nothing listens on: connection refused
        unused.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{unused.getsockname()[1]}"
    platforms = {"lambda": api_gateway, "ecs": load_balancer, "nowhere": refused}
    record = WeightedRecord(platforms, ["ecs", "ecs", "ecs", "nowhere"])
    code, text = run_smoke("--sample", "2", fetch=record)
    assert code == 1
    assert "FAIL    share of GET /health" in text
    assert "lambda 0/2 (0%), ecs 1/2 (50%), failed 1/2 (first: no answer: [Errno " in text
    assert "Connection refused); lambda_weight 5 (one resolver; see the runbook)" in text


def test_a_split_edge_without_its_weight_is_one_line(
    aws: None, api_gateway: str, load_balancer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_split(api_gateway, load_balancer, weight=None)  # an edge stack from before the weight output
    record = WeightedRecord({"lambda": api_gateway, "ecs": load_balancer}, ["lambda", "ecs"])
    assert run_smoke(fetch=record)[0] == 1
    assert capsys.readouterr().err == (
        "smoke: stack anigmaa-prod-edge has no output LambdaWeight: deploy it with this version of the app\n"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "0 is out of range 1..1000"),
        ("1001", "1001 is out of range 1..1000"),
        ("abc", "'abc' is not a whole number; accepted: 1..1000"),
    ],
)
def test_a_sample_size_out_of_range_is_one_line(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        smoke.main(["--env", "prod", "--sample", value], out=io.StringIO())
    assert exited.value.code == 2
    assert capsys.readouterr().err == f"smoke: argument --sample: {message}\n"


def test_https_via_another_address_checks_the_certificate_for_the_url_host(tmp_path: Path) -> None:
    """The pinned connection: TCP to 127.0.0.1, TLS verified for 'localhost', Host: localhost."""
    with certificates(tmp_path) as certs:
        context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _ApiGateway)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        trust = ssl.create_default_context(cafile=str(certs.ca))
        try:
            answer = smoke.http_get(f"https://localhost:{port}/health", f"127.0.0.1:{port}", trust)
            assert answer.status == 200
            assert answer.headers["apigw-requestid"] == "test-only-request-id="  # names in lower case
            wrong_name = smoke.http_get(f"https://elsewhere.example:{port}/health", f"127.0.0.1:{port}", trust)
            assert wrong_name.status == 0  # certificate not valid for that name: no answer counts
            assert "certificate" in wrong_name.body.lower() or "hostname" in wrong_name.body.lower()
        finally:
            server.shutdown()
            server.server_close()


def test_smoke_reports_a_failed_stack_in_one_line() -> None:
    """moto keeps stacks CREATE_COMPLETE, so a failed creation is described by a stand-in."""
    from tools.ops.smoke import stack_outputs

    class Failed:
        class exceptions:  # noqa: N801
            ClientError = Exception

        @staticmethod
        def describe_stacks(StackName: str) -> dict[str, Any]:  # noqa: N803
            return {"Stacks": [{"StackStatus": "ROLLBACK_COMPLETE"}]}

    with pytest.raises(AwsError, match="stack anigmaa-prod-ecs is ROLLBACK_COMPLETE: see its events"):
        stack_outputs(Failed, "anigmaa-prod-ecs")


def test_smoke_says_in_one_line_when_nothing_is_deployed(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_smoke()[0] == 1
    assert capsys.readouterr().err.strip() == (
        "smoke: neither anigmaa-prod-lambda nor anigmaa-prod-ecs is deployed in ap-southeast-1"
    )


def test_smoke_names_a_missing_output(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    deploy_stack("anigmaa-prod-ecs", {"ServiceName": "anigmaa-backend"})
    assert run_smoke()[0] == 1
    assert capsys.readouterr().err.strip() == (
        "smoke: stack anigmaa-prod-ecs has no output Url: deploy it with this version of the app"
    )


def edge_project(tmp_path: Path, mode: str) -> Path:
    """A copy of cdk.json whose prod serves DOMAIN with edge_protection ``mode`` (on: CloudFront only)."""
    document = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    document["context"]["environments"]["prod"].update(
        domain_name=DOMAIN,
        hosted_zone_id="Z0EXAMPLE0ZONE0ID0000",
        hosted_zone_name="anigmaa.example",
        edge_protection=mode,
    )
    (tmp_path / "cdk.json").write_text(json.dumps(document), encoding="utf-8")
    return tmp_path


def deploy_behind_cloudfront(*, cdn: bool = True) -> None:
    """compute=split behind CloudFront: both paths at addresses of their own, the cdn stack in us-east-1."""
    deploy_function({"statusCode": 200})
    deploy_stack(
        "anigmaa-prod-lambda",
        {"FunctionName": "anigmaa-backend", "ApiGatewayEndpoint": "https://a1b2c3.execute-api.example"},
    )
    deploy_stack("anigmaa-prod-ecs", {"Url": f"https://{DOMAIN}", "LoadBalancerDnsName": "internal-alb.example:443"})
    deploy_stack("anigmaa-prod-edge", {"Url": f"https://{DOMAIN}", "ServedBy": "split", "LambdaWeight": "5"})
    if cdn:
        deploy_stack("anigmaa-prod-cdn", {"OriginWeights": "lambda 5, ecs 95"}, region="us-east-1")


def test_smoke_behind_enforced_edge_protection_checks_the_domain_once_and_names_the_weights(
    aws: None, tmp_path: Path
) -> None:
    """The load balancer takes CloudFront's addresses only and the paths refuse a request without the origin
    header: only the domain can answer, and CloudFront picks the path of each request."""
    deploy_behind_cloudfront()
    calls: list[tuple[str, str | None]] = []

    def fetch(url: str, via: str | None) -> smoke.Answer:
        calls.append((url, via))
        return smoke.Answer(200, '{"status": "ready", "checks": {"postgres": {"status": "up"}}}')

    out = io.StringIO()
    code = smoke.main(["--env", "prod"], out=out, fetch=fetch, root=edge_project(tmp_path, "on"))
    text = out.getvalue()
    assert code == 0, text
    assert calls == [(f"https://{DOMAIN}/health", None), (f"https://{DOMAIN}/health/ready", None)]
    assert "PASS    invoke seed payload   anigmaa-backend:live" in text  # a direct invocation: no origin check
    assert "PASS    GET /health           domain (CloudFront picks the path: lambda 5, ecs 95)" in text
    assert "PASS    GET /health/ready     domain (CloudFront picks the path: lambda 5, ecs 95)" in text
    for skipped in ("API endpoint", "load balancer", "share of"):
        assert skipped not in text
    assert text.rstrip().endswith("3 passed, 0 failed")


def test_smoke_behind_enforced_edge_protection_without_the_cdn_stack_fails_naming_it(aws: None, tmp_path: Path) -> None:
    deploy_behind_cloudfront(cdn=False)
    calls: list[str] = []

    def fetch(url: str, via: str | None) -> smoke.Answer:
        calls.append(url)
        return smoke.Answer(200, "{}")

    out = io.StringIO()
    assert smoke.main(["--env", "prod"], out=out, fetch=fetch, root=edge_project(tmp_path, "on")) == 1
    assert calls == []
    assert (
        f"FAIL    GET /health           domain {DOMAIN}  anigmaa-prod-cdn is not deployed in us-east-1: "
        "CloudFront serves the domain from it"
    ) in out.getvalue()


def test_smoke_with_edge_protection_open_still_checks_each_path_s_own_address(aws: None, tmp_path: Path) -> None:
    """open: the paths still take direct requests, so the smoke test is what it is without edge protection."""
    deploy_behind_cloudfront()
    calls: list[tuple[str, str | None]] = []

    def fetch(url: str, via: str | None) -> smoke.Answer:
        calls.append((url, via))
        headers = {"apigw-requestid": "test-only="} if "execute-api" in url else {}
        return smoke.Answer(200, '{"status": "ready", "checks": {}}', headers)

    out = io.StringIO()
    code = smoke.main(["--env", "prod", "--sample", "2"], out=out, fetch=fetch, root=edge_project(tmp_path, "open"))
    assert code == 0, out.getvalue()
    assert calls[:4] == [
        ("https://a1b2c3.execute-api.example/health", None),
        ("https://a1b2c3.execute-api.example/health/ready", None),
        (f"https://{DOMAIN}/health", "internal-alb.example:443"),
        (f"https://{DOMAIN}/health/ready", "internal-alb.example:443"),
    ]
    assert "domain (→ split)" in out.getvalue()


# ---------------------------------------------------------------------------- credentials


def test_credentials_name_the_caller_and_account(aws: None) -> None:
    from tools.ops import credentials

    out = io.StringIO()
    assert credentials.main(["--env", "prod"], out=out) == 0
    assert out.getvalue().startswith("credentials: arn:aws:sts::123456789012:")
    assert "(account 123456789012, ap-southeast-1)" in out.getvalue()


def test_missing_credentials_are_one_line_that_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.ops import credentials

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # no credentials another test's session resolved
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # No files to read and no instance metadata to ask: nothing leaves this machine.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    assert credentials.main(["--env", "prod"], out=io.StringIO()) == 1
    assert capsys.readouterr().err == (
        "credentials: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/…) and retry\n"
    )


def test_credentials_for_another_account_are_refused(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    from tools.ops import credentials

    with mock.patch("tools.ops.credentials.load_environment") as load:
        load.return_value.account = "210987654321"
        load.return_value.region = REGION
        assert credentials.main(["--env", "prod"], out=io.StringIO()) == 1
    assert "the credentials are for account 123456789012, but env=prod deploys to 210987654321" in (
        capsys.readouterr().err
    )


# ---------------------------------------------------------------------------- deploy preflight


def _lambda(*, exists: bool, reserved: int = 0, limit: int = 1000, unreserved: int = 1000) -> Any:
    """A Lambda client that answers from a Stubber: the function (or its absence), then the account's quota."""
    from botocore.stub import Stubber

    lambda_client = boto3.client(
        "lambda", region_name=REGION, aws_access_key_id="test-only", aws_secret_access_key="test-only"
    )
    stub = Stubber(lambda_client)
    if exists:
        response: dict[str, Any] = {"Configuration": {"FunctionName": "anigmaa-backend"}}
        if reserved:
            response["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        stub.add_response("get_function", response, {"FunctionName": "anigmaa-backend"})
    else:
        stub.add_client_error(
            "get_function",
            "ResourceNotFoundException",
            http_status_code=404,
            expected_params={"FunctionName": "anigmaa-backend"},
        )
    settings = {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}}
    stub.add_response("get_account_settings", settings, {})
    stub.activate()
    return lambda_client


# Prod's alarms reach someone unless a test says otherwise (the refusal has tests of its own).
ONCALL = ("-c", "alarm_email=oncall@anigmaa.example")


def run_preflight(*args: str, client: Any, destination: tuple[str, ...] = ONCALL) -> tuple[int, str, str]:
    from tools.ops import preflight

    out, err = io.StringIO(), io.StringIO()
    with mock.patch("sys.stderr", err):
        code = preflight.main([*args, *destination], out=out, lambda_client=client)
    return code, out.getvalue(), err.getvalue()


NO_DESTINATION = (
    "preflight: alarm_email: no alarm destination in env=prod, so every alarm would reach no one; accepted: "
    "alarm_email, alarm_https_parameter (an SSM parameter holding a paging service's HTTPS URL) or "
    "alarm_topic_arns in cdk.json's environments.prod, or -c alarms_to_no_one=true to deploy without one\n"
)


def test_preflight_refuses_prod_whose_alarms_reach_no_one_in_either_mode() -> None:
    for mode in (("-c", "compute=lambda"), ("-c", "compute=ecs", "-c", "ecs_allow_plain_http=true")):
        code, _, err = run_preflight("--today", "2026-12-01", *mode, client=_lambda(exists=False), destination=())
        assert (code, err) == (1, NO_DESTINATION)


@pytest.mark.parametrize(
    "destination",
    [
        ("-c", "alarms_to_no_one=true"),
        ("-c", "alarm_topic_arns=arn:aws:sns:ap-southeast-1:123456789012:oncall"),
        ("--env", "dev", "-c", "compute=ecs"),  # dev: no function to stub, and no destination needed
    ],
)
def test_preflight_takes_a_destination_an_acknowledgement_or_dev(destination: tuple[str, ...]) -> None:
    assert run_preflight("--today", "2026-12-01", client=_lambda(exists=False), destination=destination)[0] == 0


@pytest.mark.parametrize(
    ("stored", "refused"),
    [
        (None, "alarm_https_parameter: /anigmaa/prod/ALARM_HTTPS_URL does not exist in SSM in ap-southeast-1"),
        (("SecureString", "https://events.example/x"), "alarm_https_parameter: /anigmaa/prod/ALARM_HTTPS_URL is a Se"),
        (("String", "https://events.example/test-only"), ""),
    ],
)
def test_preflight_checks_the_https_parameter_exists_as_a_string_without_reading_it(
    aws: None, stored: tuple[str, str] | None, refused: str
) -> None:
    name = "/anigmaa/prod/ALARM_HTTPS_URL"
    ssm = boto3.client("ssm", region_name=REGION)
    if stored is not None:
        ssm.put_parameter(Name=name, Type=stored[0], Value=stored[1])
    ssm.put_parameter(Name=f"{name}_OTHER", Type="String", Value="https://events.example/other")  # not it
    ssm.get_parameter = mock.Mock(side_effect=AssertionError("the value is never read"))
    from tools.ops import preflight

    out, stderr = io.StringIO(), io.StringIO()
    argv = ["--today", "2026-12-01", "-c", f"alarm_https_parameter={name}"]
    with mock.patch("sys.stderr", stderr):
        code = preflight.main(argv, out=out, lambda_client=_lambda(exists=False), ssm_client=ssm)
    err = stderr.getvalue()
    assert code == (1 if refused else 0)
    assert err.startswith(f"preflight: {refused}") if refused else err == ""
    assert "events.example" not in err


def test_preflight_passes_a_deploy_the_account_can_take() -> None:
    code, out, _ = run_preflight("--env", "prod", "--today", "2026-12-01", client=_lambda(exists=False))
    assert (code, out) == (0, "preflight: env=prod compute=lambda: the account can take this deploy\n")


def test_preflight_refuses_a_reservation_the_quota_cannot_give() -> None:
    # New accounts start with 10 concurrent executions; prod reserves 16.
    code, _, err = run_preflight("--today", "2026-12-01", client=_lambda(exists=False, limit=10, unreserved=10))
    assert code == 1
    assert err == (
        "preflight: lambda_reserved_concurrency: 16 would leave -6 of the account's 10 concurrent executions "
        "unreserved, and Lambda keeps at least 100; accepted: at most 0 here, or a higher quota "
        "(Service Quotas: AWS Lambda, Concurrent executions)\n"
    )


def test_preflight_counts_the_functions_own_reservation_as_handed_back() -> None:
    # 1000 in all, 984 unreserved with this function already holding 16: 100 stay free for others.
    assert run_preflight("--today", "2026-12-01", client=_lambda(exists=True, reserved=16, unreserved=100))[0] == 0
    assert run_preflight("--today", "2026-12-01", client=_lambda(exists=True, reserved=0, unreserved=115))[0] == 1


@pytest.mark.parametrize(
    ("today", "exists", "refused"),
    [
        ("2027-01-31", False, ""),
        (
            "2027-02-01",
            False,
            "AWS has blocked creating provided.al2 functions since 2027-02-01, and this deploy "
            "would create anigmaa-backend",
        ),
        ("2027-02-15", True, ""),
        ("2027-03-03", True, "AWS has blocked updating provided.al2 functions since 2027-03-03"),
    ],
)
def test_preflight_refuses_what_aws_blocks_for_the_runtime_after_its_dates(
    today: str, exists: bool, refused: str
) -> None:
    code, _, err = run_preflight("--today", today, client=_lambda(exists=exists))
    assert code == (1 if refused else 0)
    if refused:
        assert err.startswith(f"preflight: lambda_runtime: {refused}")
        assert err.rstrip().endswith(
            "accepted: -c lambda_runtime=provided.al2023 (set it in cdk.json; the same bootstrap runs there)"
        )
    ok = run_preflight("--today", today, "-c", "lambda_runtime=provided.al2023", client=_lambda(exists=exists))
    assert ok[0] == 0


def test_preflight_asks_nothing_of_lambda_for_the_ecs_path() -> None:
    from botocore.stub import Stubber

    lambda_client = boto3.client("lambda", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(lambda_client):  # no responses queued: any call fails the test
        args = ("--today", "2027-06-01", "-c", "compute=ecs", "-c", "ecs_allow_plain_http=true")
        assert run_preflight(*args, client=lambda_client)[0] == 0


def test_preflight_refuses_a_deploy_with_the_import_overrides(tmp_path: Path) -> None:
    overrides = tmp_path / "import-overrides.json"
    overrides.write_text(json.dumps({"Data": {"AssetsBucket252B3DF7": {"LoggingConfiguration": None}}}))
    code, _, err = run_preflight(
        "--today", "2026-12-01", "-c", f"adopt_import={overrides}", client=_lambda(exists=False)
    )
    assert (code, err) == (
        1,
        "preflight: adopt_import is for cdk import alone: a deploy with it puts Terraform's values back on the "
        "imported resources; accepted: the deploy without -c adopt_import\n",
    )
