"""Recovery, rehearsed as docs/recovery.md tells it, on prod deployed with its backups.

The backup plan, both vaults (the copy in the second region, locked) and the selection are
checked as deployed; then objects are written, the time noted, and they are overwritten and
deleted; `tools.ops.restore bucket` puts them back as they were. The database is restored beside
the live one to a time, `tools.ops.restore promote` swaps the names (refused first without
--yes), and `cdk deploy --all` afterwards changes nothing: the data stack holds the restored
instance under the live identifier, and the function's configured host is its endpoint.

What the emulator cannot show (docs/recovery.md says it too): rows (moto keeps no data, so no
table is dropped and restored), real restore and rename durations, the restorable window's real
edge, backup and copy jobs, and the lock's enforcement over time.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tools import ROOT
from tools.ops.aws import load_environment
from tools.rehearsal import backup, server
from tools.rehearsal.server import ACCOUNT

if TYPE_CHECKING:
    from tools.rehearsal.__main__ import Rehearsal

PYTHON = ROOT / ".venv" / "bin" / "python"
RESTORE = (str(PYTHON), "-m", "tools.ops.restore")
# Written before the time noted, then overwritten, deleted, or (the last) written only after it.
OBJECTS = {"uploads/a.txt": b"first a", "uploads/b.txt": b"first b", "uploads/c.txt": b"first c"}


class RecoveryError(Exception):
    """A recovery step did not do what the runbook says; the message names it."""


def rehearse_recovery(r: Rehearsal) -> None:
    """On prod as `rehearse` leaves it deployed (Lambda path): backups, bucket restore, restore and promote."""
    prod = load_environment("prod", ROOT)
    check_backups(r, prod.stack_name("data"), prod.backup_copy_region)
    data = prod.stack_name("data")
    bucket = _output(r, data, "ExportsOutputRefAssetsBucket")
    live = _output(r, data, "ExportsOutputRefDatabaseInstance")

    s3 = r.client("s3")
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    time.sleep(1.1)  # S3 keeps times to the second
    noted = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.1)
    s3.put_object(Bucket=bucket, Key="uploads/a.txt", Body=b"overwritten a")
    s3.delete_object(Bucket=bucket, Key="uploads/b.txt")
    s3.put_object(Bucket=bucket, Key="uploads/d.txt", Body=b"written after")
    versions = len(s3.list_object_versions(Bucket=bucket, Prefix="uploads/").get("Versions", []))
    at = noted.isoformat().replace("+00:00", "Z")
    r.run("recovery: restore bucket (dry run)", [*RESTORE, "bucket", "--env", "prod", "--to", at, "--dry-run"])
    r.run("recovery: restore bucket to the time noted", [*RESTORE, "bucket", "--env", "prod", "--to", at])
    now = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in (*OBJECTS, "uploads/d.txt")}
    if now != {**OBJECTS, "uploads/d.txt": b"written after"}:
        raise RecoveryError(f"recovery: the bucket after the restore holds {now}")
    after = len(s3.list_object_versions(Bucket=bucket, Prefix="uploads/").get("Versions", []))
    if after < versions:
        raise RecoveryError(f"recovery: the bucket restore deleted versions ({versions} → {after})")
    r.log(f"      {bucket}: a and b as at {at}, c unchanged, d (written after) kept; {versions} → {after} versions")

    rds = r.client("rds")
    before = rds.describe_db_instances(DBInstanceIdentifier=live)["DBInstances"][0]
    to = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    r.run("recovery: restore db beside, to a time", [*RESTORE, "db", "--env", "prod", "--to", to])
    [copy] = [d for d in rds.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"] != live]
    restored = copy["DBInstanceIdentifier"]
    _same("the restored instance's", copy, before, ("DBSubnetGroup", "VpcSecurityGroups", "DBParameterGroups"))
    untouched = rds.describe_db_instances(DBInstanceIdentifier=live)["DBInstances"][0]
    if untouched["InstanceCreateTime"] != before["InstanceCreateTime"]:
        raise RecoveryError("recovery: the restore beside changed the live instance")
    promote = [*RESTORE, "promote", "--env", "prod", "--restored", restored]
    plan = r.run("recovery: promote, the plan (no --yes)", promote)
    if (
        rds.describe_db_instances(DBInstanceIdentifier=live)["DBInstances"][0]["InstanceCreateTime"]
        != (before["InstanceCreateTime"])
    ):
        raise RecoveryError(f"recovery: promote without --yes renamed something:\n{plan}")
    r.run("recovery: promote --yes (the rename swap)", [*promote, "--yes"])
    promoted = rds.describe_db_instances(DBInstanceIdentifier=live)["DBInstances"][0]
    if promoted["InstanceCreateTime"] != copy["InstanceCreateTime"]:
        raise RecoveryError(f"recovery: {live} is not the restored instance after the swap")
    aside = [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]]
    if not any("-before-" in name for name in aside):
        raise RecoveryError(f"recovery: the old instance is gone after the swap: {aside}")

    output = r.deploy("recovery: deploy --all after the promote (changes nothing)", "--all")
    unchanged = [name for name in (data, prod.stack_name("lambda")) if f"({name}) (no changes)" in output]
    if len(unchanged) != 2:
        raise RecoveryError(f"recovery: the deploy after the promote changed {data} or the Lambda stack:\n{output}")
    held = {
        res.get("LogicalResourceId"): res.get("PhysicalResourceId")
        for res in r.client("cloudformation").describe_stack_resources(StackName=data)["StackResources"]
    }
    if held.get("DatabaseInstanceAA8A5FDE") != live:
        raise RecoveryError(f"recovery: {data} holds {held.get('DatabaseInstanceAA8A5FDE')}, not {live}")
    host = _function_db_host(r, prod.names.function)
    if host != promoted["Endpoint"]["Address"]:
        raise RecoveryError(f"recovery: the function's DB host is {host}, not the promoted {live}'s endpoint")
    old = next(name for name in aside if "-before-" in name)
    r.log(f"      {data}: {live} is the restored instance, the function's host its endpoint; the old one kept as {old}")


def check_backups(r: Rehearsal, data: str, copy_region: str | None) -> None:
    """The plan, its selection and the vaults as deployed: the copy vault in the second region, locked."""
    cloudformation = r.client("cloudformation")
    template = cloudformation.get_template(StackName=data)["TemplateBody"]
    template = json.loads(template) if isinstance(template, str) else template
    held = {
        res.get("LogicalResourceId"): res.get("PhysicalResourceId")
        for res in cloudformation.describe_stack_resources(StackName=data)["StackResources"]
    }
    by_type = {resource["Type"]: held.get(logical_id) for logical_id, resource in template["Resources"].items()}
    plan_id = by_type.get("AWS::Backup::BackupPlan")
    if plan_id is None or "AWS::Backup::BackupVault" not in by_type:
        raise RecoveryError(f"recovery: {data} has no backup plan or vault")
    rules = r.client("backup").get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
    selected = backup.selections(ACCOUNT, server.REGION, plan_id)
    if copy_region is None:
        raise RecoveryError("recovery: prod has no backup_copy_region")
    vault = server.client(r.emulator.url, "backup", region=copy_region).describe_backup_vault(
        BackupVaultName=f"{data.removesuffix('-data')}-backup-copy"
    )
    continuous = [rule for rule in rules if rule.get("EnableContinuousBackup")]
    copies = {action["DestinationBackupVaultArn"] for rule in rules for action in rule.get("CopyActions", [])}
    if not continuous or vault["BackupVaultArn"] not in copies or not vault.get("Locked"):
        raise RecoveryError(f"recovery: rules {rules}, copy vault {vault}")
    r.log(
        f"      {data}: plan with {len(rules)} rules ({len(continuous)} continuous), {len(selected)} selection(s), "
        f"copies to {vault['BackupVaultName']} in {copy_region} (locked)"
    )


def _output(r: Rehearsal, stack: str, prefix: str) -> str:
    outputs = r.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    [value] = [o["OutputValue"] for o in outputs if o["OutputKey"].startswith(prefix) and "Arn" not in o["OutputKey"]]
    return str(value)


def _same(what: str, copy: dict[str, Any], live: dict[str, Any], keys: tuple[str, ...]) -> None:
    differ = [key for key in keys if copy.get(key) != live.get(key)]
    if differ:
        raise RecoveryError(f"recovery: {what} {', '.join(differ)} differ from the live instance's")


def _function_db_host(r: Rehearsal, function: str) -> str:
    configuration = r.client("lambda").get_function_configuration(FunctionName=function)
    return str(configuration["Environment"]["Variables"]["DB_HOST"])
