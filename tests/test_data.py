"""Data stack: PostgreSQL, Redis and S3, with their protection and pinned logical IDs."""

from __future__ import annotations

import json

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
                "BackupRetentionPeriod": 7,
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
    # database host and id, cache host and group id, bucket name and ARN, access-log bucket, alarm topic
    assert len(exports) == 8
    assert all(name.startswith("anigmaa-prod-data:") for name in exports)
    # The export the compute stacks' cdk-nag acknowledgement of the bucket's objects names (from the CDK).
    imports = json.dumps(prod.json("compute"))
    assert [name for name in exports if "AssetsBucket" in name and "Arn" in name and name in imports]


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
