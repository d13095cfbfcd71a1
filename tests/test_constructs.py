"""Each construct alone, in a bare stack: what it builds, and that it accepts its own findings.

No whole-app synth and no Go build: a construct's test needs only the construct. cdk-nag
runs over each one, so a construct that trips a rule it has not accepted fails here, at
the construct, whichever stack uses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, SecretValue, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from constructs.assets_bucket import AccessLogsBucket, AssetsBucket, grant_object_read_write
from constructs.backend_function import BackendFunction
from constructs.backend_network import BackendSecurityGroups, BackendVpc
from constructs.database_role import DatabaseRole, grant_connect
from constructs.fargate_service import FargateBackendService
from constructs.findings import accept
from constructs.function_role import FunctionRole
from constructs.http_api import LambdaHttpApi
from constructs.monitoring import (
    SILENCE_IS_IDLE,
    Alarms,
    AlarmTopic,
    BackendDashboard,
    DataAlarms,
    LambdaAlarms,
    alarm,
)
from constructs.postgres_database import PostgresDatabase
from constructs.redis_cache import RedisCache
from constructs.release import LiveAlias
from constructs.secret_parameters import SecretParameters
from constructs.secrets_key import SecretsKey
from stacks.checks import register_checks
from tests.conftest import CDK_CONTEXT, kept_log_group_name

ENV = Environment(account="123456789012", region="ap-southeast-1")
AZS = ["ap-southeast-1a", "ap-southeast-1b"]


class Bare:
    """A one-stack app for one construct; ``nag()`` synthesizes it and returns cdk-nag's findings."""

    def __init__(self, outdir: Path) -> None:
        # The project's feature flags, so each construct behaves as it does in the app.
        flags = {key: value for key, value in CDK_CONTEXT.items() if key.startswith("@")}
        self.app = App(outdir=str(outdir), context={**flags, "aws:cdk:enable-path-metadata": True})
        self.stack = Stack(self.app, "Bare", env=ENV)
        self.outdir = outdir
        # Before anything synthesizes: the first synth (Template.from_stack's too) is the one that is checked.
        register_checks(self.app)

    def vpc(self) -> ec2.IVpc:
        return BackendVpc(
            self.stack,
            "Network",
            cidr="10.0.0.0/16",
            availability_zones=AZS,
            nat_gateways=1,
            nat_instance_type=None,
            ssm_endpoint=False,
            flow_log_retention=logs.RetentionDays.ONE_WEEK,
        ).vpc

    def group(self, vpc: ec2.IVpc, name: str = "Group") -> ec2.ISecurityGroup:
        return ec2.SecurityGroup(self.stack, name, vpc=vpc, allow_all_outbound=False)

    def template(self) -> Template:
        return Template.from_stack(self.stack)

    def nag(self) -> list[str]:
        """Unacknowledged cdk-nag findings, as 'rule at path'."""
        try:
            self.app.synth()
        except RuntimeError as error:
            if "ValidationFailed" not in str(error):
                raise
        report = json.loads((self.outdir / "validation-report.json").read_text())
        return [
            f"{v['ruleName']} at {c['constructPath']}"
            for plugin in report["pluginReports"]
            for v in plugin["violations"]
            for c in v["violatingConstructs"]
        ]


@pytest.fixture
def bare(tmp_path: Path) -> Bare:
    return Bare(tmp_path)


def _skips(template: Template, resource_type: str) -> list[list[str]]:
    return [
        [skip["id"] for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])]
        for r in template.find_resources(resource_type).values()
    ]


def test_accept_writes_one_reason_for_both_scanners(bare: Bare, tmp_path: Path) -> None:
    unaccepted = Bare(tmp_path / "unaccepted")
    sns.Topic(unaccepted.stack, "Topic")  # no TLS policy: cdk-nag's SNS3
    assert "AwsSolutions-SNS3 at Bare/Topic/Resource" in unaccepted.nag()

    topic = sns.Topic(bare.stack, "Topic")
    accept(topic, "One reason, long enough to explain itself.", nag=["AwsSolutions-SNS3"], checkov=["CKV_AWS_26"])
    assert bare.nag() == []
    [resource] = bare.template().find_resources("AWS::SNS::Topic").values()
    assert resource["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_26", "comment": "One reason, long enough to explain itself."}]
    }


def test_the_vpc_spans_the_given_zones_with_flow_logs_and_accepts_its_findings(bare: Bare) -> None:
    bare.vpc()
    template = bare.template()
    template.resource_count_is("AWS::EC2::Subnet", 4)
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    assert _skips(template, "AWS::Logs::LogGroup") == [["CKV_AWS_158"]]
    assert bare.nag() == []


def test_the_security_groups_open_only_the_tier_ports(bare: Bare) -> None:
    vpc = bare.vpc()
    BackendSecurityGroups(bare.stack, "Groups", vpc=vpc, db_port=5432, redis_port=6379, app_port=8080)
    template = bare.template()
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress")
    assert sorted(r["Properties"]["FromPort"] for r in ingress.values()) == [5432, 5432, 6379, 6379, 8080]
    # Only the load balancer's group takes traffic from anywhere (inline rules, HTTP and HTTPS).
    public = [
        rule["FromPort"]
        for group in template.find_resources("AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
        if rule.get("CidrIp") == "0.0.0.0/0"
    ]
    assert sorted(public) == [80, 443]
    assert bare.nag() == []


def test_the_database_is_private_encrypted_and_kept(bare: Bare) -> None:
    vpc = bare.vpc()
    PostgresDatabase(
        bare.stack,
        "Database",
        vpc=vpc,
        security_group=bare.group(vpc),
        instance_type=ec2.InstanceType("t3.micro"),
        engine_version=rds.PostgresEngineVersion.of("17", "17"),
        allocated_storage_gb=20,
        max_allocated_storage_gb=100,
        multi_az=True,
        backup_retention=Duration.days(7),
        backup_window="18:00-18:30",
        maintenance_window="sun:20:00-sun:20:30",
        deletion_protection=True,
        database_name="anigmaa",
        master_username="postgres",
        master_password=SecretValue.ssm_secure("/anigmaa/test/DB_PASSWORD"),
        port=5432,
        log_retention=logs.RetentionDays.TWO_WEEKS,
        slow_statement_ms=1000,
    )
    template = bare.template()
    # Its logs go to CloudWatch Logs, kept for the given retention, and slow statements are logged.
    template.has_resource_properties("AWS::RDS::DBInstance", {"EnableCloudwatchLogsExports": ["postgresql", "upgrade"]})
    retention = template.find_resources("Custom::LogRetention")
    assert sorted(r["Properties"]["RetentionInDays"] for r in retention.values()) == [14, 14]
    assert {r["Properties"]["RemovalPolicy"] for r in retention.values()} == {"retain"}
    template.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        {"Parameters": Match.object_like({"log_min_duration_statement": "1000", "log_connections": "1"})},
    )
    template.has_resource(
        "AWS::RDS::DBInstance",
        {
            "DeletionPolicy": "Snapshot",
            "Properties": Match.object_like(
                {"PubliclyAccessible": False, "StorageEncrypted": True, "MultiAZ": True, "DeletionProtection": True}
            ),
        },
    )
    assert "{{resolve:ssm-secure:/anigmaa/test/DB_PASSWORD}}" in json.dumps(template.to_json())
    assert bare.nag() == []


def _cache(bare: Bare, vpc: ec2.IVpc, *, nodes: int, snapshot_retention_days: int) -> RedisCache:
    return RedisCache(
        bare.stack,
        "Cache",
        vpc=vpc,
        security_group=bare.group(vpc),
        node_type="cache.t3.micro",
        engine_version="7.1",
        nodes=nodes,
        snapshot_retention_days=snapshot_retention_days,
        snapshot_window="17:00-18:00",
        maintenance_window="sun:18:30-sun:19:30",
        auth_token=SecretValue.ssm_secure("/anigmaa/test/REDIS_PASSWORD"),
        port=6379,
        description="test",
    )


def test_the_cache_takes_tls_and_auth_and_keeps_a_snapshot(bare: Bare) -> None:
    vpc = bare.vpc()
    _cache(bare, vpc, nodes=2, snapshot_retention_days=7)
    bare.template().has_resource(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "DeletionPolicy": "Snapshot",
            "Properties": Match.object_like(
                {"TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": True, "AutomaticFailoverEnabled": True}
            ),
        },
    )
    assert bare.nag() == []


def test_the_buckets_are_private_kept_and_log_to_each_other(bare: Bare) -> None:
    logs_bucket = AccessLogsBucket(bare.stack, "AccessLogs", retention_days=14, region="ap-southeast-1")
    AssetsBucket(bare.stack, "Assets", access_logs=logs_bucket.bucket)
    template = bare.template()
    buckets = template.find_resources("AWS::S3::Bucket")
    assert {r["DeletionPolicy"] for r in buckets.values()} == {"Retain"}
    assert sorted(map(sorted, _skips(template, "AWS::S3::Bucket"))) == [[], ["CKV_AWS_18"]]
    assert bare.nag() == []


def test_a_grant_from_another_stack_accepts_the_object_wildcard_it_needs(tmp_path: Path) -> None:
    bare = Bare(tmp_path)
    data = Stack(bare.app, "Data", env=ENV)
    access_logs = AccessLogsBucket(data, "AccessLogs", retention_days=14, region="ap-southeast-1")
    bucket = AssetsBucket(data, "Assets", access_logs=access_logs.bucket).bucket
    role = iam.Role(bare.stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    grant_object_read_write(bucket, role)
    statements = bare.template().find_resources("AWS::IAM::Policy")
    actions = [s["Action"] for p in statements.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert actions == ["s3:ListBucket", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]]
    assert "s3:DeleteObjectVersion" not in json.dumps(actions)
    assert bare.nag() == []


def _function(bare: Bare, tmp_path: Path) -> BackendFunction:
    code = tmp_path / "code"
    code.mkdir()
    (code / "bootstrap").write_text("#!/bin/sh\n", encoding="utf-8")
    vpc = bare.vpc()
    return BackendFunction(
        bare.stack,
        "Backend",
        function_name="anigmaa-backend-test",
        code=lambda_.Code.from_asset(str(code)),
        runtime=lambda_.Runtime.PROVIDED_AL2023,
        architecture=lambda_.Architecture.ARM_64,
        memory_mb=512,
        timeout=Duration.seconds(30),
        environment={"ENV": "test"},
        vpc=vpc,
        security_group=bare.group(vpc),
        log_retention=logs.RetentionDays.ONE_WEEK,
        reserved_concurrency=10,
    )


def test_the_function_logs_to_its_own_group_and_accepts_its_findings(bare: Bare, tmp_path: Path) -> None:
    backend = _function(bare, tmp_path)
    LambdaHttpApi(
        bare.stack,
        "HttpApi",
        api_name="anigmaa-test",
        handler=backend.function,
        allowed_origins=["https://app.example.com"],
        throttle_rate=100,
        throttle_burst=50,
        access_log_group_name="/aws/apigateway/anigmaa-test",
        log_retention=logs.RetentionDays.ONE_WEEK,
    )
    template = bare.template()
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": kept_log_group_name("/aws/lambda/anigmaa-backend-test"), "RetentionInDays": 7},
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "bootstrap", "Architectures": ["arm64"], "TracingConfig": {"Mode": "Active"}},
    )
    function_id = bare.stack.get_logical_id(backend.function.node.default_child)  # type: ignore[arg-type]
    function = template.to_json()["Resources"][function_id]
    assert [skip["id"] for skip in function["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_116", "CKV_AWS_173"]
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {"StageName": "$default", "DefaultRouteSettings": {"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 50}},
    )
    assert bare.nag() == []


def test_alarms_use_cdk_options_with_the_apps_defaults(bare: Bare) -> None:
    topic = sns.Topic(bare.stack, "Topic", enforce_ssl=True)
    alarms = Alarms(bare.stack, "Alarms", prefix="anigmaa-test", topic=topic)
    probe = cloudwatch.Metric(namespace="Test", metric_name="Probe")
    alarms.add("above", probe, alarm(5, "fires above 5", missing=SILENCE_IS_IDLE))
    alarms.add(
        "below",
        probe,
        cloudwatch.CreateAlarmOptions(
            threshold=1,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        ),
    )
    found = {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in bare.template().find_resources("AWS::CloudWatch::Alarm").values()
    }
    assert found["anigmaa-test-above"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert found["anigmaa-test-above"]["TreatMissingData"] == "notBreaching"
    assert found["anigmaa-test-below"]["ComparisonOperator"] == "LessThanThreshold"
    assert found["anigmaa-test-below"]["TreatMissingData"] == "breaching"
    assert all(len(p["AlarmActions"]) == 1 and len(p["OKActions"]) == 1 for p in found.values())
    with pytest.raises(ValueError, match=r"^elsewhere: the alarm's name is <prefix>-<name>"):
        alarms.add("elsewhere", probe, cloudwatch.CreateAlarmOptions(threshold=1, evaluation_periods=1, alarm_name="x"))


def test_data_alarms_watch_every_cache_node_and_expose_their_panels(bare: Bare) -> None:
    vpc = bare.vpc()
    topic = AlarmTopic(
        bare.stack, "Topic", topic_name="anigmaa-test-alarms", email=None, alarm_name_prefix="anigmaa-test"
    )
    database = rds.DatabaseInstance.from_database_instance_attributes(
        bare.stack,
        "Database",
        instance_identifier="anigmaa-test-db",
        instance_endpoint_address="db.example.internal",
        port=5432,
        security_groups=[],
    )
    cache = _cache(bare, vpc, nodes=3, snapshot_retention_days=0)
    data = DataAlarms(
        bare.stack,
        "DataAlarms",
        prefix="anigmaa-test",
        topic=topic.topic,
        database=database,
        max_connections=100,
        memory_gib=1,
        cache=cache.replication_group,
        cache_nodes=3,
    )
    BackendDashboard(bare.stack, "Dashboard", dashboard_name="anigmaa-test", alarms=data, more_panels={})
    template = bare.template()
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    names = sorted(r["Properties"]["AlarmName"] for r in template.find_resources("AWS::CloudWatch::Alarm").values())
    database_kinds = ("cpu", "connections", "free-storage", "freeable-memory", "swap")
    assert names == sorted(
        [f"anigmaa-test-rds-{kind}" for kind in database_kinds]
        + [f"anigmaa-test-redis-{kind}-{n}" for kind in ("cpu", "evictions", "memory") for n in (1, 2, 3)]
    )
    [connections] = [a for a in data.alarms if a.node.id == "rds-connections"]
    assert bare.stack.resolve(connections.node.default_child.threshold) == 80  # type: ignore[union-attr]
    assert len(data.panels["Redis memory used (%)"]) == 3


def test_the_fargate_service_and_its_load_balancer_add_no_rule_to_the_groups(bare: Bare) -> None:
    vpc = bare.vpc()
    access_logs = AccessLogsBucket(bare.stack, "AccessLogs", retention_days=14, region="ap-southeast-1")
    backend = FargateBackendService(
        bare.stack,
        "Backend",
        vpc=vpc,
        security_group=bare.group(vpc, "TaskGroup"),
        cluster_name="anigmaa-test",
        service_name="anigmaa-backend-test",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/example/backend:1"),
        container_port=8080,
        environment={"ENV": "test"},
        secrets={},
        cpu=256,
        memory_mib=512,
        desired_count=2,
        deploy_max_percent=200,
        log_group_name="/ecs/anigmaa-backend-test",
        log_retention=logs.RetentionDays.ONE_WEEK,
        execution_role_name="anigmaa-test-ecs-execution",
        task_role_name="anigmaa-test-ecs-task",
    )
    ingress = backend.add_load_balancer(
        security_group=bare.group(vpc, "LoadBalancerGroup"),
        certificate=None,
        access_logs=access_logs.bucket,
        access_logs_prefix="alb",
    )
    template = bare.template()
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)
    template.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"})
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/health", "TargetType": "ip"}
    )
    assert ingress.http_listener is not None
    assert _skips(template, "AWS::ElasticLoadBalancingV2::Listener") == [["CKV_AWS_2", "CKV_AWS_103"]]
    assert bare.nag() == []


def test_lambda_alarms_add_the_concurrency_alarm_only_with_a_reservation(bare: Bare, tmp_path: Path) -> None:
    backend = _function(bare, tmp_path)
    api = apigwv2.HttpApi(bare.stack, "Api")
    topic = sns.Topic(bare.stack, "Topic", enforce_ssl=True)
    live = LiveAlias(bare.stack, "Live", function=backend.function, alias_name="live", provisioned_concurrency=0)

    def alarms(name: str, reserved: int | None) -> LambdaAlarms:
        return LambdaAlarms(
            bare.stack,
            name,
            prefix=f"anigmaa-test-{name.lower()}",
            topic=topic,
            function=backend.function,
            alias=live.alias,
            version=live.version,
            api=api,
            access_log_group=logs.LogGroup(bare.stack, f"{name}AccessLog"),
            metric_namespace="anigmaa/test",
            timeout_seconds=24,
            reserved_concurrency=reserved,
        )

    assert "lambda-concurrency" in [a.node.id for a in alarms("Reserved", 10).alarms]
    assert "lambda-concurrency" not in [a.node.id for a in alarms("Unreserved", None).alarms]


def test_the_secrets_key_rotates_is_kept_and_accepts_its_findings(bare: Bare) -> None:
    SecretsKey(bare.stack, "SecretsKey", alias_name="alias/anigmaa-test-secrets", description="test secrets key")
    template = bare.template()
    template.has_resource(
        "AWS::KMS::Key",
        {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/anigmaa-test-secrets"})
    assert bare.nag() == []


def _statements(template: Template) -> list[dict[str, object]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_function_role_writes_to_its_own_log_group_only(bare: Bare) -> None:
    group = logs.LogGroup(bare.stack, "LogGroup", log_group_name="/aws/lambda/anigmaa-test")
    role = FunctionRole(bare.stack, "ExecutionRole", log_group=group, description="Runs anigmaa-test").role
    template = bare.template()
    [resource] = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in resource["Properties"]
    assert resource["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    group_id = bare.stack.get_logical_id(group.node.default_child)  # type: ignore[arg-type]
    assert _statements(template) == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [group_id, "Arn"]},
        }
    ]
    assert role.role_name  # a role to hand to a function
    assert [f for f in bare.nag() if "IAM" in f] == []


def test_a_function_role_in_a_vpc_manages_interfaces_in_its_account_and_region(bare: Bare) -> None:
    """It accepts its account-and-region scope; Resource::* (the Describe calls) is left to the construct
    that knows what else its function adds there (tracing), so one reason covers all of them."""
    group = logs.LogGroup(bare.stack, "LogGroup", log_group_name="/aws/lambda/anigmaa-test")
    FunctionRole(bare.stack, "ExecutionRole", log_group=group, description="Runs anigmaa-test", vpc_access=True)
    # The synth stops on the finding left to the caller: the template is read from the assembly.
    assert bare.nag() == ["AwsSolutions-IAM5[Resource::*] at Bare/ExecutionRole/Role/DefaultPolicy/Resource"]
    template = Template.from_json(json.loads((bare.outdir / "Bare.template.json").read_text()))
    statements = _statements(template)
    describe = {"Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "Effect": "Allow", "Resource": "*"}
    assert describe in statements
    [interfaces] = [s for s in statements if "ec2:CreateNetworkInterface" in json.dumps(s["Action"])]
    # An account in the environment: cdk-nag prints it, and the acknowledgement names it the same way.
    assert interfaces["Resource"] == "arn:aws:ec2:ap-southeast-1:123456789012:*/*"


def test_secret_parameters_with_a_key_grant_decryption_through_ssm_only(bare: Bare) -> None:
    key = SecretsKey(bare.stack, "SecretsKey", alias_name="alias/anigmaa-test-secrets", description="test").key
    names = {"JWT_SECRET": "/anigmaa/test/JWT_SECRET"}
    reader = iam.Role(bare.stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    SecretParameters(bare.stack, "Secrets", names=names, key=key).grant_get(reader)
    plain = iam.Role(bare.stack, "PlainReader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    SecretParameters(bare.stack, "AwsManaged", names=names).grant_get(plain)
    template = bare.template()
    key_id = bare.stack.get_logical_id(key.node.default_child)  # type: ignore[arg-type]
    parameter = "arn:aws:ssm:ap-southeast-1:123456789012:parameter/anigmaa/test/JWT_SECRET"
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("^Reader")}],
            "PolicyDocument": {
                "Statement": [
                    {"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": parameter},
                    {
                        "Action": "kms:Decrypt",
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": "ssm.ap-southeast-1.amazonaws.com",
                                "kms:EncryptionContext:PARAMETER_ARN": [parameter],
                            }
                        },
                    },
                ]
            },
        },
    )
    # Without a key (aws/ssm): the parameters only, nothing of KMS.
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("^PlainReader")}],
            "PolicyDocument": {
                "Statement": [{"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": parameter}]
            },
        },
    )


def _database_role(bare: Bare, code_dir: Path, **overrides: object) -> DatabaseRole:
    vpc = bare.vpc()
    group = bare.group(vpc)
    database = PostgresDatabase(
        bare.stack,
        "Database",
        vpc=vpc,
        security_group=group,
        instance_type=ec2.InstanceType("t3.micro"),
        engine_version=rds.PostgresEngineVersion.of("17", "17"),
        allocated_storage_gb=20,
        max_allocated_storage_gb=100,
        multi_az=True,
        backup_retention=Duration.days(7),
        backup_window="18:00-18:30",
        maintenance_window="sun:20:00-sun:20:30",
        deletion_protection=True,
        database_name="anigmaa",
        master_username="postgres",
        master_password=SecretValue.ssm_secure("/anigmaa/test/DB_PASSWORD"),
        port=5432,
        log_retention=logs.RetentionDays.TWO_WEEKS,
        slow_statement_ms=1000,
    )
    (code_dir / "bootstrap").write_bytes(b"\x7fELF stand-in")  # no Go build: any asset will do
    props: dict[str, Any] = {
        "instance": database.instance,
        "database_name": "anigmaa",
        "master_username": "postgres",
        "master_password": SecretParameters(
            bare.stack, "MasterPassword", names={"DB_PASSWORD": "/anigmaa/test/DB_PASSWORD"}
        ),
        "role_name": "anigmaa_app",
        "vpc": vpc,
        "security_group": group,
        "code": lambda_.Code.from_asset(str(code_dir)),
        "revision": "r1",
        "function_name": "anigmaa-test-database-role",
        "log_retention": logs.RetentionDays.TWO_WEEKS,
        **overrides,
    }
    return DatabaseRole(bare.stack, "AppRole", **props)


def test_database_role_is_a_plain_custom_resource_on_a_vpc_function_that_accepts_its_findings(
    tmp_path: Path,
) -> None:
    bare = Bare(tmp_path / "out")
    (tmp_path / "code").mkdir()
    role = _database_role(bare, tmp_path / "code")
    # The first synth is the one cdk-nag checks: every finding the provider earns is accepted in the construct.
    assert bare.nag() == []
    template = bare.template()
    function_id = bare.stack.get_logical_id(role.function.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(
        "Custom::DatabaseRole",
        {
            "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
            "RoleName": "anigmaa_app",
            "MasterPasswordParameter": "/anigmaa/test/DB_PASSWORD",
            "ProviderDigest": "r1",
            "SslMode": "verify-full",
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "provided.al2023", "Handler": "bootstrap", "VpcConfig": Match.object_like({})},
    )
    # The only value CloudFormation resolves is RDS's master password: the provider reads its own from SSM.
    assert json.dumps(template.to_json()).count("{{resolve:ssm-secure:") == 1


def test_database_role_takes_the_master_password_only(tmp_path: Path) -> None:
    bare = Bare(tmp_path / "out")
    (tmp_path / "code").mkdir()
    both = SecretParameters(
        bare.stack, "Both", names={"DB_PASSWORD": "/anigmaa/test/DB_PASSWORD", "JWT_SECRET": "/anigmaa/test/JWT_SECRET"}
    )
    with pytest.raises(ValueError, match=r"master_password holds DB_PASSWORD, JWT_SECRET: hand it the master"):
        _database_role(bare, tmp_path / "code", master_password=both)


def test_grant_connect_names_one_database_user_on_the_accounts_instances(tmp_path: Path) -> None:
    bare = Bare(tmp_path / "out")
    role = iam.Role(bare.stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    grant_connect(bare.stack, role, user="anigmaa_app")
    bare.template().has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "rds-db:connect",
                        "Effect": "Allow",
                        "Resource": "arn:aws:rds-db:ap-southeast-1:123456789012:dbuser:*/anigmaa_app",
                    }
                ]
            }
        },
    )
