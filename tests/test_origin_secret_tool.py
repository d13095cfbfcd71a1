"""tools.ops.origin_secret against moto: the secret's versions, the deployed cdn stack's reference, a rotation
only once the last one is deployed, and never a value on its output."""

from __future__ import annotations

import io
import json
import re
import string
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from constructs.edge_protection import ORIGIN_VERIFY_HEADER, origin_secret_reference
from constructs.origin_secret import ORIGIN_SECRET_LENGTH
from tools import ROOT
from tools.ops import origin_secret as tool
from tools.ops.aws import AwsError
from tools.ops.aws import client as aws_client

REGION = "ap-southeast-1"
EDGE = "us-east-1"
SECRET = "anigmaa-prod-origin-verify"
CDN = "anigmaa-prod-cdn"
DOMAIN = "api.anigmaa.example"
# Test-only, obviously not a real value; 48 letters and digits, as the network stack's generator makes it.
FIRST_VALUE = "testonly" + "0" * 40


def project(tmp_path: Path, **prod: Any) -> Path:
    """A copy of cdk.json whose prod has a domain and edge protection on, changed by ``prod``."""
    document = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    document["context"]["environments"]["prod"].update(
        {
            "domain_name": DOMAIN,
            "hosted_zone_id": "Z0EXAMPLE0ZONE0ID0000",
            "hosted_zone_name": "anigmaa.example",
            "edge_protection": "on",
            "origin_secret_version": "",
            **prod,
        }
    )
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "cdk.json").write_text(json.dumps(document), encoding="utf-8")
    return root


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # no session another test resolved
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-only-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-only-not-a-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def secret(aws: None) -> str:
    """The origin secret as the network stack creates it (replicated to us-east-1); its first version id."""
    made = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET, SecretString=FIRST_VALUE, AddReplicaRegions=[{"Region": EDGE}]
    )
    return str(made["VersionId"])


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The AWS operations the tool calls."""
    made_calls: list[str] = []

    def recording_client(service: str, region: str) -> Any:
        made = aws_client(service, region)
        made.meta.events.register("before-call", lambda model, **_: made_calls.append(model.name))
        return made

    monkeypatch.setattr(tool, "client", recording_client)
    return made_calls


def deploy_cdn(version_id: str | None) -> None:
    """The cdn stack in us-east-1 as the app writes it: both origins send the dynamic reference (moto creates no
    distribution; the template, which GetTemplate returns, is what the tool reads)."""
    header = {"HeaderName": ORIGIN_VERIFY_HEADER, "HeaderValue": origin_secret_reference(SECRET, version_id)}
    template = {
        "Resources": {
            "CdnDistribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {
                    "DistributionConfig": {
                        "Enabled": True,
                        # Complete enough for the rehearsal's distribution model too, which other tests of the
                        # session install into moto.
                        "DefaultCacheBehavior": {
                            "TargetOriginId": "lambda",
                            "ViewerProtocolPolicy": "https-only",
                            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                        },
                        "Origins": [
                            {"Id": path, "DomainName": f"{path}-origin.{DOMAIN}", "OriginCustomHeaders": [header]}
                            for path in ("lambda", "ecs")
                        ],
                    }
                },
            }
        }
    }
    cloudformation = boto3.client("cloudformation", region_name=EDGE)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tried to parse AWS::CloudFront::Distribution")
        try:
            cloudformation.describe_stacks(StackName=CDN)
        except cloudformation.exceptions.ClientError:
            cloudformation.create_stack(StackName=CDN, TemplateBody=json.dumps(template))
        else:
            cloudformation.update_stack(StackName=CDN, TemplateBody=json.dumps(template))


def run(root: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return tool.main([*args, "--env", "prod"], out=out, root=root), out.getvalue()


def stages() -> dict[str, list[str]]:
    answer = boto3.client("secretsmanager", region_name=REGION).describe_secret(SecretId=SECRET)
    return {version: labels for version, labels in answer["VersionIdsToStages"].items() if labels}


def value_of(version_id: str) -> str:
    answer = boto3.client("secretsmanager", region_name=REGION).get_secret_value(SecretId=SECRET, VersionId=version_id)
    return str(answer["SecretString"])


def rotated_version(text: str) -> str:
    [version] = re.findall(r"^new version +(\S+) \(AWSCURRENT\)$", text, re.MULTILINE)
    return str(version)


# ---------------------------------------------------------------------------- what the tool repeats


@pytest.mark.parametrize("version_id", [None, "0123abcd-0123-4567-89ab-0123456789ab"])
def test_the_reference_the_tool_compares_is_the_one_the_cdn_stack_writes(version_id: str | None) -> None:
    written = origin_secret_reference(SECRET, version_id)
    assert tool.reference(SECRET, version_id) == written
    assert tool.parse_reference(written, SECRET) == version_id


def test_a_reference_to_another_secret_or_a_stage_is_refused() -> None:
    with pytest.raises(AwsError, match="refers to other-secret, not anigmaa-prod-origin-verify"):
        tool.parse_reference("{{resolve:secretsmanager:other-secret:SecretString}}", SECRET)
    with pytest.raises(AwsError, match="a JSON key or a version stage"):
        tool.parse_reference(f"{{{{resolve:secretsmanager:{SECRET}:SecretString::AWSPREVIOUS:}}}}", SECRET)
    with pytest.raises(AwsError, match="not a Secrets Manager dynamic reference"):
        tool.parse_reference("plain-header-value", SECRET)


def test_a_new_value_is_what_the_secret_s_own_generator_makes() -> None:
    assert tool.ORIGIN_SECRET_LENGTH == ORIGIN_SECRET_LENGTH
    assert tool.ORIGIN_VERIFY_HEADER == ORIGIN_VERIFY_HEADER
    values = {tool.new_value() for _ in range(20)}
    assert len(values) == 20
    for value in values:
        assert len(value) == ORIGIN_SECRET_LENGTH
        assert set(value) <= set(string.ascii_letters + string.digits)


# ---------------------------------------------------------------------------- status


def test_status_shows_version_ids_and_the_deployed_reference_never_a_value(
    secret: str, tmp_path: Path, calls: list[str]
) -> None:
    deploy_cdn(None)
    code, text = run(project(tmp_path), "status")
    assert code == 0, text
    assert f"current     {secret}\n" in text
    assert "previous    none (never rotated)\n" in text
    assert f"replica     {EDGE} InSync\n" in text
    assert f"configured  origin_secret_version empty in cdk.json environments.prod: sends {secret} (AWSCURRENT)" in text
    assert (
        f"deployed    {CDN} ({EDGE}, CREATE_COMPLETE) references {{{{resolve:secretsmanager:{SECRET}:SecretString}}}}"
        in text
    )
    assert "the same reference as the configuration" in text
    assert FIRST_VALUE not in text
    assert "GetSecretValue" not in calls
    assert set(calls) == {"DescribeSecret", "ListSecretVersionIds", "DescribeStacks", "GetTemplate"}


def test_status_fails_when_the_configured_version_is_neither_current_nor_previous(secret: str, tmp_path: Path) -> None:
    sm = boto3.client("secretsmanager", region_name=REGION)
    for _ in range(2):  # rotated twice outside the tool: the first version is neither stage now
        sm.put_secret_value(SecretId=SECRET, SecretString=tool.new_value())
    deploy_cdn(secret)
    code, text = run(project(tmp_path, origin_secret_version=secret), "status")
    assert code == 1
    assert f"sends {secret} (neither AWSCURRENT nor AWSPREVIOUS: the backend refuses it)" in text
    assert text.splitlines()[-1].startswith("FAIL: CloudFront would send a value the backend refuses")


def test_status_says_a_deploy_is_pending_and_passes_while_the_sent_value_is_previous(
    secret: str, tmp_path: Path
) -> None:
    deploy_cdn(secret)
    root = project(tmp_path, origin_secret_version=secret)
    code, text = run(root, "rotate")
    assert code == 0, text
    new = rotated_version(text)
    # The configuration names the new version; the deployed stack still sends the old one, AWSPREVIOUS.
    code, text = run(project(tmp_path, origin_secret_version=new), "status")
    assert code == 0, text
    assert f"sends {new} (AWSCURRENT); pinned" in text
    assert f"sends {secret} (AWSPREVIOUS); pinned" in text
    assert "not the configuration's: deploy the cdn stack (npx cdk diff --exclusively Cdn -c env=prod" in text


def test_status_before_the_cdn_stack_is_deployed(secret: str, tmp_path: Path) -> None:
    code, text = run(project(tmp_path), "status")
    assert code == 0, text
    assert f"deployed    {CDN} is not deployed in {EDGE}: nothing sends the secret yet" in text


# ---------------------------------------------------------------------------- rotate


def test_rotate_is_refused_while_the_deployed_reference_is_not_the_configured_one(
    secret: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_cdn(None)  # the configuration pins the current version, which is not deployed yet
    code, text = run(project(tmp_path, origin_secret_version=secret), "rotate")
    assert (code, text) == (1, "")
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"origin-secret: not rotated: {CDN} references {{{{resolve:secretsmanager:{SECRET}:")
    assert f"not what origin_secret_version {secret} in cdk.json environments.prod makes" in line
    assert stages() == {secret: ["AWSCURRENT"]}  # nothing written


def test_rotate_writes_a_new_current_version_keeps_the_old_one_previous_and_prints_no_value(
    secret: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], calls: list[str]
) -> None:
    deploy_cdn(None)  # never rotated and unpinned: the distribution sends the only version, the current one
    code, text = run(project(tmp_path), "rotate")
    assert code == 0, text
    new = rotated_version(text)
    assert stages() == {new: ["AWSCURRENT"], secret: ["AWSPREVIOUS"]}
    assert f"previous version  {secret} (AWSPREVIOUS: what CloudFront sends until the deploy)" in text
    assert f'next: set "origin_secret_version": "{new}" in cdk.json environments.prod\n' in text
    assert (
        f"next: review and deploy the cdn stack {CDN} ({EDGE}): npx cdk diff --exclusively Cdn -c env=prod, then "
        "npx cdk deploy --exclusively Cdn -c env=prod\n"
    ) in text
    assert "the backend accepts the new value at once" in text
    captured = capsys.readouterr()
    for value in (value_of(new), value_of(secret)):
        assert value not in text + captured.out + captured.err
    assert re.fullmatch(r"[A-Za-z0-9]{48}", value_of(new))
    assert "PutSecretValue" in calls
    assert "GetSecretValue" not in calls  # value_of reads through a client of its own


def test_a_second_rotation_waits_for_the_configuration_and_the_deploy_of_the_first(
    secret: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_cdn(None)
    first = rotated_version(run(project(tmp_path), "rotate")[1])

    # Neither configured nor deployed: CloudFront sends the first version, AWSPREVIOUS now.
    assert run(project(tmp_path), "rotate") == (1, "")
    refusal = capsys.readouterr().err
    assert "origin_secret_version is empty but anigmaa-prod-origin-verify has been rotated" in refusal
    assert f"set origin_secret_version to {first}" in refusal

    # Configured, not deployed.
    root = project(tmp_path, origin_secret_version=first)
    assert run(root, "rotate") == (1, "")
    assert "deploy the cdn stack first" in capsys.readouterr().err
    assert stages() == {first: ["AWSCURRENT"], secret: ["AWSPREVIOUS"]}

    # Configured and deployed: the next rotation may go.
    deploy_cdn(first)
    code, text = run(root, "rotate")
    assert code == 0, text
    second = rotated_version(text)
    assert stages() == {second: ["AWSCURRENT"], first: ["AWSPREVIOUS"]}

    # Pinned to a version no longer current (the deploy of the second has not happened): refused.
    assert run(root, "rotate") == (1, "")
    assert f"origin_secret_version {first} is AWSPREVIOUS, not the current {second}" in capsys.readouterr().err


def test_rotate_before_the_cdn_stack_is_deployed_is_refused(
    secret: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project(tmp_path), "rotate") == (1, "")
    assert f"{CDN} is not deployed in {EDGE}" in capsys.readouterr().err
    assert stages() == {secret: ["AWSCURRENT"]}


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("command", ["status", "rotate"])
@pytest.mark.parametrize(
    "edit", [{"edge_protection": "off"}, {"domain_name": "", "hosted_zone_id": "", "hosted_zone_name": ""}]
)
def test_without_edge_protection_it_refuses_in_one_line_naming_the_keys(
    command: str, edit: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], calls: list[str]
) -> None:
    assert run(project(tmp_path, **edit), command) == (1, "")
    assert capsys.readouterr().err == (
        "origin-secret: env=prod has no edge protection, so there is no origin secret: it takes domain_name, "
        "hosted_zone_id, hosted_zone_name and edge_protection open or on in cdk.json environments.prod\n"
    )
    assert calls == []


def test_a_missing_secret_is_one_line(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project(tmp_path), "status") == (1, "")
    assert capsys.readouterr().err == (
        f"origin-secret: {SECRET} does not exist in {REGION}: the network stack creates it with edge protection "
        "(npx cdk deploy --exclusively Network -c env=prod)\n"
    )
