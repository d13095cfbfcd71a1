"""Dashboards and alarms for the seed's key metrics, in both compute modes, wired to one SNS topic and the
destinations the configuration names, and the outside-in probe."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from constructs.monitoring import Alarms, DataAlarms
from constructs.probe import Probe
from tests.conftest import Synth

# The alarms of each stack, after the environment's prefix (anigmaa-prod-): distinct across the stacks,
# so both compute stacks can exist during a switch.
ALARMS = {
    "data": "rds-connections rds-cpu rds-free-storage rds-freeable-memory rds-swap redis-cpu-1 redis-cpu-2 "
    "redis-evictions-1 redis-evictions-2 redis-memory-1 redis-memory-2",
    "lambda": "api-4xx-rate api-5xx-rate api-throttled lambda-concurrency lambda-duration-p99 lambda-errors "
    "lambda-throttles probe-lambda release-5xx-count-v<version> release-5xx-rate-v<version> "
    "release-duration-p99-v<version> release-errors-v<version>",
    "ecs": "alb-elb-5xx alb-no-healthy-targets alb-response-p99 alb-target-4xx-rate alb-target-5xx "
    "alb-unhealthy-targets probe-ecs service-cpu service-memory",
}
# Where silence means an outage (a live resource stops publishing) the alarm breaches; where a metric
# exists only with traffic, silence is an idle night.
BREACHING = {
    "data": ALARMS["data"],
    "lambda": "probe-lambda",
    "ecs": "alb-no-healthy-targets probe-ecs service-cpu service-memory",
}
EXTRA_TOPIC = "arn:aws:sns:ap-southeast-1:123456789012:oncall-chat"


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


def _resources(synth: Synth, role: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in synth.json(role)["Resources"].items() if r["Type"] == kind}


def _topic_import(alarm: dict[str, Any]) -> str:
    [action] = alarm["AlarmActions"]
    assert alarm["OKActions"] == [action]
    return json.dumps(action)


def _expression(alarm: dict[str, Any]) -> str:
    [expression] = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    return str(expression)


def _stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The metrics of a metric-math alarm, by their id in the expression."""
    return {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}


def _criteria(alarm: dict[str, Any]) -> tuple[Any, ...]:
    """Threshold, comparison, periods, the period in seconds, and what missing data means."""
    period = alarm.get("Period") or {s["Period"] for s in _stats(alarm).values()}.pop()
    return (
        alarm["Threshold"],
        alarm["ComparisonOperator"],
        alarm["EvaluationPeriods"],
        period,
        alarm["TreatMissingData"],
    )


def test_one_topic_in_the_permanent_data_stack_with_optional_email_and_https(prod: Synth, custom: Synth) -> None:
    prod.templates["data"].has_resource_properties("AWS::SNS::Topic", {"TopicName": "anigmaa-prod-alarms"})
    prod.templates["data"].resource_count_is("AWS::SNS::Subscription", 0)
    custom.templates["data"].has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@anigmaa.example"}
    )


def test_the_https_subscription_resolves_its_url_at_deploy_and_no_template_holds_it(custom: Synth) -> None:
    [https] = [
        r["Properties"]
        for r in _resources(custom, "data", "AWS::SNS::Subscription").values()
        if r["Properties"]["Protocol"] == "https"
    ]
    # A dynamic reference to the SSM String parameter: the URL, a credential, never enters the template.
    assert https["Endpoint"] == "{{resolve:ssm:/anigmaa/prod/ALARM_HTTPS_URL}}"
    assert https["TopicArn"] == {"Ref": "AlarmsTopic3A2DFEBA"}
    assert https["DeliveryPolicy"]["healthyRetryPolicy"]["numRetries"] == 12
    assert "Parameters" not in custom.json("data") or "ALARM_HTTPS_URL" not in json.dumps(
        custom.json("data")["Parameters"]
    )
    for role, template in custom.templates.items():
        for subscription in template.find_resources("AWS::SNS::Subscription").values():
            properties = subscription["Properties"]
            if properties["Protocol"] in ("http", "https"):
                assert properties["Endpoint"].startswith("{{resolve:ssm:"), role


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


def test_every_notifying_alarm_also_notifies_the_configured_topics(custom: Synth, custom_ecs: Synth) -> None:
    """Imported by ARN where the alarm is: the ARN is a literal, no stack exports it."""
    for synth, role in ((custom, "data"), (custom, "compute"), (custom, "edge"), (custom_ecs, "compute")):
        alarms = _alarms(synth, role)
        assert alarms, role
        for name, alarm in alarms.items():
            if "-release-" in name:
                assert "AlarmActions" not in alarm
                continue
            [own, extra] = alarm["AlarmActions"]
            assert extra == EXTRA_TOPIC, name
            assert alarm["OKActions"] == [own, extra]
    assert EXTRA_TOPIC not in json.dumps(custom.json("data").get("Outputs", {}))


def test_prod_without_a_destination_is_warned_at_every_synth(prod: Synth, custom: Synth, dev: Synth) -> None:
    [warning] = [f for f in prod.findings if f.rule.endswith("anigmaa:alarms-reach-no-one")]
    for key in ("alarm_email", "alarm_https_parameter", "alarm_topic_arns", "alarms_to_no_one=true"):
        assert key in warning.message
    assert not [f for f in custom.findings if "alarms-reach-no-one" in f.rule]  # it has destinations
    assert not [f for f in dev.findings if "alarms-reach-no-one" in f.rule]  # dev never warns


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


def test_new_data_alarms_watch_memory_swap_and_each_redis_nodes_memory(prod: Synth) -> None:
    alarms = _alarms(prod, "data")
    freeable = alarms["anigmaa-prod-rds-freeable-memory"]
    assert (freeable["MetricName"], freeable["Statistic"]) == ("FreeableMemory", "Average")
    # 10% of db.t3.micro's 1 GiB, for 15 minutes.
    assert _criteria(freeable) == (107374182, "LessThanThreshold", 3, 300, "breaching")
    swap = alarms["anigmaa-prod-rds-swap"]
    assert swap["MetricName"] == "SwapUsage"
    assert _criteria(swap) == (256 * 2**20, "GreaterThanThreshold", 3, 300, "breaching")
    for n in (1, 2):
        memory = alarms[f"anigmaa-prod-redis-memory-{n}"]
        assert (memory["MetricName"], memory["Statistic"]) == ("DatabaseMemoryUsagePercentage", "Maximum")
        assert _criteria(memory) == (80, "GreaterThanThreshold", 3, 300, "breaching")
        assert memory["Dimensions"][0]["Value"]["Fn::Join"][1][1] == f"00{n}"


def test_freeable_memory_has_a_fixed_floor_for_a_class_of_unknown_memory() -> None:
    stack = Stack(App(), "Bare")
    alarms = DataAlarms(
        stack,
        "DataAlarms",
        prefix="anigmaa-test",
        topic=sns.Topic(stack, "Topic"),
        database=rds.DatabaseInstance.from_database_instance_attributes(
            stack,
            "Database",
            instance_identifier="anigmaa-test-db",
            instance_endpoint_address="db.example.internal",
            port=5432,
            security_groups=[],
        ),
        max_connections=100,
        memory_gib=None,
        cache=elasticache.CfnReplicationGroup(stack, "Cache", replication_group_description="test"),
        cache_nodes=1,
    )
    [freeable] = [a for a in alarms.alarms if a.node.id == "rds-freeable-memory"]
    assert stack.resolve(freeable.node.default_child.threshold) == 256 * 2**20  # type: ignore[union-attr]


def test_an_alarm_notifies_five_topics_at_most() -> None:
    stack = Stack(App(), "Bare")
    topics = [
        sns.Topic.from_topic_arn(stack, f"T{n}", f"arn:aws:sns:ap-southeast-1:123456789012:t{n}") for n in range(5)
    ]
    with pytest.raises(ValueError, match=r"^5 topics besides the environment's: an alarm notifies 5 at most$"):
        Alarms(stack, "Alarms", prefix="anigmaa-test", topic=sns.Topic(stack, "Topic"), also_notify=topics)


def test_a_probe_name_must_fit_the_function_synthetics_names_after_it() -> None:
    stack = Stack(App(), "Bare")
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "access-logs")
    with pytest.raises(ValueError, match=r"^probe name 'anigmaa-staging-lambda': .* at most 21 characters"):
        Probe(
            stack,
            "Probe",
            name="anigmaa-staging-lambda",
            url="https://api.anigmaa.example/health/ready",
            interval=Duration.minutes(5),
            artifacts_bucket=bucket,
            retention=Duration.days(14),
        )


@pytest.mark.parametrize(("name", "role", "kind"), [("prod", "data", "data"), ("prod", "compute", "lambda")])
def test_missing_data_breaches_only_where_silence_is_an_outage(
    synth: Callable[[str], Synth], name: str, role: str, kind: str
) -> None:
    alarms = _alarms(synth(name), role)
    breaching = sorted(n for n, a in alarms.items() if a["TreatMissingData"] == "breaching")
    assert breaching == sorted(f"anigmaa-prod-{n}" for n in BREACHING[kind].split())
    assert {a["TreatMissingData"] for a in alarms.values()} <= {"breaching", "notBreaching"}


def test_ecs_missing_data_breaches_only_where_silence_is_an_outage(ecs: Synth) -> None:
    alarms = _alarms(ecs, "compute")
    breaching = sorted(n for n, a in alarms.items() if a["TreatMissingData"] == "breaching")
    assert breaching == sorted(f"anigmaa-prod-{n}" for n in BREACHING["ecs"].split())


def test_lambda_alarms_cover_duration_throttles_errors_5xx_and_concurrency(prod: Synth) -> None:
    alarms = _alarms(prod, "compute")
    assert sorted(alarms) == _named("anigmaa-prod", "lambda")
    duration = alarms["anigmaa-prod-lambda-duration-p99"]
    slow = prod.config.function.timeout_seconds * 1000 * 0.8
    assert (duration["MetricName"], duration["ExtendedStatistic"], duration["Threshold"]) == ("Duration", "p99", slow)
    # Read through the live alias (its Resource dimension), which is all the API invokes.
    assert [d["Name"] for d in duration["Dimensions"]] == ["FunctionName", "Resource"]
    assert "BackendFunction" in json.dumps(duration["Dimensions"][0]["Value"])
    assert duration["Dimensions"][1]["Value"] == {"Fn::Join": ["", [{"Ref": "BackendFunctionB80944B4"}, ":live"]]}
    # The reservation is the function's (all versions): so is the concurrency that approaches it.
    assert [d["Name"] for d in alarms["anigmaa-prod-lambda-concurrency"]["Dimensions"]] == ["FunctionName"]
    assert alarms["anigmaa-prod-lambda-throttles"]["Threshold"] == 0
    assert alarms["anigmaa-prod-lambda-concurrency"]["Threshold"] == 12.8  # 80% of 16 reserved
    rate = alarms["anigmaa-prod-api-5xx-rate"]
    assert _expression(rate) == "IF(requests >= 20, 100 * errors / requests, 0)"
    assert {s["Metric"]["MetricName"] for s in _stats(rate).values()} == {"Count", "5xx"}
    for stat in _stats(rate).values():
        assert [d["Name"] for d in stat["Metric"]["Dimensions"]] == ["ApiId"]
    for name, alarm in alarms.items():
        if "-release-" in name:  # CodeDeploy's: they page no one (the alarms above do)
            assert "AlarmActions" not in alarm
            assert "OKActions" not in alarm
        else:
            assert "AlarmsTopic" in _topic_import(alarm)  # imported from the data stack


def test_the_4xx_rate_is_a_share_of_requests_over_15_minutes(prod: Synth) -> None:
    rate = _alarms(prod, "compute")["anigmaa-prod-api-4xx-rate"]
    assert _expression(rate) == "IF(requests >= 20, 100 * errors / requests, 0)"
    assert {k: s["Metric"]["MetricName"] for k, s in _stats(rate).items()} == {"requests": "Count", "errors": "4xx"}
    assert _criteria(rate) == (20, "GreaterThanThreshold", 3, 300, "notBreaching")


def test_the_apis_own_429s_are_counted_from_its_access_log(prod: Synth) -> None:
    [metric_filter] = _resources(prod, "compute", "AWS::Logs::MetricFilter").values()
    [log_group] = [k for k, r in prod.json("compute")["Resources"].items() if "AccessLogGroup" in k]
    properties = metric_filter["Properties"]
    # The access log writes "status":"429" as a string: the filter compares the quoted value.
    assert properties["FilterPattern"] == '{ $.status = "429" }'
    assert properties["LogGroupName"] == {"Ref": log_group}
    assert properties["MetricTransformations"] == [
        {
            "DefaultValue": 0,
            "MetricName": "ThrottledRequests",
            "MetricNamespace": "anigmaa/prod",
            "MetricValue": "1",
            "Unit": "Count",
        }
    ]
    throttled = _alarms(prod, "compute")["anigmaa-prod-api-throttled"]
    assert _expression(throttled) == "IF(requests >= 20, 100 * errors / requests, 0)"
    errors = _stats(throttled)["errors"]["Metric"]
    assert (errors["Namespace"], errors["MetricName"]) == ("anigmaa/prod", "ThrottledRequests")
    assert _criteria(throttled) == (1, "GreaterThanThreshold", 1, 300, "notBreaching")


def test_release_alarms_watch_the_new_version_through_the_alias_per_minute(prod: Synth) -> None:
    """During a canary the old version serves 90 %: alarms on the function would hide the new one's errors."""
    alarms = _alarms(prod, "compute")
    [version_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::Lambda::Version"]
    for name, metric, threshold in (
        ("anigmaa-prod-release-errors-v<version>", "Errors", 0),
        ("anigmaa-prod-release-duration-p99-v<version>", "Duration", prod.config.function.timeout_seconds * 800),
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


def test_the_release_5xx_rate_is_the_new_versions_own_from_the_frames_metrics(prod: Synth) -> None:
    """The frame's embedded metrics, by Version: the old version's traffic cannot dilute the new one's 5XX."""
    rate = _alarms(prod, "compute")["anigmaa-prod-release-5xx-rate-v<version>"]
    [version_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::Lambda::Version"]
    assert _expression(rate) == "IF(requests >= 5, 100 * errors / requests, 0)"
    stats = _stats(rate)
    assert {k: s["Metric"]["MetricName"] for k, s in stats.items()} == {
        "requests": "Requests",
        "errors": "ServerErrors",
    }
    for stat in stats.values():
        assert (stat["Metric"]["Namespace"], stat["Period"], stat["Stat"]) == ("anigmaa/backend", 60, "Sum")
        assert stat["Metric"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Ref": "BackendFunctionB80944B4"}},
            {"Name": "Version", "Value": {"Fn::GetAtt": [version_id, "Version"]}},
        ]
    assert _criteria(rate) == (1, "GreaterThanThreshold", 2, 60, "notBreaching")
    assert "AlarmActions" not in rate  # CodeDeploy's, like the other release alarms


def test_the_release_5xx_count_judges_a_canary_too_small_for_the_rate(prod: Synth) -> None:
    """1M requests a month is some 23 a minute, a 10 % canary's share about 2: the rate, counted from 5 of the
    new version's requests a minute, never evaluates. Two of its 5XX in any minute roll it back."""
    alarms = _alarms(prod, "compute")
    count = alarms["anigmaa-prod-release-5xx-count-v<version>"]
    rate = alarms["anigmaa-prod-release-5xx-rate-v<version>"]
    assert (count["Namespace"], count["MetricName"], count["Statistic"]) == ("anigmaa/backend", "ServerErrors", "Sum")
    # The rate's own 5XX: the frame's, by FunctionName and Version.
    assert count["Dimensions"] == _stats(rate)["errors"]["Metric"]["Dimensions"]
    assert [d["Name"] for d in count["Dimensions"]] == ["FunctionName", "Version"]
    assert _criteria(count) == (2, "GreaterThanOrEqualToThreshold", 1, 60, "notBreaching")
    assert "AlarmActions" not in count
    assert "OKActions" not in count


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
    target_4xx = alarms["anigmaa-prod-alb-target-4xx-rate"]
    assert _expression(target_4xx) == "IF(requests >= 20, 100 * errors / requests, 0)"
    assert {k: s["Metric"]["MetricName"] for k, s in _stats(target_4xx).items()} == {
        "requests": "RequestCount",
        "errors": "HTTPCode_Target_4XX_Count",
    }
    assert _criteria(target_4xx) == (20, "GreaterThanThreshold", 3, 300, "notBreaching")


def _canary(synth: Synth, role: str) -> dict[str, Any]:
    [canary] = _resources(synth, role, "AWS::Synthetics::Canary").values()
    return dict(canary["Properties"])


def _probe_policy(synth: Synth, role: str) -> dict[str, list[Any]]:
    """The probe role's statements: resources by action."""
    [probe_role] = [r for k, r in _resources(synth, role, "AWS::IAM::Role").items() if k.startswith("ProbeRole")]
    [policy] = probe_role["Properties"]["Policies"]
    scoped: dict[str, list[Any]] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            scoped.setdefault(action, []).append(statement["Resource"])
    return scoped


def test_the_lambda_stack_probes_its_api_endpoint_every_5_minutes_in_prod(prod: Synth) -> None:
    canary = _canary(prod, "compute")
    [api_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    assert canary["Name"] == "anigmaa-prod-lambda"
    assert canary["Schedule"]["Expression"] == "rate(5 minutes)"  # what the cost report prices
    assert canary["RuntimeVersion"] == "syn-python-selenium-7.0"
    assert canary["Code"]["Handler"] == "probe.handler"
    assert canary["RunConfig"]["EnvironmentVariables"]["PROBE_URL"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/health/ready"]]
    }
    assert canary["ProvisionedResourceCleanup"] == "AUTOMATIC"  # a rollback leaves no function behind
    assert "VPCConfig" not in canary  # from outside, as a user
    probe = _alarms(prod, "compute")["anigmaa-prod-probe-lambda"]
    assert (probe["Namespace"], probe["MetricName"], probe["Statistic"]) == (
        "CloudWatchSynthetics",
        "SuccessPercent",
        "Average",
    )
    assert probe["Dimensions"] == [{"Name": "CanaryName", "Value": {"Ref": next(iter(_canary_ids(prod)))}}]
    assert _criteria(probe) == (100, "LessThanThreshold", 2, 300, "breaching")
    assert "AlarmsTopic" in _topic_import(probe)


def _canary_ids(synth: Synth) -> list[str]:
    return list(_resources(synth, "compute", "AWS::Synthetics::Canary"))


def test_the_probe_keeps_its_artifacts_in_the_access_logs_bucket_and_may_write_only_there(prod: Synth) -> None:
    """A compute stack is deleted in a rollback: it holds no bucket, the data stack's bucket holds the runs."""
    access_logs = {"Fn::ImportValue": "anigmaa-prod-data:ExportsOutputRefAccessLogsBucketCD784A594A287833"}
    canary = _canary(prod, "compute")
    assert canary["ArtifactS3Location"] == {"Fn::Join": ["", ["s3://", access_logs, "/synthetics/anigmaa-prod-lambda"]]}
    prod.templates["compute"].resource_count_is("AWS::S3::Bucket", 0)
    scoped = _probe_policy(prod, "compute")
    assert scoped["s3:PutObject"] == [
        {"Fn::Join": ["", ["arn:aws:s3:::", access_logs, "/synthetics/anigmaa-prod-lambda/*"]]}
    ]
    assert scoped["s3:GetBucketLocation"] == [{"Fn::Join": ["", ["arn:aws:s3:::", access_logs]]}]
    assert scoped["s3:ListAllMyBuckets"] == ["*"]
    assert scoped["cloudwatch:PutMetricData"] == ["*"]
    own_logs = {
        "Fn::Join": [
            "",
            [
                "arn:aws:logs:ap-southeast-1:",
                {"Ref": "AWS::AccountId"},
                ":log-group:/aws/lambda/cwsyn-anigmaa-prod-lambda-*",
            ],
        ]
    }
    for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
        assert scoped[action] == [own_logs]
    assert set(scoped) == {
        "s3:PutObject",
        "s3:GetBucketLocation",
        "s3:ListAllMyBuckets",
        "cloudwatch:PutMetricData",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    # Publishing metrics is limited to Synthetics' namespace.
    [probe_role] = [r for k, r in _resources(prod, "compute", "AWS::IAM::Role").items() if k.startswith("ProbeRole")]
    [metrics] = [
        s for s in probe_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        if s["Action"] == "cloudwatch:PutMetricData"
    ]  # fmt: skip
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}


def test_the_ecs_stack_probes_its_load_balancer_without_a_domain(ecs: Synth) -> None:
    canary = _canary(ecs, "compute")
    [balancer] = _resources(ecs, "compute", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert canary["Name"] == "anigmaa-prod-ecs"
    assert canary["RunConfig"]["EnvironmentVariables"]["PROBE_URL"] == {
        "Fn::Join": ["", ["http://", {"Fn::GetAtt": [balancer, "DNSName"]}, "/health/ready"]]
    }
    assert "synthetics/anigmaa-prod-ecs" in json.dumps(canary["ArtifactS3Location"])
    probe = _alarms(ecs, "compute")["anigmaa-prod-probe-ecs"]
    assert _criteria(probe) == (100, "LessThanThreshold", 2, 300, "breaching")


@pytest.mark.parametrize("name", ["prod-domain", "prod-domain-ecs", "prod-split50"])
def test_with_a_domain_the_edge_stack_probes_the_domain_once(synth: Callable[[str], Synth], name: str) -> None:
    """The edge stack exists with a domain and outlives every switch of compute: one probe, whatever serves."""
    domain = synth(name)
    canary = _canary(domain, "edge")
    assert canary["Name"] == "anigmaa-prod-edge"
    assert canary["RunConfig"]["EnvironmentVariables"]["PROBE_URL"] == "https://api.anigmaa.example/health/ready"
    assert canary["Schedule"]["Expression"] == "rate(5 minutes)"
    for path in domain.stacks.computes:
        domain.templates[path].resource_count_is("AWS::Synthetics::Canary", 0)
    [probe] = _alarms(domain, "edge").values()
    assert probe["AlarmName"] == "anigmaa-prod-probe"
    assert _criteria(probe) == (100, "LessThanThreshold", 2, 300, "breaching")
    assert "AlarmsTopic" in _topic_import(probe)  # the data stack's topic, by its existing export
    domain.templates["edge"].resource_count_is("AWS::S3::Bucket", 0)


def test_no_probe_in_dev(dev: Synth) -> None:
    """probe_interval_minutes is 0 in dev: no canary runs, none is billed."""
    for template in dev.templates.values():
        template.resource_count_is("AWS::Synthetics::Canary", 0)
    assert not [name for name in _alarms(dev, "compute") if "probe" in name]
    assert _probe_panels(dev, "compute") == {}


def _dashboard_widgets(synth: Synth, role: str) -> list[dict[str, Any]]:
    """The widgets of a stack's one dashboard, each CloudFormation value of its body back where it stood."""
    [board] = _resources(synth, role, "AWS::CloudWatch::Dashboard").values()
    [separator, parts] = board["Properties"]["DashboardBody"]["Fn::Join"]
    assert separator == ""
    values: dict[str, Any] = {}
    text = ""
    for part in parts:
        if not isinstance(part, str):
            values[marker := f"<value {len(values)}>"] = part
            part = marker
        text += part

    def restore(node: Any) -> Any:
        if isinstance(node, str):
            return values.get(node, node)
        if isinstance(node, list):
            return [restore(n) for n in node]
        if isinstance(node, dict):
            return {k: restore(v) for k, v in node.items()}
        return node

    return list(restore(json.loads(text)["widgets"]))


def _probe_panels(synth: Synth, role: str) -> dict[str, list[list[Any]]]:
    """The dashboard's graphs of a probe's SuccessPercent: their metrics by title."""
    return {
        widget["properties"]["title"]: widget["properties"]["metrics"]
        for widget in _dashboard_widgets(synth, role)
        if widget["type"] == "metric"
        and any(metric[:2] == ["CloudWatchSynthetics", "SuccessPercent"] for metric in widget["properties"]["metrics"])
    }


@pytest.mark.parametrize("name", ["prod", "prod-ecs"])
def test_without_a_domain_the_dashboard_charts_its_own_stacks_probe(synth: Callable[[str], Synth], name: str) -> None:
    plain = synth(name)
    [canary_id] = _canary_ids(plain)
    assert _probe_panels(plain, "compute") == {
        "Probe success (%)": [["CloudWatchSynthetics", "SuccessPercent", "CanaryName", {"Ref": canary_id}]]
    }


@pytest.mark.parametrize("name", ["prod-domain", "prod-domain-ecs", "prod-split50"])
def test_with_a_domain_each_dashboard_charts_the_edge_stacks_probe_by_its_name(
    synth: Callable[[str], Synth], name: str
) -> None:
    """The probe of the domain, the one that watches every path serving it, lives in the edge stack: each
    compute stack's dashboard charts it by the canary's name, a string, with no reference to that stack."""
    domain = synth(name)
    edge_canary = _canary(domain, "edge")["Name"]
    assert edge_canary == domain.config.stack_name("edge")
    for path in domain.stacks.computes:
        # The average over the probe's 5 minutes, as the edge stack's alarm reads it: the dashboard's defaults.
        assert _probe_panels(domain, path) == {
            f"Probe success (%): {edge_canary}": [["CloudWatchSynthetics", "SuccessPercent", "CanaryName", edge_canary]]
        }
        # No new reference: the compute stack imports from the permanent stacks only, and never waits for edge.
        imports = {
            json.dumps(value["Fn::ImportValue"])
            for value in _all_values(domain.json(path))
            if isinstance(value, dict) and "Fn::ImportValue" in value
        }
        assert all(i.startswith(('"anigmaa-prod-data:', '"anigmaa-prod-network:')) for i in imports), imports
        assert domain.stack("edge") not in domain.stack(path).dependencies
    assert "Export" not in json.dumps(domain.json("edge").get("Outputs", {}))


def _all_values(node: Any) -> list[Any]:
    """Every value in a template, nested ones too."""
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found.extend(_all_values(child))
    return found


@pytest.mark.parametrize(
    ("name", "dashboard", "metrics"),
    [
        (
            "prod",
            "anigmaa-prod-lambda",
            [
                "Duration",
                "Errors",
                "Throttles",
                "ConcurrentExecutions",
                "4xx",
                "5xx",
                "Latency",
                "ThrottledRequests",
                "SuccessPercent",
            ],
        ),
        (
            "prod-ecs",
            "anigmaa-prod-ecs",
            [
                "HTTPCode_Target_4XX_Count",
                "HTTPCode_Target_5XX_Count",
                "HTTPCode_ELB_5XX_Count",
                "TargetResponseTime",
                "MemoryUtilization",
                "AWS/ECS",
                "SuccessPercent",
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
        "FreeableMemory",
        "SwapUsage",
        "EngineCPUUtilization",
        "Evictions",
        "DatabaseMemoryUsagePercentage",
    ]:
        assert f'\\\\"{metric}\\\\"' in body or f'\\"{metric}\\"' in body, metric
