"""The rehearsal's emulator for issue 23's recovery: AWS Backup vaults, plans and selections as CloudFormation
resources (tools/rehearsal/backup.py), and a stack's DB instance followed by its identifier through the
restore-and-promote rename swap (tools/rehearsal/models.py), through boto3 the way the CDK CLI deploys."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.rehearsal import backup
from tools.rehearsal.server import ACCOUNT, REGION, Emulator, client

pytestmark = [pytest.mark.filterwarnings("ignore:Tried to parse")]

COPY_VAULT_ARN = "arn:aws:backup:ap-southeast-2:123456789012:backup-vault:anigmaa-prod-copy"
DATABASE_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:anigmaa-prod"


def deploy(server: Emulator, stack: str, template: dict[str, Any]) -> None:
    """A change set of ``template``, executed, as `cdk deploy` does (a new stack or an update)."""
    cloudformation = client(server.url, "cloudformation")
    summaries = cloudformation.list_stacks()["StackSummaries"]
    exists = any(s["StackName"] == stack and s["StackStatus"] != "DELETE_COMPLETE" for s in summaries)
    change_set = cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
    )["Id"]
    cloudformation.execute_change_set(ChangeSetName=change_set)


def outputs(server: Emulator, stack: str) -> dict[str, str]:
    [described] = client(server.url, "cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def physical_ids(server: Emulator, stack: str) -> dict[str, str]:
    resources = client(server.url, "cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return {resource["LogicalResourceId"]: resource["PhysicalResourceId"] for resource in resources}


# --------------------------------------------------------------------------- AWS Backup


def backup_template(vault_name: str, key_arn: str, *, vault_policy: str = "Retain") -> dict[str, Any]:
    """What aws_backup synthesizes (read from a CDK 2.275 synth): a locked vault with a customer-managed key, a
    plan whose daily rule is continuous and copies to another region's vault, and a selection with its role."""
    role_policy = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    return {
        "Resources": {
            "Vault23237E5B": {
                "Type": "AWS::Backup::BackupVault",
                "Properties": {
                    "BackupVaultName": vault_name,
                    "EncryptionKeyArn": key_arn,
                    "LockConfiguration": {"ChangeableForDays": 3, "MaxRetentionDays": 35, "MinRetentionDays": 7},
                },
                "UpdateReplacePolicy": vault_policy,
                "DeletionPolicy": vault_policy,
            },
            "DatabasePlan07D268EF": {
                "Type": "AWS::Backup::BackupPlan",
                "Properties": {
                    "BackupPlan": {
                        "BackupPlanName": f"{vault_name}-plan",
                        "BackupPlanRule": [
                            {
                                "CopyActions": [
                                    {"DestinationBackupVaultArn": COPY_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}}
                                ],
                                "EnableContinuousBackup": True,
                                "Lifecycle": {"DeleteAfterDays": 35},
                                "RuleName": "Daily",
                                "ScheduleExpression": "cron(0 3 * * ? *)",
                                "TargetBackupVault": {"Fn::GetAtt": ["Vault23237E5B", "BackupVaultName"]},
                            }
                        ],
                    },
                    "BackupPlanTags": {"env": "prod"},
                },
            },
            "BackupRole1ABCC5F0": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Action": "sts:AssumeRole",
                                "Effect": "Allow",
                                "Principal": {"Service": "backup.amazonaws.com"},
                            }
                        ],
                        "Version": "2012-10-17",
                    },
                    "ManagedPolicyArns": [role_policy],
                },
            },
            "DatabasePlanDatabaseE7136818": {
                "Type": "AWS::Backup::BackupSelection",
                "Properties": {
                    "BackupPlanId": {"Fn::GetAtt": ["DatabasePlan07D268EF", "BackupPlanId"]},
                    "BackupSelection": {
                        "IamRoleArn": {"Fn::GetAtt": ["BackupRole1ABCC5F0", "Arn"]},
                        "Resources": [DATABASE_ARN],
                        "SelectionName": "Database",
                    },
                },
            },
        },
        "Outputs": {
            "VaultName": {"Value": {"Ref": "Vault23237E5B"}},
            "VaultArn": {"Value": {"Fn::GetAtt": ["Vault23237E5B", "BackupVaultArn"]}},
            "PlanId": {"Value": {"Ref": "DatabasePlan07D268EF"}},
            "PlanArn": {"Value": {"Fn::GetAtt": ["DatabasePlan07D268EF", "BackupPlanArn"]}},
            "PlanVersion": {"Value": {"Fn::GetAtt": ["DatabasePlan07D268EF", "VersionId"]}},
            "SelectionId": {"Value": {"Ref": "DatabasePlanDatabaseE7136818"}},
            "RoleArn": {"Value": {"Fn::GetAtt": ["BackupRole1ABCC5F0", "Arn"]}},
        },
    }


def new_key(server: Emulator) -> str:
    return str(client(server.url, "kms").create_key(Description="backup vault")["KeyMetadata"]["Arn"])


def test_a_locked_vault_a_continuous_plan_with_a_copy_and_a_selection_are_made_through_backup(
    server: Emulator,
) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    deploy(server, f"backup-{name}", backup_template(name, key))
    made = outputs(server, f"backup-{name}")
    backups = client(server.url, "backup")

    vault = backups.describe_backup_vault(BackupVaultName=name)
    assert (vault["BackupVaultArn"], vault["EncryptionKeyArn"]) == (made["VaultArn"], key)
    assert made["VaultName"] == name
    assert vault["Locked"] is True
    assert (vault["MinRetentionDays"], vault["MaxRetentionDays"]) == (7, 35)
    assert "LockDate" in vault  # ChangeableForDays: compliance mode, immutable from then on

    plan = backups.get_backup_plan(BackupPlanId=made["PlanId"])
    assert (plan["BackupPlanArn"], plan["VersionId"]) == (made["PlanArn"], made["PlanVersion"])
    [rule] = plan["BackupPlan"]["Rules"]
    assert rule["TargetBackupVaultName"] == name
    assert rule["EnableContinuousBackup"] is True
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    assert [action["DestinationBackupVaultArn"] for action in rule["CopyActions"]] == [COPY_VAULT_ARN]
    assert backups.list_tags(ResourceArn=made["PlanArn"])["Tags"] == {"env": "prod"}

    [selection] = backup.selections(ACCOUNT, REGION, made["PlanId"])
    assert selection["SelectionId"] == made["SelectionId"]
    assert selection["BackupSelection"]["IamRoleArn"] == made["RoleArn"]
    assert selection["BackupSelection"]["Resources"] == [DATABASE_ARN]
    assert physical_ids(server, f"backup-{name}")["DatabasePlanDatabaseE7136818"] == made["SelectionId"]


def test_a_plan_updates_in_place_with_a_new_version_and_the_lock_changes_only_in_its_grace_time(
    server: Emulator,
) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    stack = f"backup-{name}"
    template = backup_template(name, key)
    deploy(server, stack, template)
    before = outputs(server, stack)

    changed = copy.deepcopy(template)
    changed["Resources"]["DatabasePlan07D268EF"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]["Lifecycle"] = {
        "DeleteAfterDays": 14
    }
    changed["Resources"]["Vault23237E5B"]["Properties"]["LockConfiguration"]["MinRetentionDays"] = 14
    deploy(server, stack, changed)
    after = outputs(server, stack)
    backups = client(server.url, "backup")
    assert after["PlanId"] == before["PlanId"]
    assert after["PlanVersion"] != before["PlanVersion"]
    [rule] = backups.get_backup_plan(BackupPlanId=after["PlanId"])["BackupPlan"]["Rules"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 14}
    assert backups.describe_backup_vault(BackupVaultName=name)["MinRetentionDays"] == 14

    backup.end_grace_time(ACCOUNT, REGION, name)
    with pytest.raises(ClientError, match="immutable"):
        backups.delete_backup_vault_lock_configuration(BackupVaultName=name)
    unlocked = copy.deepcopy(changed)
    del unlocked["Resources"]["Vault23237E5B"]["Properties"]["LockConfiguration"]
    with pytest.raises(ClientError, match="immutable"):
        deploy(server, stack, unlocked)
    assert backups.describe_backup_vault(BackupVaultName=name)["Locked"] is True


def test_a_continuous_rule_keeps_its_points_35_days_at_most(server: Emulator) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    template = backup_template(name, key)
    rule = template["Resources"]["DatabasePlan07D268EF"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]
    rule["Lifecycle"] = {"DeleteAfterDays": 36}
    with pytest.raises(ClientError, match="1 to 35 days, not 36"):
        deploy(server, f"backup-{name}", template)


def test_a_vault_with_recovery_points_is_never_deleted_and_retain_leaves_it_after_its_stack(
    server: Emulator,
) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    stack = f"backup-{name}"
    deploy(server, stack, backup_template(name, key))
    made = outputs(server, stack)
    backups = client(server.url, "backup")
    assert backup.add_recovery_point(ACCOUNT, REGION, name) == 1
    backup.end_grace_time(ACCOUNT, REGION, name)

    with pytest.raises(ClientError, match=r"cannot be deleted \(contains 1 recovery points\)") as refused:
        backups.delete_backup_vault(BackupVaultName=name)
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"

    client(server.url, "cloudformation").delete_stack(StackName=stack)
    assert backups.describe_backup_vault(BackupVaultName=name)["NumberOfRecoveryPoints"] == 1
    # The plan and its selection went with the stack (the selection first: a plan with one is refused).
    live_plans = [plan["BackupPlanId"] for plan in backups.list_backup_plans()["BackupPlansList"]]
    assert made["PlanId"] not in live_plans
    assert backup.selections(ACCOUNT, REGION, made["PlanId"]) == []


def test_a_stack_whose_vault_holds_recovery_points_ends_delete_failed_with_the_vault(server: Emulator) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    stack = f"backup-{name}"
    deploy(server, stack, backup_template(name, key, vault_policy="Delete"))
    backup.add_recovery_point(ACCOUNT, REGION, name)

    cloudformation = client(server.url, "cloudformation")
    cloudformation.delete_stack(StackName=stack)
    [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "DELETE_FAILED"
    assert "Vault23237E5B" in physical_ids(server, stack)
    assert client(server.url, "backup").describe_backup_vault(BackupVaultName=name)["BackupVaultName"] == name


def test_an_empty_vault_is_deleted_with_its_stack_and_its_plan_name_can_be_used_again(server: Emulator) -> None:
    name, key = f"vault-{uuid.uuid4().hex[:8]}", new_key(server)
    stack = f"backup-{name}"
    deploy(server, stack, backup_template(name, key, vault_policy="Delete"))
    cloudformation, backups = client(server.url, "cloudformation"), client(server.url, "backup")
    cloudformation.delete_stack(StackName=stack)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backups.describe_backup_vault(BackupVaultName=name)
    deploy(server, stack, backup_template(name, key, vault_policy="Delete"))
    assert outputs(server, stack)["VaultName"] == name


# --------------------------------------------------------------------------- promote: the rename swap


def database_template(identifier: str, *, retention: int, policy: str) -> dict[str, Any]:
    return {
        "Resources": {
            "DatabaseInstance": {
                "Type": "AWS::RDS::DBInstance",
                "DeletionPolicy": policy,
                "UpdateReplacePolicy": policy,
                "Properties": {
                    "DBInstanceIdentifier": identifier,
                    "DBInstanceClass": "db.t4g.micro",
                    "Engine": "postgres",
                    "EngineVersion": "16.4",
                    "AllocatedStorage": "20",
                    "MasterUsername": "app",
                    "MasterUserPassword": "test-only-password-0000",
                    "BackupRetentionPeriod": retention,
                },
            }
        },
        "Outputs": {
            "Endpoint": {"Value": {"Fn::GetAtt": ["DatabaseInstance", "Endpoint.Address"]}},
            "ResourceId": {"Value": {"Fn::GetAtt": ["DatabaseInstance", "DbiResourceId"]}},
            "Name": {"Value": {"Ref": "DatabaseInstance"}},
        },
    }


def promoted(server: Emulator, identifier: str) -> tuple[str, str]:
    """Restore beside the instance from a snapshot, rename the live one aside and the restored one to its
    identifier, as `tools.ops.restore promote` does; the DbiResourceIds of the restored and the aside one."""
    rds = client(server.url, "rds")
    snapshot = f"{identifier}-before-loss"
    rds.create_db_snapshot(DBInstanceIdentifier=identifier, DBSnapshotIdentifier=snapshot)
    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=f"{identifier}-restored", DBSnapshotIdentifier=snapshot
    )["DBInstance"]["DbiResourceId"]
    aside = f"{identifier}-before-restore"
    rds.modify_db_instance(DBInstanceIdentifier=identifier, NewDBInstanceIdentifier=aside, ApplyImmediately=True)
    rds.modify_db_instance(
        DBInstanceIdentifier=f"{identifier}-restored", NewDBInstanceIdentifier=identifier, ApplyImmediately=True
    )
    [old] = rds.describe_db_instances(DBInstanceIdentifier=aside)["DBInstances"]
    return str(restored), str(old["DbiResourceId"])


def instance(server: Emulator, identifier: str) -> dict[str, Any]:
    [found] = client(server.url, "rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    return dict(found)


def test_after_the_rename_swap_the_stack_holds_the_restored_instance_by_its_identifier(server: Emulator) -> None:
    identifier = f"db-{uuid.uuid4().hex[:8]}"
    stack = f"data-{identifier}"
    deploy(server, stack, database_template(identifier, retention=7, policy="Retain"))
    original = outputs(server, stack)

    restored, aside = promoted(server, identifier)
    assert original["ResourceId"] == aside
    # The endpoint name follows the identifier, so the restored instance answers at the old address.
    assert instance(server, identifier)["Endpoint"]["Address"] == original["Endpoint"]
    assert instance(server, identifier)["DbiResourceId"] == restored
    assert instance(server, f"{identifier}-before-restore")["Endpoint"]["Address"].startswith(
        f"{identifier}-before-restore."
    )
    assert physical_ids(server, stack) == {"DatabaseInstance": identifier}

    deploy(server, stack, database_template(identifier, retention=14, policy="Retain"))
    assert instance(server, identifier)["BackupRetentionPeriod"] == 14
    assert instance(server, f"{identifier}-before-restore")["BackupRetentionPeriod"] == 7
    assert outputs(server, stack) == {"Endpoint": original["Endpoint"], "ResourceId": restored, "Name": identifier}

    client(server.url, "cloudformation").delete_stack(StackName=stack)
    assert instance(server, identifier)["DbiResourceId"] == restored
    assert instance(server, f"{identifier}-before-restore")["DbiResourceId"] == aside


def test_deleting_the_stack_after_the_swap_deletes_the_instance_it_holds_not_the_one_renamed_aside(
    server: Emulator,
) -> None:
    identifier = f"db-{uuid.uuid4().hex[:8]}"
    stack = f"data-{identifier}"
    deploy(server, stack, database_template(identifier, retention=7, policy="Delete"))
    _, aside = promoted(server, identifier)

    client(server.url, "cloudformation").delete_stack(StackName=stack)
    with pytest.raises(ClientError, match="DBInstanceNotFound"):
        instance(server, identifier)
    assert instance(server, f"{identifier}-before-restore")["DbiResourceId"] == aside


def test_between_the_two_renames_the_stack_holds_nothing_and_its_deletion_deletes_nothing(server: Emulator) -> None:
    identifier = f"db-{uuid.uuid4().hex[:8]}"
    stack = f"data-{identifier}"
    deploy(server, stack, database_template(identifier, retention=7, policy="Delete"))
    rds = client(server.url, "rds")
    aside = f"{identifier}-before-restore"
    rds.modify_db_instance(DBInstanceIdentifier=identifier, NewDBInstanceIdentifier=aside, ApplyImmediately=True)

    client(server.url, "cloudformation").delete_stack(StackName=stack)
    assert instance(server, aside)["DBInstanceIdentifier"] == aside
