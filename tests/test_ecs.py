"""ECS/Fargate rollback stack (compute=ecs): service, task, load balancer, and its wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.conftest import Synth, kept_log_group_name

# The backend's secrets: not DB_PASSWORD, the master's (the task connects as anigmaa_app with IAM).
SECRETS = ("JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY")


def _one(synth: Synth, kind: str, role: str = "compute") -> dict[str, Any]:
    [resource] = [r for r in synth.json(role)["Resources"].values() if r["Type"] == kind]
    return dict(resource)


def _container(synth: Synth) -> dict[str, Any]:
    [container] = _one(synth, "AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    return dict(container)


def _import(fragment: str) -> dict[str, Any]:
    return {"Fn::ImportValue": Match.string_like_regexp(fragment)}


def test_service_runs_two_fargate_tasks_in_private_subnets_with_ecs_sg(ecs: Synth) -> None:
    ecs.templates["compute"].has_resource_properties(
        "AWS::ECS::Service",
        {
            "LaunchType": "FARGATE",
            "ServiceName": "anigmaa-backend",
            "DesiredCount": 2,
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                "MinimumHealthyPercent": 100,
                "MaximumPercent": 200,
            },
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "AssignPublicIp": "DISABLED",
                    "SecurityGroups": [_import("EcsSecurityGroup")],
                    "Subnets": [_import("PrivateSubnet1"), _import("PrivateSubnet2")],
                }
            },
            "LoadBalancers": [Match.object_like({"ContainerName": "Backend", "ContainerPort": 8080})],
        },
    )


def test_dev_runs_one_task(synth: Any) -> None:
    synth("dev-ecs").templates["compute"].has_resource_properties("AWS::ECS::Service", {"DesiredCount": 1})


def test_cluster_has_container_insights(ecs: Synth) -> None:
    ecs.templates["compute"].has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterName": "anigmaa", "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )


def test_task_has_the_lambdas_environment_plus_aws_region(ecs: Synth, prod: Synth) -> None:
    environment = {e["Name"]: e["Value"] for e in _container(ecs)["Environment"]}
    [function] = [
        r
        for r in prod.json("compute")["Resources"].values()
        if r["Properties"].get("FunctionName") == "anigmaa-backend"
    ]
    lambda_environment = {
        k: v for k, v in function["Properties"]["Environment"]["Variables"].items() if not k.endswith("_PARAM")
    }
    assert environment.pop("AWS_REGION") == {"Ref": "AWS::Region"}
    # A task may hold more database connections than one Lambda environment: there are few tasks.
    assert (environment.pop("DB_MAX_CONNS"), lambda_environment.pop("DB_MAX_CONNS")) == ("10", "2")
    assert environment == lambda_environment


def test_secrets_come_from_ssm_by_arn_and_never_as_plain_environment(ecs: Synth) -> None:
    container = _container(ecs)
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
    assert sorted(secrets) == sorted(SECRETS)
    for name, value_from in secrets.items():
        assert "arn:aws:ssm:ap-southeast-1:" in value_from
        assert f":parameter/anigmaa/prod/{name}" in value_from
    names = {e["Name"] for e in container["Environment"]}
    assert not names & {*SECRETS, "DB_PASSWORD"}
    assert not any(name.endswith("_PARAM") for name in names)
    assert "resolve:ssm" not in json.dumps(ecs.json("compute"))


def test_execution_role_reads_exactly_the_three_parameters(ecs: Synth) -> None:
    policies = [r for r in ecs.json("compute")["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    ssm = [s for s in statements if any(a.startswith("ssm:") for a in s["Action"])]
    resources = sorted(
        json.dumps(r) for s in ssm for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    )
    assert len(resources) == 3
    for name in SECRETS:
        assert any(f":parameter/anigmaa/prod/{name}" in arn for arn in resources)
    assert "DB_PASSWORD" not in json.dumps(ecs.json("compute"))


def test_execution_role_alone_decrypts_with_the_secrets_key_through_ssm_for_its_parameters(ecs: Synth) -> None:
    """ECS resolves valueFrom with the execution role: it, not the task role, decrypts, and only through SSM."""
    policies = [r for r in ecs.json("compute")["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    decrypting = [
        (json.dumps(p["Properties"]["Roles"]), s)
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "kms:" in json.dumps(s["Action"])
    ]
    [(roles, decrypt)] = decrypting
    assert "ExecutionRole" in roles
    assert decrypt["Action"] == "kms:Decrypt"
    key = decrypt["Resource"]["Fn::ImportValue"]
    assert key.startswith("anigmaa-prod-network:")
    assert "SecretsKey" in key
    condition = decrypt["Condition"]["StringEquals"]
    assert condition["kms:ViaService"] == "ssm.ap-southeast-1.amazonaws.com"
    value_from = sorted(json.dumps(s["ValueFrom"]) for s in _container(ecs)["Secrets"])
    assert sorted(json.dumps(arn) for arn in condition["kms:EncryptionContext:PARAMETER_ARN"]) == value_from


def test_roles_are_named_so_their_arns_survive_a_rebuild(ecs: Synth) -> None:
    """The task's roles are named (others may grant them by ARN); the probe's is not: nothing outside names it."""
    roles = {k: r["Properties"] for k, r in ecs.json("compute")["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    names = sorted(role["RoleName"] for role in roles.values() if "RoleName" in role)
    assert names == ["anigmaa-prod-ecs-execution", "anigmaa-prod-ecs-task"]
    [unnamed] = [k for k, role in roles.items() if "RoleName" not in role]
    assert unnamed.startswith("ProbeRole")


def test_task_role_gets_the_same_narrow_bucket_access_as_the_function(ecs: Synth) -> None:
    policies = [r for r in ecs.json("compute")["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    [task_policy] = [p for p in policies if "TaskRole" in json.dumps(p["Properties"]["Roles"])]
    statements = task_policy["Properties"]["PolicyDocument"]["Statement"]
    actions = [s["Action"] for s in statements]
    assert actions == ["s3:ListBucket", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], "rds-db:connect"]
    # Logs in to the database as anigmaa_app with IAM tokens (on any instance: a promoted restore has a new id).
    [connect] = [s for s in statements if s["Action"] == "rds-db:connect"]
    parts = connect["Resource"]["Fn::Join"][1]
    assert (parts[0], parts[2]) == ("arn:aws:rds-db:ap-southeast-1:", ":dbuser:*/anigmaa_app")


def test_logs_go_to_a_log_group_with_retention(ecs: Synth) -> None:
    ecs.templates["compute"].has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": kept_log_group_name("/ecs/anigmaa-backend"), "RetentionInDays": 90},
    )
    ecs.templates["compute"].has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain"})
    assert _container(ecs)["LogConfiguration"]["LogDriver"] == "awslogs"


def test_image_is_built_from_lambda_src_by_default_or_taken_from_ecr(ecs: Synth, synth: Any) -> None:
    assert "container-assets" in json.dumps(_container(ecs)["Image"])
    ecr = synth("prod-ecs-image")
    image = json.dumps(_container(ecr)["Image"])
    assert "123456789012.dkr.ecr.ap-southeast-1" in image
    assert "anigmaa-backend:1.4.2" in image
    policies = [r for r in ecr.json("compute")["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    pull = [
        s
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "ecr:BatchGetImage" in json.dumps(s["Action"])
    ]
    assert "repository/anigmaa-backend" in json.dumps(pull)


def test_load_balancer_is_public_with_alb_sg_and_drops_invalid_headers(ecs: Synth) -> None:
    ecs.templates["compute"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "Scheme": "internet-facing",
            "SecurityGroups": [_import("LoadBalancerSecurityGroup")],
            "Subnets": [_import("PublicSubnet1"), _import("PublicSubnet2")],
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}]
            ),
        },
    )


def test_load_balancer_writes_access_logs_to_the_access_log_bucket(ecs: Synth) -> None:
    [alb] = [
        r for r in ecs.json("compute")["Resources"].values() if r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ]
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "alb"
    assert "AccessLogsBucket" in json.dumps(attributes["access_logs.s3.bucket"])


def test_health_check_is_on_health(ecs: Synth) -> None:
    ecs.templates["compute"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "Port": 8080,
            "Protocol": "HTTP",
            "TargetType": "ip",
            "HealthCheckPath": "/health",
            "Matcher": {"HttpCode": "200"},
        },
    )


def test_plain_http_only_without_a_domain(ecs: Synth) -> None:
    [listener] = [
        r for r in ecs.json("compute")["Resources"].values() if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
    ]
    assert listener["Properties"]["Port"] == 80
    assert listener["Properties"]["DefaultActions"][0]["Type"] == "forward"


def test_https_with_the_shared_certificate_and_http_redirects_with_a_domain(custom_ecs: Synth) -> None:
    template = custom_ecs.templates["compute"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": _import("DomainCertificate")}],
            "SslPolicy": Match.string_like_regexp("TLS"),
        },
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                {"Type": "redirect", "RedirectConfig": Match.object_like({"Port": "443", "Protocol": "HTTPS"})}
            ],
        },
    )


def test_the_ecs_stack_adds_no_security_group_or_rule(ecs: Synth, custom_ecs: Synth) -> None:
    for synth in (ecs, custom_ecs):
        for kind in ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            synth.templates["compute"].resource_count_is(kind, 0)


def test_outputs_for_the_ecs_mode(ecs: Synth, custom_ecs: Synth) -> None:
    outputs = ecs.json("compute")["Outputs"]
    assert set(outputs) == {"LoadBalancerDnsName", "ServiceName", "ClusterName", "ServiceLogGroup", "Url"}
    assert outputs["Url"]["Value"]["Fn::Join"][1][0] == "http://"
    assert custom_ecs.json("compute")["Outputs"]["Url"]["Value"] == "https://api.anigmaa.example"


@pytest.mark.parametrize(
    ("lambda_name", "ecs_name"), [("prod", "prod-ecs"), ("dev", "dev-ecs"), ("prod-custom", "prod-custom-ecs")]
)
def test_network_and_data_templates_are_byte_identical_in_both_modes(
    synth: Any, lambda_name: str, ecs_name: str
) -> None:
    for template in ("Network.template.json", "Data.template.json"):
        assert (synth(lambda_name).outdir / template).read_bytes() == (synth(ecs_name).outdir / template).read_bytes()


def test_synth_names_the_compute_stack_leaving_the_app_does_not_remove(prod: Synth, ecs: Synth) -> None:
    [in_ecs_mode] = [f for f in ecs.findings if f.rule.endswith("anigmaa:lambda-stack-not-in-app")]
    assert (
        "aws cloudformation delete-stack --region ap-southeast-1 --stack-name anigmaa-prod-lambda"
        in in_ecs_mode.message
    )
    [in_lambda_mode] = [f for f in prod.findings if f.rule.endswith("anigmaa:ecs-stack-not-in-app")]
    assert "--stack-name anigmaa-prod-ecs" in in_lambda_mode.message


def test_acknowledged_plain_http_is_said_at_every_synth(ecs: Synth, custom_ecs: Synth) -> None:
    [warning] = [f for f in ecs.findings if f.rule.endswith("anigmaa:ecs-plain-http")]
    assert "the load balancer serves plain HTTP, so JWTs and payment calls cross the internet" in warning.message
    assert not [f for f in custom_ecs.findings if f.rule.endswith("anigmaa:ecs-plain-http")]  # HTTPS with a domain
