"""Releases: a published version behind the live alias, moved by CodeDeploy after a pre-traffic check,
rolled back on the new version's alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from config import ConfigError
from tests.conftest import Synth, kept_log_group_name
from tests.test_config import load
from tests.test_pre_traffic_hook import hook


def _resources(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in synth.json("compute")["Resources"].items() if r["Type"] == kind}


def _one(synth: Synth, kind: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = _resources(synth, kind).items()
    return logical_id, resource


def _hook(synth: Synth) -> tuple[str, dict[str, Any]]:
    [(logical_id, hook)] = [
        (k, r)
        for k, r in _resources(synth, "AWS::Lambda::Function").items()
        if r["Properties"]["FunctionName"] == f"anigmaa-{synth.config.env}-pre-traffic"
    ]
    return logical_id, hook


def test_the_live_alias_points_at_the_published_version_of_the_function(prod: Synth) -> None:
    version_id, version = _one(prod, "AWS::Lambda::Version")
    _, alias = _one(prod, "AWS::Lambda::Alias")
    [function_id] = [
        k
        for k, r in _resources(prod, "AWS::Lambda::Function").items()
        if r["Properties"]["FunctionName"] == "anigmaa-backend"
    ]
    assert version["Properties"] == {"FunctionName": {"Ref": function_id}}
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]
    assert "RoutingConfig" not in alias["Properties"]  # weights only ever come from CodeDeploy
    # The reservation stays on the function, across every version.
    assert _resources(prod, "AWS::Lambda::Function")[function_id]["Properties"]["ReservedConcurrentExecutions"] == 16


def test_a_code_or_configuration_change_publishes_a_new_version(prod: Synth, custom: Synth) -> None:
    """current_version's logical ID carries a hash of the code and configuration."""
    assert _one(prod, "AWS::Lambda::Version")[0] != _one(custom, "AWS::Lambda::Version")[0]


def test_every_published_version_is_kept_under_the_ids_it_had(prod: Synth, custom: Synth) -> None:
    """CloudFormation's clean-up after a release drops the previous version from the stack and leaves it
    in Lambda, so the alias can go back to it; the version's and the alias's logical IDs stay as before."""
    for synth in (prod, custom):
        version_id, version = _one(synth, "AWS::Lambda::Version")
        assert (version["DeletionPolicy"], version["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert re.fullmatch(r"BackendFunctionCurrentVersionED2F204F[0-9a-f]{32}", version_id)
        assert _one(synth, "AWS::Lambda::Alias")[0] == "LiveAlias07E54589"
        # Nothing else of the function's is retained: deleting the stack deletes it, and its versions with it.
        for resource in _resources(synth, "AWS::Lambda::Function").values():
            assert "DeletionPolicy" not in resource
        assert "DeletionPolicy" not in _one(synth, "AWS::Lambda::Alias")[1]


def test_codedeploy_moves_the_alias_with_the_environments_deployment(prod: Synth, dev: Synth) -> None:
    for synth, config in ((prod, "CodeDeployDefault.LambdaCanary10Percent5Minutes"), (dev, "AllAtOnce")):
        application_id, application = _one(synth, "AWS::CodeDeploy::Application")
        group_id, group = _one(synth, "AWS::CodeDeploy::DeploymentGroup")
        assert application["Properties"]["ComputePlatform"] == "Lambda"
        assert application["Properties"]["ApplicationName"] == f"anigmaa-{synth.config.env}-backend"
        properties = group["Properties"]
        assert properties["DeploymentGroupName"] == "live"
        assert config in json.dumps(properties["DeploymentConfigName"])
        assert properties["DeploymentStyle"] == {
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            "DeploymentType": "BLUE_GREEN",
        }
        assert sorted(properties["AutoRollbackConfiguration"]["Events"]) == [
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_ALARM",
            "DEPLOYMENT_STOP_ON_REQUEST",
        ]
        assert properties["AutoRollbackConfiguration"]["Enabled"] is True
        # The alias hands each update to this group, after the hook.
        _, alias = _one(synth, "AWS::Lambda::Alias")
        hook_id, _ = _hook(synth)
        assert alias["UpdatePolicy"] == {
            "CodeDeployLambdaAliasUpdate": {
                "ApplicationName": {"Ref": application_id},
                "DeploymentGroupName": {"Ref": group_id},
                "BeforeAllowTrafficHook": {"Ref": hook_id},
            }
        }


def test_the_deployment_rolls_back_on_the_new_versions_alarms(prod: Synth) -> None:
    version_id, _ = _one(prod, "AWS::Lambda::Version")
    _, group = _one(prod, "AWS::CodeDeploy::DeploymentGroup")
    alarms = _resources(prod, "AWS::CloudWatch::Alarm")
    watched = [alarm["Name"]["Ref"] for alarm in group["Properties"]["AlarmConfiguration"]["Alarms"]]
    # Each named for the version it judges: the API-wide 5XX rate no longer holds a release back. Its 5XX
    # are judged twice: as a share from 5 requests a minute, and as a count at any traffic.
    assert sorted(json.dumps(alarms[a]["Properties"]["AlarmName"]) for a in watched) == [
        '{"Fn::Join": ["", ["anigmaa-prod-release-5xx-count-v", {"Fn::GetAtt": ["' + version_id + '", "Version"]}]]}',
        '{"Fn::Join": ["", ["anigmaa-prod-release-5xx-rate-v", {"Fn::GetAtt": ["' + version_id + '", "Version"]}]]}',
        '{"Fn::Join": ["", ["anigmaa-prod-release-duration-p99-v", {"Fn::GetAtt": ["'
        + version_id
        + '", "Version"]}]]}',
        '{"Fn::Join": ["", ["anigmaa-prod-release-errors-v", {"Fn::GetAtt": ["' + version_id + '", "Version"]}]]}',
    ]
    assert group["Properties"]["AlarmConfiguration"]["Enabled"] is True


def test_a_fix_can_ship_past_a_firing_alarm_for_one_deploy(tmp_path_factory: pytest.TempPathFactory) -> None:
    """lambda_deployment_alarms=false: CodeDeploy ignores the alarms; the hook still checks the version."""
    from tests.conftest import synthesize

    hotfix = synthesize(
        {"env": "dev", "compute": "lambda", "lambda_deployment_alarms": "false"}, tmp_path_factory.mktemp("hotfix")
    )
    _, group = _one(hotfix, "AWS::CodeDeploy::DeploymentGroup")
    assert group["Properties"]["AlarmConfiguration"]["Enabled"] is False
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["Properties"]["AutoRollbackConfiguration"]["Events"]
    _, alias = _one(hotfix, "AWS::Lambda::Alias")
    assert "BeforeAllowTrafficHook" in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]


def test_the_hook_may_invoke_the_new_version_and_report_to_its_group_only(prod: Synth) -> None:
    version_id, _ = _one(prod, "AWS::Lambda::Version")
    group_id, _ = _one(prod, "AWS::CodeDeploy::DeploymentGroup")
    hook_id, hook = _hook(prod)
    properties = hook["Properties"]
    assert properties["Environment"]["Variables"]["TARGET_FUNCTION_ARN"] == {"Ref": version_id}
    assert (properties["Runtime"], properties["Handler"]) == ("python3.14", "pre_traffic.handler")
    assert "VpcConfig" not in properties  # it calls AWS APIs only
    role = properties["Role"]["Fn::GetAtt"][0]
    [policy] = [
        r["Properties"]
        for r in prod.json("compute")["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role}]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    assert [(s["Action"], s["Effect"]) for s in statements] == [
        (["logs:CreateLogStream", "logs:PutLogEvents"], "Allow"),  # its own log group: test_lambda
        ("lambda:InvokeFunction", "Allow"),
        ("codedeploy:PutLifecycleEventHookExecutionStatus", "Allow"),
    ]
    assert statements[1]["Resource"] == {"Ref": version_id}  # the new version, not the function or the alias
    assert {"Ref": group_id} in statements[2]["Resource"]["Fn::Join"][1]
    # Its log group exists before it runs, with the environment's retention.
    prod.templates["compute"].has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": kept_log_group_name("/aws/lambda/anigmaa-prod-pre-traffic"), "RetentionInDays": 90},
    )
    assert hook_id in json.dumps(_one(prod, "AWS::Lambda::Alias")[1]["UpdatePolicy"])


def test_the_hook_knows_the_backends_timeout_and_waits_for_every_check(prod: Synth, dev: Synth) -> None:
    """Without release checks: the seed's /health, the HTTP API's /health and /health/ready."""
    for synth in (prod, dev):
        assert synth.config.function.timeout_seconds == 24
        properties = _hook(synth)[1]["Properties"]
        variables = properties["Environment"]["Variables"]
        assert (variables["BACKEND_TIMEOUT_SECONDS"], variables["RELEASE_CHECKS"]) == ("24", "[]")
        # Three invocations at the backend's 24 s with their 2 s connections, one 6 s cold start, the report.
        assert properties["Timeout"] == 3 * (24 + 2) + 6 + 10 == 94


def test_the_hook_is_given_the_release_checks_and_time_for_each(custom: Synth) -> None:
    """prod-custom: lambda_timeout 20, lambda_release_checks "GET /events?limit=1 200,HEAD /health 200"."""
    properties = _hook(custom)[1]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables["BACKEND_TIMEOUT_SECONDS"] == "20"
    assert json.loads(variables["RELEASE_CHECKS"]) == [
        {"method": "GET", "path": "/events?limit=1", "status": 200},
        {"method": "HEAD", "path": "/health", "status": 200},
    ]
    # The hook reads what the construct wrote (its own parser, the one that fails the release otherwise).
    assert hook.read_route_checks(variables["RELEASE_CHECKS"]) == [
        ("GET", "/events?limit=1", 200),
        ("HEAD", "/health", 200),
    ]
    assert hook.read_backend_timeout(variables["BACKEND_TIMEOUT_SECONDS"]) == 20
    # Five invocations (three health checks, two release checks) at 20 s with their connections,
    # one cold start, the report.
    assert properties["Timeout"] == (3 + 2) * (20 + 2) + 6 + 10 == 126


def test_the_hook_ships_its_source_and_nothing_else(prod: Synth) -> None:
    _, hook = _hook(prod)
    key = hook["Properties"]["Code"]["S3Key"]
    asset = prod.outdir / f"asset.{key.removesuffix('.zip')}"
    assert sorted(p.name for p in asset.iterdir()) == ["pre_traffic.py"]


def test_provisioned_concurrency_sits_on_the_alias(custom: Synth) -> None:
    _, alias = _one(custom, "AWS::Lambda::Alias")
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    assert "RoutingConfig" not in alias["Properties"]
    _, group = _one(custom, "AWS::CodeDeploy::DeploymentGroup")
    assert "LambdaLinear10PercentEvery1Minute" in json.dumps(group["Properties"]["DeploymentConfigName"])


def test_provisioned_concurrency_beyond_the_reservation_is_refused() -> None:
    assert load(lambda_provisioned_concurrency=16).function.provisioned_concurrency == 16
    with pytest.raises(ConfigError, match=r"^lambda_provisioned_concurrency: 17 exceeds"):
        load(lambda_provisioned_concurrency=17)
    # Without a reservation there is nothing to exceed.
    assert load(env="dev", lambda_provisioned_concurrency=5).function.provisioned_concurrency == 5


# Each lambda_deployment name and the CodeDeploy configuration it must select.
CODEDEPLOY_CONFIGS = {
    "all-at-once": "LambdaAllAtOnce",
    "canary-10-5m": "LambdaCanary10Percent5Minutes",
    "canary-10-10m": "LambdaCanary10Percent10Minutes",
    "canary-10-15m": "LambdaCanary10Percent15Minutes",
    "canary-10-30m": "LambdaCanary10Percent30Minutes",
    "linear-10-1m": "LambdaLinear10PercentEvery1Minute",
    "linear-10-2m": "LambdaLinear10PercentEvery2Minutes",
    "linear-10-3m": "LambdaLinear10PercentEvery3Minutes",
    "linear-10-10m": "LambdaLinear10PercentEvery10Minutes",
}


def test_every_deployment_name_is_the_codedeploy_configuration_it_says() -> None:
    from aws_cdk import Stack

    from config.limits import LAMBDA_DEPLOYMENTS

    assert set(LAMBDA_DEPLOYMENTS) == set(CODEDEPLOY_CONFIGS)
    stack = Stack()
    for name, constant in CODEDEPLOY_CONFIGS.items():
        selected = stack.resolve(load(lambda_deployment=name).function.cdk_deployment_config.deployment_config_name)
        assert selected == f"CodeDeployDefault.{constant}", name


def test_the_integration_moves_to_the_alias_only_once_its_permission_exists(prod: Synth) -> None:
    [(integration_id, integration)] = _resources(prod, "AWS::ApiGatewayV2::Integration").items()
    [(permission_id, _)] = _resources(prod, "AWS::Lambda::Permission").items()
    assert integration["DependsOn"] == [permission_id]
    assert integration_id.startswith("HttpApiDefaultRouteBackendIntegration")
