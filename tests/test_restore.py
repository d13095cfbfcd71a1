"""tools.ops.restore against moto (the real boto3 calls, AWS mocked in-process).

Where moto differs from AWS, the tests say so and check what the tool sends as well as what moto
makes of it: moto's RestoreDBInstanceToPointInTime copies every setting of the source (AWS uses
the default security group, subnet group and parameter group, and single-AZ), restores at once
(AWS takes minutes to hours), reports LatestRestorableTime as "now" (AWS: typically about five
minutes ago) and no automated backup RestoreWindow (so the window is the documented fallback:
not before the instance's creation, nor more than BackupRetentionPeriod days back); it renames
at once (AWS: about 10 minutes of unavailability per rename); S3's LastModified has a second's
precision in both. moto gives every DB instance the same DbiResourceId (AWS: each its own) and
reports a point-in-time restore as a read replica of its source (AWS: an instance of its own): the
`aws` fixture answers as AWS does. moto reports no PendingModifiedValues: a test sets them.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import shlex
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.elasticache.models import CacheCluster, elasticache_backends
from moto.rds.models import DBInstance, RDSBackend, rds_backends

from tools.ops import restore

REGION = "ap-southeast-1"
STACK = "anigmaa-prod-data"
LIVE = "anigmaa-prod-database"
BUCKET = "anigmaa-prod-assets-test"
GROUP = "anigmaa-prod-redis"
PARAMETER = "/anigmaa/prod/DB_PASSWORD"
# Test-only values, obviously not real.
MASTER_PASSWORD = "test-only-master-password"
AUTH_TOKEN = "test-only-redis-auth-token-0000"
MONITORING_ROLE = "arn:aws:iam::123456789012:role/test-only-monitoring"
KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/00000000-0000-0000-0000-000000000001"
OTHER_KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/00000000-0000-0000-0000-000000000002"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-only-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-only-not-a-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto gives every instance the same DbiResourceId; AWS gives each its own, and promote compares them.
    numbers = itertools.count()
    created = DBInstance.__init__

    def own_resource_id(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        self.dbi_resource_id = f"db-TESTONLY{next(numbers):016d}"

    monkeypatch.setattr(DBInstance, "__init__", own_resource_id)
    # moto keeps SourceDBInstanceIdentifier on a point-in-time restore and so reports it as a read replica of its
    # source; AWS's restore is an instance of its own (a replica is made by CreateDBInstanceReadReplica only).
    restore_to_time = RDSBackend.restore_db_instance_to_point_in_time

    def standalone(self: RDSBackend, *args: Any, **kwargs: Any) -> DBInstance:
        restored = restore_to_time(self, *args, **kwargs)
        restored.source_db_instance_identifier = None
        return restored

    monkeypatch.setattr(RDSBackend, "restore_db_instance_to_point_in_time", standalone)
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        yield
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def calls(aws: None) -> dict[str, list[dict[str, Any]]]:
    """The parameters of every RDS and S3 call the tool makes, by operation (what AWS would receive)."""
    seen: dict[str, list[dict[str, Any]]] = {}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.setdefault(model.name, []).append(dict(params))

    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("provide-client-params.rds", record)
    session.events.register("provide-client-params.s3", record)
    return seen


def data_stack(outputs: dict[str, str]) -> None:
    """The data stack as the tool reads it: its exports of the pinned logical IDs (values literal here)."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            f"ExportsOutputRef{logical_id}0A1B2C3D": {"Value": value, "Export": {"Name": f"{STACK}:{logical_id}"}}
            for logical_id, value in outputs.items()
        },
    }
    boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))


@pytest.fixture
def network(aws: None) -> dict[str, Any]:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"] for name in ("db", "extra")
    ]
    return {"vpc": vpc, "subnets": subnets, "groups": groups}


def live_settings(network: dict[str, Any]) -> dict[str, Any]:
    return {
        "Engine": "postgres",
        "EngineVersion": "17.2",
        "DBInstanceClass": "db.t3.micro",
        "DBName": "anigmaa",
        "MasterUsername": "postgres",
        "MasterUserPassword": MASTER_PASSWORD,
        "Port": 5432,
        "AllocatedStorage": 20,
        "MaxAllocatedStorage": 100,
        "StorageType": "gp3",
        "StorageEncrypted": True,
        "KmsKeyId": KEY,
        "DBSubnetGroupName": "anigmaa-db-subnets",
        "VpcSecurityGroupIds": network["groups"],
        "DBParameterGroupName": "anigmaa-postgres17",
        "MultiAZ": True,
        "DeletionProtection": True,
        "CopyTagsToSnapshot": True,
        "EnableIAMDatabaseAuthentication": True,
        "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
        "MonitoringInterval": 60,
        "MonitoringRoleArn": MONITORING_ROLE,
        "BackupRetentionPeriod": 7,
        "PreferredBackupWindow": "17:00-18:00",
        "PreferredMaintenanceWindow": "sun:19:30-sun:20:30",
        "Tags": [{"Key": "team", "Value": "anigmaa"}],
    }


@pytest.fixture
def database(network: dict[str, Any]) -> dict[str, Any]:
    """The live instance, with every setting the app gives it, and the data stack naming it."""
    rds = boto3.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="anigmaa-db-subnets", DBSubnetGroupDescription="db", SubnetIds=network["subnets"]
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName="other-subnets", DBSubnetGroupDescription="other", SubnetIds=network["subnets"]
    )
    rds.create_db_parameter_group(
        DBParameterGroupName="anigmaa-postgres17", DBParameterGroupFamily="postgres17", Description="app"
    )
    rds.create_db_instance(DBInstanceIdentifier=LIVE, **live_settings(network))
    data_stack({restore.DATABASE_ID: LIVE})
    return describe(LIVE)


def describe(identifier: str) -> dict[str, Any]:
    [instance] = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    return dict(instance)


def identifiers() -> set[str]:
    return {i["DBInstanceIdentifier"] for i in boto3.client("rds").describe_db_instances()["DBInstances"]}


NOW = datetime.now(UTC)


def run(*args: str, clock: Callable[[], datetime] = lambda: NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    slept: list[float] = []
    with contextlib.redirect_stderr(err):
        code = restore.main(list(args), out=out, clock=clock, sleep=slept.append)
    return code, out.getvalue(), err.getvalue()


def rename(identifier: str, new_identifier: str) -> str:
    """The command that renames ``identifier`` at once, as the tool prints it."""
    return (
        f"aws rds modify-db-instance --region {REGION} --db-instance-identifier {identifier} "
        f"--new-db-instance-identifier {new_identifier} --apply-immediately"
    )


def refusal(err: str) -> str:
    """The refusal, which must be exactly one line."""
    assert err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert err.startswith("restore: ")
    return err


SETTINGS_TO_COPY = (
    "DBInstanceClass",
    "StorageType",
    "MultiAZ",
    "CopyTagsToSnapshot",
    "IAMDatabaseAuthenticationEnabled",
    "EnabledCloudwatchLogsExports",
    "MonitoringInterval",
    "MonitoringRoleArn",
    "PreferredMaintenanceWindow",
    "PreferredBackupWindow",
    "BackupRetentionPeriod",
    "MaxAllocatedStorage",
)


def assert_copied(restored: dict[str, Any], live: dict[str, Any]) -> None:
    for setting in SETTINGS_TO_COPY:
        assert restored[setting] == live[setting], setting
    assert restored["DBSubnetGroup"]["DBSubnetGroupName"] == "anigmaa-db-subnets"
    assert [g["VpcSecurityGroupId"] for g in restored["VpcSecurityGroups"]] == [
        g["VpcSecurityGroupId"] for g in live["VpcSecurityGroups"]
    ]
    assert restored["DBParameterGroups"][0]["DBParameterGroupName"] == "anigmaa-postgres17"
    assert restored["DeletionProtection"] is True
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    assert tags["team"] == "anigmaa"
    assert tags[restore.RESTORED_FROM_TAG]


# ---------------------------------------------------------------------------- db


def test_restore_beside_at_a_time_copies_the_live_settings_and_leaves_the_live_one_alone(
    database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]
) -> None:
    # moto's window starts at the instance's creation (to the microsecond) and ends now.
    at = database["InstanceCreateTime"]
    code, text, err = run("db", "--env", "prod", "--to", at.isoformat())
    assert code == 0, err
    target = f"{LIVE}-restored-{restore.stamp(NOW)}"
    restored = describe(target)
    assert_copied(restored, database)
    assert {t["Key"]: t["Value"] for t in restored["TagList"]}[restore.RESTORED_TO_TAG] == restore.iso(at)
    # What AWS receives: moto copies the source's settings by itself, AWS would not.
    [request] = calls["RestoreDBInstanceToPointInTime"]
    assert request["RestoreTime"] == at
    assert "UseLatestRestorableTime" not in request
    assert request["DBSubnetGroupName"] == "anigmaa-db-subnets"
    assert request["VpcSecurityGroupIds"] == [g["VpcSecurityGroupId"] for g in database["VpcSecurityGroups"]]
    assert request["DBParameterGroupName"] == "anigmaa-postgres17"
    assert request["MultiAZ"] is True
    assert request["DeletionProtection"] is True
    assert request["EnableIAMDatabaseAuthentication"] is True
    assert request["CopyTagsToSnapshot"] is True
    assert request["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert "OptionGroupName" not in request  # the default one: AWS picks it by itself
    [modify] = calls["ModifyDBInstance"]
    assert modify["MonitoringInterval"] == 60
    assert modify["MonitoringRoleArn"] == MONITORING_ROLE
    # The live instance: untouched, and still the stack's.
    unchanged = ("DBInstanceStatus", "TagList", "Endpoint", "DbiResourceId", *SETTINGS_TO_COPY)
    assert {k: describe(LIVE).get(k) for k in unchanged} == {k: database.get(k) for k in unchanged}
    assert all(c["DBInstanceIdentifier"] == target for c in calls["ModifyDBInstance"])
    # How to reach it, naming the password's parameter and never a value.
    assert f"{target}.aaaaaaaaaa.{REGION}.rds.amazonaws.com:5432" in text
    assert PARAMETER in text
    assert "master user postgres" in text
    assert "psql" in text
    assert MASTER_PASSWORD not in text


def test_restore_latest(database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]) -> None:
    code, text, err = run("db", "--env", "prod", "--latest", "--name", "inspect-latest")
    assert code == 0, err
    [request] = calls["RestoreDBInstanceToPointInTime"]
    assert request["UseLatestRestorableTime"] is True
    assert "RestoreTime" not in request
    assert_copied(describe("inspect-latest"), database)
    assert "available: inspect-latest" in text


def test_restore_a_snapshot_gets_the_groups_that_moto_and_aws_would_otherwise_default(
    database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]
) -> None:
    boto3.client("rds").create_db_snapshot(DBSnapshotIdentifier="before-migration", DBInstanceIdentifier=LIVE)
    code, _text, err = run("db", "--env", "prod", "--snapshot", "before-migration")
    assert code == 0, err
    restored = describe(f"{LIVE}-restored-{restore.stamp(NOW)}")
    # moto, like AWS, gives a snapshot's restore the default groups unless told: these came from the tool.
    assert_copied(restored, database)
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    # Tagged with the instance the snapshot is of, which promote checks, and the snapshot.
    assert (tags[restore.RESTORED_FROM_TAG], tags[restore.RESTORED_TO_TAG]) == (LIVE, "snapshot before-migration")
    [modify] = calls["ModifyDBInstance"]
    assert modify["MaxAllocatedStorage"] == 100  # the snapshot restore does not take it
    assert LIVE in identifiers()
    code, text, err = run("promote", "--env", "prod", "--restored", restored["DBInstanceIdentifier"])
    assert code == 0, err
    assert "nothing changed" in text


def test_restore_a_backup_recovery_point_of_the_instance(database: dict[str, Any]) -> None:
    boto3.client("rds").create_db_snapshot(DBSnapshotIdentifier="awsbackup-job-1", DBInstanceIdentifier=LIVE)
    arn = f"arn:aws:rds:{REGION}:123456789012:snapshot:awsbackup-job-1"
    code, _, err = run("db", "--env", "prod", "--recovery-point", arn, "--name", "from-vault")
    assert code == 0, err
    assert_copied(describe("from-vault"), database)


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        (f"arn:aws:backup:{REGION}:123456789012:recovery-point:continuous:db-abc-1234", "restore it with --to TIME"),
        ("arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-1", "copy it here first"),
        ("arn:aws:backup:ap-southeast-1:123456789012:recovery-point:1EB3B5E7", "is not a recovery point of an RDS"),
    ],
)
def test_recovery_points_the_tool_cannot_restore_here_are_refused_in_one_line(
    database: dict[str, Any], arn: str, says: str
) -> None:
    code, _, err = run("db", "--env", "prod", "--recovery-point", arn)
    assert code == 1
    assert says in refusal(err)
    assert identifiers() == {LIVE}


@pytest.mark.parametrize("offset", [timedelta(days=-1), timedelta(hours=1)])
def test_a_time_outside_the_window_is_refused_in_one_line_naming_the_window(
    database: dict[str, Any], offset: timedelta
) -> None:
    at = NOW + offset
    code, _, err = run("db", "--env", "prod", "--to", restore.iso(at))
    assert code == 1
    line = refusal(err)
    assert f"{restore.iso(at)} is outside {LIVE}'s restorable window " in line
    assert restore.iso(database["InstanceCreateTime"]) in line  # the earliest moto's instance allows
    assert identifiers() == {LIVE}


@pytest.mark.parametrize(
    ("given", "example"), [("2026-12-03T02:15:00", "2026-12-03T02:15:00Z"), ("2026-12-03", "2026-12-03T00:00:00Z")]
)
def test_a_time_without_a_zone_is_refused_with_an_example_that_is_accepted(
    database: dict[str, Any], given: str, example: str
) -> None:
    code, _, err = run("db", "--env", "prod", "--to", given)
    assert code == 1
    assert refusal(err).endswith(f"has no zone: give it in UTC, e.g. {example}\n")
    assert restore.parse_time(example) == datetime.fromisoformat(example)


@pytest.mark.parametrize(
    "command",
    [
        ["db", "--latest"],
        ["promote", "--restored", "copy"],
        ["bucket", "--to", "2026-12-03T02:15:00Z"],
        ["cache", "--snapshot", "nightly"],
    ],
)
def test_every_command_requires_env(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        restore.main(command)
    assert exit_.value.code == 2  # argparse's status for a usage error
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("restore: ")
    assert "--env" in err


def test_an_existing_name_is_refused(database: dict[str, Any]) -> None:
    code, _, err = run("db", "--env", "prod", "--latest", "--name", LIVE)
    assert code == 1
    assert refusal(err) == f"restore: DB instance {LIVE} already exists: choose another --name; nothing was restored\n"
    assert identifiers() == {LIVE}


def test_no_wait_prints_the_follow_up_instead_of_waiting(
    database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]
) -> None:
    code, text, err = run("db", "--env", "prod", "--latest", "--name", "later", "--no-wait")
    assert code == 0, err
    assert "ModifyDBInstance" not in calls
    assert "aws rds modify-db-instance" in text
    assert "--monitoring-interval 60" in text


def test_a_long_live_name_still_gives_a_valid_identifier() -> None:
    long = "anigmaa-prod-data-databaseinstanceaa8a5fde-1a2b3c4d5e6f7g8h9"
    name = restore.beside(long, "-restored-202612030215")
    assert len(name) <= 63
    assert name.endswith("-restored-202612030215")
    assert "--" not in name


# ---------------------------------------------------------------------------- promote


def restored_copy(network: dict[str, Any], identifier: str, **changes: Any) -> None:
    """A restored instance as `restore db` leaves it, with ``changes`` to the live settings."""
    settings = live_settings(network) | {"Tags": [{"Key": restore.RESTORED_FROM_TAG, "Value": LIVE}]} | changes
    given = {key: value for key, value in settings.items() if value is not None}
    boto3.client("rds").create_db_instance(DBInstanceIdentifier=identifier, **given)


@pytest.mark.parametrize(
    ("changes", "property_"),
    [
        ({"Engine": "mysql", "EngineVersion": "8.0.35", "Port": 5432}, "Engine (mysql ≠ postgres)"),
        ({"DBName": "other"}, "DBName (other ≠ anigmaa)"),
        ({"MasterUsername": "admin"}, "MasterUsername (admin ≠ postgres)"),
        ({"StorageEncrypted": False, "KmsKeyId": None}, "StorageEncrypted (False ≠ True)"),
        ({"KmsKeyId": OTHER_KEY}, f"KmsKeyId ({OTHER_KEY} ≠ {KEY})"),
        ({"Port": 5433}, "Port (5433 ≠ 5432)"),
        ({"DBSubnetGroupName": "other-subnets"}, "DBSubnetGroupName (other-subnets ≠ anigmaa-db-subnets)"),
    ],
)
def test_promote_refuses_a_copy_the_next_deploy_would_replace(
    database: dict[str, Any], network: dict[str, Any], changes: dict[str, Any], property_: str
) -> None:
    restored_copy(network, "copy", **changes)
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    line = refusal(err)
    assert f"copy differs from {LIVE} in {property_}" in line
    assert "nothing was renamed" in line
    assert identifiers() == {LIVE, "copy"}


def test_promote_refuses_a_copy_that_is_not_available(database: dict[str, Any], network: dict[str, Any]) -> None:
    restored_copy(network, "copy")
    boto3.client("rds").stop_db_instance(DBInstanceIdentifier="copy")
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    assert "copy is stopped, not available" in refusal(err)
    assert identifiers() == {LIVE, "copy"}


@pytest.mark.parametrize("given", ["identifier", "upper case", "ARN"])
def test_promote_refuses_the_live_instance_itself_however_named(database: dict[str, Any], given: str) -> None:
    # RDS identifiers are case-insensitive, and RDS takes an ARN for one: each names the live instance.
    name = {"identifier": LIVE, "upper case": LIVE.upper(), "ARN": database["DBInstanceArn"]}[given]
    code, _, err = run("promote", "--env", "prod", "--restored", name, "--yes")
    assert code == 1
    assert f"restore: --restored {name} is the live instance" in refusal(err)
    assert identifiers() == {LIVE}
    assert describe(LIVE)["TagList"] == database["TagList"]


def test_promote_refuses_an_instance_with_the_live_resource_id(
    database: dict[str, Any], network: dict[str, Any]
) -> None:
    # moto gives every instance the same DbiResourceId (the `aws` fixture gives each its own, as AWS does):
    # here the copy has the live one's again, and only that says it is the live instance.
    restored_copy(network, "copy")
    rds_backends[ACCOUNT][REGION].databases["copy"].dbi_resource_id = database["DbiResourceId"]
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    assert refusal(err) == f"restore: --restored copy is the live instance {LIVE} itself: name the restored one\n"
    assert identifiers() == {LIVE, "copy"}


def test_promote_by_arn_or_upper_case_renames_the_described_identifiers(
    database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]
) -> None:
    assert run("db", "--env", "prod", "--latest", "--name", "copy")[0] == 0
    code, _, err = run("promote", "--env", "prod", "--restored", "COPY", "--yes")
    assert code == 0, err
    aside = f"{LIVE}-before-{restore.stamp(NOW)}"
    assert identifiers() == {LIVE, aside}
    renames = [
        (c["DBInstanceIdentifier"], c["NewDBInstanceIdentifier"])
        for c in calls["ModifyDBInstance"]
        if "NewDBInstanceIdentifier" in c
    ]
    assert renames == [(LIVE, aside), ("copy", LIVE)]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            {"Tags": [{"Key": restore.RESTORED_FROM_TAG, "Value": "another-database"}]},
            f"copy is tagged {restore.RESTORED_FROM_TAG}=another-database, not {LIVE}",
        ),
        ({"Tags": []}, f"copy is tagged {restore.RESTORED_FROM_TAG}=(none), not {LIVE}"),
        ({"EnableIAMDatabaseAuthentication": False}, "in IAM database authentication, which no deploy would set"),
        (
            {"DBParameterGroupName": None},
            "--db-parameter-group-name anigmaa-postgres17 --apply-immediately, then aws rds reboot-db-instance",
        ),
        ({"DeletionProtection": False}, "--deletion-protection --apply-immediately"),
    ],
)
def test_promote_refuses_an_instance_that_is_not_a_restore_like_the_live_one(
    database: dict[str, Any], network: dict[str, Any], changes: dict[str, Any], says: str
) -> None:
    restored_copy(network, "copy", **changes)
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    line = refusal(err)
    assert says in line
    assert line.endswith("; nothing was renamed\n")
    assert identifiers() == {LIVE, "copy"}


def test_promote_refuses_other_security_groups_and_says_how_to_give_it_the_live_ones(
    database: dict[str, Any], network: dict[str, Any]
) -> None:
    restored_copy(network, "copy", VpcSecurityGroupIds=network["groups"][:1])
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    line = refusal(err)
    assert f"copy differs from {LIVE} in VPC security groups" in line
    command = line.split(" with ", 1)[1].removesuffix("; nothing was renamed\n")
    words = shlex.split(command)
    groups = words[words.index("--vpc-security-group-ids") + 1 : words.index("--apply-immediately")]
    boto3.client("rds").modify_db_instance(
        DBInstanceIdentifier="copy", VpcSecurityGroupIds=groups, ApplyImmediately=True
    )
    code, _, err = run("promote", "--env", "prod", "--restored", "copy")
    assert code == 0, err


def test_promote_refuses_a_read_replica(database: dict[str, Any]) -> None:
    boto3.client("rds").create_db_instance_read_replica(DBInstanceIdentifier="replica", SourceDBInstanceIdentifier=LIVE)
    # moto's replica copies its source's DbiResourceId; AWS gives it its own.
    rds_backends[ACCOUNT][REGION].databases["replica"].dbi_resource_id = "db-TESTONLYREPLICA"
    code, _, err = run("promote", "--env", "prod", "--restored", "replica", "--yes")
    assert code == 1
    assert f"replica is a read replica of {LIVE}, not a restore" in refusal(err)
    assert identifiers() == {LIVE, "replica"}


@pytest.mark.parametrize("pending_on", ["copy", LIVE])
def test_promote_refuses_while_a_change_is_pending(
    database: dict[str, Any], network: dict[str, Any], pending_on: str
) -> None:
    restored_copy(network, "copy")
    # moto reports no PendingModifiedValues: give one instance some, as AWS would after a deferred modification.
    # (moto's model has no such attribute, and its response renders it when set.)
    instance = rds_backends[ACCOUNT][REGION].databases[pending_on]
    setattr(instance, "pending_modified_values", {"DBInstanceClass": "db.t3.small"})  # noqa: B010
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    assert f"{pending_on} has changes pending (DBInstanceClass)" in refusal(err)
    assert identifiers() == {LIVE, "copy"}


def test_promote_refuses_when_the_aside_name_is_taken(database: dict[str, Any], network: dict[str, Any]) -> None:
    restored_copy(network, "copy")
    restored_copy(network, f"{LIVE}-before-{restore.stamp(NOW)}")
    code, _, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    assert "already exists" in refusal(err)
    assert LIVE in identifiers()
    assert "copy" in identifiers()


def test_promote_without_yes_prints_the_plan_and_changes_nothing(database: dict[str, Any]) -> None:
    assert run("db", "--env", "prod", "--latest", "--name", "copy")[0] == 0
    code, text, _ = run("promote", "--env", "prod", "--restored", "copy")
    assert code == 0
    aside = f"{LIVE}-before-{restore.stamp(NOW)}"
    assert f"1. rename {LIVE} → {aside}" in text
    assert f"2. rename copy → {LIVE}" in text
    assert "about 10 minutes" in text
    assert "DbiResourceId" in text
    assert "on any of the account's instances" in text
    assert "until the compute stacks' grant is updated" not in text
    # Before step 1: the renames that finish or undo a swap that stops halfway.
    assert rename("copy", LIVE) in text
    assert rename(aside, LIVE) in text
    assert "nothing changed: run again with --yes" in text
    assert identifiers() == {LIVE, "copy"}
    assert restore.PROMOTED_ASIDE_FROM_TAG not in {t["Key"] for t in describe(LIVE)["TagList"]}


def test_promote_with_yes_swaps_the_names_and_keeps_the_old_instance(database: dict[str, Any]) -> None:
    assert run("db", "--env", "prod", "--latest", "--name", "copy")[0] == 0
    code, text, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 0, err
    aside = f"{LIVE}-before-{restore.stamp(NOW)}"
    assert identifiers() == {LIVE, aside}
    promoted, kept = describe(LIVE), describe(aside)
    # The live name now holds the restored data (its tags travel with it), at the same endpoint name.
    assert {t["Key"]: t["Value"] for t in promoted["TagList"]}[restore.RESTORED_FROM_TAG] == LIVE
    assert promoted["Endpoint"]["Address"] == database["Endpoint"]["Address"]
    assert restore.RESTORED_FROM_TAG not in {t["Key"] for t in kept["TagList"]}
    kept_tags = {t["Key"]: t["Value"] for t in kept["TagList"]}
    assert (kept_tags[restore.PROMOTED_ASIDE_FROM_TAG], kept_tags[restore.PROMOTED_ASIDE_FOR_TAG]) == (LIVE, "copy")
    assert kept["Endpoint"]["Address"].startswith(f"{aside}.")
    assert kept["DeletionProtection"] is True
    assert f"go back:  python -m tools.ops.restore promote --env prod --restored {aside} --yes" in text

    # Going back: the instance put aside is no restore, but the promote's tag says where it was.
    later = NOW + timedelta(minutes=30)
    code, text, err = run("promote", "--env", "prod", "--restored", aside, "--yes", clock=lambda: later)
    assert code == 0, err
    assert describe(LIVE)["DbiResourceId"] == database["DbiResourceId"]
    assert identifiers() == {LIVE, f"{LIVE}-before-{restore.stamp(later)}"}


def test_a_promote_stopped_halfway_is_named_by_every_command_with_the_renames_that_finish_or_undo_it(
    database: dict[str, Any], calls: dict[str, list[dict[str, Any]]]
) -> None:
    assert run("db", "--env", "prod", "--latest", "--name", "copy")[0] == 0
    restored = describe("copy")["DbiResourceId"]

    def fail_step_two(params: dict[str, Any], **_: Any) -> None:
        if params.get("NewDBInstanceIdentifier") == LIVE:
            raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "ModifyDBInstance")

    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("provide-client-params.rds.ModifyDBInstance", fail_step_two)
    aside = f"{LIVE}-before-{restore.stamp(NOW)}"
    finish = rename("copy", LIVE)
    undo = rename(aside, LIVE)
    code, text, err = run("promote", "--env", "prod", "--restored", "copy", "--yes")
    assert code == 1
    assert text.index(finish) < text.index(f"renaming {LIVE} → {aside}")  # printed before step 1
    line = refusal(err)
    assert f"the promote stopped after step 1: finish the swap with {finish}, or undo step 1 with {undo}" in line
    session.events.unregister("provide-client-params.rds.ModifyDBInstance", fail_step_two)
    assert identifiers() == {aside, "copy"}

    # The next run of any command names what is aside and the same renames, instead of "does not exist".
    for command in (["promote", "--restored", "copy"], ["db", "--latest"]):
        code, _, err = run(*command, "--env", "prod")
        assert code == 1
        line = refusal(err)
        assert f"the data stack's instance {LIVE} does not exist in {REGION}, but {aside} does" in line
        assert f"finish the swap: {finish}; or undo its step 1: {undo}" in line
    assert identifiers() == {aside, "copy"}

    # The printed command finishes it.
    boto3.client("rds").modify_db_instance(
        DBInstanceIdentifier="copy", NewDBInstanceIdentifier=LIVE, ApplyImmediately=True
    )
    assert describe(LIVE)["DbiResourceId"] == restored


# ---------------------------------------------------------------------------- bucket


class S3Clock:
    """The time moto stamps S3 writes with (LastModified, a second's precision in S3 too)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 1, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int = 60) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def bucket(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, S3Clock]:
    clock = S3Clock()
    monkeypatch.setattr("moto.s3.models.utcnow", clock)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    # The assets bucket's rule (constructs/assets_bucket.py): old versions expire after 90 days.
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "ExpireOldVersions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                }
            ]
        },
    )
    data_stack({restore.BUCKET_ID: BUCKET})
    return s3, clock


def state(s3: Any, prefix: str = "") -> dict[str, bytes]:
    """The bucket as a reader sees it: each current key's body."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def versions(s3: Any) -> set[str]:
    answer = s3.list_object_versions(Bucket=BUCKET)
    return {v["VersionId"] for v in [*answer.get("Versions", []), *answer.get("DeleteMarkers", [])]}


def history(s3: Any, clock: S3Clock) -> tuple[datetime, dict[str, bytes]]:
    """Writes, the time to go back to, then overwrites, deletes and a new key; returns the time and the state then."""
    s3.put_object(Bucket=BUCKET, Key="events/1.jpg", Body=b"poster v1", Metadata={"owner": "ops"})
    s3.put_object(Bucket=BUCKET, Key="events/2.jpg", Body=b"two")
    s3.put_object(Bucket=BUCKET, Key="users/a.png", Body=b"avatar a")
    s3.put_object(Bucket=BUCKET, Key="gone-before.txt", Body=b"old")
    clock.advance()
    s3.delete_object(Bucket=BUCKET, Key="gone-before.txt")
    s3.put_object(Bucket=BUCKET, Key="events/1.jpg", Body=b"poster v2", Metadata={"owner": "ops"})
    clock.advance()
    at = clock.now.replace(tzinfo=UTC)
    then = state(s3)
    clock.advance()
    s3.put_object(Bucket=BUCKET, Key="events/1.jpg", Body=b"poster BROKEN")
    s3.delete_object(Bucket=BUCKET, Key="events/2.jpg")
    s3.delete_object(Bucket=BUCKET, Key="users/a.png")
    s3.put_object(Bucket=BUCKET, Key="users/a.png", Body=b"avatar overwritten after a delete")
    s3.put_object(Bucket=BUCKET, Key="events/3.jpg", Body=b"created later")
    s3.put_object(Bucket=BUCKET, Key="gone-before.txt", Body=b"re-created later")
    clock.advance()
    return at, then


def test_bucket_restore_puts_back_the_state_at_that_time_and_deletes_no_version(
    bucket: tuple[Any, S3Clock], calls: dict[str, list[dict[str, Any]]]
) -> None:
    s3, clock = bucket
    at, then = history(s3, clock)
    before = versions(s3)
    code, text, err = run(
        "bucket", "--env", "prod", "--to", restore.iso(at), clock=lambda: clock.now.replace(tzinfo=UTC)
    )
    assert code == 0, err
    later = {"events/3.jpg": b"created later", "gone-before.txt": b"re-created later"}
    assert state(s3) == then | later
    assert before <= versions(s3)  # every version is still there
    assert "DeleteObject" not in calls
    assert "DeleteObjects" not in calls
    assert s3.head_object(Bucket=BUCKET, Key="events/1.jpg")["Metadata"] == {"owner": "ops"}
    assert "restored 3, unchanged 0, created later 2, skipped 0" in text
    assert "created later  events/3.jpg  (left as it is)" in text
    assert text.startswith("versions: the lifecycle deletes a version 90 days after it stops being current: one ")
    assert "is gone and cannot be restored" in text
    # Running it again finds nothing to do.
    code, text, _ = run("bucket", "--env", "prod", "--to", restore.iso(at), clock=lambda: clock.now.replace(tzinfo=UTC))
    assert "restored 0, unchanged 3, created later 2" in text


def test_bucket_dry_run_changes_nothing(bucket: tuple[Any, S3Clock]) -> None:
    s3, clock = bucket
    at, _ = history(s3, clock)
    now, before = state(s3), versions(s3)
    code, text, err = run(
        "bucket", "--env", "prod", "--to", restore.iso(at), "--dry-run", clock=lambda: clock.now.replace(tzinfo=UTC)
    )
    assert code == 0, err
    assert state(s3) == now
    assert versions(s3) == before
    assert "would restore  events/2.jpg" in text
    assert text.rstrip().endswith("no version was deleted)")
    assert "dry run: restored 3" in text


def test_bucket_prefix_limits_the_restore(bucket: tuple[Any, S3Clock]) -> None:
    s3, clock = bucket
    at, then = history(s3, clock)
    users = state(s3, "users/")
    code, text, err = run(
        "bucket",
        "--env",
        "prod",
        "--to",
        restore.iso(at),
        "--prefix",
        "events/",
        clock=lambda: clock.now.replace(tzinfo=UTC),
    )
    assert code == 0, err
    assert state(s3, "events/") == {k: v for k, v in then.items() if k.startswith("events/")} | {
        "events/3.jpg": b"created later"
    }
    assert state(s3, "users/") == users
    assert "restored 2, unchanged 0, created later 1" in text


def test_bucket_restore_pages_through_every_version(
    bucket: tuple[Any, S3Clock], calls: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, clock = bucket
    at, then = history(s3, clock)
    monkeypatch.setattr(restore, "PAGE_SIZE", 2)  # S3 pages at 1,000; the same walk over many pages
    code, text, err = run(
        "bucket", "--env", "prod", "--to", restore.iso(at), clock=lambda: clock.now.replace(tzinfo=UTC)
    )
    assert code == 0, err
    assert len(calls["ListObjectVersions"]) > 5
    assert "restored 3, unchanged 0, created later 2" in text
    assert {k: v for k, v in state(s3).items() if k in then} == then


def test_a_key_deleted_and_written_within_one_second_is_ambiguous_unless_the_write_is_current(
    bucket: tuple[Any, S3Clock], calls: dict[str, list[dict[str, Any]]]
) -> None:
    s3, clock = bucket
    for key in ("kept.txt", "overwritten.txt"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"first")
    clock.advance()
    # Within one second (S3's precision): deleted, then written again.
    written = {}
    for key in ("kept.txt", "overwritten.txt"):
        s3.delete_object(Bucket=BUCKET, Key=key)
        written[key] = s3.put_object(Bucket=BUCKET, Key=key, Body=b"second")["VersionId"]
    clock.advance()
    at = clock.now.replace(tzinfo=UTC)
    clock.advance()
    s3.put_object(Bucket=BUCKET, Key="overwritten.txt", Body=b"third")
    clock.advance()
    code, text, err = run(
        "bucket", "--env", "prod", "--to", restore.iso(at), clock=lambda: clock.now.replace(tzinfo=UTC)
    )
    assert code == 0, err
    # kept.txt: its write is the current version, so the last of that second: unchanged, not "created later".
    assert "kept.txt" not in text
    [line] = [line for line in text.splitlines() if "overwritten.txt" in line]
    assert line.startswith("ambiguous      overwritten.txt  (changed more than once within ")
    assert (
        f"aws s3api get-object --bucket {BUCKET} --key overwritten.txt --version-id {written['overwritten.txt']} FILE"
        in line
    )
    assert "or it was deleted then" in line
    assert "restored 0, unchanged 1, created later 0, skipped 0, ambiguous 1" in text
    assert "CopyObject" not in calls
    assert state(s3) == {"kept.txt": b"second", "overwritten.txt": b"third"}


def test_bucket_refuses_a_future_time(bucket: tuple[Any, S3Clock]) -> None:
    code, _, err = run("bucket", "--env", "prod", "--to", restore.iso(NOW + timedelta(days=1)))
    assert code == 1
    assert "is in the future" in refusal(err)


# ---------------------------------------------------------------------------- cache


def test_cache_prints_the_command_with_the_live_settings_and_no_secret(
    network: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    elasticache = boto3.client("elasticache")
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="anigmaa-cache-subnets", CacheSubnetGroupDescription="cache", SubnetIds=network["subnets"]
    )
    elasticache.create_replication_group(
        ReplicationGroupId=GROUP,
        ReplicationGroupDescription="anigmaa prod Redis",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        CacheSubnetGroupName="anigmaa-cache-subnets",
        SecurityGroupIds=network["groups"],
        TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True,
        AuthToken=AUTH_TOKEN,
        SnapshotRetentionLimit=7,
    )
    # AWS creates the group's member clusters (<group>-001, …) and describes them; moto names them only.
    for member in ("001", "002"):
        elasticache.create_cache_cluster(
            CacheClusterId=f"{GROUP}-{member}",
            ReplicationGroupId=GROUP,
            Engine="redis",
            EngineVersion="7.1",
            CacheNodeType="cache.t3.micro",
            NumCacheNodes=1,
            CacheSubnetGroupName="anigmaa-cache-subnets",
            SecurityGroupIds=network["groups"],
        )
    # moto lists one member for NumCacheClusters=2 and describes no SecurityGroups on a cache cluster:
    # answer as AWS does (every member listed; each cluster's groups as SecurityGroups).
    backend = elasticache_backends[ACCOUNT][REGION]
    backend.replication_groups[GROUP].member_clusters[:] = [f"{GROUP}-001", f"{GROUP}-002"]
    monkeypatch.setattr(
        CacheCluster,
        "security_groups",
        property(lambda c: [{"SecurityGroupId": g, "Status": "active"} for g in c.security_group_ids]),
        raising=False,
    )
    elasticache.create_snapshot(ReplicationGroupId=GROUP, SnapshotName="nightly")
    data_stack({restore.CACHE_ID: GROUP})

    code, text, err = run("cache", "--env", "prod", "--snapshot", "nightly")
    assert code == 0, err
    [command] = [line for line in text.splitlines() if line.startswith("command:")]
    for expected in (
        "aws elasticache create-replication-group",
        "--snapshot-name nightly",
        f"--replication-group-id {GROUP}-restored-{restore.stamp(NOW)}",
        "--cache-node-type cache.t3.micro",
        "--engine-version 7.1",
        "--num-cache-clusters 2",
        "--cache-subnet-group-name anigmaa-cache-subnets",
        f"--security-group-ids {network['groups'][0]} {network['groups'][1]}",
        "--transit-encryption-enabled",
        "--at-rest-encryption-enabled",
        "--name /anigmaa/prod/REDIS_PASSWORD --with-decryption",
        "--cli-input-json file:///dev/stdin",
    ):
        assert expected in command, expected
    assert AUTH_TOKEN not in text
    assert "not restored" in text
    assert "what is lost without it: nothing today" in text
    assert {g["ReplicationGroupId"] for g in elasticache.describe_replication_groups()["ReplicationGroups"]} == {GROUP}

    code, _, err = run("cache", "--env", "prod", "--snapshot", "missing")
    assert code == 1
    assert "no ElastiCache snapshot missing" in refusal(err)


def test_nothing_deployed_is_refused_in_one_line(aws: None) -> None:
    code, _, err = run("db", "--env", "prod", "--latest")
    assert code == 1
    assert refusal(err) == f"restore: stack {STACK} is not deployed: there is no live database to restore beside\n"
