"""CloudFormation resource import in the rehearsal's emulator (tools/rehearsal/resource_import.py), through
boto3 the way `cdk import` calls it: CreateChangeSet IMPORT → DescribeChangeSet → ExecuteChangeSet →
DescribeStacks, then the `cdk deploy` that follows."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.rehearsal.server import ACCOUNT, Emulator, client

pytestmark = [pytest.mark.filterwarnings("ignore:Tried to parse")]

ACCEPTED = (
    "Verify that resources and their properties defined in the template match the intended configuration "
    "of the resource import to avoid unexpected changes."
)
MODIFIED = (
    "You have modified resources [{}] in your template that are not being imported. "
    "Update, create or delete operations cannot be executed during import operations."
)


@dataclass(frozen=True)
class World:
    """What Terraform made, made here by boto3: the objects to adopt."""

    tag: str
    vpc: str
    subnets: tuple[str, str]
    security_group: str
    db_subnet_group: str
    parameter_group: str
    database: str
    endpoint: str
    cache_subnet_group: str
    replication_group: str
    primary_endpoint: str
    bucket: str
    log_bucket: str


def make_world(server: Emulator) -> World:
    tag = uuid.uuid4().hex[:8]
    ec2, rds, cache, s3 = (client(server.url, name) for name in ("ec2", "rds", "elasticache", "s3"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"ap-southeast-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((0, "a"), (1, "b"))
    )
    group = ec2.create_security_group(GroupName=f"rds-{tag}", Description="rds", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"db-subnets-{tag}", DBSubnetGroupDescription="Managed by Terraform", SubnetIds=list(subnets)
    )
    rds.create_db_parameter_group(
        DBParameterGroupName=f"db-params-{tag}", DBParameterGroupFamily="postgres16", Description="Managed by Terraform"
    )
    database = rds.create_db_instance(
        DBInstanceIdentifier=f"anigmaa-postgres-{tag}",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.4",
        MasterUsername="postgres",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        DBName="anigmaa",
        DBSubnetGroupName=f"db-subnets-{tag}",
        DBParameterGroupName=f"db-params-{tag}",
        VpcSecurityGroupIds=[group],
        StorageEncrypted=True,
    )["DBInstance"]
    cache.create_cache_subnet_group(
        CacheSubnetGroupName=f"cache-subnets-{tag}", CacheSubnetGroupDescription="redis", SubnetIds=list(subnets)
    )
    replication = cache.create_replication_group(
        ReplicationGroupId=f"redis-{tag}",
        ReplicationGroupDescription="redis",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        CacheSubnetGroupName=f"cache-subnets-{tag}",
        SecurityGroupIds=[group],
        AutomaticFailoverEnabled=True,
    )["ReplicationGroup"]
    bucket, log_bucket = f"anigmaa-uploads-{tag}", f"anigmaa-logs-{tag}"
    for name in (bucket, log_bucket):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
    s3.put_object(Bucket=bucket, Key="avatars/1.png", Body=b"kept")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_policy(bucket, "s3:GetObject")))
    s3.put_bucket_policy(Bucket=log_bucket, Policy=json.dumps(_log_delivery(log_bucket)))
    return World(
        tag=tag,
        vpc=vpc,
        subnets=(subnets[0], subnets[1]),
        security_group=group,
        db_subnet_group=f"db-subnets-{tag}",
        parameter_group=f"db-params-{tag}",
        database=database["DBInstanceIdentifier"],
        endpoint=database["Endpoint"]["Address"],
        cache_subnet_group=f"cache-subnets-{tag}",
        replication_group=f"redis-{tag}",
        primary_endpoint=replication["NodeGroups"][0]["PrimaryEndpoint"]["Address"],
        bucket=bucket,
        log_bucket=log_bucket,
    )


def _policy(bucket: str, action: str) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": action,
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _log_delivery(bucket: str) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def resources(world: World) -> dict[str, Any]:
    """The import template's resources: the live configuration, as the app declares it."""
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "DeletionPolicy": "Retain", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "DatabaseSubnetGroup": {
            "Type": "AWS::RDS::DBSubnetGroup",
            "DeletionPolicy": "Retain",
            "Properties": {
                "DBSubnetGroupName": world.db_subnet_group,
                "DBSubnetGroupDescription": "Managed by Terraform",
                "SubnetIds": list(world.subnets),
            },
        },
        "DatabaseParameters": {
            "Type": "AWS::RDS::DBParameterGroup",
            "DeletionPolicy": "Retain",
            "Properties": {
                "DBParameterGroupName": world.parameter_group,
                "Family": "postgres16",
                "Description": "Managed by Terraform",
                "Parameters": {"log_min_duration_statement": "1000"},
            },
        },
        "Database": {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
            "Properties": {
                "DBInstanceIdentifier": world.database,
                "DBInstanceClass": "db.t4g.micro",
                "Engine": "postgres",
                "EngineVersion": "16.4",
                "MasterUsername": "postgres",
                "MasterUserPassword": "not-a-real-password",
                "AllocatedStorage": "20",
                "DBName": "anigmaa",
                "DBSubnetGroupName": {"Ref": "DatabaseSubnetGroup"},
                "DBParameterGroupName": {"Ref": "DatabaseParameters"},
                "VPCSecurityGroups": [world.security_group],
                "StorageEncrypted": True,
            },
        },
        "CacheSubnetGroup": {
            "Type": "AWS::ElastiCache::SubnetGroup",
            "DeletionPolicy": "Retain",
            "Properties": {
                "CacheSubnetGroupName": world.cache_subnet_group,
                "Description": "redis",
                "SubnetIds": list(world.subnets),
            },
        },
        "Cache": {
            "Type": "AWS::ElastiCache::ReplicationGroup",
            "DeletionPolicy": "Retain",
            "Properties": {
                "ReplicationGroupId": world.replication_group,
                "ReplicationGroupDescription": "redis",
                "Engine": "redis",
                "CacheNodeType": "cache.t4g.micro",
                "NumCacheClusters": 2,
                "CacheSubnetGroupName": {"Ref": "CacheSubnetGroup"},
                "SecurityGroupIds": [world.security_group],
                "AutomaticFailoverEnabled": True,
            },
        },
        "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": world.bucket}},
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "DeletionPolicy": "Retain",
            "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": _policy(world.bucket, "s3:GetObject")},
        },
    }


def mapping(world: World) -> list[dict[str, Any]]:
    """ResourcesToImport, as `cdk import --resource-mapping` sends it."""
    identifiers = {
        "Vpc": ("AWS::EC2::VPC", {"VpcId": world.vpc}),
        "DatabaseSubnetGroup": ("AWS::RDS::DBSubnetGroup", {"DBSubnetGroupName": world.db_subnet_group}),
        "DatabaseParameters": ("AWS::RDS::DBParameterGroup", {"DBParameterGroupName": world.parameter_group}),
        "Database": ("AWS::RDS::DBInstance", {"DBInstanceIdentifier": world.database}),
        "CacheSubnetGroup": ("AWS::ElastiCache::SubnetGroup", {"CacheSubnetGroupName": world.cache_subnet_group}),
        "Cache": ("AWS::ElastiCache::ReplicationGroup", {"ReplicationGroupId": world.replication_group}),
        "Bucket": ("AWS::S3::Bucket", {"BucketName": world.bucket}),
        "BucketPolicy": ("AWS::S3::BucketPolicy", {"Bucket": world.bucket}),
    }
    return [
        {"ResourceType": kind, "LogicalResourceId": logical_id, "ResourceIdentifier": identifier}
        for logical_id, (kind, identifier) in identifiers.items()
    ]


def create_import(server: Emulator, stack: str, template: dict[str, Any], to_import: list[dict[str, Any]]) -> str:
    cloudformation = client(server.url, "cloudformation")
    answer = cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="IMPORT",
        ResourcesToImport=to_import,
        TemplateBody=json.dumps(template),
    )
    return str(answer["Id"])


def imported(server: Emulator, world: World, stack: str) -> None:
    change_set = create_import(server, stack, {"Resources": resources(world)}, mapping(world))
    client(server.url, "cloudformation").execute_change_set(ChangeSetName=change_set)


def counts(server: Emulator) -> dict[str, int]:
    ec2, rds, cache, s3 = (client(server.url, name) for name in ("ec2", "rds", "elasticache", "s3"))
    return {
        "vpcs": len(ec2.describe_vpcs()["Vpcs"]),
        "subnets": len(ec2.describe_subnets()["Subnets"]),
        "databases": len(rds.describe_db_instances()["DBInstances"]),
        "db subnet groups": len(rds.describe_db_subnet_groups()["DBSubnetGroups"]),
        "parameter groups": len(rds.describe_db_parameter_groups()["DBParameterGroups"]),
        "replication groups": len(cache.describe_replication_groups()["ReplicationGroups"]),
        "cache subnet groups": len(cache.describe_cache_subnet_groups()["CacheSubnetGroups"]),
        "buckets": len(s3.list_buckets()["Buckets"]),
    }


def refusal(server: Emulator, stack: str, template: dict[str, Any], to_import: list[dict[str, Any]]) -> str:
    """CreateChangeSet's ValidationError message; no change set is left behind."""
    with pytest.raises(ClientError) as error:
        create_import(server, stack, template, to_import)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    summaries = client(server.url, "cloudformation").list_change_sets(StackName=stack)["Summaries"]
    assert [s for s in summaries if s["StackName"] == stack] == []  # moto lists every stack's
    return str(error.value.response["Error"]["Message"])


# --------------------------------------------------------------------------- the import


def test_an_import_into_a_new_stack_adopts_the_objects_without_making_any(server: Emulator) -> None:
    world = make_world(server)
    cloudformation = client(server.url, "cloudformation")
    before = counts(server)
    stack = f"anigmaa-data-{world.tag}"

    change_set = create_import(server, stack, {"Resources": resources(world)}, mapping(world))
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["ExecutionStatus"], described["StatusReason"]) == (
        "CREATE_COMPLETE",
        "AVAILABLE",
        ACCEPTED,
    )
    assert described["Changes"][3] == {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Import",
            "LogicalResourceId": "Database",
            "PhysicalResourceId": world.database,
            "ResourceType": "AWS::RDS::DBInstance",
            "Scope": [],
            "Details": [],
        },
    }
    assert [c["ResourceChange"]["PhysicalResourceId"] for c in described["Changes"]] == [
        next(iter(m["ResourceIdentifier"].values())) for m in mapping(world)
    ]
    [review] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert review["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert cloudformation.describe_stack_resources(StackName=stack)["StackResources"] == []

    cloudformation.execute_change_set(ChangeSetName=change_set)

    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"
    events = [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in reversed(cloudformation.describe_stack_events(StackName=stack)["StackEvents"])
    ]
    assert events[:3] == [(stack, "REVIEW_IN_PROGRESS"), (stack, "IMPORT_IN_PROGRESS"), ("Vpc", "IMPORT_IN_PROGRESS")]
    assert ("Database", "IMPORT_COMPLETE") in events
    assert events[-1] == (stack, "IMPORT_COMPLETE")
    assert counts(server) == before
    held = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    }
    assert held["Database"] == world.database
    assert held["Cache"] == world.replication_group
    assert held["Bucket"] == world.bucket
    assert held["Vpc"] == world.vpc
    [database] = client(server.url, "rds").describe_db_instances(DBInstanceIdentifier=world.database)["DBInstances"]
    assert database["Endpoint"]["Address"] == world.endpoint
    s3 = client(server.url, "s3")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=world.bucket)["Contents"]] == ["avatars/1.png"]
    assert cloudformation.get_template(StackName=stack)["TemplateBody"] == {"Resources": resources(world)}


def test_the_deploy_after_an_import_changes_imported_resources_in_place(server: Emulator) -> None:
    world = make_world(server)
    stack = f"anigmaa-data-{world.tag}"
    imported(server, world, stack)
    cloudformation, rds = client(server.url, "cloudformation"), client(server.url, "rds")
    before = counts(server)

    template: dict[str, Any] = {"Resources": resources(world)}
    template["Resources"]["DatabaseSecurityGroup"] = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "app db", "VpcId": {"Ref": "Vpc"}},
    }
    database = template["Resources"]["Database"]["Properties"]
    database["VPCSecurityGroups"] = [{"Fn::GetAtt": ["DatabaseSecurityGroup", "GroupId"]}, world.security_group]
    database["EnableIAMDatabaseAuthentication"] = True
    database["EnableCloudwatchLogsExports"] = ["postgresql", "upgrade"]
    database["CopyTagsToSnapshot"] = True
    template["Resources"]["DatabaseParameters"]["Properties"]["Parameters"] = {"rds.force_ssl": "1"}
    template["Resources"]["Cache"]["Properties"]["SecurityGroupIds"] = [
        {"Fn::GetAtt": ["DatabaseSecurityGroup", "GroupId"]},
        world.security_group,
    ]
    template["Resources"]["Bucket"]["Properties"]["LoggingConfiguration"] = {
        "DestinationBucketName": world.log_bucket,
        "LogFilePrefix": "uploads/",
    }
    template["Resources"]["Bucket"]["Properties"]["LifecycleConfiguration"] = {
        "Rules": [
            {"Id": "ExpireOldVersions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}
        ]
    }
    template["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"] = _policy(world.bucket, "s3:PutObject")
    template["Outputs"] = {
        "DatabaseAddress": {"Value": {"Fn::GetAtt": ["Database", "Endpoint.Address"]}},
        "CacheAddress": {"Value": {"Fn::GetAtt": ["Cache", "PrimaryEndPoint.Address"]}},
        "BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}},
    }
    change_set = cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="UPDATE",
        TemplateBody=json.dumps(template),
    )["Id"]
    cloudformation.execute_change_set(ChangeSetName=change_set)

    [after] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert after["StackStatus"] == "UPDATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in after["Outputs"]}
    assert outputs == {
        "DatabaseAddress": world.endpoint,
        "CacheAddress": world.primary_endpoint,
        "BucketArn": f"arn:aws:s3:::{world.bucket}",
    }
    assert counts(server) == before  # the new security group is the only thing made
    new_group = next(
        r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        if r["LogicalResourceId"] == "DatabaseSecurityGroup"
    )
    [database_now] = rds.describe_db_instances(DBInstanceIdentifier=world.database)["DBInstances"]
    assert database_now["Endpoint"]["Address"] == world.endpoint
    assert [g["VpcSecurityGroupId"] for g in database_now["VpcSecurityGroups"]] == [new_group, world.security_group]
    assert database_now["IAMDatabaseAuthenticationEnabled"] is True
    assert database_now["EnabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert database_now["CopyTagsToSnapshot"] is True
    parameters = rds.describe_db_parameters(DBParameterGroupName=world.parameter_group)["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in parameters] == [("rds.force_ssl", "1")]
    [cache] = client(server.url, "elasticache").describe_replication_groups(ReplicationGroupId=world.replication_group)[
        "ReplicationGroups"
    ]
    assert cache["NodeGroups"][0]["PrimaryEndpoint"]["Address"] == world.primary_endpoint
    s3 = client(server.url, "s3")
    assert s3.get_bucket_logging(Bucket=world.bucket)["LoggingEnabled"] == {
        "TargetBucket": world.log_bucket,
        "TargetPrefix": "uploads/",
    }
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=world.bucket)["Rules"]
    assert (rule["ID"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == ("ExpireOldVersions", 90)
    assert "s3:PutObject" in s3.get_bucket_policy(Bucket=world.bucket)["Policy"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=world.bucket)["Contents"]] == ["avatars/1.png"]


def test_a_cache_s_security_groups_change_in_place_after_an_import(server: Emulator) -> None:
    world = make_world(server)
    stack = f"anigmaa-data-{world.tag}"
    imported(server, world, stack)
    ec2, cloudformation = client(server.url, "ec2"), client(server.url, "cloudformation")
    other = ec2.create_security_group(GroupName=f"cache-{world.tag}", Description="cache", VpcId=world.vpc)["GroupId"]
    template: dict[str, Any] = {"Resources": resources(world)}
    template["Resources"]["Cache"]["Properties"]["SecurityGroupIds"] = [other, world.security_group]
    cloudformation.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    [cache] = client(server.url, "elasticache").describe_replication_groups(ReplicationGroupId=world.replication_group)[
        "ReplicationGroups"
    ]
    assert cache["NodeGroups"][0]["PrimaryEndpoint"]["Address"] == world.primary_endpoint
    backend_group = _replication_group(world.replication_group)
    assert backend_group.security_group_ids == [other, world.security_group]


def _replication_group(group_id: str) -> Any:
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[ACCOUNT]["ap-southeast-1"].replication_groups[group_id]


def test_an_import_into_an_existing_stack_leaves_its_resources_as_they_are(server: Emulator) -> None:
    world = make_world(server)
    cloudformation = client(server.url, "cloudformation")
    stack = f"anigmaa-existing-{world.tag}"
    first = {"Resources": {"Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"made-{world.tag}"}}}}
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(first))
    template = copy.deepcopy(first)
    template["Resources"]["Bucket"] = resources(world)["Bucket"]
    to_import = [m for m in mapping(world) if m["LogicalResourceId"] == "Bucket"]

    change_set = create_import(server, stack, template, to_import)
    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    cloudformation.execute_change_set(ChangeSetName=change_set)

    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"
    held = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    }
    assert held == {"Logs": f"made-{world.tag}", "Bucket": world.bucket}


def test_a_network_and_a_role_are_imported_and_then_updated_in_place(server: Emulator) -> None:
    world = make_world(server)
    ec2, iam, cloudformation = (client(server.url, name) for name in ("ec2", "iam", "cloudformation"))
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=world.vpc)
    address = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=world.subnets[0], AllocationId=address["AllocationId"])["NatGateway"]
    table = ec2.create_route_table(VpcId=world.vpc)["RouteTable"]["RouteTableId"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName=f"rds-monitoring-{world.tag}", AssumeRolePolicyDocument=json.dumps(trust))
    retained = {"DeletionPolicy": "Retain"}
    declared = {
        "Vpc": ("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"}, {"VpcId": world.vpc}),
        "PublicSubnet1": (
            "AWS::EC2::Subnet",
            {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.0.0/24",
                "AvailabilityZone": "ap-southeast-1a",
                "MapPublicIpOnLaunch": True,
            },
            {"SubnetId": world.subnets[0]},
        ),
        "InternetGateway": ("AWS::EC2::InternetGateway", {}, {"InternetGatewayId": gateway}),
        "Nat1Address": (
            "AWS::EC2::EIP",
            {"Domain": "vpc"},
            {"PublicIp": address["PublicIp"], "AllocationId": address["AllocationId"]},
        ),
        "Nat1Gateway": (
            "AWS::EC2::NatGateway",
            {"SubnetId": {"Ref": "PublicSubnet1"}, "AllocationId": {"Fn::GetAtt": ["Nat1Address", "AllocationId"]}},
            {"NatGatewayId": nat["NatGatewayId"]},
        ),
        "PublicRouteTable": ("AWS::EC2::RouteTable", {"VpcId": {"Ref": "Vpc"}}, {"RouteTableId": table}),
        "RdsSecurityGroup": (
            "AWS::EC2::SecurityGroup",
            {"GroupDescription": "rds", "GroupName": f"rds-{world.tag}", "VpcId": {"Ref": "Vpc"}},
            {"Id": world.security_group},
        ),
        "MonitoringRole": (
            "AWS::IAM::Role",
            {"RoleName": f"rds-monitoring-{world.tag}", "AssumeRolePolicyDocument": trust},
            {"RoleName": f"rds-monitoring-{world.tag}"},
        ),
    }
    template: dict[str, Any] = {
        "Resources": {
            name: {"Type": kind, **retained, "Properties": props} for name, (kind, props, _) in declared.items()
        }
    }
    to_import = [
        {"ResourceType": kind, "LogicalResourceId": name, "ResourceIdentifier": identifier}
        for name, (kind, _, identifier) in declared.items()
    ]
    stack = f"anigmaa-network-{world.tag}"
    before = counts(server)
    change_set = create_import(server, stack, template, to_import)
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert described["Status"] == "CREATE_COMPLETE", described.get("StatusReason")
    assert described["Changes"][3]["ResourceChange"]["PhysicalResourceId"] == (
        f"{address['PublicIp']}|{address['AllocationId']}"
    )
    cloudformation.execute_change_set(ChangeSetName=change_set)
    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"

    template["Resources"]["PublicSubnet1"]["Properties"]["MapPublicIpOnLaunch"] = False
    template["Resources"]["Vpc"]["Properties"]["Tags"] = [{"Key": "Name", "Value": "anigmaa"}]
    template["Outputs"] = {
        "Subnet": {"Value": {"Ref": "PublicSubnet1"}},
        "Vpc": {"Value": {"Ref": "Vpc"}},
        "Role": {"Value": {"Fn::GetAtt": ["MonitoringRole", "Arn"]}},
    }
    cloudformation.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    }
    assert outputs == {
        "Subnet": world.subnets[0],
        "Vpc": world.vpc,
        "Role": f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring-{world.tag}",
    }
    assert counts(server) == before
    [subnet] = ec2.describe_subnets(SubnetIds=[world.subnets[0]])["Subnets"]
    assert subnet["MapPublicIpOnLaunch"] is False
    [vpc] = ec2.describe_vpcs(VpcIds=[world.vpc])["Vpcs"]
    assert {"Key": "Name", "Value": "anigmaa"} in vpc["Tags"]


# --------------------------------------------------------------------------- refusals at CreateChangeSet


def _without(template: dict[str, Any], *names: str) -> dict[str, Any]:
    return {"Resources": {k: v for k, v in template["Resources"].items() if k not in names}}


def test_each_invalid_import_is_refused_with_cloudformation_s_message(server: Emulator) -> None:
    world = make_world(server)
    stack = f"anigmaa-refused-{world.tag}"
    bucket_only = {"Resources": {"Bucket": resources(world)["Bucket"]}}
    [bucket_mapping] = [m for m in mapping(world) if m["LogicalResourceId"] == "Bucket"]

    def with_entry(**changes: Any) -> list[dict[str, Any]]:
        return [{**bucket_mapping, **changes}]

    assert refusal(server, stack, bucket_only, []) == "Must Provide at least one resource to import"
    assert refusal(server, stack, bucket_only, [bucket_mapping, bucket_mapping]) == (
        "Every resource to import must have unique LogicalResourceId"
    )
    assert refusal(server, stack, bucket_only, with_entry(LogicalResourceId="Missing")) == (
        "The logical resource ids [Missing] provided in ResourceToImport do not exist in the template."
    )
    assert refusal(server, stack, bucket_only, with_entry(ResourceIdentifier={"Name": world.bucket})) == (
        "Invalid resource identifier for resource type AWS::S3::Bucket. Expected [BucketName]"
    )
    assert refusal(
        server, stack, bucket_only, with_entry(ResourceType="AWS::IAM::Role", ResourceIdentifier={"RoleName": "r"})
    ) == (
        "Resource type of [Bucket] passed in ResourceToImport does not match with resource type defined in the "
        "template. Resource type in ResourceToImport: AWS::IAM::Role; Resource type in Template: AWS::S3::Bucket."
    )
    record = {
        "Type": "AWS::Route53::RecordSet",
        "DeletionPolicy": "Retain",
        "Properties": {"HostedZoneId": "Z0EXAMPLE", "Name": "api.example.com", "Type": "A"},
    }
    assert (
        refusal(
            server,
            stack,
            {"Resources": {"Record": record}},
            [
                {
                    "ResourceType": "AWS::Route53::RecordSet",
                    "LogicalResourceId": "Record",
                    "ResourceIdentifier": {"Id": "x"},
                }
            ],
        )
        == "The following resource types are not supported for resource import: AWS::Route53::RecordSet"
    )
    with_extra = copy.deepcopy(bucket_only)
    with_extra["Resources"]["Extra"] = {"Type": "AWS::S3::Bucket", "Properties": {}}
    assert (
        refusal(server, stack, with_extra, [bucket_mapping])
        == "Resources [Extra] is missing from ResourceToImport list"
    )
    unprotected = copy.deepcopy(bucket_only)
    del unprotected["Resources"]["Bucket"]["DeletionPolicy"]
    assert refusal(server, stack, unprotected, [bucket_mapping]) == (
        "The following resources to import [Bucket] must have DeletionPolicy attribute specified in the template."
    )
    with_outputs = {**bucket_only, "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}}}
    assert refusal(server, stack, with_outputs, [bucket_mapping]) == (
        "As part of the import operation, you cannot modify or add [Outputs]"
    )
    cloudformation = client(server.url, "cloudformation")
    with pytest.raises(ClientError) as error:
        cloudformation.describe_stacks(StackName=stack)
    assert error.value.response["Error"]["Message"] == f"Stack with id {stack} does not exist"


def test_an_import_into_an_existing_stack_may_change_nothing_else(server: Emulator) -> None:
    world = make_world(server)
    cloudformation = client(server.url, "cloudformation")
    stack = f"anigmaa-strict-{world.tag}"
    logs = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"made-{world.tag}"}}
    first: dict[str, Any] = {"Resources": {"Logs": logs}, "Outputs": {"Logs": {"Value": {"Ref": "Logs"}}}}
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(first))
    [bucket_mapping] = [m for m in mapping(world) if m["LogicalResourceId"] == "Bucket"]
    template = copy.deepcopy(first)
    template["Resources"]["Bucket"] = resources(world)["Bucket"]

    modified = copy.deepcopy(template)
    modified["Resources"]["Logs"]["Properties"]["Tags"] = [{"Key": "a", "Value": "b"}]
    assert refusal(server, stack, modified, [bucket_mapping]) == MODIFIED.format("Logs")
    assert refusal(server, stack, {**_without(template, "Logs"), "Outputs": {}}, [bucket_mapping]) == (
        MODIFIED.format("Logs")
    )
    changed_outputs = {**template, "Outputs": {"Logs": {"Value": "other"}}}
    assert refusal(server, stack, changed_outputs, [bucket_mapping]) == (
        "As part of the import operation, you cannot modify or add [Outputs]"
    )
    logs_mapping = {
        **bucket_mapping,
        "LogicalResourceId": "Logs",
        "ResourceIdentifier": {"BucketName": f"made-{world.tag}"},
    }
    assert refusal(server, stack, first, [logs_mapping]) == (
        "The template should contain at least one new resource to import."
    )
    with_extra = copy.deepcopy(template)
    with_extra["Resources"]["Extra"] = {"Type": "AWS::S3::Bucket", "Properties": {}}
    assert refusal(server, stack, with_extra, [logs_mapping]) == (
        "Resources [Logs] passed in ResourceToImport are already in a stack and cannot be imported."
    )
    [unchanged] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert unchanged["StackStatus"] == "CREATE_COMPLETE"


# --------------------------------------------------------------------------- accepted, then FAILED


def test_an_identifier_that_names_nothing_fails_the_change_set(server: Emulator) -> None:
    world = make_world(server)
    cloudformation = client(server.url, "cloudformation")
    stack = f"anigmaa-ghost-{world.tag}"
    template = {"Resources": {"Database": resources(world)["Database"]}}
    template["Resources"]["Database"]["Properties"]["DBSubnetGroupName"] = world.db_subnet_group
    template["Resources"]["Database"]["Properties"]["DBParameterGroupName"] = world.parameter_group
    [database_mapping] = [m for m in mapping(world) if m["LogicalResourceId"] == "Database"]
    ghost = {**database_mapping, "ResourceIdentifier": {"DBInstanceIdentifier": "anigmaa-missing"}}

    change_set = create_import(server, stack, template, [ghost])
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["ExecutionStatus"], described["Changes"]) == ("FAILED", "UNAVAILABLE", [])
    assert described["StatusReason"] == (
        "Resource of type 'AWS::RDS::DBInstance' with identifier 'anigmaa-missing' was not found."
    )
    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    with pytest.raises(ClientError) as error:
        cloudformation.execute_change_set(ChangeSetName=change_set)
    assert error.value.response["Error"]["Code"] == "InvalidChangeSetStatus"

    bucket = {"Resources": {"Bucket": resources(world)["Bucket"]}}
    bucket["Resources"]["Bucket"]["Properties"]["BucketName"] = "anigmaa-uploads-missing"
    missing = [
        {
            "ResourceType": "AWS::S3::Bucket",
            "LogicalResourceId": "Bucket",
            "ResourceIdentifier": {"BucketName": "anigmaa-uploads-missing"},
        }
    ]
    cloudformation.delete_change_set(ChangeSetName=change_set)
    again = cloudformation.describe_change_set(ChangeSetName=create_import(server, stack, bucket, missing))
    assert (again["Status"], again["StatusReason"]) == ("FAILED", "Bucket not found")


def test_a_resource_another_stack_holds_fails_the_change_set(server: Emulator) -> None:
    world = make_world(server)
    cloudformation = client(server.url, "cloudformation")
    holder = f"anigmaa-holder-{world.tag}"
    imported(server, world, holder)
    holder_id = cloudformation.describe_stacks(StackName=holder)["Stacks"][0]["StackId"]
    [bucket_mapping] = [m for m in mapping(world) if m["LogicalResourceId"] == "Bucket"]

    change_set = create_import(
        server, f"anigmaa-second-{world.tag}", {"Resources": {"Bucket": resources(world)["Bucket"]}}, [bucket_mapping]
    )
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED",
        f"{world.bucket} already exists in stack {holder_id}",
    )
    again = {"Resources": {**resources(world), "Again": resources(world)["Bucket"]}}
    change_set = create_import(server, holder, again, [{**bucket_mapping, "LogicalResourceId": "Again"}])
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED",
        f"{world.bucket} already exists in stack {holder_id}",
    )
    assert cloudformation.describe_stacks(StackName=holder)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"


def test_a_missing_dynamic_reference_fails_the_change_set(server: Emulator) -> None:
    world = make_world(server)
    template = {"Resources": {"Database": resources(world)["Database"]}}
    properties = template["Resources"]["Database"]["Properties"]
    properties.update(
        DBSubnetGroupName=world.db_subnet_group,
        DBParameterGroupName=world.parameter_group,
        MasterUserPassword="{{resolve:ssm-secure:/anigmaa/none/DB_PASSWORD}}",
    )
    [database_mapping] = [m for m in mapping(world) if m["LogicalResourceId"] == "Database"]
    change_set = create_import(server, f"anigmaa-dynamic-{world.tag}", template, [database_mapping])
    described = client(server.url, "cloudformation").describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED",
        "Parameters: [ssm-secure:/anigmaa/none/DB_PASSWORD] cannot be found.",
    )


# --------------------------------------------------------------------------- deletion


def test_deleting_the_stack_keeps_retained_objects_and_snapshots_the_database(server: Emulator) -> None:
    world = make_world(server)
    stack = f"anigmaa-deleted-{world.tag}"
    imported(server, world, stack)
    before = counts(server)
    client(server.url, "cloudformation").delete_stack(StackName=stack)

    assert counts(server) == {**before, "databases": before["databases"] - 1}
    rds = client(server.url, "rds")
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=world.database, SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith(f"{stack}-snapshot-database-") for s in snapshots] == [True]
    s3 = client(server.url, "s3")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=world.bucket)["Contents"]] == ["avatars/1.png"]
