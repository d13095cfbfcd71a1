"""AWS Backup: the plan, its selection and role, the vaults with their keys and locks, the copy stack, dev
without any of it, and what the cost report makes of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.conftest import EXAMPLE_ACCOUNT_VAULT_ARN, ROOT, Synth
from tools.cost import inventory, prices
from tools.cost.model import Usage, shared_lines

# Renaming any of these replaces a vault (whose recovery points then sit in a vault the app no longer
# manages) or a key (whose recovery points no one could then read). Never change them.
PINNED_DATA_IDS = {
    "BackupVault68B95C06": "AWS::Backup::BackupVault",
    "BackupVaultKey74395416": "AWS::KMS::Key",
    "BackupPlan14914BEB": "AWS::Backup::BackupPlan",
}
PINNED_COPY_IDS = {"CopyVault87F9E5EC": "AWS::Backup::BackupVault", "CopyVaultKeyD618E163": "AWS::KMS::Key"}
COPY_VAULT_ARN = {
    "Fn::Join": [
        "",
        ["arn:aws:backup:ap-southeast-3:", {"Ref": "AWS::AccountId"}, ":backup-vault:anigmaa-prod-backup-copy"],
    ]
}


@pytest.fixture(scope="module")
def copy_template(prod: Synth) -> Template:
    assert prod.stacks.backup_copy is not None
    return Template.from_stack(prod.stacks.backup_copy)


def _rules(synth: Synth) -> dict[str, dict[str, Any]]:
    [plan] = synth.templates["data"].find_resources("AWS::Backup::BackupPlan").values()
    return {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}


def test_the_plan_keeps_daily_and_continuous_points_and_copies_both_out_of_the_region(prod: Synth) -> None:
    prod.templates["data"].has_resource_properties(
        "AWS::Backup::BackupPlan", {"BackupPlan": {"BackupPlanName": "anigmaa-prod-backup"}}
    )
    rules = _rules(prod)
    assert set(rules) == {"Daily", "Continuous"}
    vault = {"Fn::GetAtt": ["BackupVault68B95C06", "BackupVaultName"]}
    copy = [{"DestinationBackupVaultArn": COPY_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}}]
    for rule in rules.values():
        # 22:00 UTC, within an hour: an hour clear of RDS's backup (18:00-18:30) and maintenance (sun 20:00-20:30).
        assert rule["ScheduleExpression"] == "cron(0 22 * * ? *)"
        assert (rule["StartWindowMinutes"], rule["CompletionWindowMinutes"]) == (60, 480)
        assert rule["TargetBackupVault"] == vault
        assert rule["CopyActions"] == copy
    assert rules["Daily"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert "EnableContinuousBackup" not in rules["Daily"]
    assert rules["Continuous"]["EnableContinuousBackup"] is True
    assert rules["Continuous"]["Lifecycle"] == {"DeleteAfterDays": 14}


def test_the_selection_is_the_database_and_the_bucket_with_aws_backups_own_policies(prod: Synth) -> None:
    data = prod.templates["data"]
    data.has_resource_properties(
        "AWS::Backup::BackupSelection",
        {
            "BackupPlanId": {"Fn::GetAtt": ["BackupPlan14914BEB", "BackupPlanId"]},
            "BackupSelection": {
                "SelectionName": "DatabaseAndAssets",
                "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^BackupRole"), "Arn"]},
                "Resources": [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:aws:rds:ap-southeast-1:",
                                {"Ref": "AWS::AccountId"},
                                ":db:",
                                {"Ref": "DatabaseInstanceAA8A5FDE"},
                            ],
                        ]
                    },
                    {"Fn::GetAtt": ["AssetsBucket252B3DF7", "Arn"]},
                ],
            },
        },
    )
    [role] = [
        r
        for r in data.find_resources("AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "backup.amazonaws.com"}
    ]
    policies = [arn["Fn::Join"][1][2] for arn in role["Properties"]["ManagedPolicyArns"]]
    assert policies == [
        ":iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        ":iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        ":iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        ":iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    ]
    assert "Policies" not in role["Properties"]  # nothing inline beside AWS's own


def test_the_vault_has_its_own_rotated_key_a_compliance_lock_and_outlives_the_stack(prod: Synth) -> None:
    resources = prod.json("data")["Resources"]
    assert {logical_id: resources[logical_id]["Type"] for logical_id in PINNED_DATA_IDS} == PINNED_DATA_IDS
    vault = resources["BackupVault68B95C06"]
    assert vault["Properties"]["BackupVaultName"] == "anigmaa-prod-backup"
    assert vault["Properties"]["EncryptionKeyArn"] == {"Fn::GetAtt": ["BackupVaultKey74395416", "Arn"]}
    # A fixed minimum, whatever the rules keep (a compliance lock cannot change after its date); 3 days' grace.
    assert vault["Properties"]["LockConfiguration"] == {"ChangeableForDays": 3, "MinRetentionDays": 7}
    key = resources["BackupVaultKey74395416"]
    assert key["Properties"]["EnableKeyRotation"] is True
    for resource in (vault, key):
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    prod.templates["data"].has_resource_properties(
        "AWS::KMS::Alias",
        {"AliasName": "alias/anigmaa-prod-backup", "TargetKeyId": {"Fn::GetAtt": ["BackupVaultKey74395416", "Arn"]}},
    )


def test_failed_jobs_reach_the_alarm_topic(prod: Synth) -> None:
    data = prod.templates["data"]
    resources = prod.json("data")["Resources"]
    [topic_id] = [k for k, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    # The supported failure events only: BACKUP_JOB_FAILED and RESTORE_JOB_FAILED are deprecated, never sent.
    assert resources["BackupVault68B95C06"]["Properties"]["Notifications"] == {
        "BackupVaultEvents": ["COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"],
        "SNSTopicArn": {"Ref": topic_id},
    }
    # A backup job's failure comes through EventBridge.
    data.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.backup"],
                "detail-type": ["Backup Job State Change"],
                "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
            },
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Ref": topic_id}})],
        },
    )
    # Both services may publish to the topic (the CDK's statement, as AWS Backup documents it), besides the alarms.
    [policy] = data.find_resources("AWS::SNS::TopicPolicy").values()
    allowed = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Action"] == "sns:Publish" and s["Resource"] == {"Ref": topic_id} for s in allowed)
    services = [s["Principal"]["Service"] for s in allowed]
    assert sorted(name for entry in services for name in ([entry] if isinstance(entry, str) else entry)) == [
        "backup.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]


def test_continuous_backup_and_rds_keep_one_retention(prod: Synth) -> None:
    """AWS Backup sets the instance's retention to the continuous rule's, and RDS refuses any other value."""
    instance = prod.json("data")["Resources"]["DatabaseInstanceAA8A5FDE"]["Properties"]
    assert instance["BackupRetentionPeriod"] == _rules(prod)["Continuous"]["Lifecycle"]["DeleteAfterDays"] == 14


def test_the_copy_stack_holds_only_the_copy_vault_in_the_copy_region(prod: Synth, copy_template: Template) -> None:
    stack = prod.stacks.backup_copy
    assert stack is not None
    assert (stack.node.id, stack.stack_name, stack.region) == (
        "BackupCopy",
        "anigmaa-prod-backup-copy",
        "ap-southeast-3",
    )
    assert stack.termination_protection is True
    assert stack in prod.stacks.data.dependencies  # deployed first, by cdk deploy --all too
    resources = copy_template.to_json()["Resources"]
    assert {r["Type"] for r in resources.values()} == {"AWS::Backup::BackupVault", "AWS::KMS::Key", "AWS::KMS::Alias"}
    assert {logical_id: resources[logical_id]["Type"] for logical_id in PINNED_COPY_IDS} == PINNED_COPY_IDS
    copy_template.has_resource(
        "AWS::Backup::BackupVault",
        {
            "Properties": {
                "BackupVaultName": "anigmaa-prod-backup-copy",
                "EncryptionKeyArn": {"Fn::GetAtt": ["CopyVaultKeyD618E163", "Arn"]},
                "LockConfiguration": {"ChangeableForDays": 3, "MinRetentionDays": 7},
                # Its region has no alarm topic: the data stack's vault reports the copy jobs.
                "Notifications": Match.absent(),
                "BackupVaultTags": {"project": "anigmaa", "environment": "prod"},
            },
            "DeletionPolicy": "Retain",
        },
    )
    copy_template.has_resource_properties(
        "AWS::KMS::Key", {"EnableKeyRotation": True, "Tags": Match.array_with([{"Key": "project", "Value": "anigmaa"}])}
    )
    copy_template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/anigmaa-prod-backup-copy"})
    # It exports nothing, so no reference crosses the regions: only the deploy order links the two stacks.
    assert not copy_template.to_json().get("Outputs")


def test_aws_managed_keys_stay_where_they_are(prod: Synth) -> None:
    """prod and dev may be deployed on aws/rds: the key is never changed under them (that replaces the instance)."""
    data = prod.json("data")["Resources"]
    assert "KmsKeyId" not in data["DatabaseInstanceAA8A5FDE"]["Properties"]
    assert "KmsKeyId" not in data["CacheReplicationGroupBFE59FF3"]["Properties"]


def test_a_copy_to_another_account_needs_and_shares_the_customer_managed_data_key(
    synth: Callable[[str], Synth],
) -> None:
    account = synth("prod-backup-account")
    data = account.json("data")["Resources"]
    [key_id] = [k for k, r in data.items() if r["Type"] == "AWS::KMS::Key" and "DataKey" in k]
    assert data["DatabaseInstanceAA8A5FDE"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert data["CacheReplicationGroupBFE59FF3"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert data[key_id]["Properties"]["EnableKeyRotation"] is True
    assert data[key_id]["DeletionPolicy"] == "Retain"
    statements = data[key_id]["Properties"]["KeyPolicy"]["Statement"]
    [shared] = [s for s in statements if s.get("Sid") == "CopiesToAnotherAccount"]
    assert shared["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    assert set(shared["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:CreateGrant",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    }
    account.templates["data"].has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/anigmaa-prod-data"})
    for rule in _rules(account).values():
        assert rule["CopyActions"] == [
            {"DestinationBackupVaultArn": COPY_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}},
            {"DestinationBackupVaultArn": EXAMPLE_ACCOUNT_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}},
        ]
    # Governance: a minimum retention, and no date after which the lock cannot be lifted.
    account.templates["data"].has_resource_properties(
        "AWS::Backup::BackupVault", {"LockConfiguration": {"MinRetentionDays": 7, "ChangeableForDays": Match.absent()}}
    )
    # The vault's key too: a copy of the bucket's recovery points is encrypted with it.
    [vault_key] = [r for k, r in data.items() if k.startswith("BackupVaultKey") and r["Type"] == "AWS::KMS::Key"]
    [vault_shared] = [
        s for s in vault_key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "CopiesToAnotherAccount"
    ]
    assert vault_shared == {**shared, "Resource": "*"}


def test_dev_has_no_backup_and_its_data_template_is_unchanged(dev: Synth) -> None:
    assert dev.stacks.backup_copy is None
    for role, template in dev.templates.items():
        for kind in ("AWS::Backup::BackupPlan", "AWS::Backup::BackupVault", "AWS::Backup::BackupSelection"):
            assert not template.find_resources(kind), (role, kind)
    # What the guard's baseline holds (a CLI synth), less the CLI's analytics: backup=false adds nothing.
    baseline = json.loads((ROOT / "baseline" / "dev" / "Data.template.json").read_text(encoding="utf-8"))
    assert baseline["Resources"].pop("CDKMetadata")["Type"] == "AWS::CDK::Metadata"
    baseline.pop("Conditions", None)  # the CLI's CDKMetadataAvailable, when it adds one
    assert json.loads((dev.outdir / "Data.template.json").read_text(encoding="utf-8")) == baseline


def test_the_cost_report_prices_the_backups_the_copies_and_the_keys(prod: Synth, dev: Synth) -> None:
    table = prices.load(prices.default_path("ap-southeast-1"))
    usage = Usage(requests=1e6)
    inv = inventory.read(prod.outdir)  # the copy stack's other region is allowed
    assert inv.backups is not None
    assert (inv.backups.copy_region, inv.backups.copies_per_day, inv.kms_keys) == ("ap-southeast-3", 2, 3)
    lines = {line.label: line.usd for line in shared_lines(inv, table, usage)}
    rds, s3, change = 0.095, 0.05, 0.02  # the committed rates; 2% of 20 GB (database) and 5 GB (bucket) a day
    expected = {
        "AWS Backup, RDS daily, 33.6 GB (35 days)": 20 * (1 + 34 * change) * rds,
        "AWS Backup, RDS continuous, 25.2 GB (14 days)": 20 * (1 + 13 * change) * rds,
        "AWS Backup, S3 daily, 8.4 GB (35 days)": 5 * (1 + 34 * change) * s3,
        "AWS Backup, S3 continuous, 6.3 GB (14 days)": 5 * (1 + 13 * change) * s3,
        # Two rules copy once a day each: twice the changes reach the copy vault and cross the regions.
        "AWS Backup copies in ap-southeast-3, RDS 47.2 GB (35 days, ap-southeast-1 rates)": 20
        * (1 + 68 * change)
        * rds,
        "AWS Backup copies in ap-southeast-3, S3 11.8 GB (35 days, ap-southeast-1 rates)": 5 * (1 + 68 * change) * s3,
        "Cross-region copy transfer, 30.4 GB": 2 * 730 / 24 * change * 25 * 0.09,
        "KMS keys x3 (first year)": 3.0,  # the secrets key, the vault's and the copy vault's
    }
    for label, usd in expected.items():
        assert lines[label] == pytest.approx(usd), label
    assert sum(expected.values()) == pytest.approx(17.13, abs=0.01)
    dev_labels = [line.label for line in shared_lines(inventory.read(dev.outdir), table, usage)]
    assert not [label for label in dev_labels if "Backup" in label or "transfer" in label]
    assert "KMS keys x1 (first year)" in dev_labels  # the secrets key alone
