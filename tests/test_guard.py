"""Data protection: explicit removal policies, and the guard against replacing stateful resources."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Synth
from tools.gates.guard import BASELINE, VARIANTS, losses, problems, unreviewed, weakened

KEPT_TYPES = ("AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup", "AWS::S3::Bucket", "AWS::Logs::LogGroup")


@pytest.mark.parametrize("name", ["prod", "dev", "prod-custom", "prod-ecs", "prod-custom-ecs"])
def test_every_stateful_resource_has_explicit_removal_policies(synth: Callable[[str], Synth], name: str) -> None:
    result = synth(name)
    for role in result.templates:
        for logical_id, resource in result.json(role)["Resources"].items():
            if resource["Type"] in KEPT_TYPES:
                assert "DeletionPolicy" in resource, f"{role}/{logical_id} has no DeletionPolicy"
                assert "UpdateReplacePolicy" in resource, f"{role}/{logical_id} has no UpdateReplacePolicy"


def test_prod_keeps_its_data_when_stacks_go(prod: Synth) -> None:
    policies = {
        r["Type"]: (r["DeletionPolicy"], r["UpdateReplacePolicy"])
        for r in prod.json("data")["Resources"].values()
        if r["Type"] in KEPT_TYPES
    }
    assert policies == {
        "AWS::RDS::DBInstance": ("Snapshot", "Snapshot"),
        "AWS::ElastiCache::ReplicationGroup": ("Snapshot", "Snapshot"),
        "AWS::S3::Bucket": ("Retain", "Retain"),
    }


@pytest.mark.parametrize(
    ("variant", "name"),
    [
        ("prod", "prod"),
        ("prod", "prod-ecs"),
        ("prod-domain", "prod-domain"),
        ("prod-domain", "prod-domain-ecs"),
        ("dev", "dev"),
        ("dev", "dev-ecs"),
    ],
)
def test_nothing_stateful_is_replaced_deleted_or_unprotected_against_the_baseline(
    synth: Callable[[str], Synth], variant: str, name: str
) -> None:
    [guarded] = [v for v in VARIANTS if v.name == variant]
    found = problems(guarded, synth(name).outdir, name)
    assert found == [], "\n".join(found) + "\n(intended? run `make baseline`)"


def test_the_baseline_holds_one_copy_of_each_stateful_template() -> None:
    """The compute stacks hold nothing stateful (they import it); the domain variant adds its record."""
    held = {v.name: sorted(p.name for p in v.baseline.iterdir()) for v in VARIANTS}
    assert held == {
        "prod": ["Data.template.json", "Network.template.json"],
        "prod-domain": ["Edge.template.json", "Network.template.json"],
        "dev": ["Data.template.json", "Network.template.json"],
    }


def test_the_guard_names_protection_weakened_in_place(tmp_path: Path) -> None:
    current = tmp_path / "current"
    shutil.copytree(BASELINE, current)
    data = json.loads((current / "Data.template.json").read_text())
    database = data["Resources"]["DatabaseInstanceAA8A5FDE"]
    database["DeletionPolicy"] = "Delete"
    database["Properties"]["DeletionProtection"] = False
    data["Resources"]["AssetsBucket252B3DF7"].pop("UpdateReplacePolicy")
    (current / "Data.template.json").write_text(json.dumps(data))

    assert weakened(BASELINE, current, "prod-lambda") == [
        "prod-lambda/Data.template.json: AWS::S3::Bucket AssetsBucket252B3DF7 UpdateReplacePolicy would be weakened "
        "from Retain to Delete",
        "prod-lambda/Data.template.json: AWS::RDS::DBInstance DatabaseInstanceAA8A5FDE DeletionPolicy would be "
        "weakened from Snapshot to Delete",
        "prod-lambda/Data.template.json: AWS::RDS::DBInstance DatabaseInstanceAA8A5FDE DeletionProtection would be "
        "turned off",
    ]


def test_the_guard_names_the_domain_record_a_rename_would_delete(tmp_path: Path) -> None:
    [domain] = [v for v in VARIANTS if v.name == "prod-domain"]
    current = tmp_path / "current"
    shutil.copytree(domain.baseline, current)
    edge = json.loads((current / "Edge.template.json").read_text())
    [record_id] = [k for k, r in edge["Resources"].items() if r["Type"] == "AWS::Route53::RecordSet"]
    edge["Resources"]["ApiRecordRenamed"] = edge["Resources"].pop(record_id)
    (current / "Edge.template.json").write_text(json.dumps(edge))

    found = problems(domain, current, "prod-domain-lambda")
    assert f"prod-domain-lambda/Edge.template.json: AWS::Route53::RecordSet {record_id} would be deleted" in found


def test_the_guard_refuses_a_compute_stack_that_gains_a_stateful_resource(prod: Synth, tmp_path: Path) -> None:
    current = tmp_path / "current"
    shutil.copytree(prod.outdir, current)
    compute = json.loads((current / "Lambda.template.json").read_text())
    compute["Resources"]["UploadsBucket1A2B3C4D"] = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}
    (current / "Lambda.template.json").write_text(json.dumps(compute))

    assert unreviewed(BASELINE, current, "prod-lambda") == [
        "prod-lambda/Lambda.template.json: holds UploadsBucket1A2B3C4D, which baseline/ has never seen"
    ]


def test_the_guard_names_a_database_that_a_rename_would_replace(tmp_path: Path) -> None:
    """Renaming the database's construct changes its logical ID: CloudFormation would delete it."""
    current = tmp_path / "current"
    shutil.copytree(BASELINE, current)
    data = json.loads((current / "Data.template.json").read_text())
    data["Resources"]["PrimaryDatabaseInstance0F9A1C2B"] = data["Resources"].pop("DatabaseInstanceAA8A5FDE")
    (current / "Data.template.json").write_text(json.dumps(data))

    [loss] = losses(BASELINE, current, "prod-lambda")
    assert (
        loss.describe()
        == "prod-lambda/Data.template.json: AWS::RDS::DBInstance DatabaseInstanceAA8A5FDE would be deleted"
    )


def test_the_guard_names_the_property_that_forces_a_replacement(tmp_path: Path) -> None:
    current = tmp_path / "current"
    shutil.copytree(BASELINE, current)
    data = json.loads((current / "Data.template.json").read_text())
    data["Resources"]["DatabaseInstanceAA8A5FDE"]["Properties"]["DBName"] = "anigmaa_v2"
    (current / "Data.template.json").write_text(json.dumps(data))

    [loss] = losses(BASELINE, current, "prod-lambda")
    assert "DatabaseInstanceAA8A5FDE would be replaced (because DBName changes)" in loss.describe()


def test_docs_security_md_is_the_current_measurement(prod: Synth, ecs: Synth) -> None:
    from tools import ROOT
    from tools.docs.security_report import render

    committed = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert committed == render({"lambda": prod.outdir, "ecs": ecs.outdir}) + "\n", (
        "regenerate it: python -m tools.docs.security_report > docs/security.md"
    )
