"""Data stack: PostgreSQL, Redis and S3, with their protection and pinned logical IDs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.conftest import Synth

# Renaming any of these replaces the resource and loses its data (or, for the subnet
# groups, forces the database or cache it serves to be replaced). Never change them.
PINNED_IDS = {
    "DatabaseInstanceAA8A5FDE": "AWS::RDS::DBInstance",
    "DatabaseInstanceSubnetGroupDE121BB6": "AWS::RDS::DBSubnetGroup",
    "CacheReplicationGroupBFE59FF3": "AWS::ElastiCache::ReplicationGroup",
    "CacheSubnetGroup355C216D": "AWS::ElastiCache::SubnetGroup",
    "AssetsBucket252B3DF7": "AWS::S3::Bucket",
}


def test_stateful_logical_ids_are_pinned(prod: Synth, dev: Synth) -> None:
    for synth in (prod, dev):
        resources = synth.json("data")["Resources"]
        assert {logical_id: resources[logical_id]["Type"] for logical_id in PINNED_IDS} == PINNED_IDS


def test_postgres_follows_the_seed_and_keeps_its_data_in_prod(prod: Synth) -> None:
    prod.templates["data"].has_resource(
        "AWS::RDS::DBInstance",
        {
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": "17",
                "DBInstanceClass": "db.t3.micro",
                "DBName": "anigmaa",
                "MasterUsername": "postgres",
                "MasterUserPassword": "{{resolve:ssm-secure:/anigmaa/prod/DB_PASSWORD}}",
                "Port": "5432",
                "StorageEncrypted": True,
                "PubliclyAccessible": False,
                "MultiAZ": True,
                "DeletionProtection": True,
                # The seed's 7 days, raised to backup_pitr_days: AWS Backup's continuous rule sets it (test_backup).
                "BackupRetentionPeriod": 14,
                "DeleteAutomatedBackups": False,
                "StorageType": "gp3",
                "AllowMajorVersionUpgrade": True,
            },
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
        },
    )


def test_postgres_enforces_tls(prod: Synth) -> None:
    prod.templates["data"].has_resource_properties(
        "AWS::RDS::DBParameterGroup", {"Family": "postgres17", "Parameters": {"rds.force_ssl": "1"}}
    )


def test_dev_database_is_single_az_and_deletable_but_still_snapshots(dev: Synth) -> None:
    dev.templates["data"].has_resource(
        "AWS::RDS::DBInstance",
        {
            "Properties": {"MultiAZ": False, "DeletionProtection": False, "BackupRetentionPeriod": 1},
            "DeletionPolicy": "Snapshot",
        },
    )


def test_redis_is_an_encrypted_replication_group_with_auth_from_ssm(prod: Synth) -> None:
    prod.templates["data"].has_resource(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "Properties": {
                "Engine": "redis",
                "CacheNodeType": "cache.t3.micro",
                "NumCacheClusters": 2,
                "AutomaticFailoverEnabled": True,
                "MultiAZEnabled": True,
                "Port": 6379,
                "TransitEncryptionEnabled": True,
                "AtRestEncryptionEnabled": True,
                "AuthToken": "{{resolve:ssm-secure:/anigmaa/prod/REDIS_PASSWORD}}",
                "SnapshotRetentionLimit": 7,
                "CacheSubnetGroupName": {"Ref": Match.string_like_regexp("CacheSubnetGroup")},
            },
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
        },
    )


def test_redis_lives_in_the_private_subnets(prod: Synth) -> None:
    prod.templates["data"].has_resource_properties(
        "AWS::ElastiCache::SubnetGroup",
        {
            "SubnetIds": [
                {"Fn::ImportValue": Match.string_like_regexp("PrivateSubnet1")},
                {"Fn::ImportValue": Match.string_like_regexp("PrivateSubnet2")},
            ]
        },
    )


def test_a_single_node_cache_cannot_fail_over(dev: Synth) -> None:
    dev.templates["data"].has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {"NumCacheClusters": 1, "AutomaticFailoverEnabled": False, "MultiAZEnabled": False},
    )


def test_bucket_is_private_encrypted_versioned_and_retained(prod: Synth) -> None:
    template = prod.templates["data"]
    template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_bucket_refuses_requests_without_tls(prod: Synth) -> None:
    prod.templates["data"].has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_secrets_appear_only_as_ssm_secure_references(prod: Synth, dev: Synth) -> None:
    for synth in (prod, dev):
        text = json.dumps(synth.json("data"))
        assert text.count("{{resolve:ssm-secure:") == 2
        # JWT_SECRET and MIDTRANS_SERVER_KEY are the backend's only; the data stack never touches them.
        assert "JWT_SECRET" not in text
        assert "MIDTRANS_SERVER_KEY" not in text


def test_data_exports_are_the_declared_interface(prod: Synth) -> None:
    exports = sorted(o["Export"]["Name"] for o in prod.json("data")["Outputs"].values())
    # database host, id and resource id, cache host and group id, bucket name and ARN, access-log bucket, alarm topic
    assert len(exports) == 9
    assert all(name.startswith("anigmaa-prod-data:") for name in exports)
    # The export the compute stacks' cdk-nag acknowledgement of the bucket's objects names (from the CDK).
    imports = json.dumps(prod.json("compute"))
    assert [name for name in exports if "AssetsBucket" in name and "Arn" in name and name in imports]


def test_the_database_resource_id_is_the_last_export_so_none_before_it_moves(prod: Synth) -> None:
    outputs = list(prod.json("data")["Outputs"].values())
    assert outputs[-1]["Value"] == {"Fn::GetAtt": ["DatabaseInstanceAA8A5FDE", "DbiResourceId"]}


def _role_provider(synth: Synth) -> tuple[str, dict[str, Any]]:
    [(logical_id, function)] = [
        (k, r)
        for k, r in synth.json("data")["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == "bootstrap"
    ]
    return logical_id, function


def test_a_go_function_in_the_vpc_creates_the_app_role_through_a_plain_custom_resource(prod: Synth) -> None:
    function_id, function = _role_provider(prod)
    [role] = prod.templates["data"].find_resources("Custom::DatabaseRole").values()
    # CloudFormation invokes the Go function itself: no provider framework (no Node function).
    assert role["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert role["Properties"] | {"ProviderDigest": "-"} == {
        "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
        "Host": {"Fn::GetAtt": ["DatabaseInstanceAA8A5FDE", "Endpoint.Address"]},
        "Port": {"Fn::GetAtt": ["DatabaseInstanceAA8A5FDE", "Endpoint.Port"]},
        "DatabaseName": "anigmaa",
        "MasterUsername": "postgres",
        # A name: the provider reads the value from SSM itself.
        "MasterPasswordParameter": "/anigmaa/prod/DB_PASSWORD",
        "RoleName": "anigmaa_app",
        "SslMode": "verify-full",
        "SslRootCert": "rds",
        "ProviderDigest": "-",
    }
    # Beside it, only the CDK's log-retention function: no provider framework.
    handlers = sorted(
        r["Properties"]["Handler"] for r in prod.templates["data"].find_resources("AWS::Lambda::Function").values()
    )
    assert handlers == ["bootstrap", "index.handler"]
    properties = function["Properties"]
    assert (properties["Runtime"], properties["Architectures"], properties["Timeout"]) == (
        "provided.al2023",
        ["arm64"],
        120,
    )
    assert properties["FunctionName"] == "anigmaa-prod-database-role"
    assert "Environment" not in properties
    # lambda_sg, which reaches the database on 5432, in the private subnets.
    vpc = properties["VpcConfig"]
    [group] = vpc["SecurityGroupIds"]
    assert "LambdaSecurityGroup" in group["Fn::ImportValue"]
    assert all("PrivateSubnet" in json.dumps(subnet) for subnet in vpc["SubnetIds"])
    # The stateful resources keep their ids: the role is beside the instance, not in its place.
    assert {"DatabaseInstanceAA8A5FDE", "DatabaseInstanceSubnetGroupDE121BB6"} <= set(prod.json("data")["Resources"])


def test_the_role_provider_reads_the_master_password_and_nothing_else(prod: Synth) -> None:
    _, function = _role_provider(prod)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    [policy] = [
        r
        for r in prod.json("data")["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action = {json.dumps(s["Action"]): s for s in statements}
    parameter = {
        "Fn::Join": [
            "",
            ["arn:aws:ssm:ap-southeast-1:", {"Ref": "AWS::AccountId"}, ":parameter/anigmaa/prod/DB_PASSWORD"],
        ]
    }
    assert by_action['"ssm:GetParameters"']["Resource"] == parameter
    decrypt = by_action['"kms:Decrypt"']
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:PARAMETER_ARN"] == [parameter]
    assert "SecretsKey" in decrypt["Resource"]["Fn::ImportValue"]
    for other in ("JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY", "rds-db:", "s3:"):
        assert other not in json.dumps(policy)
    # Its own log group only (FunctionRole), and its network interfaces.
    assert sorted(by_action) == sorted(
        [
            '["logs:CreateLogStream", "logs:PutLogEvents"]',
            '["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", '
            '"ec2:UnassignPrivateIpAddresses"]',
            '["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]',
            '"ssm:GetParameters"',
            '"kms:Decrypt"',
        ]
    )


def test_the_role_provider_is_its_own_arm64_binary_built_from_cmd_dbrole(prod: Synth) -> None:
    _, provider = _role_provider(prod)
    [backend] = [
        r
        for r in prod.json("lambda")["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == "anigmaa-backend"
    ]
    binaries = [(prod.outdir / f["Metadata"]["aws:asset:path"] / "bootstrap").read_bytes() for f in (provider, backend)]
    assert binaries[0][:4] == b"\x7fELF"
    assert int.from_bytes(binaries[0][18:20], "little") == 0xB7
    assert binaries[0] != binaries[1]
    assert b"anigmaa-dbrole" in binaries[0]
    assert b"anigmaa-dbrole" not in binaries[1]


def test_an_outputs_field_without_an_export_declaration_is_refused() -> None:
    """Adding a field to the contract cannot forget its export: pin_exports refuses it."""
    import dataclasses

    from aws_cdk import App, Stack

    from stacks.permanent import pin_exports

    @dataclasses.dataclass(frozen=True)
    class Outputs:
        forgotten: str

    with pytest.raises(TypeError, match=r"Outputs.forgotten says nothing of its export"):
        pin_exports(Stack(App(), "Probe"), Outputs("value"))  # type: ignore[arg-type]


def test_access_logs_go_to_a_private_bucket_that_load_balancers_may_write(prod: Synth) -> None:
    resources = prod.json("data")["Resources"]
    [logs_id] = [k for k in resources if k.startswith("AccessLogsBucket") and resources[k]["Type"] == "AWS::S3::Bucket"]
    prod.templates["data"].has_resource_properties(
        "AWS::S3::Bucket",
        {"LoggingConfiguration": {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "s3/assets/"}},
    )
    logs = resources[logs_id]
    assert logs["DeletionPolicy"] == "Retain"
    assert logs["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    [policy] = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": logs_id}
    ]
    [elb] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "LoadBalancerAccessLogs"]
    assert elb["Action"] == "s3:PutObject"
    assert "114774131450" in json.dumps(elb["Principal"])  # the ELB account of ap-southeast-1
    assert "/alb/AWSLogs/" in json.dumps(elb["Resource"])


def test_postgres_logs_reach_cloudwatch_with_the_environments_retention(prod: Synth, dev: Synth) -> None:
    for synth, days in ((prod, 90), (dev, 14)):
        template = synth.templates["data"]
        template.has_resource_properties(
            "AWS::RDS::DBInstance", {"EnableCloudwatchLogsExports": ["postgresql", "upgrade"]}
        )
        retention = template.find_resources("Custom::LogRetention").values()
        assert sorted(r["Properties"]["RetentionInDays"] for r in retention) == [days, days]
    # The instance keeps its logical ID: the exports are an in-place change (make guard agrees).
    assert "DatabaseInstanceAA8A5FDE" in prod.json("data")["Resources"]
