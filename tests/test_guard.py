"""Data protection: explicit removal policies, and the guard against replacing stateful resources."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Synth
from tools.gates.guard import BASELINE, VARIANTS, losses, problems, unreviewed, weakened
from tools.gates.template_diff import Templates, diff_templates, stateful_losses

KEPT_TYPES = (
    "AWS::RDS::DBInstance",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::Backup::BackupVault",
)


@pytest.mark.parametrize("name", ["prod", "dev", "prod-custom", "prod-ecs", "prod-custom-ecs"])
def test_every_stateful_resource_has_explicit_removal_policies(synth: Callable[[str], Synth], name: str) -> None:
    result = synth(name)
    for role in result.templates:
        for logical_id, resource in result.json(role)["Resources"].items():
            if resource["Type"] in KEPT_TYPES:
                assert "DeletionPolicy" in resource, f"{role}/{logical_id} has no DeletionPolicy"
                assert "UpdateReplacePolicy" in resource, f"{role}/{logical_id} has no UpdateReplacePolicy"


def test_prod_keeps_its_data_when_stacks_go(prod: Synth) -> None:
    resources = prod.json("data")["Resources"].values()
    # The database-role provider's own log group holds no data: it goes with the stack, like every
    # function's (a kept group of the same name would block creating the stack again).
    [provider_logs] = [r for r in resources if r["Type"] == "AWS::Logs::LogGroup"]
    assert provider_logs["Properties"]["LogGroupName"] == "/aws/lambda/anigmaa-prod-database-role"
    assert (provider_logs["DeletionPolicy"], provider_logs["UpdateReplacePolicy"]) == ("Delete", "Delete")
    policies = {
        r["Type"]: (r["DeletionPolicy"], r["UpdateReplacePolicy"])
        for r in resources
        if r["Type"] in KEPT_TYPES and r is not provider_logs
    }
    assert policies == {
        "AWS::RDS::DBInstance": ("Snapshot", "Snapshot"),
        "AWS::ElastiCache::ReplicationGroup": ("Snapshot", "Snapshot"),
        "AWS::S3::Bucket": ("Retain", "Retain"),
        # AWS Backup's vault and its key: a deleted key would leave every recovery point in it unreadable.
        "AWS::Backup::BackupVault": ("Retain", "Retain"),
        "AWS::KMS::Key": ("Retain", "Retain"),
    }


@pytest.mark.parametrize(
    ("variant", "name"),
    [
        ("prod", "prod"),
        ("prod", "prod-ecs"),
        ("prod-domain", "prod-domain"),
        ("prod-domain", "prod-domain-ecs"),
        ("prod-domain", "prod-split5"),
        ("prod-edge", "prod-edge"),
        ("prod-edge", "prod-edge-ecs"),
        ("prod-edge", "prod-edge-split25"),
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
    """The compute stacks hold nothing stateful (they import it); the domain variant adds its record, and prod's
    backups their copy vault in another region."""
    held = {v.name: sorted(p.name for p in v.baseline.iterdir()) for v in VARIANTS}
    assert held == {
        "prod": ["BackupCopy.template.json", "Data.template.json", "Network.template.json"],
        "prod-domain": ["Edge.template.json", "Network.template.json"],
        "prod-edge": ["Cdn.template.json", "Edge.template.json", "Network.template.json"],
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


def _record(logical_id: str, set_identifier: str | None, weight: int = 100) -> dict[str, Any]:
    properties: dict[str, Any] = {"Name": "api.anigmaa.example.", "Type": "A", "HostedZoneId": "Z0EXAMPLE0ZONE0ID0000"}
    if set_identifier is not None:
        properties.update(SetIdentifier=set_identifier, Weight=weight)
    return {logical_id: {"Type": "AWS::Route53::RecordSet", "Properties": properties}}


@pytest.mark.parametrize(
    ("before", "after", "lost"),
    [
        # split → lambda: the ecs record goes, the lambda record answers: no loss.
        ({**_record("Api", "lambda", 50), **_record("Ecs", "ecs", 50)}, _record("Api", "lambda"), []),
        # The last record of the name goes: the domain stops answering.
        (_record("Api", "lambda"), {}, ["Api"]),
        # A weighted record renamed: CloudFormation would create a duplicate of a live set identifier.
        (_record("Api", "lambda"), _record("Renamed", "lambda"), ["Api"]),
        # A simple record removed beside a new weighted one: Route 53 refuses the mix, and it is a loss.
        (_record("Api", None), _record("Ecs", "ecs"), ["Api"]),
    ],
)
def test_a_weighted_record_may_go_only_while_another_answers_for_the_name(
    before: dict[str, Any], after: dict[str, Any], lost: list[str]
) -> None:
    pairs: Templates = {"edge": ({"Resources": before}, {"Resources": after})}
    assert [loss.logical_id for loss in stateful_losses(diff_templates(pairs), pairs)] == lost


def test_the_guard_refuses_a_compute_stack_that_gains_a_stateful_resource(prod: Synth, tmp_path: Path) -> None:
    current = tmp_path / "current"
    shutil.copytree(prod.outdir, current)
    compute = json.loads((current / "Lambda.template.json").read_text())
    compute["Resources"]["UploadsBucket1A2B3C4D"] = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}
    (current / "Lambda.template.json").write_text(json.dumps(compute))

    assert unreviewed(BASELINE, current, "prod-lambda") == [
        "prod-lambda/Lambda.template.json: holds UploadsBucket1A2B3C4D, which baseline/ has never seen"
    ]


def test_the_guard_names_the_secrets_key_that_a_rename_would_replace(prod: Synth, tmp_path: Path) -> None:
    """A new key would leave the SecureStrings under the old one, which no role is granted: a loss."""
    before, after = tmp_path / "before", tmp_path / "after"
    for folder in (before, after):
        folder.mkdir()
        shutil.copy(prod.outdir / "Network.template.json", folder)
    network = json.loads((after / "Network.template.json").read_text())
    network["Resources"]["SecretsKeyRenamed"] = network["Resources"].pop("SecretsKey0D2EC683")
    (after / "Network.template.json").write_text(json.dumps(network))

    described = [loss.describe() for loss in losses(before, after, "prod-lambda")]
    assert any("AWS::KMS::Key SecretsKey0D2EC683 would be" in line for line in described), described


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
