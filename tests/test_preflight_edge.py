"""The deploy preflight's edge protection step: off and on are reached through open, never jumped to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from config import AppConfig
from tools.ops.aws import load_environment
from tools.ops.preflight import edge_step

REGION = "ap-southeast-1"
DOMAIN = ("domain_name=api.anigmaa.example", "hosted_zone_id=Z0EXAMPLE0ZONE0ID0000", "hosted_zone_name=anigmaa.example")


@pytest.fixture
def cloudformation(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-only-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-only-not-a-secret")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        yield boto3.client("cloudformation", region_name=REGION)


def _config(mode: str) -> AppConfig:
    return load_environment(
        "prod", Path(__file__).resolve().parent.parent, context=[*DOMAIN, f"edge_protection={mode}"]
    )


def _deploy(cloudformation: Any, name: str, *, outputs: dict[str, str], variables: dict[str, str]) -> None:
    """A stand-in stack: its outputs, and a resource whose properties hold ``variables`` (a function's)."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Metadata": {"Variables": variables}}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_on_over_records_that_point_at_the_paths_is_refused(cloudformation: Any) -> None:
    _deploy(cloudformation, "anigmaa-prod-edge", outputs={"ServedBy": "lambda"}, variables={})
    problem = edge_step(_config("on"), cloudformation)
    assert problem is not None
    assert problem.startswith("edge_protection: 'on' while anigmaa-prod-edge still points the domain at the")
    assert "deploy with edge_protection=open first" in problem
    assert "\n" not in problem
    # open is the step that moves them; on after it passes.
    assert edge_step(_config("open"), cloudformation) is None


def test_on_after_open_and_on_a_new_environment_pass(cloudformation: Any) -> None:
    assert edge_step(_config("on"), cloudformation) is None  # nothing deployed yet
    _deploy(cloudformation, "anigmaa-prod-edge", outputs={"ServedThrough": "cloudfront"}, variables={})
    assert edge_step(_config("on"), cloudformation) is None


def test_off_while_a_path_checks_the_header_is_refused(cloudformation: Any) -> None:
    secret = "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:anigmaa-prod-origin-verify-AbCdEf"
    _deploy(cloudformation, "anigmaa-prod-lambda", outputs={}, variables={"ORIGIN_VERIFY_SECRET": secret})
    problem = edge_step(_config("off"), cloudformation)
    assert problem is not None
    assert problem.startswith("edge_protection: 'off' while anigmaa-prod-lambda refuses requests without")
    assert edge_step(_config("open"), cloudformation) is None


def test_off_after_open_passes(cloudformation: Any) -> None:
    _deploy(cloudformation, "anigmaa-prod-lambda", outputs={}, variables={"DB_HOST": "db"})
    assert edge_step(_config("off"), cloudformation) is None
