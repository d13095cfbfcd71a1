"""CloudWatch alarms and dashboards for the backend's key metrics (the seed's list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from constructs import Construct

FIVE_MINUTES = Duration.minutes(5)


class AlarmTopic(Construct):
    """The SNS topic every alarm notifies, with an optional e-mail subscription.

    It lives in a permanent stack so that switching compute never re-asks the subscriber
    to confirm. Publishing requires TLS.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, topic_name: str, email: str | None, alarm_name_prefix: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", topic_name=topic_name, enforce_ssl=True)
        # The TLS policy replaces SNS's default one, so CloudWatch must be let in explicitly:
        # only this account's alarms named with the environment's prefix may publish.
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{alarm_name_prefix}-*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: what it watches, when it fires and what it means."""

    name: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    evaluation_periods: int = 1
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD


class Alarms(Construct):
    """Alarms that notify ``topic`` when they fire and when they recover.

    Missing data counts as not breaching: an idle function or a stopped service is not an
    incident by itself.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, topic: sns.ITopic, specs: Sequence[AlarmSpec]
    ) -> None:
        super().__init__(scope, construct_id)
        action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        for spec in specs:
            alarm = cloudwatch.Alarm(
                self,
                spec.name,
                alarm_name=f"{prefix}-{spec.name}",
                alarm_description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                comparison_operator=spec.comparison,
                evaluation_periods=spec.evaluation_periods,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms.append(alarm)


def metric(namespace: str, name: str, dimensions: dict[str, str], statistic: str = "Sum") -> cloudwatch.Metric:
    """A five-minute metric."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=FIVE_MINUTES
    )


def data_metrics(database_id: str, cache_node_ids: Sequence[str]) -> dict[str, list[cloudwatch.IMetric]]:
    """RDS and ElastiCache metrics of the seed's list, by panel title."""
    db = {"DBInstanceIdentifier": database_id}
    nodes = [{"CacheClusterId": node} for node in cache_node_ids]
    return {
        "RDS CPU (%)": [metric("AWS/RDS", "CPUUtilization", db, "Average")],
        "RDS connections": [metric("AWS/RDS", "DatabaseConnections", db, "Maximum")],
        "RDS free storage (bytes)": [metric("AWS/RDS", "FreeStorageSpace", db, "Minimum")],
        "Redis engine CPU (%)": [metric("AWS/ElastiCache", "EngineCPUUtilization", n, "Average") for n in nodes],
        "Redis evictions": [metric("AWS/ElastiCache", "Evictions", n) for n in nodes],
        "Redis memory used (%)": [
            metric("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", n, "Maximum") for n in nodes
        ],
    }


class BackendDashboard(Construct):
    """One dashboard: the compute path's panels first, then the database's and the cache's."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        panels: dict[str, list[cloudwatch.IMetric]],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        graphs: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)
            for title, metrics in panels.items()
        ]
        for start in range(0, len(graphs), 3):
            self.dashboard.add_widgets(*graphs[start : start + 3])
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24))
