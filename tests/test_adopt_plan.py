"""tools.adopt: the takeover plan of the seed-shaped production, made in the emulator and read from its state.

One emulator for the module: `tools.rehearsal.terraform_seed` makes the production and writes its raw state
(network at the root or in module.vpc); the app's SecureStrings are put in the emulator's SSM here, with the
live values, another value, or none. `make adopt` runs in-process, its AWS calls sent to the emulator. One
synthesis, of prod with the emitted settings and import overrides, checks that the app holds what is mapped.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import CDK_CONTEXT, ROOT, Synth, seed_secrets, synthesize
from tools.adopt.__main__ import main
from tools.adopt.plan import APP_DATABASE, APP_DB_PARAMETERS, LOGICAL_IDS, make_plan
from tools.adopt.roles import find_roles
from tools.adopt.state import read
from tools.ops.aws import load_environment
from tools.rehearsal.server import FAKE_CREDENTIALS, REGION, Emulator
from tools.rehearsal.terraform_seed import (
    DB,
    DB_PARAMETERS,
    REDIS,
    VPC_CIDR,
    SeedProduction,
)

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse")

# Fresh random values each run: any of them in a written file is a leak, whatever it looks like.
SECRETS = seed_secrets()
DATA_STACK = "anigmaa-prod-data"  # the data stack's CloudFormation name in prod
DB_PARAMETER = "/anigmaa/prod/DB_PASSWORD"
REDIS_PARAMETER = "/anigmaa/prod/REDIS_PASSWORD"

# What the app takes over (the same addresses in both layouts: only the network and SSM move).
IMPORTED = {
    "aws_db_instance.anigmaa_db",
    "aws_db_subnet_group.anigmaa_db_subnet_group",
    "aws_db_parameter_group.anigmaa_db_params",
    "aws_elasticache_replication_group.anigmaa_redis",
    "aws_elasticache_subnet_group.anigmaa_redis_subnet_group",
    "aws_s3_bucket.anigmaa_uploads",
    "aws_s3_bucket_versioning.anigmaa_uploads_versioning",
    "aws_s3_bucket_server_side_encryption_configuration.anigmaa_uploads_encryption",
    "aws_s3_bucket_public_access_block.anigmaa_uploads_pab",
    "aws_s3_bucket_cors_configuration.anigmaa_uploads_cors",
    "aws_s3_bucket_lifecycle_configuration.anigmaa_uploads_lifecycle",
    "aws_s3_bucket_policy.anigmaa_uploads_policy",
}
CACHE = {"aws_elasticache_replication_group.anigmaa_redis", "aws_elasticache_subnet_group.anigmaa_redis_subnet_group"}
NETWORK_TYPES = (
    "aws_vpc.",
    "aws_subnet.",
    "aws_internet_gateway.",
    "aws_eip.",
    "aws_nat_gateway.",
    "aws_route_table.",
    "aws_route.",
    "aws_route_table_association.",
)
# The logical IDs of the data stack's stateful resources, pinned (tests/test_data.py pins them too).
MAPPED_TYPES = {
    "DatabaseInstanceAA8A5FDE": "AWS::RDS::DBInstance",
    "DatabaseInstanceSubnetGroupDE121BB6": "AWS::RDS::DBSubnetGroup",
    "DatabaseInstanceParameterGroup047E0DCB": "AWS::RDS::DBParameterGroup",
    "CacheReplicationGroupBFE59FF3": "AWS::ElastiCache::ReplicationGroup",
    "CacheSubnetGroup355C216D": "AWS::ElastiCache::SubnetGroup",
    "AssetsBucket252B3DF7": "AWS::S3::Bucket",
    "AssetsBucketPolicy75E1DDEC": "AWS::S3::BucketPolicy",
}


def expected_mapping(production: SeedProduction) -> dict[str, dict[str, str]]:
    return {
        "DatabaseInstanceAA8A5FDE": {"DBInstanceIdentifier": production.db_instance_identifier},
        "DatabaseInstanceSubnetGroupDE121BB6": {"DBSubnetGroupName": production.db_subnet_group_name},
        "DatabaseInstanceParameterGroup047E0DCB": {"DBParameterGroupName": production.db_parameter_group_name},
        "CacheReplicationGroupBFE59FF3": {"ReplicationGroupId": production.replication_group_id},
        "CacheSubnetGroup355C216D": {"CacheSubnetGroupName": production.cache_subnet_group_name},
        "AssetsBucket252B3DF7": {"BucketName": production.bucket_name},
        "AssetsBucketPolicy75E1DDEC": {"Bucket": production.bucket_name},
    }


def expected_settings(production: SeedProduction) -> dict[str, Any]:
    return {
        "availability_zones": list(production.availability_zones),
        "vpc_id": production.vpc_id,
        "vpc_cidr": VPC_CIDR,
        "public_subnet_ids": list(production.public_subnet_ids),
        "private_subnet_ids": list(production.private_subnet_ids),
        "private_route_table_ids": list(production.private_route_table_ids),
        "nat_gateways": len(production.nat_gateway_ids),
        "db_extra_security_group_ids": [production.security_group_ids["rds_sg"]],
        "cache_extra_security_group_ids": [production.security_group_ids["redis_sg"]],
        "db_instance_identifier": production.db_instance_identifier,
        "db_engine_version": DB["engine_version"],
        "db_instance_class": DB["instance_class"],
        "db_allocated_storage": DB["allocated_storage"],
        "db_max_allocated_storage": DB["max_allocated_storage"],
        "db_multi_az": True,
        "db_backup_window": DB["backup_window"],
        "db_maintenance_window": DB["maintenance_window"],
        # The app's longer one (backup_pitr_days, which AWS Backup's continuous rule holds RDS to), not the seed's 7.
        "db_backup_retention_days": 14,
        "db_deletion_protection": True,
        "cache_replication_group_id": production.replication_group_id,
        "cache_engine_version": REDIS["engine_version"],
        "cache_node_type": REDIS["node_type"],
        "cache_nodes": REDIS["num_cache_clusters"],
        "cache_snapshot_retention_days": REDIS["snapshot_retention_limit"],
        "cache_snapshot_window": REDIS["snapshot_window"],
        "cache_maintenance_window": REDIS["maintenance_window"],
        "bucket_name": production.bucket_name,
    }


# --- the emulator, the production, its states --------------------------------------------------------------


def _point_at(patch: pytest.MonkeyPatch, server: Emulator, region: str) -> None:
    """Every boto3 call of the tool to the emulator, with fake credentials and nothing from the machine.

    boto3's default session keeps the credentials it first resolves: a fresh one for the test, dropped after,
    so no later test finds these (and sends a request to AWS with them)."""
    patch.setattr(boto3, "DEFAULT_SESSION", None)
    for key in list(os.environ):
        if key.startswith("AWS_") or "PROXY" in key.upper():
            patch.delenv(key)
    for key, value in {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "localhost,127.0.0.1",
    }.items():
        patch.setenv(key, value)


def _secure_strings(region: str, *, db: str | None, redis: str | None) -> None:
    """The app's SecureStrings as given (None: not there)."""
    ssm = boto3.client("ssm", region_name=region)
    for name, value in ((DB_PARAMETER, db), (REDIS_PARAMETER, redis)):
        if value is None:
            with contextlib.suppress(ssm.exceptions.ParameterNotFound):
                ssm.delete_parameter(Name=name)
        else:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def _matching(region: str) -> None:
    _secure_strings(region, db=SECRETS.db_password, redis=SECRETS.redis_auth_token)


@pytest.fixture
def aws(server: Emulator, production: SeedProduction, monkeypatch: pytest.MonkeyPatch) -> str:
    """The emulator for this test, the SecureStrings holding the live secrets; the region."""
    _point_at(monkeypatch, server, production.region)
    _matching(production.region)
    return production.region


def adopt(out: Path, state: Path, *extra: str) -> tuple[int, Path]:
    code = main(["--state", str(state), "--env", "prod", "--out", str(out), *extra])
    return code, out / "prod"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def fates(plan_md: str) -> list[tuple[str, str, str]]:
    """The Fates table of plan.md: (address, fate, why), in its order."""
    section = plan_md.split("## Fates", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|[^|]*\| (.*) \|$", section, flags=re.MULTILINE)
    return [(address, fate.strip(), why) for address, fate, why in rows]


def removed_addresses(text: str) -> list[str]:
    return re.findall(r"^  from = (\S+)$", text, flags=re.MULTILINE)


def assert_no_secret(folder: Path, *texts: str) -> None:
    written = [p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()]
    assert written
    for text in [*written, *texts]:
        assert [secret for secret in SECRETS.all() if secret in text] == []


def edited(state: Path, folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the raw state at ``state``, changed by ``change``."""
    document = json.loads(state.read_text(encoding="utf-8"))
    change(document)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "edited.tfstate"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def entries(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in document["resources"] if e["type"] == kind and e["mode"] == "managed"]


def attributes(document: dict[str, Any], kind: str) -> dict[str, Any]:
    [entry] = entries(document, kind)
    [instance] = entry["instances"]
    return dict(instance["attributes"])


def set_attributes(document: dict[str, Any], kind: str, **values: Any) -> None:
    [entry] = entries(document, kind)
    entry["instances"][0]["attributes"].update(values)


# --- the seed's production, root layout ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root_plan(
    server: Emulator, production: SeedProduction, states: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The plan of the root-layout state, the SecureStrings matching: its folder (OUT/prod)."""
    out = tmp_path_factory.mktemp("adopt-root")
    with pytest.MonkeyPatch.context() as patch:
        _point_at(patch, server, production.region)
        _matching(production.region)
        code, folder = adopt(out, states["root"])
    assert code == 0
    return folder


def test_the_root_layout_maps_the_seven_stateful_resources_by_their_live_ids(
    root_plan: Path, production: SeedProduction
) -> None:
    assert _json(root_plan / "resource-mapping-Data.json") == expected_mapping(production)
    assert sorted(p.name for p in root_plan.iterdir()) == [
        "import-overrides.json",
        "plan.md",
        "resource-mapping-Data.json",
        "settings.json",
        "terraform-removed.tf",
    ]


def test_the_settings_are_the_live_network_names_versions_and_windows(
    root_plan: Path, production: SeedProduction, server: Emulator
) -> None:
    settings = _json(root_plan / "settings.json")
    assert settings == expected_settings(production)
    # Zone order, as the emulator answers it: the n-th public and private subnet share the n-th zone.
    ec2 = boto3.client("ec2", region_name=production.region, endpoint_url=server.url, **_boto_credentials())
    for kind in ("public_subnet_ids", "private_subnet_ids"):
        described = ec2.describe_subnets(SubnetIds=settings[kind])["Subnets"]
        zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in described}
        assert [zone_of[i] for i in settings[kind]] == settings["availability_zones"]


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def test_the_import_overrides_hold_the_live_groups_and_drop_what_the_import_cannot_hold(
    root_plan: Path, production: SeedProduction
) -> None:
    overrides = _json(root_plan / "import-overrides.json")
    assert list(overrides) == [DATA_STACK]
    data = overrides[DATA_STACK]
    assert set(data) <= set(MAPPED_TYPES)
    assert data["DatabaseInstanceAA8A5FDE"]["VPCSecurityGroups"] == [production.security_group_ids["rds_sg"]]
    assert data["DatabaseInstanceAA8A5FDE"]["MonitoringRoleArn"] == production.monitoring_role_arn
    assert data["CacheReplicationGroupBFE59FF3"]["SecurityGroupIds"] == [production.security_group_ids["redis_sg"]]
    bucket = data["AssetsBucket252B3DF7"]
    assert ("LoggingConfiguration", None) in bucket.items()
    assert ("LifecycleConfiguration", None) in bucket.items()
    assert data["DatabaseInstanceParameterGroup047E0DCB"]["Parameters"] == DB_PARAMETERS
    policy = data["AssetsBucketPolicy75E1DDEC"]["PolicyDocument"]
    assert {s["Sid"] for s in policy["Statement"]} == {"AllowECSTaskAccess", "AllowECSTaskListBucket"}


def test_terraform_forgets_each_imported_resource_once_and_no_network(root_plan: Path) -> None:
    text = (root_plan / "terraform-removed.tf").read_text(encoding="utf-8")
    addresses = removed_addresses(text)
    assert sorted(addresses) == sorted(IMPORTED)
    assert text.count("removed {") == text.count("    destroy = false") == len(IMPORTED)
    assert not any("[" in a or a.startswith(NETWORK_TYPES) for a in addresses)


def test_the_plan_gives_every_address_one_fate_and_checks_the_secrets(root_plan: Path, states: dict[str, Path]) -> None:
    plan = (root_plan / "plan.md").read_text(encoding="utf-8")
    rows = fates(plan)
    addresses = [address for address, _, _ in rows]
    assert len(addresses) == len(set(addresses))
    assert sorted(addresses) == sorted(r.address for r in read(states["root"]))
    fate = {address: kind for address, kind, _ in rows}
    assert {a for a, kind in fate.items() if kind == "imported"} == IMPORTED
    assert all(fate[a] == "referenced" for a in addresses if a.startswith(NETWORK_TYPES))
    assert fate["aws_security_group.rds_sg"] == fate["aws_security_group.redis_sg"] == "referenced"
    assert fate["aws_route53_record.api"] == fate["aws_ecs_service.anigmaa_backend"] == "replaced at cutover"
    assert fate["aws_ssm_parameter.db_password"] == "left to Terraform"
    assert f"- `{DB_PARAMETER}` must hold the password of aws_db_instance.anigmaa_db: **matches**" in plan
    assert (
        f"- `{REDIS_PARAMETER}` must hold the auth_token of aws_elasticache_replication_group.anigmaa_redis: "
        "**matches**"
    ) in plan
    assert "## Refused" not in plan


def test_no_secret_reaches_any_file(root_plan: Path) -> None:
    assert_no_secret(root_plan.parent)


# --- the other shapes of the same production ------------------------------------------------------------------


def test_the_module_layout_plans_the_same(
    aws: str,
    states: dict[str, Path],
    root_plan: Path,
    production: SeedProduction,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = adopt(tmp_path, states["module"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert _json(out / "resource-mapping-Data.json") == expected_mapping(production)
    assert _json(out / "settings.json") == _json(root_plan / "settings.json") == expected_settings(production)
    assert _json(out / "import-overrides.json") == _json(root_plan / "import-overrides.json")
    assert sorted(removed_addresses((out / "terraform-removed.tf").read_text(encoding="utf-8"))) == sorted(IMPORTED)
    rows = fates((out / "plan.md").read_text(encoding="utf-8"))
    assert sorted(a for a, _, _ in rows) == sorted(r.address for r in read(states["module"]))
    network = {a: kind for a, kind, _ in rows if a.startswith("module.vpc.")}
    assert set(network) == {r.address for r in read(states["module"]) if r.module == "module.vpc"}
    assert len(network) == 20
    assert set(network.values()) == {"referenced"}
    ssm = {a: kind for a, kind, _ in rows if a.startswith("aws_ssm_parameter.secret[")}
    keys = ("DB_PASSWORD", "JWT_SECRET", "MIDTRANS_SERVER_KEY", "REDIS_PASSWORD")
    assert set(ssm) == {f'aws_ssm_parameter.secret["{key}"]' for key in keys}
    assert set(ssm.values()) == {"left to Terraform"}
    assert_no_secret(tmp_path, captured.out, captured.err)


def show_json(raw: dict[str, Any]) -> dict[str, Any]:
    """`terraform show -json` of a raw state: the same resources under values.root_module and its child modules,
    every value in clear (as show -json prints it) and the sensitive ones marked in sensitive_values."""
    modules: dict[str, list[dict[str, Any]]] = {}
    for entry in raw["resources"]:
        module = entry.get("module", "")
        prefix = f"{module + '.' if module else ''}{'data.' if entry['mode'] == 'data' else ''}"
        for instance in entry["instances"]:
            index = instance.get("index_key")
            secret = {path[0]["value"] for path in instance.get("sensitive_attributes", [])}
            key = "" if index is None else f"[{json.dumps(index)}]"
            resource = {
                "address": f"{prefix}{entry['type']}.{entry['name']}{key}",
                "mode": entry["mode"],
                "type": entry["type"],
                "name": entry["name"],
                "provider_name": entry["provider"].split('"')[1],
                "schema_version": instance.get("schema_version", 0),
                "values": instance["attributes"],
                "sensitive_values": {key: True for key in secret if key in instance["attributes"]},
            }
            if index is not None:
                resource["index"] = index
            modules.setdefault(module, []).append(resource)
    root = modules.pop("", [])
    return {
        "format_version": "1.0",
        "terraform_version": raw["terraform_version"],
        "values": {
            "outputs": {
                name: {"sensitive": bool(output.get("sensitive")), "value": output["value"]}
                for name, output in raw["outputs"].items()
            },
            "root_module": {
                "resources": root,
                "child_modules": [{"address": m, "resources": r} for m, r in modules.items()],
            },
        },
    }


def test_a_terraform_show_json_document_plans_the_same(
    aws: str,
    states: dict[str, Path],
    root_plan: Path,
    production: SeedProduction,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    raw = _json(states["module"])
    shown = show_json(raw)
    assert shown["values"]["root_module"]["child_modules"][0]["address"] == "module.vpc"
    path = tmp_path / "show.json"
    path.write_text(json.dumps(shown), encoding="utf-8")
    code, out = adopt(tmp_path / "out", path)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert _json(out / "resource-mapping-Data.json") == expected_mapping(production)
    assert _json(out / "settings.json") == expected_settings(production)
    assert _json(out / "import-overrides.json") == _json(root_plan / "import-overrides.json")
    rows = fates((out / "plan.md").read_text(encoding="utf-8"))
    assert sorted(a for a, _, _ in rows) == sorted(r.address for r in read(states["module"]))
    assert "**matches**" in (out / "plan.md").read_text(encoding="utf-8")
    assert_no_secret(tmp_path / "out", captured.out, captured.err)


# --- the secrets ---------------------------------------------------------------------------------------------


def test_a_database_password_that_differs_is_refused_and_unwrites_the_mapping(
    aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = adopt(tmp_path, states["root"])
    assert code == 0
    assert (out / "resource-mapping-Data.json").exists()
    _secure_strings(aws, db=SECRETS.db_password + "-but-not-it", redis=SECRETS.redis_auth_token)
    capsys.readouterr()
    code, out = adopt(tmp_path, states["root"])
    captured = capsys.readouterr()
    assert code == 1
    [line] = captured.err.splitlines()
    assert line.startswith(f"adopt: refused: {DB_PARAMETER} differs from the live password")
    assert not (out / "resource-mapping-Data.json").exists()
    assert not (out / "import-overrides.json").exists()
    plan = (out / "plan.md").read_text(encoding="utf-8")
    assert "## Refused: do not import" in plan
    assert f"`{DB_PARAMETER}` must hold the password of aws_db_instance.anigmaa_db: **differs**" in plan
    assert_no_secret(tmp_path, captured.out, captured.err)


def test_a_redis_token_not_yet_in_ssm_is_refused(
    aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _secure_strings(aws, db=SECRETS.db_password, redis=None)
    code, out = adopt(tmp_path, states["root"])
    captured = capsys.readouterr()
    assert code == 1
    [line] = captured.err.splitlines()
    assert line.startswith(f"adopt: refused: {REDIS_PARAMETER} does not yet hold the live auth_token")
    assert not (out / "resource-mapping-Data.json").exists()
    assert not (out / "import-overrides.json").exists()
    assert "**missing**" in (out / "plan.md").read_text(encoding="utf-8")


def test_without_the_secret_check_the_plan_says_so(aws: str, states: dict[str, Path], tmp_path: Path) -> None:
    _secure_strings(aws, db=None, redis=None)
    code, out = adopt(tmp_path, states["root"], "--no-secret-check")
    assert code == 0
    plan = (out / "plan.md").read_text(encoding="utf-8")
    assert plan.count("**not checked**") == 2


# --- refusals in one line ---------------------------------------------------------------------------------------


def _not_a_state(document: dict[str, Any]) -> None:
    document.clear()
    document.update({"name": "anigmaa-infra", "version": "1.0.0", "private": True})


def _second_database(document: dict[str, Any]) -> None:
    [entry] = entries(document, "aws_db_instance")
    twin = copy.deepcopy(entry)
    twin["name"] = "anigmaa_reporting"
    twin["instances"][0]["attributes"].update(
        identifier="anigmaa-reporting", arn="arn:aws:rds:ap-southeast-1:123456789012:db:anigmaa-reporting"
    )
    document["resources"].append(twin)


def _aurora(document: dict[str, Any]) -> None:
    [entry] = entries(document, "aws_db_instance")
    cluster = copy.deepcopy(entry)
    cluster.update(type="aws_rds_cluster", name="anigmaa_aurora")
    cluster["instances"] = [
        {
            "schema_version": 0,
            "attributes": {
                "id": "anigmaa-aurora",
                "cluster_identifier": "anigmaa-aurora",
                "engine": "aurora-postgresql",
            },
            "sensitive_attributes": [],
        }
    ]
    document["resources"].append(cluster)


def _other_region(document: dict[str, Any]) -> None:
    arn = attributes(document, "aws_elasticache_replication_group")["arn"]
    set_attributes(document, "aws_elasticache_replication_group", arn=arn.replace(REGION, "us-east-1"))


def _no_bucket(document: dict[str, Any]) -> None:
    document["resources"] = [e for e in document["resources"] if e["type"] != "aws_s3_bucket"]


def _cache_without_tls(document: dict[str, Any]) -> None:
    set_attributes(document, "aws_elasticache_replication_group", transit_encryption_enabled=False)


def _postgres_13(document: dict[str, Any]) -> None:
    set_attributes(document, "aws_db_instance", engine_version="13.4", engine_version_actual="13.4")


def _unknown_node_type(document: dict[str, Any]) -> None:
    set_attributes(document, "aws_elasticache_replication_group", node_type="cache.z9.imaginary")


REFUSALS: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...]]] = {
    "not a state": (_not_a_state, ("not a Terraform state", "accepted: terraform state pull")),
    "two databases": (
        _second_database,
        (
            "2 candidates for the database",
            "aws_db_instance.anigmaa_db (anigmaa-postgres)",
            "aws_db_instance.anigmaa_reporting (anigmaa-reporting)",
            "--pick database=ADDRESS",
        ),
    ),
    "aurora": (_aurora, ("aws_rds_cluster.anigmaa_aurora", "Aurora")),
    "another region": (
        _other_region,
        ("aws_elasticache_replication_group.anigmaa_redis is in region us-east-1", "deploys to ap-southeast-1"),
    ),
    "no bucket": (_no_bucket, ("no aws_s3_bucket in the state",)),
    "cache without TLS": (_cache_without_tls, ("aws_elasticache_replication_group.anigmaa_redis", "without TLS")),
    "postgres 13": (_postgres_13, ("engine_version '13.4'", "accepted: PostgreSQL 14, 15, 16, 17")),
    "a node type the app cannot name": (_unknown_node_type, ("cannot be expressed in env=prod", "cache_node_type")),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_is_one_line_and_writes_nothing(
    case: str, aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, expected = REFUSALS[case]
    code, out = adopt(tmp_path / "out", edited(states["root"], tmp_path, change))
    captured = capsys.readouterr()
    assert code == 2
    [line] = captured.err.splitlines()
    assert line.startswith("adopt: ")
    for text in expected:
        assert text in line
    assert captured.out == ""
    assert not out.exists()
    assert [secret for secret in SECRETS.all() if secret in captured.err] == []


def test_a_picked_database_among_two_is_planned(
    aws: str, states: dict[str, Path], production: SeedProduction, tmp_path: Path
) -> None:
    state = edited(states["root"], tmp_path, _second_database)
    code, out = adopt(tmp_path / "out", state, "--pick", "database=aws_db_instance.anigmaa_db")
    assert code == 0
    assert _json(out / "resource-mapping-Data.json") == expected_mapping(production)
    fate = {a: kind for a, kind, _ in fates((out / "plan.md").read_text(encoding="utf-8"))}
    assert fate["aws_db_instance.anigmaa_reporting"] == "left to Terraform"
    assert "aws_db_instance.anigmaa_reporting" not in removed_addresses(
        (out / "terraform-removed.tf").read_text(encoding="utf-8")
    )


def test_a_pick_of_no_candidate_is_refused_in_one_line(
    aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = adopt(tmp_path, states["root"], "--pick", "database=aws_db_instance.nowhere")
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert "not a database of the state; its candidates: aws_db_instance.anigmaa_db" in line


# --- decisions -------------------------------------------------------------------------------------------------


def test_cache_replace_leaves_the_cache_out_of_the_import(
    aws: str, states: dict[str, Path], production: SeedProduction, tmp_path: Path
) -> None:
    code, out = adopt(tmp_path, states["root"], "--cache", "replace")
    assert code == 0
    mapping = _json(out / "resource-mapping-Data.json")
    expected = expected_mapping(production)
    del expected["CacheReplicationGroupBFE59FF3"], expected["CacheSubnetGroup355C216D"]
    assert mapping == expected
    assert set(_json(out / "import-overrides.json")[DATA_STACK]).isdisjoint(
        {"CacheReplicationGroupBFE59FF3", "CacheSubnetGroup355C216D"}
    )
    settings = _json(out / "settings.json")
    assert settings["cache_extra_security_group_ids"] == []
    assert "cache_replication_group_id" not in settings
    plan = (out / "plan.md").read_text(encoding="utf-8")
    fate = {a: (kind, why) for a, kind, why in fates(plan)}
    assert fate["aws_elasticache_replication_group.anigmaa_redis"][0] == "replaced at cutover"
    assert fate["aws_elasticache_subnet_group.anigmaa_redis_subnet_group"][0] == "replaced at cutover"
    # Nothing keeps Terraform's cache group attached: the app's new cache has only its own.
    assert fate["aws_security_group.redis_sg"][0] == "left to Terraform"
    assert fate["aws_security_group.rds_sg"][0] == "referenced"
    assert sorted(removed_addresses((out / "terraform-removed.tf").read_text(encoding="utf-8"))) == sorted(
        IMPORTED - CACHE
    )
    assert REDIS_PARAMETER not in plan


def test_an_unencrypted_database_is_kept_so_with_a_follow_up(
    aws: str, states: dict[str, Path], production: SeedProduction, tmp_path: Path
) -> None:
    state = edited(states["root"], tmp_path, lambda d: set_attributes(d, "aws_db_instance", storage_encrypted=False))
    code, out = adopt(tmp_path / "out", state)
    assert code == 0
    settings = _json(out / "settings.json")
    assert settings["db_storage_encrypted"] is False
    assert _json(out / "resource-mapping-Data.json") == expected_mapping(production)
    plan = (out / "plan.md").read_text(encoding="utf-8")
    [row] = [line for line in plan.splitlines() if "| StorageEncrypted |" in line]
    assert "| false | true | none |" in row
    follow_ups = plan.split("## Follow-ups", 1)[1]
    assert f"{production.db_instance_identifier} is unencrypted" in follow_ups
    assert "copy the snapshot encrypted" in follow_ups


def test_a_resource_of_a_module_instance_is_removed_without_the_instance_key(
    aws: str, states: dict[str, Path], tmp_path: Path
) -> None:
    def into_a_module(document: dict[str, Any]) -> None:
        [entry] = entries(document, "aws_db_instance")
        entry["module"] = 'module.database["main"]'

    code, out = adopt(tmp_path / "out", edited(states["root"], tmp_path, into_a_module))
    assert code == 0
    addresses = removed_addresses((out / "terraform-removed.tf").read_text(encoding="utf-8"))
    assert "module.database.aws_db_instance.anigmaa_db" in addresses
    assert not any("[" in a for a in addresses)
    fate = {a: kind for a, kind, _ in fates((out / "plan.md").read_text(encoding="utf-8"))}
    assert fate['module.database["main"].aws_db_instance.anigmaa_db'] == "imported"


def _terraform(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = folder.parent / "terraformrc"
    config.write_text("", encoding="utf-8")
    environment = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    return subprocess.run(
        ["terraform", *args, "-no-color"], capture_output=True, text=True, timeout=120, env=environment, cwd=folder
    )


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform CLI is not installed here")
def test_terraform_validates_the_removed_blocks_alone(root_plan: Path, tmp_path: Path) -> None:
    folder = tmp_path / "removed"
    folder.mkdir()
    shutil.copy(root_plan / "terraform-removed.tf", folder / "removed.tf")
    initialized = _terraform(folder, "init", "-backend=false", "-input=false")
    assert initialized.returncode == 0, initialized.stderr
    validated = _terraform(folder, "validate", "-json")
    assert json.loads(validated.stdout)["valid"] is True, validated.stdout


# --- the app: its constants, and the app synthesized with the plan ---------------------------------------------


def test_the_plans_picture_of_the_app_is_the_synthesized_one(prod: Synth, states: dict[str, Path]) -> None:
    resources = prod.json("data")["Resources"]
    for role, (logical_id, kind, _) in LOGICAL_IDS.items():
        assert resources[logical_id]["Type"] == kind == MAPPED_TYPES[logical_id], role
    database = resources["DatabaseInstanceAA8A5FDE"]["Properties"]
    assert {key: database.get(key) for key in APP_DATABASE} == APP_DATABASE
    assert resources["DatabaseInstanceParameterGroup047E0DCB"]["Properties"]["Parameters"] == APP_DB_PARAMETERS
    # The app's side of each difference the plan names is what the template holds.
    state = read(states["root"])
    plan = make_plan(find_roles(state, {}), state, load_environment("prod", ROOT))
    app_side = {(d.address.split(".")[0], d.property): d.app for d in plan.differences}
    properties = {logical_id: resource.get("Properties", {}) for logical_id, resource in resources.items()}
    for (kind, name), logical_id in {
        ("aws_db_subnet_group", "DBSubnetGroupDescription"): "DatabaseInstanceSubnetGroupDE121BB6",
        ("aws_db_parameter_group", "Description"): "DatabaseInstanceParameterGroup047E0DCB",
        ("aws_elasticache_replication_group", "ReplicationGroupDescription"): "CacheReplicationGroupBFE59FF3",
        ("aws_elasticache_subnet_group", "Description"): "CacheSubnetGroup355C216D",
    }.items():
        assert app_side[kind, name] == properties[logical_id][name], (kind, name)
    rules = resources["AssetsBucket252B3DF7"]["Properties"]["LifecycleConfiguration"]["Rules"]
    [rule] = rules
    assert (rule["Id"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == ("ExpireOldVersions", 90)
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7


@pytest.fixture(scope="module")
def adopted(root_plan: Path, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """prod with the emitted settings, synthesized for the import (adopt_import = the emitted overrides)."""
    environments = {name: dict(values) for name, values in CDK_CONTEXT["environments"].items()}
    environments["prod"].update(_json(root_plan / "settings.json"))
    overrides = {
        "env": "prod",
        "compute": "lambda",
        "environments": environments,
        "adopt_import": str(root_plan / "import-overrides.json"),
    }
    return synthesize(overrides, tmp_path_factory.mktemp("adopted-plan") / "cdk.out")


def _references(node: Any) -> Iterator[str]:
    """The logical IDs a template fragment refers to with Ref and Fn::GetAtt (pseudo parameters left out)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                if not value.startswith("AWS::"):
                    yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_the_import_template_holds_every_mapped_resource_under_its_live_id(
    adopted: Synth, root_plan: Path, production: SeedProduction
) -> None:
    assert adopted.stack("data").stack_name == DATA_STACK
    resources = adopted.json("data")["Resources"]
    mapping = _json(root_plan / "resource-mapping-Data.json")
    for logical_id in mapping:
        assert resources[logical_id]["Type"] == MAPPED_TYPES[logical_id]
    props = {logical_id: resources[logical_id]["Properties"] for logical_id in mapping}
    assert props["DatabaseInstanceAA8A5FDE"]["DBInstanceIdentifier"] == production.db_instance_identifier
    assert props["CacheReplicationGroupBFE59FF3"]["ReplicationGroupId"] == production.replication_group_id
    assert props["AssetsBucket252B3DF7"]["BucketName"] == production.bucket_name
    assert props["AssetsBucketPolicy75E1DDEC"]["Bucket"] == {"Ref": "AssetsBucket252B3DF7"}
    assert props["DatabaseInstanceAA8A5FDE"]["DBSubnetGroupName"] == {"Ref": "DatabaseInstanceSubnetGroupDE121BB6"}
    assert props["DatabaseInstanceAA8A5FDE"]["DBParameterGroupName"] == {
        "Ref": "DatabaseInstanceParameterGroup047E0DCB"
    }
    assert props["CacheReplicationGroupBFE59FF3"]["CacheSubnetGroupName"] == {"Ref": "CacheSubnetGroup355C216D"}
    for group in ("DatabaseInstanceSubnetGroupDE121BB6", "CacheSubnetGroup355C216D"):
        assert props[group]["SubnetIds"] == list(production.private_subnet_ids)


def test_the_import_template_refers_only_to_what_it_imports(adopted: Synth, root_plan: Path) -> None:
    resources = adopted.json("data")["Resources"]
    mapping = _json(root_plan / "resource-mapping-Data.json")
    outside = {logical_id: sorted(set(_references(resources[logical_id])) - set(mapping)) for logical_id in mapping}
    assert outside == {logical_id: [] for logical_id in mapping}


def test_the_import_template_is_the_live_configuration_where_the_plan_overrides_it(
    adopted: Synth, root_plan: Path
) -> None:
    resources = adopted.json("data")["Resources"]
    overrides = _json(root_plan / "import-overrides.json")[DATA_STACK]
    for logical_id, properties in overrides.items():
        held = resources[logical_id]["Properties"]
        for name, value in properties.items():
            if "." in name:
                continue  # a path into a property (the parameters), checked whole below
            if name == "DeletionPolicy":
                assert resources[logical_id]["DeletionPolicy"] == value == "Retain", logical_id
                continue
            assert held.get(name) == value, f"{logical_id}.{name}"
    # Deleting the stack that only imported them deletes nothing: the app's Snapshot policy comes with the deploy.
    for logical_id in _json(root_plan / "resource-mapping-Data.json"):
        assert resources[logical_id]["DeletionPolicy"] == "Retain", logical_id
    # The parameters of the import are the live group's alone: the deploy after it then sets the app's.
    assert resources["DatabaseInstanceParameterGroup047E0DCB"]["Properties"]["Parameters"] == DB_PARAMETERS


def test_terraforms_s3_gateway_endpoint_is_named_before_the_network_stack_adds_its_own(
    aws: str, states: dict[str, Path], production: SeedProduction, tmp_path: Path
) -> None:
    def with_an_endpoint(document: dict[str, Any]) -> None:
        endpoint = {
            "id": "vpce-0123456789abcdef0",
            "vpc_id": production.vpc_id,
            "service_name": f"com.amazonaws.{production.region}.s3",
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": list(production.private_route_table_ids),
        }
        document["resources"].append(
            {
                "mode": "managed",
                "type": "aws_vpc_endpoint",
                "name": "s3",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": endpoint, "sensitive_attributes": []}],
            }
        )

    code, out = adopt(tmp_path / "out", edited(states["root"], tmp_path, with_an_endpoint))
    assert code == 0
    follow_ups = (out / "plan.md").read_text(encoding="utf-8").split("## Follow-ups", 1)[1]
    assert "aws_vpc_endpoint.s3 is an S3 gateway endpoint on the live route tables" in follow_ups


def test_every_change_the_plan_promises_is_one_the_import_holds_back(
    aws: str, states: dict[str, Path], tmp_path: Path
) -> None:
    """The deploy after the import compares templates: a property imported with the app's value is never changed.
    So each in-place difference must be imported with its live value (or without the property)."""

    def weaker(document: dict[str, Any]) -> None:
        set_attributes(
            document, "aws_db_instance", backup_retention_period=1, max_allocated_storage=0, deletion_protection=False
        )

    code, out = adopt(tmp_path / "out", edited(states["root"], tmp_path, weaker))
    assert code == 0
    overrides = _json(out / "import-overrides.json")[DATA_STACK]
    held_as = dict(re.findall(r"^\| `([^`]+)` \| imported \| \S+ `(\w+)` \|", (out / "plan.md").read_text(), re.M))
    plan = (out / "plan.md").read_text(encoding="utf-8").split("## Live differences", 1)[1].split("## Secrets")[0]
    rows = [line.split(" | ") for line in plan.splitlines() if line.startswith("| `")]
    promised = [(row[0].strip("| `"), row[1], row[4]) for row in rows if row[4].startswith("in place")]
    assert {(address, prop) for address, prop, _ in promised} >= {
        ("aws_db_instance.anigmaa_db", "BackupRetentionPeriod"),
        ("aws_db_instance.anigmaa_db", "MaxAllocatedStorage"),
        ("aws_db_instance.anigmaa_db", "DeletionProtection"),
    }
    for address, prop, _ in promised:
        held_back = overrides.get(held_as[address], {})
        assert all(name in held_back for name in prop.split("/")), f"{address} {prop}: not in the import overrides"
    assert overrides["DatabaseInstanceAA8A5FDE"]["BackupRetentionPeriod"] == 1
    assert overrides["DatabaseInstanceAA8A5FDE"]["MaxAllocatedStorage"] is None
    assert overrides["DatabaseInstanceAA8A5FDE"]["DeletionProtection"] is False


def test_an_instance_beside_the_taken_over_one_is_refused_not_forgotten(
    aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A removed block takes no instance key: forgetting one bucket of a for_each would forget its siblings."""

    def two_buckets(document: dict[str, Any]) -> None:
        [entry] = entries(document, "aws_s3_bucket")
        [instance] = entry["instances"]
        sibling = copy.deepcopy(instance)
        sibling["attributes"].update(bucket="anigmaa-backups-0001", id="anigmaa-backups-0001")
        entry["instances"] = [{**instance, "index_key": "uploads"}, {**sibling, "index_key": "backups"}]

    state = edited(states["root"], tmp_path, two_buckets)
    code, _ = adopt(tmp_path / "out", state, "--pick", 'bucket=aws_s3_bucket.anigmaa_uploads["uploads"]')
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.startswith('adopt: aws_s3_bucket.anigmaa_uploads["backups"] is not taken over, but a removed block')


def test_a_state_without_the_live_password_is_refused_unless_checked_by_hand(
    aws: str, states: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = edited(states["root"], tmp_path, lambda d: set_attributes(d, "aws_db_instance", password=None))
    code, out = adopt(tmp_path / "out", state)
    assert code == 1
    assert "the state holds no password of aws_db_instance.anigmaa_db" in capsys.readouterr().err
    assert not (out / "resource-mapping-Data.json").exists()
    assert adopt(tmp_path / "checked", state, "--no-secret-check")[0] == 0


def test_an_encrypted_database_is_told_how_to_reach_a_customer_managed_key(root_plan: Path) -> None:
    follow_ups = (root_plan / "plan.md").read_text(encoding="utf-8").split("## Follow-ups", 1)[1]
    assert "keeps its key: a copy of its backups to another account (backup_copy_account_vault_arn)" in follow_ups
    assert "docs/recovery.md" in follow_ups
