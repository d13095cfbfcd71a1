"""Dashboards and alarms for the seed's key metrics, in both compute modes, wired to one SNS topic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Synth

# The alarms of each stack, after the environment's prefix (anigmaa-prod-): distinct across the stacks.
ALARMS = {
    "data": "rds-connections rds-cpu rds-free-storage redis-cpu-1 redis-cpu-2 redis-evictions-1 redis-evictions-2",
    "lambda": "api-5xx-rate lambda-concurrency lambda-duration-p99 lambda-errors lambda-throttles release-5xx-rate "
    "release-duration-p99-v<version> release-errors-v<version>",
    "ecs": "alb-elb-5xx alb-no-healthy-targets alb-response-p99 alb-target-5xx alb-unhealthy-targets service-cpu "
    "service-memory",
}


def _named(prefix: str, stack: str) -> list[str]:
    return [f"{prefix}-{name}" for name in ALARMS[stack].split()]


def _name(name: Any) -> str:
    """An alarm's name; a release alarm's carries the version, shown here as -v<version>."""
    if isinstance(name, str):
        return name
    [separator, parts] = name["Fn::Join"]
    assert separator == ""
    assert parts[-1] == {"Fn::GetAtt": [parts[-1]["Fn::GetAtt"][0], "Version"]}
    return f"{''.join(parts[:-1])}<version>"


def _alarms(synth: Synth, role: str) -> dict[str, dict[str, Any]]:
    return {
        _name(r["Properties"]["AlarmName"]): r["Properties"]
        for r in synth.json(role)["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def _topic_import(alarm: dict[str, Any]) -> str:
    [action] = alarm["AlarmActions"]
    assert alarm["OKActions"] == [action]
    return json.dumps(action)


def test_one_topic_in_the_permanent_data_stack_with_an_optional_email(prod: Synth, custom: Synth) -> None:
    prod.templates["data"].has_resource_properties("AWS::SNS::Topic", {"TopicName": "anigmaa-prod-alarms"})
    prod.templates["data"].resource_count_is("AWS::SNS::Subscription", 0)
    custom.templates["data"].has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@anigmaa.example"}
    )


def test_cloudwatch_alarms_of_this_environment_may_publish_to_the_topic(prod: Synth) -> None:
    [policy] = [r for r in prod.json("data")["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    statements = {s.get("Sid", s["Effect"]): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    allow = statements["CloudWatchAlarms"]
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:anigmaa-prod-*" in json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    # The TLS-only rule stays.
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements.values())


def test_data_alarms_watch_rds_and_redis(prod: Synth) -> None:
    alarms = _alarms(prod, "data")
    assert sorted(alarms) == _named("anigmaa-prod", "data")
    connections = alarms["anigmaa-prod-rds-connections"]
    assert (connections["MetricName"], connections["Namespace"], connections["Threshold"]) == (
        "DatabaseConnections",
        "AWS/RDS",
        67,  # 80% of db.t3.micro's estimated 84
    )
    assert connections["Dimensions"][0]["Name"] == "DBInstanceIdentifier"
    evictions = alarms["anigmaa-prod-redis-evictions-2"]
    assert evictions["Dimensions"][0]["Name"] == "CacheClusterId"
    assert evictions["Dimensions"][0]["Value"] == {"Fn::Join": ["-", [{"Ref": "CacheReplicationGroupBFE59FF3"}, "002"]]}
    for alarm in alarms.values():
        assert "Ref" in _topic_import(alarm)  # the topic in the same stack


def test_lambda_alarms_cover_duration_throttles_errors_5xx_and_concurrency(prod: Synth) -> None:
    alarms = _alarms(prod, "compute")
    assert sorted(alarms) == _named("anigmaa-prod", "lambda")
    duration = alarms["anigmaa-prod-lambda-duration-p99"]
    assert (duration["MetricName"], duration["ExtendedStatistic"], duration["Threshold"]) == ("Duration", "p99", 24000)
    # Read through the live alias (its Resource dimension), which is all the API invokes.
    assert [d["Name"] for d in duration["Dimensions"]] == ["FunctionName", "Resource"]
    assert "BackendFunction" in json.dumps(duration["Dimensions"][0]["Value"])
    assert duration["Dimensions"][1]["Value"] == {"Fn::Join": ["", [{"Ref": "BackendFunctionB80944B4"}, ":live"]]}
    # The reservation is the function's (all versions): so is the concurrency that approaches it.
    assert [d["Name"] for d in alarms["anigmaa-prod-lambda-concurrency"]["Dimensions"]] == ["FunctionName"]
    assert alarms["anigmaa-prod-lambda-throttles"]["Threshold"] == 0
    assert alarms["anigmaa-prod-lambda-concurrency"]["Threshold"] == 12.8  # 80% of 16 reserved
    rate = alarms["anigmaa-prod-api-5xx-rate"]
    expressions = [m["Expression"] for m in rate["Metrics"] if "Expression" in m]
    assert expressions == ["IF(requests >= 20, 100 * errors / requests, 0)"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in rate["Metrics"] if "MetricStat" in m} == {"Count", "5xx"}
    for stat in (m["MetricStat"]["Metric"] for m in rate["Metrics"] if "MetricStat" in m):
        assert [d["Name"] for d in stat["Dimensions"]] == ["ApiId"]
    for name, alarm in alarms.items():
        if "-release-" in name:  # CodeDeploy's: they page no one (the alarms above do)
            assert "AlarmActions" not in alarm
            assert "OKActions" not in alarm
        else:
            assert "AlarmsTopic" in _topic_import(alarm)  # imported from the data stack


def test_release_alarms_watch_the_new_version_through_the_alias_per_minute(prod: Synth) -> None:
    """During a canary the old version serves 90 %: alarms on the function would hide the new one's errors."""
    alarms = _alarms(prod, "compute")
    [version_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::Lambda::Version"]
    for name, metric, threshold in (
        ("anigmaa-prod-release-errors-v<version>", "Errors", 0),
        ("anigmaa-prod-release-duration-p99-v<version>", "Duration", 24000),
    ):
        alarm = alarms[name]
        assert (alarm["MetricName"], alarm["Threshold"], alarm["Period"]) == (metric, threshold, 60)
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions["Resource"] == {"Fn::Join": ["", [{"Ref": "BackendFunctionB80944B4"}, ":live"]]}
        assert dimensions["ExecutedVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        assert alarm["TreatMissingData"] == "notBreaching"  # no traffic in a canary is no failure
    assert alarms["anigmaa-prod-release-duration-p99-v<version>"]["EvaluationPeriods"] == 2
    # Each release gets alarms of its own: a new version's never starts in the last one's state.
    names = [
        r["Properties"]["AlarmName"]
        for r in prod.json("compute")["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and "release-errors" in json.dumps(r["Properties"]["AlarmName"])
    ]
    assert names == [{"Fn::Join": ["", ["anigmaa-prod-release-errors-v", {"Fn::GetAtt": [version_id, "Version"]}]]}]
    rate = alarms["anigmaa-prod-release-5xx-rate"]
    assert [m["Expression"] for m in rate["Metrics"] if "Expression" in m] == [
        "IF(requests >= 10, 100 * errors / requests, 0)"
    ]
    assert {m["MetricStat"]["Period"] for m in rate["Metrics"] if "MetricStat" in m} == {60}


def test_no_concurrency_alarm_without_reserved_concurrency(dev: Synth) -> None:
    assert "anigmaa-dev-lambda-concurrency" not in _alarms(dev, "compute")


def test_ecs_alarms_cover_5xx_response_time_health_cpu_and_memory(ecs: Synth) -> None:
    alarms = _alarms(ecs, "compute")
    assert sorted(alarms) == _named("anigmaa-prod", "ecs")
    assert alarms["anigmaa-prod-alb-target-5xx"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarms["anigmaa-prod-alb-elb-5xx"]["MetricName"] == "HTTPCode_ELB_5XX_Count"
    down = alarms["anigmaa-prod-alb-no-healthy-targets"]
    assert (down["MetricName"], down["ComparisonOperator"], down["Threshold"]) == (
        "HealthyHostCount",
        "LessThanThreshold",
        1,
    )
    assert sorted(d["Name"] for d in down["Dimensions"]) == ["LoadBalancer", "TargetGroup"]
    memory = alarms["anigmaa-prod-service-memory"]
    assert memory["MetricName"] == "MemoryUtilization"
    assert sorted(d["Name"] for d in memory["Dimensions"]) == ["ClusterName", "ServiceName"]


@pytest.mark.parametrize(
    ("name", "dashboard", "metrics"),
    [
        (
            "prod",
            "anigmaa-prod-lambda",
            ["Duration", "Errors", "Throttles", "ConcurrentExecutions", "4xx", "5xx", "Latency"],
        ),
        (
            "prod-ecs",
            "anigmaa-prod-ecs",
            [
                "HTTPCode_Target_5XX_Count",
                "HTTPCode_ELB_5XX_Count",
                "TargetResponseTime",
                "MemoryUtilization",
                "AWS/ECS",
            ],
        ),
    ],
)
def test_dashboard_shows_the_seeds_key_metrics(
    synth: Callable[[str], Synth], name: str, dashboard: str, metrics: list[str]
) -> None:
    [board] = [
        r for r in synth(name).json("compute")["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert board["Properties"]["DashboardName"] == dashboard
    body = json.dumps(board["Properties"]["DashboardBody"])
    for metric in [
        *metrics,
        "DatabaseConnections",
        "FreeStorageSpace",
        "EngineCPUUtilization",
        "Evictions",
        "DatabaseMemoryUsagePercentage",
    ]:
        assert f'\\\\"{metric}\\\\"' in body or f'\\"{metric}\\"' in body, metric
