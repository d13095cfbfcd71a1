"""compute=split: both compute stacks, and the domain's answers shared between them by weight."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config import ConfigError
from stacks.edge_stack import record_weights
from tests.conftest import Synth
from tests.test_config import DOMAIN, load


def _records(synth: Synth) -> dict[str, dict[str, Any]]:
    """The edge stack's records by set identifier: logical ID and properties."""
    found = {}
    for logical_id, resource in synth.json("edge")["Resources"].items():
        if resource["Type"] == "AWS::Route53::RecordSet":
            properties = resource["Properties"]
            found[properties["SetIdentifier"]] = {"id": logical_id, **properties}
    return found


@pytest.mark.parametrize(
    ("name", "weights"),
    [
        ("prod-domain", {"lambda": 100}),
        ("prod-domain-ecs", {"ecs": 100}),
        ("prod-split5", {"lambda": 5, "ecs": 95}),
        ("prod-split50", {"lambda": 50, "ecs": 50}),
    ],
)
def test_the_domain_is_weighted_records_in_every_mode(
    synth: Callable[[str], Synth], name: str, weights: dict[str, int]
) -> None:
    records = _records(synth(name))
    assert {path: r["Weight"] for path, r in records.items()} == weights
    for path, record in records.items():
        assert record["Name"] == "api.anigmaa.example."
        assert record["Type"] == "A"
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        # One logical ID per path, the same in every mode (so each step is in place).
        assert record["id"].startswith({"lambda": "ApiAliasRecord", "ecs": "EcsAliasRecord"}[path])
        target = json.dumps(record["AliasTarget"])
        assert ("CustomDomainDomainName" if path == "lambda" else "LoadBalancer") in target


def test_the_lambda_record_keeps_the_logical_id_of_the_domains_one_record(
    synth: Callable[[str], Synth],
) -> None:
    """ApiAliasRecord was the only record before records were weighted: an upgrade updates it in place."""
    ids = {_records(synth(name))["lambda"]["id"] for name in ("prod-domain", "prod-split5", "prod-split50")}
    assert ids == {"ApiAliasRecordBCE933A3"}
    assert {_records(synth(name))["ecs"]["id"] for name in ("prod-domain-ecs", "prod-split5")} == {
        "EcsAliasRecord061D949D"
    }


def test_a_split_builds_both_compute_stacks_unchanged(synth: Callable[[str], Synth]) -> None:
    split = synth("prod-split5")
    assert {path: stack.stack_name for path, stack in split.stacks.computes.items()} == {
        "lambda": "anigmaa-prod-lambda",
        "ecs": "anigmaa-prod-ecs",
    }
    assert split.json("lambda") == synth("prod-domain").json("compute")
    assert split.json("ecs") == synth("prod-domain-ecs").json("compute")
    assert split.stacks.edge is not None
    assert set(split.stacks.edge.dependencies) >= set(split.stacks.computes.values())
    with pytest.raises(ValueError, match="compute=split has two compute stacks"):
        _ = split.stacks.compute


def test_a_split_says_its_weight_and_no_stack_is_left_out(synth: Callable[[str], Synth]) -> None:
    split = synth("prod-split5")
    outputs = split.json("edge")["Outputs"]
    assert outputs["ServedBy"]["Value"] == "split"
    assert outputs["LambdaWeight"]["Value"] == "5"
    assert "LambdaWeight" not in synth("prod-domain").json("edge")["Outputs"]
    assert not [f for f in split.findings if "stack-not-in-app" in f.rule]


def test_the_weight_ends_are_accepted_and_the_records_are_never_both_zero() -> None:
    """Route 53 answers every record of a group whose weights are all 0 alike: a split never makes one."""
    for weight, expected in (
        (0, {"lambda": 0, "ecs": 100}),
        (5, {"lambda": 5, "ecs": 95}),
        (100, {"lambda": 100, "ecs": 0}),
    ):
        config = load(**DOMAIN, compute="split", lambda_weight=str(weight))
        assert config.compute_paths == ("lambda", "ecs")
        assert record_weights(config) == expected


def test_an_empty_weight_leaves_a_committed_one_out_for_one_command() -> None:
    """With the split committed to cdk.json, `-c compute=lambda -c lambda_weight=` ends it from the command line."""
    committed = {**DOMAIN, "lambda_weight": 50}
    assert load(**committed, compute="split").lambda_weight == 50
    assert load(**{**committed, "lambda_weight": ""}, compute="lambda").lambda_weight is None
    with pytest.raises(ConfigError, match=r"take it out of cdk\.json with the split, or add -c lambda_weight= "):
        load(**committed, compute="lambda")


def test_a_split_that_overflows_the_database_is_refused() -> None:
    """Both paths serve at once in a split: every environment and every task holds its pool."""
    with pytest.raises(ConfigError, match=r"^lambda_reserved_concurrency: 31 x 2 connections \+ 4 tasks"):
        load(**DOMAIN, compute="split", lambda_weight="50", lambda_reserved_concurrency=31)
    assert load(**DOMAIN, compute="split", lambda_weight="50").function.reserved_concurrency == 16
