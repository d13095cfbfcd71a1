"""Adopted resources: the live VPC referenced, the live names, the groups kept beside the app's own,
an unencrypted instance held, the ECS path served by a load balancer outside the app, and the
overrides of one `cdk import`. Each configuration is synthesized once per module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from config import ConfigError, load_config
from stacks.app_stacks import build_stacks
from tests.conftest import EXAMPLE_ZONE_ID, ROOT, Synth, new_app, synthesize

VPC_ID = "vpc-0123456789abcdef0"
PUBLIC_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
PRIVATE_SUBNETS = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
PRIVATE_ROUTE_TABLES = ["rtb-0ccccccccccccccc1", "rtb-0ccccccccccccccc2"]
DB_EXTRA_GROUP, CACHE_EXTRA_GROUP = "sg-0ddddddddddddddd1", "sg-0ddddddddddddddd2"
ALB_DNS_NAME, ALB_ZONE_ID = "anigmaa-alb-123456789.ap-southeast-1.elb.amazonaws.com", "Z1LMS91P8CMLE5"
# The pinned logical ids of the database and the assets bucket (tests/test_data.py).
DATABASE, BUCKET = "DatabaseInstanceAA8A5FDE", "AssetsBucket252B3DF7"

# The takeover's prod: every adopted-resource key set, as -c delivers them, during a split.
ADOPTED: dict[str, Any] = {
    "env": "prod",
    "compute": "split",
    "lambda_weight": "50",
    "domain_name": "api.anigmaa.example",
    "hosted_zone_id": EXAMPLE_ZONE_ID,
    "hosted_zone_name": "anigmaa.example",
    "edge_protection": "off",
    "ssm_endpoint": "true",
    "vpc_id": VPC_ID,
    "vpc_cidr": "10.0.0.0/16",
    "public_subnet_ids": ",".join(PUBLIC_SUBNETS),
    "private_subnet_ids": ",".join(PRIVATE_SUBNETS),
    "private_route_table_ids": ",".join(PRIVATE_ROUTE_TABLES),
    "db_instance_identifier": "anigmaa-postgres",
    "cache_replication_group_id": "anigmaa-redis",
    "bucket_name": "anigmaa-prod-assets",
    "db_extra_security_group_ids": DB_EXTRA_GROUP,
    "cache_extra_security_group_ids": CACHE_EXTRA_GROUP,
    "db_storage_encrypted": "false",
    "external_alb": json.dumps({"dns_name": ALB_DNS_NAME, "hosted_zone_id": ALB_ZONE_ID}),
}
# What `cdk import` needs to match the live resources: a stack named by its CloudFormation name, one by its CDK id.
OVERRIDES = {
    "anigmaa-prod-data": {DATABASE: {"PreferredMaintenanceWindow": "mon:03:00-mon:03:30", "MaxAllocatedStorage": None}},
    "Data": {BUCKET: {"ObjectLockEnabled": False}},
}


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    folder = tmp_path_factory.mktemp("adopted")
    overrides = folder / "import.json"
    overrides.write_text(json.dumps(OVERRIDES), encoding="utf-8")
    return synthesize({**ADOPTED, "adopt_import": str(overrides)}, folder / "cdk.out")


def _resources(synth: Synth, role: str, kind: str) -> dict[str, Any]:
    return {k: r for k, r in synth.json(role)["Resources"].items() if r["Type"] == kind}


def _one(synth: Synth, role: str, kind: str) -> dict[str, Any]:
    [resource] = _resources(synth, role, kind).values()
    return dict(resource["Properties"])


def test_the_network_stack_references_the_vpc_and_builds_none(adopted: Synth) -> None:
    template = adopted.templates["network"]
    for kind in ("VPC", "Subnet", "NatGateway", "InternetGateway", "EIP", "Route", "RouteTable", "Instance"):
        template.resource_count_is(f"AWS::EC2::{kind}", 0)
    # What the app adds to a VPC, in the existing one: the flow log to a kept group, the endpoints, the groups.
    flow_log = _one(adopted, "network", "AWS::EC2::FlowLog")
    assert (flow_log["ResourceId"], flow_log["ResourceType"], flow_log["TrafficType"]) == (VPC_ID, "VPC", "ALL")
    [group] = [
        r for k, r in _resources(adopted, "network", "AWS::Logs::LogGroup").items() if k.startswith("NetworkFlowLog")
    ]
    assert group["DeletionPolicy"] == "Retain"
    endpoints = {
        r["Properties"]["VpcEndpointType"]: r["Properties"]
        for r in _resources(adopted, "network", "AWS::EC2::VPCEndpoint").values()
    }
    assert endpoints["Gateway"]["RouteTableIds"] == PRIVATE_ROUTE_TABLES
    assert endpoints["Gateway"]["VpcId"] == VPC_ID
    assert endpoints["Interface"]["SubnetIds"] == PRIVATE_SUBNETS
    groups = _resources(adopted, "network", "AWS::EC2::SecurityGroup").values()
    assert len(groups) == 6  # the five tiers and the SSM endpoint's
    assert {g["Properties"]["VpcId"] for g in groups} == {VPC_ID}


def test_literal_ids_are_not_exported_and_reach_the_compute_stack_as_themselves(adopted: Synth) -> None:
    exports = json.dumps(adopted.json("network").get("Outputs", {}))
    assert "Subnet" not in exports
    assert VPC_ID not in exports
    function = _resources(adopted, "lambda", "AWS::Lambda::Function")
    [backend] = [r for r in function.values() if r["Properties"].get("FunctionName") == "anigmaa-backend"]
    assert backend["Properties"]["VpcConfig"]["SubnetIds"] == PRIVATE_SUBNETS


def test_the_data_stack_holds_the_live_names_in_the_given_subnets(adopted: Synth) -> None:
    assert _one(adopted, "data", "AWS::RDS::DBSubnetGroup")["SubnetIds"] == PRIVATE_SUBNETS
    assert _one(adopted, "data", "AWS::ElastiCache::SubnetGroup")["SubnetIds"] == PRIVATE_SUBNETS
    database = adopted.json("data")["Resources"][DATABASE]["Properties"]
    assert database["DBInstanceIdentifier"] == "anigmaa-postgres"
    cache = _one(adopted, "data", "AWS::ElastiCache::ReplicationGroup")
    assert cache["ReplicationGroupId"] == "anigmaa-redis"
    assert adopted.json("data")["Resources"][BUCKET]["Properties"]["BucketName"] == "anigmaa-prod-assets"


def test_the_exported_rds_logs_keep_their_retention_under_the_fixed_identifier(adopted: Synth) -> None:
    """RDS names the groups after the identifier it stores (lower case, as the key insists): the Ref is it."""
    names = sorted(
        json.dumps(r["Properties"]["LogGroupName"])
        for r in _resources(adopted, "data", "Custom::LogRetention").values()
    )
    assert names == [
        json.dumps({"Fn::Join": ["", ["/aws/rds/instance/", {"Ref": DATABASE}, f"/{log}"]]})
        for log in ("postgresql", "upgrade")
    ]


def test_the_existing_groups_stay_beside_the_apps_own(adopted: Synth) -> None:
    database = adopted.json("data")["Resources"][DATABASE]["Properties"]
    own, extra = database["VPCSecurityGroups"]
    assert "Fn::ImportValue" in own
    assert extra == DB_EXTRA_GROUP
    own, extra = _one(adopted, "data", "AWS::ElastiCache::ReplicationGroup")["SecurityGroupIds"]
    assert "Fn::ImportValue" in own
    assert extra == CACHE_EXTRA_GROUP
    # Imported as they are: the app adds no rule to a group it does not own.
    for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        assert DB_EXTRA_GROUP not in json.dumps(_resources(adopted, "data", kind))


def test_an_unencrypted_instance_is_held_warned_and_its_findings_accepted_with_the_follow_up(adopted: Synth) -> None:
    database = adopted.json("data")["Resources"][DATABASE]
    assert database["Properties"]["StorageEncrypted"] is False
    [skip] = [s for s in database["Metadata"]["checkov"]["skip"] if s["id"] == "CKV_AWS_16"]
    assert "snapshot" in skip["comment"]
    assert "restore" in skip["comment"]
    [warning] = [f for f in adopted.findings if f.rule.endswith("anigmaa:db-storage-unencrypted")]
    assert "snapshot it, copy the snapshot encrypted, and restore the copy in a maintenance window" in warning.message


def test_the_ecs_record_aliases_the_external_load_balancer_and_no_ecs_stack_is_built(adopted: Synth) -> None:
    assert set(adopted.stacks.computes) == {"lambda"}
    assert not (adopted.outdir / "Ecs.template.json").exists()
    records = {
        r["Properties"]["SetIdentifier"]: r["Properties"]
        for r in _resources(adopted, "edge", "AWS::Route53::RecordSet").values()
    }
    assert set(records) == {"lambda", "ecs"}
    assert records["ecs"]["AliasTarget"] == {
        "DNSName": ALB_DNS_NAME,
        "HostedZoneId": ALB_ZONE_ID,
        "EvaluateTargetHealth": True,
    }
    assert (records["ecs"]["Weight"], records["lambda"]["Weight"]) == (50, 50)
    assert [f for f in adopted.findings if f.rule.endswith("anigmaa:ecs-served-externally")]


def test_the_import_overrides_are_applied(adopted: Synth) -> None:
    database = adopted.json("data")["Resources"][DATABASE]["Properties"]
    assert database["PreferredMaintenanceWindow"] == "mon:03:00-mon:03:30"
    assert "MaxAllocatedStorage" not in database
    assert adopted.json("data")["Resources"][BUCKET]["Properties"]["ObjectLockEnabled"] is False


def _build(overrides: dict[str, Any], tmp_path: Path) -> None:
    """Build the stacks (no synth): where the overrides' stack names and logical ids are checked."""
    path = tmp_path / "import.json"
    path.write_text(json.dumps(overrides), encoding="utf-8")
    app: App = new_app({"env": "prod", "compute": "lambda", "adopt_import": str(path)}, tmp_path / "cdk.out")
    build_stacks(app, load_config(app.node.get_all_context(), ROOT))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"anigmaa-prod-cache": {}},
            r"^adopt_import: stack 'anigmaa-prod-cache' is not one resources are imported into; accepted: "
            r"anigmaa-prod-data \(or its CDK id\)$",
        ),
        (  # nothing is imported into the network stack: its template is never overridden
            {"Network": {}},
            r"^adopt_import: stack 'Network' is not one resources are imported into; accepted: anigmaa-prod-data",
        ),
        (
            {"Data": {"DatabaseInstanceAA8A5FDF": {"StorageEncrypted": False}}},
            r"^adopt_import: 'DatabaseInstanceAA8A5FDF' is not a resource of anigmaa-prod-data \(did you mean "
            r"'DatabaseInstanceAA8A5FDE'\?\); accepted: a logical id of that stack's template$",
        ),
    ],
    ids=["unknown-stack", "the-network-stack", "unknown-logical-id"],
)
def test_import_overrides_name_stacks_and_resources_of_the_app(
    overrides: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        _build(overrides, tmp_path)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"^adopt_import: '.*' is not valid JSON \(Expecting property name enclosed in double quotes at line 1"),
        ("[]", r"^adopt_import: '.*' holds no object of stacks; accepted: a JSON file \{"),
        ('{"Data": {"X": 1}}', r"^adopt_import: '.*' has stack 'Data' without an object of logical ids"),
    ],
    ids=["malformed", "not-an-object", "not-properties"],
)
def test_a_broken_import_file_is_one_line(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "import.json"
    path.write_text(text, encoding="utf-8")
    app = new_app({"env": "prod", "adopt_import": str(path)}, tmp_path / "cdk.out")
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(app.node.get_all_context(), ROOT)
    assert "\n" not in str(raised.value)


def test_the_cost_report_bills_the_existing_vpcs_nat_gateways(adopted: Synth) -> None:
    """nat_gateways counts them: the network stack's Metadata carries the count to the report."""
    from tools.cost.inventory import read

    assert adopted.json("network")["Metadata"]["anigmaa:existing-vpc"] == {"VpcId": VPC_ID, "NatGateways": 2}
    assert read(adopted.outdir).nat_gateways == 2


def test_the_import_overrides_are_refused_from_cdk_json(tmp_path: Path) -> None:
    """Only on the command line of one cdk import: in cdk.json, every deploy would take them."""
    document = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    document["context"]["adopt_import"] = "import-overrides.json"
    (tmp_path / "cdk.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "import-overrides.json").write_text("{}", encoding="utf-8")
    context = {**document["context"], "env": "prod"}
    with pytest.raises(ConfigError, match=r"^adopt_import: 'import-overrides.json' is set in cdk.json, where every "):
        load_config(context, tmp_path)
