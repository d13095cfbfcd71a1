"""Restore the data stack's database, bucket or cache beside the live one, check it, and promote it.

Usage:
  python -m tools.ops.restore db --env prod (--to 2026-12-03T02:15:00Z | --latest | --snapshot ID
                                             | --recovery-point ARN) [--name NEW_ID] [--no-wait]
      a new instance beside the live one, with the live one's settings; prints how to reach it
  python -m tools.ops.restore promote --env prod --restored ID [--yes]
      the rename swap: live X → X-before-<UTC yyyymmddhhmm>, then ID → X; without --yes, the plan only.
      ID must be a restore of X (tag anigmaa:restored-from) or an instance an earlier promote put aside (tag
      anigmaa:promoted-aside-from), not a replica, with no change pending and X's security groups, IAM
      authentication, parameter group and deletion protection. The plan prints the renames that finish or undo
      a swap stopped halfway; while X is missing, every command names them.
  python -m tools.ops.restore bucket --env prod --to 2026-12-03T02:15:00Z [--prefix P] [--dry-run]
      every key put back to the version that was current then, as a new version; nothing deleted. A key changed
      twice within one second around then is reported ambiguous, with the commands to pick a version by hand
  python -m tools.ops.restore cache --env prod --snapshot NAME
      prints the command that creates a new replication group from a snapshot; runs nothing

--env is required: every command acts on one environment's stacks, named on purpose.
The live resources are the data stack's (``anigmaa-<env>-data``): each is found through the
stack's export of its pinned logical ID (``ExportsOutputRef<logical id>…``), else the stack's
resource of that logical ID. Every refusal is one line on stderr (exit 1), and names what to
do. Nothing is ever deleted, and no secret value is read or printed: the master password is
named by its SSM parameter.

What AWS documents, and what this tool relies on
-------------------------------------------------
RestoreDBInstanceToPointInTime (API reference, docs.aws.amazon.com/AmazonRDS/latest/APIReference/
API_RestoreDBInstanceToPointInTime.html): "You can restore to any point in time before the time
identified by the LatestRestorableTime property. You can restore to a point up to the number of
days specified by the BackupRetentionPeriod property. The target database is created with most
of the original configuration, but in a system-selected Availability Zone, with the default
security group, the default subnet group, and the default DB parameter group. By default, the new
DB instance is created as a single-AZ deployment". RestoreTime and UseLatestRestorableTime:
"Can't be specified if the RestoreTime parameter is provided" (SDK reference).
RestoreDBInstanceFromDBSnapshot (boto3 reference): "created from the source database restore
point with most of the source's original configuration, including the default security group and
DB parameter group. By default, the new DB instance is created as a Single-AZ deployment".
So every setting the app gives the instance is passed explicitly: subnet group, VPC security
groups, parameter group, a non-default option group, class, storage type (and IOPS/throughput
where they may be set), Multi-AZ, deletion protection (on), copy-tags-to-snapshot, IAM
authentication, CloudWatch log exports, backup retention and window, tags (plus
``anigmaa:restored-from`` and ``anigmaa:restored-to``). Neither call takes monitoring
(MonitoringInterval, MonitoringRoleArn), the maintenance window, Performance Insights or (for a
snapshot) MaxAllocatedStorage: a ModifyDBInstance sets them once the instance is available (RDS
modifies only an available instance). Neither call takes a KMS key (botocore's service model has
no KmsKeyId on either): the copy is encrypted as its source is, with its key; a different key
means copying the snapshot with that key first (CopyDBSnapshot --kms-key-id), then restoring it.
DescribeDBInstances gives LatestRestorableTime but no earliest time; the earliest is the
automated backup's RestoreWindow.EarliestTime (DescribeDBInstanceAutomatedBackups). When that is
absent the window starts at the later of the instance's creation and BackupRetentionPeriod days
ago (the bound the API reference states).

AWS Backup: StartRestoreJob (docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html)
takes a flat map: "You can get configuration metadata about a resource at the time it was backed
up by calling GetRecoveryPointRestoreMetadata. However, values in addition to those provided by
GetRecoveryPointRestoreMetadata might be required to restore a resource. For example, you might
need to provide a new resource name if the original already exists", plus a role for Backup to
act as, and both GetRecoveryPointRestoreMetadata and DescribeRecoveryPoint need the vault's
name. This tool does not use it: a snapshot recovery point of an RDS instance is an RDS DB
snapshot whose ARN (``arn:aws:rds:<region>:<account>:snapshot:awsbackup:job-…``, the form
recovery points of RDS take; observed, not quoted from a page) RestoreDBInstanceFromDBSnapshot
takes as DBSnapshotIdentifier, with every setting above; a continuous recovery point
(``arn:aws:backup:…:recovery-point:continuous:…``) is the instance's own point-in-time window,
which ``--to`` restores; a copy in another region or account is restored there (or copied here
first with ``aws backup start-copy-job``). The tool says so in one line for those.

Renaming (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html): "When you
rename a DB instance, the endpoint for the DB instance changes, because the URL includes the
name you assigned to the DB instance"; "the old DNS name that was used by the DB instance is
immediately deleted, although it could remain cached for a few minutes. The new DNS name for the
renamed DB instance becomes effective in about 10 minutes. The renamed DB instance is not
available until the new name becomes effective"; "You cannot use an existing DB instance name
when renaming an instance"; "Metrics and events associated with the name of a DB instance are
maintained if you reuse a DB instance name"; "DB instance tags remain with the DB instance,
regardless of renaming"; and (the same page, "Renaming to replace an existing DB instance") the
instance reboots after renaming. So the swap costs two renames of about 10 minutes each in which
the name answers nothing: plan on 20 to 30 minutes without the database, with writes stopped
first. CloudFormation's AWS::RDS::DBInstance is identified by DBInstanceIdentifier (its physical
ID, the Ref), and the endpoint name follows the identifier (``<identifier>.<account-region
hash>.<region>.rds.amazonaws.com``): after the swap the data stack's instance, its exports and
the backend's DB_HOST all name the restored instance, and no template changes.

S3 (docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html): "Copy a
previous version of the object into the same bucket. The copied object becomes the current
version of that object and all object versions are preserved." ListObjectVersions pages through
every version and delete marker; CopyObject with ``CopySource.VersionId`` and
``MetadataDirective=COPY`` keeps the version's metadata (and, by default, its tags). CopyObject
copies up to 5 GB; a larger or archived (Glacier) version is skipped, with the command to use.

ElastiCache: CreateReplicationGroup takes SnapshotName ("the name of a snapshot from which to
restore data into the new replication group"), always into a new group with a new endpoint;
a restore never writes into the live group.

What Redis holds for this backend: nothing yet. The Go backend (lambda_src/) opens one Redis
client and only PINGs it in /health/ready; no route reads or writes a key (the frame's routes
are the health endpoints; the API's own routes are yet to be added in router.go). Losing the
cache today loses no data, and a new empty group serves as well as a restored one; but
/health/ready fails while REDIS_HOST answers nothing. Once routes keep sessions, rate-limit
counters or anything not rebuilt from PostgreSQL in Redis, a snapshot (daily, kept
``cache_snapshot_retention_days``) is all that survives, up to a day old.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TextIO

from config import AppConfig
from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors
from tools.ops.smoke import stack_outputs

# The data stack's pinned logical IDs (tests/test_data.py pins them).
DATABASE_ID = "DatabaseInstanceAA8A5FDE"
CACHE_ID = "CacheReplicationGroupBFE59FF3"
BUCKET_ID = "AssetsBucket252B3DF7"

RESTORED_FROM_TAG = "anigmaa:restored-from"
RESTORED_TO_TAG = "anigmaa:restored-to"
# Put on the live instance by promote just before it is renamed aside: the identifier it had, and the instance
# promoted in its place. The first lets it be promoted back; the second names the rename that finishes the swap.
PROMOTED_ASIDE_FROM_TAG = "anigmaa:promoted-aside-from"
PROMOTED_ASIDE_FOR_TAG = "anigmaa:promoted-aside-for"
# RDS's limit on an identifier's length.
MAX_IDENTIFIER = 63
# How long a restore or a rename may take before the tool gives up waiting (it changes nothing then).
WAIT_SECONDS = 3 * 3600
POLL_SECONDS = 30
# CopyObject's limit (docs: "copy an object up to 5 GB in size in a single atomic action").
COPY_LIMIT = 5 * 1024**3
ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")
# ListObjectVersions' page (1,000 is S3's largest).
PAGE_SIZE = 1000
# The properties whose change CloudFormation deploys as a replacement of the AWS::RDS::DBInstance:
# the promoted instance must match the live one in each, or the next deploy replaces it.
REPLACEMENT_PROPERTIES: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("Engine", lambda i: i.get("Engine")),
    ("DBName", lambda i: i.get("DBName")),
    ("MasterUsername", lambda i: i.get("MasterUsername")),
    ("StorageEncrypted", lambda i: bool(i.get("StorageEncrypted"))),
    ("KmsKeyId", lambda i: i.get("KmsKeyId")),
    ("Port", lambda i: i.get("DbInstancePort") or i.get("Endpoint", {}).get("Port")),
    ("DBSubnetGroupName", lambda i: i.get("DBSubnetGroup", {}).get("DBSubnetGroupName")),
)
# What the template gives the instance and no deploy would put back on a promoted one (CloudFormation updates a
# property only when its template value changes, and the swap changes no template): how to read each setting,
# and the aws rds modify-db-instance flags that give it the live one's value.
TEMPLATE_SETTINGS: tuple[tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], list[str]]], ...] = (
    (
        "VPC security groups",
        lambda i: sorted(g["VpcSecurityGroupId"] for g in i.get("VpcSecurityGroups", [])),
        lambda groups: ["--vpc-security-group-ids", *groups],
    ),
    (
        "IAM database authentication",
        lambda i: bool(i.get("IAMDatabaseAuthenticationEnabled")),
        lambda on: ["--enable-iam-database-authentication" if on else "--no-enable-iam-database-authentication"],
    ),
    (
        "parameter group",
        lambda i: sorted(g["DBParameterGroupName"] for g in i.get("DBParameterGroups", [])),
        lambda groups: ["--db-parameter-group-name", *groups[:1]],
    ),
    (
        "deletion protection",
        lambda i: bool(i.get("DeletionProtection")),
        lambda on: ["--deletion-protection" if on else "--no-deletion-protection"],
    ),
)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with its zone (``2026-12-03T02:15:00Z``), in UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AwsError(f"--to {text!r} is not an ISO 8601 time; accepted: e.g. 2026-12-03T02:15:00Z") from None
    if moment.tzinfo is None:
        raise AwsError(f"--to {text!r} has no zone: give it in UTC, e.g. {iso(moment.replace(tzinfo=UTC))}")
    return moment.astimezone(UTC)


def beside(name: str, suffix: str) -> str:
    """``name`` + ``suffix`` within RDS's 63 characters (the name is shortened, never the suffix)."""
    return f"{name[: MAX_IDENTIFIER - len(suffix)].rstrip('-')}{suffix}"


# ---------------------------------------------------------------------------- the live resources


def live_name(cloudformation: Any, stack: str, logical_id: str, what: str) -> str:
    """The physical name of the data stack's resource ``logical_id``: its export's value, else the stack's resource."""
    outputs = stack_outputs(cloudformation, stack)
    if outputs is None:
        raise AwsError(f"stack {stack} is not deployed: there is no live {what} to restore beside")
    for key, value in outputs.items():
        if key.startswith(f"ExportsOutputRef{logical_id}"):
            return value
    try:
        detail = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    except cloudformation.exceptions.ClientError:
        raise AwsError(f"stack {stack} has no {what} ({logical_id}): deploy it with this version of the app") from None
    return str(detail["StackResourceDetail"]["PhysicalResourceId"])


def describe_instance(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        [instance] = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except rds.exceptions.DBInstanceNotFoundFault:
        return None
    return dict(instance)


def wait_available(rds: Any, identifier: str, sleep: Sleep, *, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
    """Poll until ``identifier`` exists and is ``available`` (a renamed instance answers to its new
    name only once the rename has taken effect, so "not found" means "not yet")."""
    waited = 0.0
    while True:
        instance = describe_instance(rds, identifier)
        if instance is not None and instance["DBInstanceStatus"] == "available":
            return instance
        if instance is not None and instance["DBInstanceStatus"] in ("failed", "incompatible-restore"):
            raise AwsError(f"{identifier} is {instance['DBInstanceStatus']}: see aws rds describe-events")
        if waited >= timeout:
            status = instance["DBInstanceStatus"] if instance else "not there yet"
            raise AwsError(f"{identifier} is still {status} after {timeout / 60:.0f} min: run the command again")
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def user_tags(instance: dict[str, Any]) -> list[dict[str, str]]:
    """The instance's tags less the aws: ones, which RDS reserves (CloudFormation's own)."""
    return [t for t in instance.get("TagList", []) if not t["Key"].startswith("aws:")]


def tag(instance: dict[str, Any], key: str) -> str | None:
    """The value of the tag ``key`` on ``instance`` (None: no such tag)."""
    return next((t["Value"] for t in instance.get("TagList", []) if t["Key"] == key), None)


def rename_command(region: str, identifier: str, new_identifier: str) -> str:
    """The aws rds command that renames ``identifier`` to ``new_identifier`` at once."""
    return shlex.join(
        [
            "aws",
            "rds",
            "modify-db-instance",
            "--region",
            region,
            "--db-instance-identifier",
            identifier,
            "--new-db-instance-identifier",
            new_identifier,
            "--apply-immediately",
        ]
    )


def aside_name(live_id: str, now: datetime) -> str:
    """Where promote renames the live instance: ``<live>-before-<UTC yyyymmddhhmm>``."""
    return beside(live_id, f"-before-{stamp(now)}")


def require_live(rds: Any, live_id: str, region: str) -> dict[str, Any]:
    """The live instance, described; when it is missing because a promote stopped halfway, a refusal that names
    the instance renamed aside and the commands that finish the swap or undo its first rename."""
    live = describe_instance(rds, live_id)
    if live is not None:
        return live
    prefix = beside(live_id, f"-before-{'0' * 12}")[:-12]  # the aside name less its yyyymmddhhmm
    aside = sorted(
        (
            dict(i)
            for page in rds.get_paginator("describe_db_instances").paginate()
            for i in page["DBInstances"]
            if i["DBInstanceIdentifier"].lower().startswith(prefix.lower())
        ),
        key=lambda i: str(i["DBInstanceIdentifier"]),
    )
    missing = f"the data stack's instance {live_id} does not exist in {region}"
    if not aside:
        raise AwsError(missing)
    newest = aside[-1]["DBInstanceIdentifier"]
    promoted = tag(aside[-1], PROMOTED_ASIDE_FOR_TAG)
    finish = (
        rename_command(region, promoted, live_id)
        if promoted
        else f"rename the restored instance to it ({rename_command(region, 'RESTORED_ID', live_id)})"
    )
    raise AwsError(
        f"{missing}, but {', '.join(i['DBInstanceIdentifier'] for i in aside)} "
        f"{'does' if len(aside) == 1 else 'do'}: a promote stopped halfway (or is still renaming: wait 10 minutes "
        f"and run again); finish the swap: {finish}; or undo its step 1: {rename_command(region, newest, live_id)}"
    )


# ---------------------------------------------------------------------------- db


@dataclass(frozen=True)
class Source:
    """What to restore from: a time (``at``), the latest restorable time, or a snapshot (its id or ARN)."""

    at: datetime | None = None
    latest: bool = False
    snapshot: str | None = None

    def describe(self) -> str:
        if self.at is not None:
            return iso(self.at)
        return "latest restorable time" if self.latest else f"snapshot {self.snapshot}"


def restore_window(rds: Any, live: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """[earliest, latest] restorable time of ``live``."""
    latest: datetime = live["LatestRestorableTime"]
    earliest: datetime | None = None
    backups = rds.describe_db_instance_automated_backups(DbiResourceId=live["DbiResourceId"])
    for backup in backups.get("DBInstanceAutomatedBackups", []):
        found = backup.get("RestoreWindow", {}).get("EarliestTime")
        if found is not None and (earliest is None or found < earliest):
            earliest = found
    if earliest is None:
        # What the API reference states: back BackupRetentionPeriod days, and not before the instance existed.
        earliest = max(live["InstanceCreateTime"], now - timedelta(days=live["BackupRetentionPeriod"]))
    return earliest, latest


def recovery_point_snapshot(arn: str, live: dict[str, Any]) -> str:
    """The RDS snapshot ARN an AWS Backup recovery point of the live instance is, or a one-line refusal."""
    parts = arn.split(":")
    region, account = live["DBInstanceArn"].split(":")[3:5]
    if arn.startswith("arn:aws:backup:") and ":recovery-point:continuous:" in arn:
        raise AwsError(
            "a continuous recovery point is the instance's own point-in-time window: restore it with --to TIME "
            "(or --latest)"
        )
    if len(parts) < 7 or parts[2] != "rds" or parts[5] != "snapshot":
        raise AwsError(
            f"{arn} is not a recovery point of an RDS instance (arn:aws:rds:<region>:<account>:snapshot:…); "
            "aws backup list-recovery-points-by-backup-vault lists them"
        )
    if (parts[3], parts[4]) != (region, account):
        raise AwsError(
            f"the recovery point is in {parts[3]}/{parts[4]}, the live instance in {region}/{account}: copy it here "
            "first (aws backup start-copy-job) and restore the copy"
        )
    return arn


def snapshot_source(rds: Any, snapshot: str) -> str | None:
    """The identifier of the instance ``snapshot`` was taken of (None when RDS does not describe it: the restore
    then says whether it exists). Tagged as ``anigmaa:restored-from``, which promote checks."""
    kind = {"SnapshotType": "awsbackup"} if "awsbackup:" in snapshot else {}
    try:
        found = rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot, **kind)["DBSnapshots"]
    except rds.exceptions.ClientError:  # not found, or an ARN or kind DescribeDBSnapshots does not take
        return None
    return str(found[0]["DBInstanceIdentifier"]) if found else None


def restore_settings(live: dict[str, Any], *, restored_from: str, restored_to: str) -> dict[str, Any]:
    """What both restore calls take, from the live instance (AWS uses its defaults for anything left out)."""
    settings: dict[str, Any] = {
        "DBSubnetGroupName": live["DBSubnetGroup"]["DBSubnetGroupName"],
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in live.get("VpcSecurityGroups", [])],
        "DBInstanceClass": live["DBInstanceClass"],
        "StorageType": live["StorageType"],
        "MultiAZ": bool(live.get("MultiAZ")),
        "PubliclyAccessible": bool(live.get("PubliclyAccessible")),
        "AutoMinorVersionUpgrade": bool(live.get("AutoMinorVersionUpgrade")),
        "DeletionProtection": True,
        "CopyTagsToSnapshot": bool(live.get("CopyTagsToSnapshot")),
        "EnableIAMDatabaseAuthentication": bool(live.get("IAMDatabaseAuthenticationEnabled")),
        "EnableCloudwatchLogsExports": list(live.get("EnabledCloudwatchLogsExports", [])),
        "BackupRetentionPeriod": live["BackupRetentionPeriod"],
        "PreferredBackupWindow": live["PreferredBackupWindow"],
        "Tags": [
            *(t for t in user_tags(live) if t["Key"] not in (RESTORED_FROM_TAG, RESTORED_TO_TAG)),
            {"Key": RESTORED_FROM_TAG, "Value": restored_from},
            {"Key": RESTORED_TO_TAG, "Value": restored_to},
        ],
    }
    groups = [g["DBParameterGroupName"] for g in live.get("DBParameterGroups", [])]
    if groups:
        settings["DBParameterGroupName"] = groups[0]
    options = [o["OptionGroupName"] for o in live.get("OptionGroupMemberships", []) if o.get("OptionGroupName")]
    if options and not options[0].startswith("default:"):
        settings["OptionGroupName"] = options[0]
    # gp3 takes IOPS and throughput only from 400 GiB (below, they are the baseline and may not be set).
    provisioned = live["StorageType"] in ("io1", "io2") or (
        live["StorageType"] == "gp3" and live.get("AllocatedStorage", 0) >= 400
    )
    if provisioned and live.get("Iops"):
        settings["Iops"] = live["Iops"]
    if provisioned and live["StorageType"] == "gp3" and live.get("StorageThroughput"):
        settings["StorageThroughput"] = live["StorageThroughput"]
    return settings


def follow_up_settings(live: dict[str, Any], *, snapshot: bool) -> dict[str, Any]:
    """What the restore calls do not take, for a ModifyDBInstance once the new instance is available."""
    settings: dict[str, Any] = {"PreferredMaintenanceWindow": live["PreferredMaintenanceWindow"]}
    interval = live.get("MonitoringInterval", 0)
    if interval:
        settings |= {"MonitoringInterval": interval, "MonitoringRoleArn": live["MonitoringRoleArn"]}
    if snapshot and live.get("MaxAllocatedStorage"):
        settings["MaxAllocatedStorage"] = live["MaxAllocatedStorage"]
    if live.get("PerformanceInsightsEnabled"):
        settings |= {
            "EnablePerformanceInsights": True,
            "PerformanceInsightsRetentionPeriod": live.get("PerformanceInsightsRetentionPeriod", 7),
        }
        if live.get("PerformanceInsightsKMSKeyId"):
            settings["PerformanceInsightsKMSKeyId"] = live["PerformanceInsightsKMSKeyId"]
    return settings


# The AWS CLI's flag for each follow-up setting.
CLI_FLAGS = {
    "PreferredMaintenanceWindow": "--preferred-maintenance-window",
    "MonitoringInterval": "--monitoring-interval",
    "MonitoringRoleArn": "--monitoring-role-arn",
    "MaxAllocatedStorage": "--max-allocated-storage",
    "EnablePerformanceInsights": "--enable-performance-insights",
    "PerformanceInsightsRetentionPeriod": "--performance-insights-retention-period",
    "PerformanceInsightsKMSKeyId": "--performance-insights-kms-key-id",
}


def cli_modify(identifier: str, settings: dict[str, Any], region: str) -> str:
    """``settings`` as the aws rds modify-db-instance command (for --no-wait)."""
    words = ["aws", "rds", "modify-db-instance", "--region", region, "--db-instance-identifier", identifier]
    for key, value in settings.items():
        words += [CLI_FLAGS[key]] if value is True else [CLI_FLAGS[key], str(value)]
    return shlex.join([*words, "--apply-immediately"])


def restore_db(
    rds: Any,
    config: AppConfig,
    live_id: str,
    source: Source,
    *,
    name: str | None,
    wait: bool,
    out: TextIO,
    now: datetime,
    sleep: Sleep = time.sleep,
) -> dict[str, Any]:
    """Restore beside ``live_id``; returns the new instance as last described."""
    live = require_live(rds, live_id, config.region)
    target = name or beside(live_id, f"-restored-{stamp(now)}")
    if describe_instance(rds, target) is not None:
        raise AwsError(f"DB instance {target} already exists: choose another --name; nothing was restored")

    restored_from = live_id
    if source.at is not None:
        if not live.get("BackupRetentionPeriod"):
            raise AwsError(f"{live_id} keeps no automated backups (retention 0): restore a --snapshot instead")
        earliest, latest = restore_window(rds, live, now)
        if not earliest <= source.at <= latest:
            raise AwsError(
                f"{iso(source.at)} is outside {live_id}'s restorable window {iso(earliest)} .. {iso(latest)}; "
                "nothing was restored"
            )
    elif source.snapshot is not None:
        restored_from = snapshot_source(rds, source.snapshot) or source.snapshot
    settings = restore_settings(live, restored_from=restored_from, restored_to=source.describe())

    if source.snapshot is not None:
        try:
            answer = rds.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier=target, DBSnapshotIdentifier=source.snapshot, **settings
            )
        except rds.exceptions.DBSnapshotNotFoundFault:
            raise AwsError(
                f"no DB snapshot {source.snapshot} in {config.region}: aws rds describe-db-snapshots "
                f"--db-instance-identifier {live_id} lists them; nothing was restored"
            ) from None
    else:
        timing: dict[str, Any] = {"RestoreTime": source.at} if source.at else {"UseLatestRestorableTime": True}
        if live.get("MaxAllocatedStorage"):
            settings["MaxAllocatedStorage"] = live["MaxAllocatedStorage"]
        answer = rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=live_id, TargetDBInstanceIdentifier=target, **timing, **settings
        )
    restored: dict[str, Any] = answer["DBInstance"]
    out.write(f"restoring {target} beside {live_id} from {source.describe()} (status {restored['DBInstanceStatus']})\n")

    later = follow_up_settings(live, snapshot=source.snapshot is not None)
    if not wait:
        out.write(
            f"not waiting (--no-wait). Once it is available (aws rds wait db-instance-available "
            f"--db-instance-identifier {target}), give it the settings a restore cannot take:\n"
            f"  {cli_modify(target, later, config.region)}\n"
        )
        return restored
    restored = wait_available(rds, target, sleep)
    rds.modify_db_instance(DBInstanceIdentifier=target, ApplyImmediately=True, **later)
    restored = wait_available(rds, target, sleep)
    report_restored(live, restored, config, out)
    return restored


def report_restored(live: dict[str, Any], restored: dict[str, Any], config: AppConfig, out: TextIO) -> None:
    """How to reach the restored instance, inspect it, copy rows back, or promote it."""
    target, live_id = restored["DBInstanceIdentifier"], live["DBInstanceIdentifier"]
    host, port = restored["Endpoint"]["Address"], restored["Endpoint"]["Port"]
    groups = ", ".join(g["VpcSecurityGroupId"] for g in restored.get("VpcSecurityGroups", []))
    parameter = config.secret_parameter_names["DB_PASSWORD"]
    database, user = restored.get("DBName") or live.get("DBName"), restored["MasterUsername"]
    read = f"aws ssm get-parameter --name {parameter} --with-decryption --query Parameter.Value --output text"
    password = f'PGPASSWORD="$({read})"'
    dsn = f"host={host} port={port} dbname={database} user={user} sslmode=require"
    lines = [
        f"available: {target} (restored from {live_id}; the live instance is unchanged)",
        f"endpoint:  {host}:{port} (private: reachable only inside the VPC, through {groups})",
        f"database:  {database}, master user {user}; the password is the SSM SecureString {parameter} "
        "(the one the instance had at the restored time: a restore keeps it)",
        "inspect:   from a host in the VPC that those groups admit (an ECS task, or an SSM session on an instance "
        "in lambda_sg or ecs_sg):",
        f'  {password} psql "{dsn}"',
        "copy back: one table's rows, checked first with a SELECT on both:",
        f'  psql "{dsn}" -c "\\copy (SELECT * FROM public.TABLE WHERE …) TO \'rows.csv\' CSV HEADER"',
        f'  psql "host={live["Endpoint"]["Address"]} port={port} dbname={database} user={user} sslmode=require" '
        "-c \"\\copy public.TABLE FROM 'rows.csv' CSV HEADER\"",
        f"promote:   python -m tools.ops.restore promote --env {config.env} --restored {target}",
        f"remove:    when done (deletion protection is on; this tool deletes nothing): aws rds modify-db-instance "
        f"--db-instance-identifier {target} --no-deletion-protection --apply-immediately, then "
        f"aws rds delete-db-instance --db-instance-identifier {target} --final-db-snapshot-identifier {target}-final",
    ]
    if (restored.get("StorageEncrypted"), restored.get("KmsKeyId")) != (
        live.get("StorageEncrypted"),
        live.get("KmsKeyId"),
    ):
        lines.append(
            f"note:      its encryption (encrypted {restored.get('StorageEncrypted')}, key {restored.get('KmsKeyId')}) "
            f"differs from {live_id}'s: promote will refuse it"
        )
    out.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- promote


def replacement_differences(restored: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """``Property (restored ≠ live)`` for each property whose change would replace the instance on deploy."""
    differences = []
    for label, read in REPLACEMENT_PROPERTIES:
        if read(restored) != read(live):
            differences.append(f"{label} ({read(restored)} ≠ {read(live)})")
    return differences


def unfit(restored: dict[str, Any], live: dict[str, Any], region: str) -> str | None:
    """Why ``restored`` may not take ``live``'s place, or None: it is a restore of it (or the instance an earlier
    promote renamed aside), with no change pending, and with the settings the template gives the live one."""
    restored_id, live_id = restored["DBInstanceIdentifier"], live["DBInstanceIdentifier"]
    source = restored.get("ReadReplicaSourceDBInstanceIdentifier")
    if source:
        return f"{restored_id} is a read replica of {source}, not a restore of {live_id}: restore one (restore db)"
    for instance in (restored, live):
        pending = instance.get("PendingModifiedValues") or {}
        if pending:
            identifier = instance["DBInstanceIdentifier"]
            return (
                f"{identifier} has changes pending ({', '.join(sorted(pending))}), which a rename with "
                "ApplyImmediately would apply as well: let them apply first (aws rds describe-db-instances "
                f"--db-instance-identifier {identifier} shows them under PendingModifiedValues)"
            )
    origin, aside_from = tag(restored, RESTORED_FROM_TAG), tag(restored, PROMOTED_ASIDE_FROM_TAG)
    if live_id.lower() not in ((origin or "").lower(), (aside_from or "").lower()):
        return (
            f"{restored_id} is tagged {RESTORED_FROM_TAG}={origin or '(none)'}, not {live_id}: it is neither a "
            f"restore of the live instance (restore db makes one) nor an instance an earlier promote renamed aside "
            f"({PROMOTED_ASIDE_FROM_TAG}={live_id})"
        )
    differences = [
        (label, read(live), flags) for label, read, flags in TEMPLATE_SETTINGS if read(restored) != read(live)
    ]
    if differences:
        words = ["aws", "rds", "modify-db-instance", "--region", region, "--db-instance-identifier", restored_id]
        for _, wanted, flags in differences:
            words += flags(wanted)
        reboot = (
            ", then aws rds reboot-db-instance --db-instance-identifier " + restored_id
            if any(label == "parameter group" for label, _, _ in differences)
            else ""
        )
        return (
            f"{restored_id} differs from {live_id} in {', '.join(label for label, _, _ in differences)}, which no "
            "deploy would set (the template does not change): give it the live one's with "
            f"{shlex.join([*words, '--apply-immediately'])}{reboot}"
        )
    return None


def promote(
    rds: Any,
    config: AppConfig,
    live_id: str,
    restored_name: str,
    *,
    yes: bool,
    out: TextIO,
    now: datetime,
    sleep: Sleep = time.sleep,
) -> None:
    """The rename swap: ``live_id`` aside, then ``restored_name`` to ``live_id``. Refuses before changing anything."""
    if restored_name.lower() == live_id.lower():
        raise AwsError(f"--restored {restored_name} is the live instance itself: name the restored one")
    restored = describe_instance(rds, restored_name)
    if restored is None:
        raise AwsError(f"no DB instance {restored_name} in {config.region}: restore one first (restore db)")
    live = require_live(rds, live_id, config.region)
    # RDS takes an identifier in any case, or an ARN: from here on, every call names them as RDS describes them.
    restored_id, live_id = restored["DBInstanceIdentifier"], live["DBInstanceIdentifier"]
    if restored_id.lower() == live_id.lower() or restored.get("DbiResourceId") == live.get("DbiResourceId"):
        raise AwsError(f"--restored {restored_name} is the live instance {live_id} itself: name the restored one")
    for instance in (restored, live):
        if instance["DBInstanceStatus"] != "available":
            identifier = instance["DBInstanceIdentifier"]
            raise AwsError(
                f"{identifier} is {instance['DBInstanceStatus']}, not available: wait for it "
                f"(aws rds wait db-instance-available --db-instance-identifier {identifier}); nothing was renamed"
            )
    why = unfit(restored, live, config.region)
    if why:
        raise AwsError(f"{why}; nothing was renamed")
    differences = replacement_differences(restored, live)
    if differences:
        raise AwsError(
            f"{restored_id} differs from {live_id} in {'; '.join(differences)}: the next deploy would replace the "
            "instance with a new, empty one; nothing was renamed"
        )
    aside = aside_name(live_id, now)
    if describe_instance(rds, aside) is not None:
        raise AwsError(f"DB instance {aside} already exists: wait a minute for a new name; nothing was renamed")

    finish = rename_command(config.region, restored_id, live_id)
    undo = rename_command(config.region, aside, live_id)
    old_resource, new_resource = live.get("DbiResourceId"), restored.get("DbiResourceId")
    plan = [
        f"plan: promote {restored_id} to {live_id}, the data stack's instance",
        f"  1. rename {live_id} → {aside} (ApplyImmediately), wait until available",
        f"  2. rename {restored_id} → {live_id} (ApplyImmediately), wait until available",
        f"  CloudFormation tracks the instance by its identifier and the endpoint name follows it: the stack, its "
        f"exports and the backend's DB_HOST ({live['Endpoint']['Address']}) then reach {restored_id}'s data, with no "
        "template change",
        '  unavailability: AWS documents that a renamed instance "is not available until the new name becomes '
        'effective", "in about 10 minutes", and that it reboots: from step 1 until step 2 is available the '
        "database answers nothing; plan on 20 to 30 minutes, and stop writes before step 1 (what is written to "
        f"{live_id} after the restored time stays in {aside} only)",
        "  IAM login: the compute roles may rds-db:connect as the app's database user on any of the account's "
        "instances in the region (grant_connect in constructs/database_role.py), not on one DbiResourceId, so the "
        f"new one ({new_resource}; {live_id}'s is {old_resource}) changes nothing; the database user comes with "
        "the restored data",
        f"  {live_id} is kept as {aside}, deletion protection "
        f"{'on' if live.get('DeletionProtection') else 'OFF (turn it on to keep it safe)'}; nothing is deleted",
        "  if it stops halfway (step 2 fails, Ctrl-C, credentials expire while waiting), finish the swap with",
        f"    {finish}",
        "  or undo step 1 with",
        f"    {undo}",
    ]
    out.write("\n".join(plan) + "\n")
    if not yes:
        out.write("nothing changed: run again with --yes to do it\n")
        return

    # Tags stay with a renamed instance: these say, on the instance aside, where it was and what took its place.
    rds.add_tags_to_resource(
        ResourceName=live["DBInstanceArn"],
        Tags=[
            {"Key": PROMOTED_ASIDE_FROM_TAG, "Value": live_id},
            {"Key": PROMOTED_ASIDE_FOR_TAG, "Value": restored_id},
        ],
    )
    rds.modify_db_instance(DBInstanceIdentifier=live_id, NewDBInstanceIdentifier=aside, ApplyImmediately=True)
    out.write(f"renaming {live_id} → {aside}\n")
    step_two_started = False
    try:
        with one_line_errors():
            wait_available(rds, aside, sleep)
            rds.modify_db_instance(
                DBInstanceIdentifier=restored_id, NewDBInstanceIdentifier=live_id, ApplyImmediately=True
            )
            step_two_started = True
            out.write(f"renaming {restored_id} → {live_id}\n")
            promoted = wait_available(rds, live_id, sleep)
    except AwsError as error:
        then = (
            f"step 2 was started: wait for {live_id} (aws rds wait db-instance-available --db-instance-identifier "
            f"{live_id}); to go back, promote {aside} once it is"
            if step_two_started
            else f"the promote stopped after step 1: finish the swap with {finish}, or undo step 1 with {undo}"
        )
        raise AwsError(f"{error}; {then}") from None
    kept = describe_instance(rds, aside) or {}
    out.write(
        f"promoted: {live_id} is now the restored data at {promoted['Endpoint']['Address']}; the old instance is "
        f"{aside} at {kept.get('Endpoint', {}).get('Address')}\n"
        f"go back:  python -m tools.ops.restore promote --env {config.env} --restored {aside} --yes "
        f"(the same swap reversed: the promoted copy goes aside)\n"
    )


# ---------------------------------------------------------------------------- bucket


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    modified: datetime
    latest: bool
    deleted: bool  # a delete marker
    etag: str = ""
    size: int = 0
    storage_class: str = "STANDARD"


def bucket_versions(s3: Any, bucket: str, prefix: str) -> dict[str, list[Version]]:
    """Every version and delete marker under ``prefix``, by key, newest first (every page)."""
    by_key: dict[str, list[Version]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": PAGE_SIZE}
    ):
        for v in page.get("Versions", []):
            by_key.setdefault(v["Key"], []).append(
                Version(
                    v["Key"],
                    v["VersionId"],
                    v["LastModified"],
                    v["IsLatest"],
                    False,
                    v.get("ETag", ""),
                    v.get("Size", 0),
                    v.get("StorageClass", "STANDARD"),
                )
            )
        for m in page.get("DeleteMarkers", []):
            by_key.setdefault(m["Key"], []).append(
                Version(m["Key"], m["VersionId"], m["LastModified"], m["IsLatest"], True)
            )
    for versions in by_key.values():
        # Newest first. S3 keeps a second's precision: within one second the order is unknown (restore_bucket
        # reports such a key as ambiguous rather than guess).
        versions.sort(key=lambda v: v.modified, reverse=True)
    return by_key


def noncurrent_expiry(s3: Any, bucket: str) -> str:
    """What the bucket's lifecycle says of old versions, as a sentence."""
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except s3.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        if code != "NoSuchLifecycleConfiguration":
            return f"a version older than the lifecycle's noncurrent expiry (unread: {code}) is gone"
        rules = []
    days = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in rules
        if r.get("Status") == "Enabled" and r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    ]
    if not days:
        return "no lifecycle rule expires old versions"
    return (
        f"the lifecycle deletes a version {min(days)} days after it stops being current: one replaced or deleted "
        "longer ago is gone and cannot be restored (a key whose versions up to --to are all gone shows as created "
        "later)"
    )


def ambiguous(versions: list[Version], at: datetime) -> list[Version]:
    """The versions within the newest second up to ``at`` whose order S3 cannot tell, when they differ (a delete
    and a write, or two different writes, in one second) and none of them is the current one (which is the last
    of them); else []."""
    then = next((v for v in versions if v.modified <= at), None)
    if then is None:
        return []
    tied = [v for v in versions if v.modified == then.modified]
    states = {"deleted" if v.deleted else (v.etag or v.version_id) for v in tied}
    if len(states) < 2 or any(v.latest for v in tied):
        return []
    return tied


def restore_bucket(s3: Any, bucket: str, at: datetime, *, prefix: str, dry_run: bool, out: TextIO) -> dict[str, int]:
    """Put back, as a new current version, the version of every key that was current at ``at``. Deletes nothing."""
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise AwsError(f"bucket {bucket} has never had versioning on: there is no earlier version to put back")
    out.write(f"versions: {noncurrent_expiry(s3, bucket)}\n")
    verb = "would restore" if dry_run else "restored"
    counts = {"restored": 0, "unchanged": 0, "created later": 0, "skipped": 0, "ambiguous": 0}
    for key, versions in sorted(bucket_versions(s3, bucket, prefix).items()):
        current = next((v for v in versions if v.latest), versions[0])
        if tied := ambiguous(versions, at):
            counts["ambiguous"] += 1
            picks = " or ".join(
                f"aws s3api get-object --bucket {bucket} --key {shlex.quote(key)} --version-id {v.version_id} FILE"
                for v in tied
                if not v.deleted
            )
            deleted = "; or it was deleted then" if any(v.deleted for v in tied) else ""
            out.write(
                f"ambiguous      {key}  (changed more than once within {iso(tied[0].modified)}, and S3 keeps a "
                f"second's precision: left as it is; pick by hand: {picks}{deleted}; then aws s3 cp FILE "
                f"s3://{bucket}/{key})\n"
            )
            continue
        then = next((v for v in versions if v.modified <= at), None)
        if then is not None:
            # The current version is the last of its key: within its second, it is the one current then.
            then = next((v for v in versions if v.latest and v.modified == then.modified), then)
        if then is None or then.deleted:
            # Absent at that time: created (or re-created) since; left as it is.
            if not current.deleted:
                counts["created later"] += 1
                out.write(f"created later  {key}  (left as it is)\n")
            else:
                counts["unchanged"] += 1
            continue
        if not current.deleted and (current.version_id == then.version_id or (then.etag and current.etag == then.etag)):
            counts["unchanged"] += 1
            continue
        if then.size > COPY_LIMIT or then.storage_class in ARCHIVED:
            counts["skipped"] += 1
            why = "over CopyObject's 5 GB" if then.size > COPY_LIMIT else f"in {then.storage_class}: restore it first"
            out.write(
                f"skipped        {key}  ({why}; aws s3api get-object --bucket {bucket} --key {shlex.quote(key)} "
                f"--version-id {then.version_id} FILE, then aws s3 cp FILE s3://{bucket}/{key})\n"
            )
            continue
        if not dry_run:
            s3.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource={"Bucket": bucket, "Key": key, "VersionId": then.version_id},
                MetadataDirective="COPY",
            )
        counts["restored"] += 1
        was = "deleted" if current.deleted else "overwritten"
        out.write(f"{verb:<14} {key}  (version {then.version_id} of {iso(then.modified)}; {was} since)\n")
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    out.write(f"{'dry run: ' if dry_run else ''}{summary} (as of {iso(at)}; no version was deleted)\n")
    return counts


# ---------------------------------------------------------------------------- cache


def cache_command(elasticache: Any, config: AppConfig, group_id: str, snapshot: str, now: datetime) -> list[str]:
    """The lines that say what a restore of ``snapshot`` creates and the command that does it."""
    missing = AwsError(
        f"no ElastiCache snapshot {snapshot} in {config.region}: aws elasticache describe-snapshots "
        f"--replication-group-id {group_id} lists them"
    )
    try:
        if not elasticache.describe_snapshots(SnapshotName=snapshot).get("Snapshots"):
            raise missing
    except elasticache.exceptions.SnapshotNotFoundFault:
        raise missing from None
    try:
        [group] = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    except elasticache.exceptions.ReplicationGroupNotFoundFault:
        raise AwsError(f"the data stack's replication group {group_id} does not exist in {config.region}") from None
    members = group.get("MemberClusters", [])
    if not members:
        raise AwsError(f"replication group {group_id} has no member clusters to read its settings from")
    [member] = elasticache.describe_cache_clusters(CacheClusterId=members[0])["CacheClusters"]
    new_id = beside(group_id, f"-restored-{stamp(now)}")[:40].rstrip("-")  # ElastiCache allows 40 characters
    parameter = config.secret_parameter_names["REDIS_PASSWORD"]
    words = [
        "aws",
        "elasticache",
        "create-replication-group",
        "--region",
        config.region,
        "--replication-group-id",
        new_id,
        "--replication-group-description",
        f"restored from {snapshot}",
        "--snapshot-name",
        snapshot,
        "--engine",
        member.get("Engine", "redis"),
        "--engine-version",
        member["EngineVersion"],
        "--cache-node-type",
        group["CacheNodeType"],
        "--num-cache-clusters",
        str(len(members)),
        "--cache-subnet-group-name",
        member["CacheSubnetGroupName"],
        "--security-group-ids",
        *(g["SecurityGroupId"] for g in member.get("SecurityGroups", [])),
    ]
    if member.get("CacheParameterGroup", {}).get("CacheParameterGroupName"):
        words += ["--cache-parameter-group-name", member["CacheParameterGroup"]["CacheParameterGroupName"]]
    if len(members) > 1:
        words += ["--automatic-failover-enabled", "--multi-az-enabled"]
    words.append(
        "--transit-encryption-enabled" if group.get("TransitEncryptionEnabled") else "--no-transit-encryption-enabled"
    )
    words.append(
        "--at-rest-encryption-enabled" if group.get("AtRestEncryptionEnabled") else "--no-at-rest-encryption-enabled"
    )
    if group.get("KmsKeyId"):
        words += ["--kms-key-id", group["KmsKeyId"]]
    if group.get("SnapshotRetentionLimit"):
        words += ["--snapshot-retention-limit", str(group["SnapshotRetentionLimit"])]
    command = shlex.join(words)
    if group.get("AuthTokenEnabled"):
        # The AUTH token goes in through stdin as JSON: never on a command line (shell history, process list).
        command = (
            f"aws ssm get-parameter --region {config.region} --name {parameter} --with-decryption "
            "--query '{AuthToken: Parameter.Value}' --output json | "
            f"{command} --cli-input-json file:///dev/stdin"
        )
    lines = [
        f"not restored: this prints what a restore of {snapshot} creates, and runs nothing",
        f"creates:     a new replication group {new_id} (a new endpoint; {group_id} is untouched), "
        f"{len(members)} node(s) of {group['CacheNodeType']}, Redis {member['EngineVersion']}",
        f"network:     subnet group {member['CacheSubnetGroupName']}, security groups "
        f"{', '.join(g['SecurityGroupId'] for g in member.get('SecurityGroups', []))}",
        f"encryption:  in transit (TLS) {bool(group.get('TransitEncryptionEnabled'))}, at rest "
        f"{bool(group.get('AtRestEncryptionEnabled'))}; AUTH from the SSM SecureString {parameter} (read by the "
        "command, never printed)",
        f"command:     {command}",
        "then:        the backend reads REDIS_HOST from the data stack's export of the live group's endpoint: "
        "pointing it at the new group is a change of the stack (or a rename of nothing: a replication group cannot "
        "be renamed)",
        "what is lost without it: nothing today. The backend (lambda_src/) only PINGs Redis in /health/ready; no "
        "route stores a key, so a new empty group serves as well. Once routes keep sessions, rate-limit counters or "
        "other state only in Redis, the daily snapshot is all that survives, up to a day old.",
    ]
    return lines


# ---------------------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    """Reports a bad argument in one line (exit status 2, as argparse's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"restore: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m tools.ops.restore", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    db = commands.add_parser("db", help="restore the database beside the live one")
    source = db.add_mutually_exclusive_group(required=True)
    source.add_argument("--to", help="a time in the restorable window, ISO 8601 with its zone")
    source.add_argument("--latest", action="store_true", help="the latest restorable time (about 5 minutes ago)")
    source.add_argument("--snapshot", help="a DB snapshot identifier or ARN")
    source.add_argument("--recovery-point", help="an AWS Backup recovery point of the instance (its RDS snapshot ARN)")
    db.add_argument("--name", help="the new instance's identifier (default <live>-restored-<UTC yyyymmddhhmm>)")
    db.add_argument("--no-wait", action="store_true", help="start the restore and return")
    promote_parser = commands.add_parser("promote", help="rename-swap a restored instance into the live one's place")
    promote_parser.add_argument("--restored", required=True, help="the restored instance's identifier")
    promote_parser.add_argument("--yes", action="store_true", help="do it (without: print the plan only)")
    bucket = commands.add_parser("bucket", help="put every object back as it was at a time")
    bucket.add_argument("--to", required=True, help="ISO 8601 with its zone")
    bucket.add_argument("--prefix", default="", help="only keys under this prefix")
    bucket.add_argument("--dry-run", action="store_true", help="say what would be put back; change nothing")
    cache = commands.add_parser("cache", help="print the command that restores a cache snapshot")
    cache.add_argument("--snapshot", required=True, help="the ElastiCache snapshot's name")
    for sub in (db, promote_parser, bucket, cache):
        sub.add_argument("--env", required=True, help="environment in cdk.json (prod, dev)")
    return parser


def run(args: argparse.Namespace, out: TextIO, clock: Clock, sleep: Sleep) -> int:
    config = load_environment(args.env, ROOT)
    stack = config.stack_name("data")
    now = clock()
    with one_line_errors():
        cloudformation = client("cloudformation", config.region)
        if args.command == "db":
            rds = client("rds", config.region)
            live_id = live_name(cloudformation, stack, DATABASE_ID, "database")
            if args.recovery_point:
                live = require_live(rds, live_id, config.region)
                source = Source(snapshot=recovery_point_snapshot(args.recovery_point, live))
            else:
                at = parse_time(args.to) if args.to else None
                source = Source(at=at, latest=args.latest, snapshot=args.snapshot)
            restore_db(
                rds, config, live_id, source, name=args.name, wait=not args.no_wait, out=out, now=now, sleep=sleep
            )
        elif args.command == "promote":
            rds = client("rds", config.region)
            live_id = live_name(cloudformation, stack, DATABASE_ID, "database")
            promote(rds, config, live_id, args.restored, yes=args.yes, out=out, now=now, sleep=sleep)
        elif args.command == "bucket":
            at = parse_time(args.to)
            if at > now:
                raise AwsError(f"--to {iso(at)} is in the future: nothing has happened since")
            bucket = live_name(cloudformation, stack, BUCKET_ID, "assets bucket")
            restore_bucket(client("s3", config.region), bucket, at, prefix=args.prefix, dry_run=args.dry_run, out=out)
        else:
            group_id = live_name(cloudformation, stack, CACHE_ID, "cache")
            lines = cache_command(client("elasticache", config.region), config, group_id, args.snapshot, now)
            out.write("\n".join(lines) + "\n")
    return 0


def main(
    argv: Iterable[str] | None = None, out: TextIO = sys.stdout, clock: Clock = utc_now, sleep: Sleep = time.sleep
) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    try:
        return run(args, out, clock, sleep)
    except AwsError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
