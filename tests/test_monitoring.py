"""Dashboards and alarms for the seed's key metrics, in both compute modes, wired to one SNS topic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Synth


def _alarms(synth: Synth, role: str) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
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


def test_data_alarms_watch_rds_and_redis(prod: Synth) -> None:
    alarms = _alarms(prod, "data")
    assert sorted(alarms) == [
        "anigmaa-prod-rds-connections",
        "anigmaa-prod-rds-cpu",
        "anigmaa-prod-rds-free-storage",
        "anigmaa-prod-redis-cpu-1",
        "anigmaa-prod-redis-cpu-2",
        "anigmaa-prod-redis-evictions-1",
        "anigmaa-prod-redis-evictions-2",
    ]
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
    assert sorted(alarms) == [
        "anigmaa-prod-lambda-api-5xx-rate",
        "anigmaa-prod-lambda-lambda-concurrency",
        "anigmaa-prod-lambda-lambda-duration-p99",
        "anigmaa-prod-lambda-lambda-errors",
        "anigmaa-prod-lambda-lambda-throttles",
    ]
    duration = alarms["anigmaa-prod-lambda-lambda-duration-p99"]
    assert (duration["MetricName"], duration["ExtendedStatistic"], duration["Threshold"]) == ("Duration", "p99", 24000)
    assert alarms["anigmaa-prod-lambda-lambda-throttles"]["Threshold"] == 0
    assert alarms["anigmaa-prod-lambda-lambda-concurrency"]["Threshold"] == 24  # 80% of 30 reserved
    rate = alarms["anigmaa-prod-lambda-api-5xx-rate"]
    expressions = [m["Expression"] for m in rate["Metrics"] if "Expression" in m]
    assert expressions == ["IF(requests >= 20, 100 * errors / requests, 0)"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in rate["Metrics"] if "MetricStat" in m} == {"Count", "5xx"}
    for alarm in alarms.values():
        assert "AlarmsTopic" in _topic_import(alarm)  # imported from the data stack


def test_no_concurrency_alarm_without_reserved_concurrency(dev: Synth) -> None:
    assert "anigmaa-dev-lambda-lambda-concurrency" not in _alarms(dev, "compute")


def test_ecs_alarms_cover_5xx_response_time_health_cpu_and_memory(ecs: Synth) -> None:
    alarms = _alarms(ecs, "compute")
    assert sorted(alarms) == [
        "anigmaa-prod-ecs-alb-response-p99",
        "anigmaa-prod-ecs-alb-target-5xx",
        "anigmaa-prod-ecs-alb-unhealthy-targets",
        "anigmaa-prod-ecs-service-cpu",
        "anigmaa-prod-ecs-service-memory",
    ]
    assert alarms["anigmaa-prod-ecs-alb-target-5xx"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarms["anigmaa-prod-ecs-service-memory"]["MetricName"] == "MemoryUtilization"


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
            ["HTTPCode_Target_5XX_Count", "TargetResponseTime", "CPUUtilization", "MemoryUtilization"],
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
