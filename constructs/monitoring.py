"""CloudWatch alarms and dashboards for the backend's key metrics (the seed's list)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Fn, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from constructs import Construct
from constructs.fargate_service import PublicLoadBalancer
from constructs.findings import accept

FIVE_MINUTES = Duration.minutes(5)
# What CodeDeploy watches during a release: a canary lasts minutes, so do its alarms' periods.
ONE_MINUTE = Duration.minutes(1)


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
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            accept(
                subscription,
                "An e-mail subscription (alarm_email) has no queue to redrive to; SNS retries e-mail delivery itself.",
                nag=["Serverless-SNSRedrivePolicy"],
            )
        accept(
            self.topic,
            "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the "
            "messages carry alarm states only; publishing requires TLS.",
            checkov=["CKV_AWS_26"],
        )


Panels = dict[str, list[cloudwatch.IMetric]]
"""Dashboard panels: metrics by panel title."""


class Alarms(Construct):
    """Alarms named ``<prefix>-<name>`` that notify ``topic`` when they fire and when they recover (unless
    added with ``notify=False``, for an alarm that CodeDeploy acts on).

    Each is added with CDK's own `CreateAlarmOptions`. Unless the options say otherwise, an
    alarm fires above its threshold, and missing data counts as not breaching: an idle
    function or a stopped service is not an incident by itself.
    """

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self._action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        # What these alarms watch, by dashboard panel.
        self.panels: Panels = {}

    def add(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        options: cloudwatch.CreateAlarmOptions,
        *,
        notify: bool = True,
        suffix: str = "",
    ) -> cloudwatch.Alarm:
        """An alarm named ``<prefix>-<name>`` (then ``suffix``): the name is this construct's, never the options'.

        ``notify=False`` leaves the topic out: an alarm that something else acts on (CodeDeploy).
        """
        if options.alarm_name is not None:
            raise ValueError(f"{name}: the alarm's name is <prefix>-<name>; the topic accepts no other")
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=f"{self.prefix}-{name}{suffix}",
            alarm_description=options.alarm_description,
            metric=metric,
            threshold=options.threshold,
            comparison_operator=options.comparison_operator or cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=options.evaluation_periods,
            datapoints_to_alarm=options.datapoints_to_alarm,
            treat_missing_data=options.treat_missing_data or cloudwatch.TreatMissingData.NOT_BREACHING,
            actions_enabled=options.actions_enabled,
            evaluate_low_sample_count_percentile=options.evaluate_low_sample_count_percentile,
        )
        if notify:
            alarm.add_alarm_action(self._action)
            alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm


def alarm(
    threshold: float,
    description: str,
    evaluation_periods: int = 1,
    comparison: cloudwatch.ComparisonOperator | None = None,
) -> cloudwatch.CreateAlarmOptions:
    """CDK's alarm options, written positionally: threshold, what it means, periods, comparison."""
    return cloudwatch.CreateAlarmOptions(
        threshold=threshold,
        alarm_description=description,
        evaluation_periods=evaluation_periods,
        comparison_operator=comparison,
    )


def metric(namespace: str, name: str, dimensions: dict[str, str], statistic: str = "Sum") -> cloudwatch.Metric:
    """A five-minute metric."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=FIVE_MINUTES
    )


class DataAlarms(Alarms):
    """The database's and the cache's alarms, and their panels for the compute dashboards.

    ElastiCache reports node metrics per member cluster of the replication group:
    ``<group id>-001``, ``-002``, … ``panels`` holds CDK metrics that any stack may chart
    (the ids arrive there as imports of the data stack's exports).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        database: rds.IDatabaseInstance,
        max_connections: int,
        cache: elasticache.CfnReplicationGroup,
        cache_nodes: int,
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic)
        db = {"DBInstanceIdentifier": database.instance_identifier}
        nodes = [{"CacheClusterId": Fn.join("-", [cache.ref, f"{n:03d}"])} for n in range(1, cache_nodes + 1)]
        self.panels = {
            "RDS CPU (%)": [metric("AWS/RDS", "CPUUtilization", db, "Average")],
            "RDS connections": [metric("AWS/RDS", "DatabaseConnections", db, "Maximum")],
            "RDS free storage (bytes)": [metric("AWS/RDS", "FreeStorageSpace", db, "Minimum")],
            "Redis engine CPU (%)": [metric("AWS/ElastiCache", "EngineCPUUtilization", n, "Average") for n in nodes],
            "Redis evictions": [metric("AWS/ElastiCache", "Evictions", n) for n in nodes],
            "Redis memory used (%)": [
                metric("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", n, "Maximum") for n in nodes
            ],
        }
        panels = self.panels
        self.add("rds-cpu", panels["RDS CPU (%)"][0], alarm(80, "RDS CPU above 80% for 15 minutes", 3))
        self.add(
            "rds-connections",
            panels["RDS connections"][0],
            alarm(
                int(max_connections * 0.8),
                f"RDS connections above 80% of max_connections ({max_connections}): cap Lambda concurrency "
                "or the pools before new connections are refused",
            ),
        )
        self.add(
            "rds-free-storage",
            panels["RDS free storage (bytes)"][0],
            alarm(
                2 * 2**30,
                "RDS free storage below 2 GiB (storage autoscaling may be at its ceiling)",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            ),
        )
        for n, cpu in enumerate(panels["Redis engine CPU (%)"], start=1):
            self.add(f"redis-cpu-{n}", cpu, alarm(75, "Redis engine CPU above 75% for 15 minutes", 3))
        for n, evictions in enumerate(panels["Redis evictions"], start=1):
            self.add(f"redis-evictions-{n}", evictions, alarm(0, "Redis is evicting keys: it is out of memory"))


class LambdaAlarms(Alarms):
    """The live alias's and the HTTP API's alarms, their panels for the dashboard, and the release
    alarms CodeDeploy watches while it moves the alias.

    The function's metrics are read through the alias (its ``Resource`` dimension), which is all
    the API invokes. The release alarms (``release``) are CodeDeploy's, per minute, and notify no
    one (the steady-state alarms do). Two watch the new version alone, by the alias's
    ``ExecutedVersion`` dimension, so the old version's traffic cannot dilute the new one's
    errors during a canary; they carry the version in their names, so each release gets new
    alarms and never inherits the state of the last one's. The third is the API's 5XX rate.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        function: lambda_.Function,
        alias: lambda_.Alias,
        version: lambda_.IVersion,
        api: apigwv2.HttpApi,
        timeout_seconds: int,
        reserved_concurrency: int | None,
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic)
        p50 = alias.metric_duration(statistic="p50", period=FIVE_MINUTES)
        p99 = alias.metric_duration(statistic="p99", period=FIVE_MINUTES)
        errors = alias.metric_errors(period=FIVE_MINUTES)
        throttles = alias.metric_throttles(period=FIVE_MINUTES)
        # The reservation is the function's, across its versions: so is the concurrency it caps.
        concurrency = function.metric("ConcurrentExecutions", statistic="Maximum", period=FIVE_MINUTES)
        requests = api.metric_count(period=FIVE_MINUTES)
        server_errors = api.metric_server_error(period=FIVE_MINUTES)
        slow = timeout_seconds * 1000 * 0.8

        self.add(
            "lambda-duration-p99",
            p99,
            alarm(slow, f"Lambda p99 duration above 80% of its {timeout_seconds} s timeout"),
        )
        self.add("lambda-throttles", throttles, alarm(0, "Lambda throttled requests"))
        self.add("lambda-errors", errors, alarm(5, "Over 5 Lambda errors in 5 minutes"))
        self.add(
            "api-5xx-rate",
            _error_rate(requests, server_errors, FIVE_MINUTES, 20),
            alarm(1, "HTTP API 5XX above 1% of requests (20 or more in 5 minutes)"),
        )
        if reserved_concurrency is not None:
            self.add(
                "lambda-concurrency",
                concurrency,
                alarm(
                    reserved_concurrency * 0.8,
                    f"Lambda concurrency above 80% of its reserved {reserved_concurrency}: throttling (and the "
                    "database's connection limit) is near",
                ),
            )

        new_version = {
            "FunctionName": function.function_name,
            "Resource": f"{function.function_name}:{alias.alias_name}",
            "ExecutedVersion": version.version,
        }
        of_version = f"-v{version.version}"
        self.release = [
            self.add(
                "release-errors",
                _per_minute(alias.metric_errors(dimensions_map=new_version)),
                alarm(0, "A release: the new version had a function error (CodeDeploy rolls it back)"),
                notify=False,
                suffix=of_version,
            ),
            self.add(
                "release-duration-p99",
                _per_minute(alias.metric_duration(statistic="p99", dimensions_map=new_version)),
                alarm(
                    slow,
                    f"A release: the new version's p99 duration above 80% of its {timeout_seconds} s timeout "
                    "for 2 minutes (CodeDeploy rolls it back)",
                    2,
                ),
                notify=False,
                suffix=of_version,
            ),
            self.add(
                "release-5xx-rate",
                _error_rate(
                    api.metric_count(period=ONE_MINUTE), api.metric_server_error(period=ONE_MINUTE), ONE_MINUTE, 10
                ),
                alarm(
                    1,
                    "A release: HTTP API 5XX above 1% of requests (10 or more a minute) for 2 minutes "
                    "(CodeDeploy rolls it back; lambda_deployment_alarms=false ships a fix past it)",
                    2,
                ),
                notify=False,
            ),
        ]
        self.panels = {
            "Lambda duration (ms)": [p50, p99],
            "Lambda errors and throttles": [errors, throttles],
            "Lambda concurrent executions": [concurrency],
            "HTTP API requests, 4XX, 5XX": [requests, api.metric_client_error(period=FIVE_MINUTES), server_errors],
            "HTTP API latency (ms)": [
                api.metric_latency(statistic="p50", period=FIVE_MINUTES),
                api.metric_latency(statistic="p99", period=FIVE_MINUTES),
            ],
        }


def _per_minute(metric: cloudwatch.Metric) -> cloudwatch.Metric:
    return metric.with_(period=ONE_MINUTE)


def _error_rate(
    requests: cloudwatch.IMetric, errors: cloudwatch.IMetric, period: Duration, at_least: int
) -> cloudwatch.MathExpression:
    """5XX as a percentage of requests, counted only from ``at_least`` requests a period."""
    return cloudwatch.MathExpression(
        expression=f"IF(requests >= {at_least}, 100 * errors / requests, 0)",
        using_metrics={"requests": requests, "errors": errors},
        label="5XX (% of requests)",
        period=period,
    )


class ServiceAlarms(Alarms):
    """The load balancer's and the Fargate service's alarms, and their panels for the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        ingress: PublicLoadBalancer,
        service: ecs.FargateService,
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic)
        alb, target_group = ingress.load_balancer.metrics, ingress.target_group
        target_5xx = alb.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES)
        response_p99 = alb.target_response_time(statistic="p99", period=FIVE_MINUTES)
        unhealthy = target_group.metrics.unhealthy_host_count(period=FIVE_MINUTES, statistic="Maximum")
        healthy = target_group.metrics.healthy_host_count(period=FIVE_MINUTES, statistic="Minimum")
        elb_5xx = alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES)
        cpu = service.metric_cpu_utilization(period=FIVE_MINUTES)
        memory = service.metric_memory_utilization(period=FIVE_MINUTES)

        self.add("alb-target-5xx", target_5xx, alarm(5, "Over 5 backend 5XX responses in 5 minutes"))
        self.add("alb-response-p99", response_p99, alarm(2, "p99 backend response time above 2 s"))
        self.add("alb-unhealthy-targets", unhealthy, alarm(0, "A task fails the /health check"))
        self.add(
            "alb-no-healthy-targets",
            healthy,
            alarm(
                1,
                "No healthy task behind the load balancer: the service is down",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            ),
        )
        self.add("alb-elb-5xx", elb_5xx, alarm(5, "The load balancer itself answered 5XX (no healthy target, …)"))
        self.add("service-cpu", cpu, alarm(80, "Service CPU above 80% for 15 minutes", 3))
        self.add("service-memory", memory, alarm(80, "Service memory above 80% for 15 minutes", 3))
        self.panels = {
            "ALB requests, backend 5XX, ALB 5XX": [alb.request_count(period=FIVE_MINUTES), target_5xx, elb_5xx],
            "ALB target response time (s)": [
                alb.target_response_time(statistic="p50", period=FIVE_MINUTES),
                response_p99,
            ],
            "Service CPU and memory (%)": [cpu, memory],
            "Healthy and unhealthy targets": [healthy, unhealthy],
        }


class BackendDashboard(Construct):
    """One dashboard: the panels of ``alarms`` first, then ``more_panels`` (the database's and the cache's),
    three to a row, and the status of ``alarms`` across the bottom."""

    def __init__(
        self, scope: Construct, construct_id: str, *, dashboard_name: str, alarms: Alarms, more_panels: Panels
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        graphs: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)
            for title, metrics in {**alarms.panels, **more_panels}.items()
        ]
        for start in range(0, len(graphs), 3):
            self.dashboard.add_widgets(*graphs[start : start + 3])
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms.alarms), width=24))
