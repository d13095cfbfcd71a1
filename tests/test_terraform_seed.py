"""tools.rehearsal.terraform_seed: the seed's production made in the emulator, and its Terraform state read back under
the addresses Terraform gives it, with the secrets only where Terraform keeps them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import seed_secrets
from tools.adopt.state import Sensitive, read
from tools.rehearsal.server import Emulator, client
from tools.rehearsal.terraform_seed import SeedProduction

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse")

SECRETS = seed_secrets()
NETWORK_ROOT = [
    "aws_vpc.anigmaa_vpc",
    "aws_internet_gateway.anigmaa_igw",
    *(f"aws_subnet.{kind}_subnets[{i}]" for kind in ("public", "private") for i in range(2)),
    *(f"aws_eip.nat_eip[{i}]" for i in range(2)),
    *(f"aws_nat_gateway.nat_gateway[{i}]" for i in range(2)),
    "aws_route_table.public_rt",
    *(f"aws_route_table.private_rt[{i}]" for i in range(2)),
    *(f"aws_route_table_association.{kind}_rta[{i}]" for kind in ("public", "private") for i in range(2)),
]
NETWORK_MODULE = [
    f"module.vpc.{address}"
    for address in (
        "aws_vpc.this[0]",
        "aws_internet_gateway.this[0]",
        *(f"aws_subnet.{kind}[{i}]" for kind in ("public", "private") for i in range(2)),
        *(f"aws_eip.nat[{i}]" for i in range(2)),
        *(f"aws_nat_gateway.this[{i}]" for i in range(2)),
        "aws_route_table.public[0]",
        *(f"aws_route_table.private[{i}]" for i in range(2)),
        "aws_route.public_internet_gateway[0]",
        *(f"aws_route.private_nat_gateway[{i}]" for i in range(2)),
        *(f"aws_route_table_association.{kind}[{i}]" for kind in ("public", "private") for i in range(2)),
    )
]
REST = [
    *(f"aws_security_group.{name}" for name in ("alb_sg", "ecs_sg", "rds_sg", "redis_sg")),
    "aws_db_subnet_group.anigmaa_db_subnet_group",
    "aws_db_parameter_group.anigmaa_db_params",
    "aws_iam_role.rds_enhanced_monitoring",
    "aws_iam_role_policy_attachment.rds_enhanced_monitoring",
    "aws_db_instance.anigmaa_db",
    "aws_elasticache_subnet_group.anigmaa_redis_subnet_group",
    "aws_elasticache_replication_group.anigmaa_redis",
    "random_id.bucket_suffix",
    "aws_s3_bucket.anigmaa_uploads",
    "aws_s3_bucket_versioning.anigmaa_uploads_versioning",
    "aws_s3_bucket_server_side_encryption_configuration.anigmaa_uploads_encryption",
    "aws_s3_bucket_public_access_block.anigmaa_uploads_pab",
    "aws_s3_bucket_policy.anigmaa_uploads_policy",
    "aws_s3_bucket_cors_configuration.anigmaa_uploads_cors",
    "aws_s3_bucket_lifecycle_configuration.anigmaa_uploads_lifecycle",
    "aws_iam_role.ecs_execution_role",
    "aws_iam_role.ecs_task_role",
    "aws_iam_role_policy_attachment.ecs_execution_role_policy",
    "aws_cloudwatch_log_group.anigmaa_backend",
    "aws_ecs_cluster.anigmaa_cluster",
    "aws_ecs_task_definition.anigmaa_backend",
    "aws_ecs_service.anigmaa_backend",
    "aws_lb.anigmaa_alb",
    "aws_lb_target_group.anigmaa_backend",
    "aws_lb_listener.anigmaa_backend_http_only[0]",
    "aws_route53_record.api",
]
SSM_ROOT = [
    f"aws_ssm_parameter.{name}" for name in ("db_password", "jwt_secret", "midtrans_server_key", "redis_auth_token")
]
SSM_MODULE = [
    f'aws_ssm_parameter.secret["{key}"]'
    for key in ("DB_PASSWORD", "JWT_SECRET", "MIDTRANS_SERVER_KEY", "REDIS_PASSWORD")
]
EXPECTED = {"root": NETWORK_ROOT + REST + SSM_ROOT, "module": NETWORK_MODULE + REST + SSM_MODULE}


def _strip_sensitive(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what Terraform itself marks sensitive: those attributes and outputs."""
    stripped: dict[str, Any] = json.loads(json.dumps(document))
    stripped["outputs"] = {k: v for k, v in stripped["outputs"].items() if not v.get("sensitive")}
    for entry in stripped["resources"]:
        for instance in entry["instances"]:
            for path in instance["sensitive_attributes"]:
                instance["attributes"].pop(path[0]["value"], None)
    return stripped


def test_the_emulator_holds_the_seed_shaped_production(server: Emulator, production: SeedProduction) -> None:
    ec2 = client(server.url, "ec2")
    tables = ec2.describe_route_tables(RouteTableIds=[production.public_route_table_id])["RouteTables"]
    assert {a["SubnetId"] for a in tables[0]["Associations"]} == set(production.public_subnet_ids)  # one, shared
    db = client(server.url, "rds").describe_db_instances(DBInstanceIdentifier="anigmaa-postgres")["DBInstances"][0]
    assert (db["EngineVersion"], db["MultiAZ"], db["StorageEncrypted"], db["AllocatedStorage"]) == (
        "17",
        True,
        True,
        20,
    )
    assert db["DbiResourceId"] == production.db_resource_id
    group = client(server.url, "elasticache").describe_replication_groups(ReplicationGroupId="anigmaa-redis")
    assert group["ReplicationGroups"][0]["MemberClusters"] == ["anigmaa-redis-001", "anigmaa-redis-002"]
    s3 = client(server.url, "s3")
    listed = s3.list_objects_v2(Bucket=production.bucket_name)["Contents"]
    assert {o["Key"]: o["ETag"] for o in listed} == dict(production.bucket_objects)
    records = client(server.url, "route53").list_resource_record_sets(HostedZoneId=production.hosted_zone_id)
    (api,) = [r for r in records["ResourceRecordSets"] if r["Type"] == "A"]
    assert api["AliasTarget"]["DNSName"] == production.alb_dns_name
    assert "SetIdentifier" not in api
    assert "Weight" not in api
    ssm = client(server.url, "ssm")
    value = ssm.get_parameter(Name="/anigmaa/prod/db/password", WithDecryption=True)["Parameter"]["Value"]
    assert value == SECRETS.db_password
    assert not any(secret in repr(production) or secret in repr(SECRETS) for secret in SECRETS.all())


@pytest.mark.parametrize("layout", ["root", "module"])
def test_the_state_reads_with_every_resource_under_terraforms_address(layout: str, states: dict[str, Path]) -> None:
    addresses = [r.address for r in read(states[layout])]
    assert sorted(addresses) == sorted(EXPECTED[layout])
    assert len(addresses) == len(set(addresses)) == {"root": 51, "module": 54}[layout]


def test_the_state_holds_the_emulators_ids(states: dict[str, Path], production: SeedProduction) -> None:
    by_address = {r.address: r.attributes for r in read(states["root"])}
    db = by_address["aws_db_instance.anigmaa_db"]
    assert (db["id"], db["identifier"], db["address"]) == (
        production.db_resource_id,
        "anigmaa-postgres",
        production.db_address,
    )
    assert db["vpc_security_group_ids"] == [production.security_group_ids["rds_sg"]]
    assert isinstance(db["password"], Sensitive)
    assert db["password"].matches(SECRETS.db_password)
    cache = by_address["aws_elasticache_replication_group.anigmaa_redis"]
    assert cache["at_rest_encryption_enabled"] == "true"
    assert cache["primary_endpoint_address"] == production.redis_primary_endpoint
    assert cache["auth_token"].matches(SECRETS.redis_auth_token)
    public = by_address["aws_route_table.public_rt"]
    assert public["id"] == production.public_route_table_id
    assert public["route"][0]["gateway_id"] == production.internet_gateway_id
    record = by_address["aws_route53_record.api"]
    assert record["zone_id"] == production.hosted_zone_id
    assert record["set_identifier"] == ""
    assert record["alias"] == [
        {"name": production.alb_dns_name, "zone_id": production.alb_zone_id, "evaluate_target_health": True}
    ]
    module = {r.address: r.attributes for r in read(states["module"])}
    route = module["module.vpc.aws_route.private_nat_gateway[1]"]
    assert (route["route_table_id"], route["nat_gateway_id"]) == (
        production.private_route_table_ids[1],
        production.nat_gateway_ids[1],
    )
    assert module['aws_ssm_parameter.secret["REDIS_PASSWORD"]']["value"].matches(SECRETS.redis_auth_token)


@pytest.mark.parametrize("layout", ["root", "module"])
def test_no_secret_outside_what_terraform_marks_sensitive(layout: str, states: dict[str, Path]) -> None:
    document = json.loads(states[layout].read_text(encoding="utf-8"))
    text = states[layout].read_text(encoding="utf-8")
    assert all(secret in text for secret in SECRETS.all())  # where Terraform keeps them, in plain text
    outside = json.dumps(_strip_sensitive(document))
    assert [secret for secret in SECRETS.all() if secret in outside] == []


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform CLI is not installed here")
@pytest.mark.parametrize("layout", ["root", "module"])
def test_terraform_lists_what_the_reader_reads(layout: str, states: dict[str, Path], tmp_path: Path) -> None:
    config = tmp_path / "terraformrc"
    config.write_text("", encoding="utf-8")
    listed = subprocess.run(
        ["terraform", "state", "list", f"-state={states[layout]}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"},
        cwd=tmp_path,
    ).stdout.split()
    managed = [address for address in listed if not address.startswith("data.")]
    assert sorted(listed) == sorted([*managed, "data.aws_availability_zones.available", "data.aws_route53_zone.main"])
    assert sorted(managed) == sorted(r.address for r in read(states[layout]))
