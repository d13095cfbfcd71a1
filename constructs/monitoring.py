"""CloudWatch alarms and dashboards for the backend's key metrics (the seed's list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import ArnFormat, Duration, Fn, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from constructs import Construct
from constructs.fargate_service import PublicLoadBalancer
from constructs.findings import accept

FIVE_MINUTES = Duration.minutes(5)
# What CodeDeploy watches during a release: a canary lasts minutes, so do its alarms' periods.
ONE_MINUTE = Duration.minutes(1)
GIB = 2**30
MIB = 2**20

# What missing data means, said by every alarm (see `Alarms`).
SILENCE_IS_AN_OUTAGE = cloudwatch.TreatMissingData.BREACHING
SILENCE_IS_IDLE = cloudwatch.TreatMissingData.NOT_BREACHING

# Where the Go frame writes its per-request metrics in Lambda mode (embedded metric format on its
# one JSON log line per request): Requests and ServerErrors (status 500 or more), by FunctionName
# and Version (the version number as a string).
BACKEND_NAMESPACE = "anigmaa/backend"
# A release counts the new version's 5XX share only from this many of its requests a minute: at a
# 10 % canary that is 50 a minute overall, and one 5XX among them is already 20 %.
RELEASE_MIN_REQUESTS = 5
# Below that the share is never evaluated (1M requests a month is some 23 a minute, a canary's 10 %
# about 2), so the new version's 5XX are counted too: this many in one minute roll it back. One may be
# a client's aborted request; two in a minute of a canary's few is a pattern.
RELEASE_SERVER_ERRORS = 2
# A client-error share that is not noise: a JSON API behind JWTs answers a few percent 4XX (expired
# tokens refreshed and retried, a 404 for a deleted event). A fifth of all requests for 15 minutes
# is a broken client release, a rotated JWT secret or a removed route.
CLIENT_ERROR_PERCENT = 20
# FreeableMemory below this share of the class's memory squeezes PostgreSQL's page cache, and swap follows.
FREEABLE_MEMORY_SHARE = 0.1
# The floor for a class whose memory config/limits.py does not list.
FREEABLE_MEMORY_FLOOR_BYTES = 256 * MIB
SWAP_BOUND_BYTES = 256 * MIB
# CloudWatch's limit of actions per alarm state: the environment's topic and four more.
MAX_ALARM_ACTIONS = 5
# Where CloudWatch Synthetics publishes each run's result, by CanaryName (`constructs.probe.Probe`).
SYNTHETICS_NAMESPACE = "CloudWatchSynthetics"
PROBE_PANEL = "Probe success (%)"


class AlarmTopic(Construct):
    """The SNS topic every alarm notifies, with optional e-mail and HTTPS subscriptions.

    It lives in a permanent stack so that switching compute never re-asks a subscriber to
    confirm. Publishing requires TLS. ``https_parameter`` names an SSM String parameter whose
    value is the HTTPS URL to post to (a paging service's): the subscription's endpoint is a
    CloudFormation dynamic reference to it, resolved at deploy, so the URL, a credential, is
    never in the template. CloudFormation resolves it when the template changes; to point the
    alarms elsewhere, write the new URL to a parameter of a new name and set that name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str,
        email: str | None,
        alarm_name_prefix: str,
        https_parameter: str | None = None,
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
        self.https_subscription: sns.Subscription | None = None
        if https_parameter:
            # sns.Subscription, not UrlSubscription: the endpoint is a dynamic reference, not a URL, until deploy.
            self.https_subscription = sns.Subscription(
                self,
                "HttpsSubscription",
                topic=self.topic,
                protocol=sns.SubscriptionProtocol.HTTPS,
                endpoint=f"{{{{resolve:ssm:{https_parameter}}}}}",
                # SNS's default gives an endpoint three tries in a minute; a page is worth about 20 minutes.
                delivery_policy=sns.DeliveryPolicy(
                    healthy_retry_policy=sns.HealthyRetryPolicy(
                        num_retries=12,
                        min_delay_target=Duration.seconds(5),
                        max_delay_target=Duration.seconds(300),
                        backoff_function=sns.BackoffFunction.EXPONENTIAL,
                    )
                ),
            )
            accept(
                self.https_subscription,
                "An HTTPS subscription (alarm_https_parameter) is retried by SNS for about 20 minutes; a message "
                "it still cannot deliver is an alarm state that stays visible in CloudWatch and reaches the "
                "other destinations, so a dead-letter queue no one reads would add nothing.",
                nag=["Serverless-SNSRedrivePolicy"],
            )
        accept(
            self.topic,
            "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the "
            "messages carry alarm states only; publishing requires TLS.",
            checkov=["CKV_AWS_26"],
        )


def import_topics(scope: Construct, topic_arns: Sequence[str]) -> list[sns.ITopic]:
    """The existing topics ``topic_arns`` (alarm_topic_arns), imported once into ``scope``'s stack.

    Imported by ARN where the alarms are, so no stack exports them; their own policies must let
    cloudwatch.amazonaws.com publish.
    """
    stack = Stack.of(scope)
    topics = []
    for n, arn in enumerate(topic_arns, start=1):
        construct_id = f"AlarmDestination{n}"
        found = stack.node.try_find_child(construct_id)
        topics.append(cast(sns.ITopic, found) if found else sns.Topic.from_topic_arn(stack, construct_id, arn))
    return topics


Panels = dict[str, list[cloudwatch.IMetric]]
"""Dashboard panels: metrics by panel title."""


class Alarms(Construct):
    """Alarms named ``<prefix>-<name>`` that notify ``topic`` and every ``also_notify`` topic when they fire
    and when they recover (unless added with ``notify=False``, for an alarm that CodeDeploy acts on).

    Each is added with CDK's own `CreateAlarmOptions`, an alarm fires above its threshold unless
    the options say otherwise, and each says what missing data means (`alarm`'s ``missing``):

    - ``SILENCE_IS_AN_OUTAGE`` (breaching) for a metric that a live resource always publishes:
      RDS's CPU, memory, swap, storage and connections, ElastiCache's per-node metrics, the load
      balancer's healthy hosts, the ECS service's CPU and memory, the probe's runs. Silence there
      means the resource, or its reporting, is gone: at 3 a.m. that must page, not stay green.
    - ``SILENCE_IS_IDLE`` (not breaching) for a metric that exists only with traffic: Lambda's
      errors, throttles, duration and concurrency, the API's and the load balancer's error rates
      and response times. No requests is no error; an idle night is not an incident.

    CloudWatch applies the choice only when too few real points are left in the alarm's
    evaluation range, so a gap of a few minutes (a reboot, a late datapoint) pages no one.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        also_notify: Sequence[sns.ITopic] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if len(also_notify) + 1 > MAX_ALARM_ACTIONS:
            raise ValueError(
                f"{len(also_notify)} topics besides the environment's: an alarm notifies {MAX_ALARM_ACTIONS} at most"
            )
        self.prefix = prefix
        self._actions = [actions.SnsAction(t) for t in (topic, *also_notify)]
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

        ``notify=False`` leaves the topics out: an alarm that something else acts on (CodeDeploy).
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
            treat_missing_data=options.treat_missing_data or SILENCE_IS_IDLE,
            actions_enabled=options.actions_enabled,
            evaluate_low_sample_count_percentile=options.evaluate_low_sample_count_percentile,
        )
        if notify:
            for action in self._actions:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def add_probe(self, name: str, success_percent: cloudwatch.IMetric) -> cloudwatch.Alarm:
        """The outside-in probe's alarm (`constructs.probe.Probe`): two runs in a row not all successful, or none."""
        self.panels[PROBE_PANEL] = [success_percent]
        return self.add(
            name,
            success_percent,
            alarm(
                100,
                "The outside-in probe failed two runs in a row, or did not run: users cannot reach the API",
                2,
                cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=SILENCE_IS_AN_OUTAGE,
            ),
        )


def alarm(
    threshold: float,
    description: str,
    evaluation_periods: int = 1,
    comparison: cloudwatch.ComparisonOperator | None = None,
    *,
    missing: cloudwatch.TreatMissingData,
) -> cloudwatch.CreateAlarmOptions:
    """CDK's alarm options, written positionally: threshold, what it means, periods, comparison; then what
    missing data means (``SILENCE_IS_AN_OUTAGE`` or ``SILENCE_IS_IDLE``, see `Alarms`)."""
    return cloudwatch.CreateAlarmOptions(
        threshold=threshold,
        alarm_description=description,
        evaluation_periods=evaluation_periods,
        comparison_operator=comparison,
        treat_missing_data=missing,
    )


def metric(namespace: str, name: str, dimensions: dict[str, str], statistic: str = "Sum") -> cloudwatch.Metric:
    """A five-minute metric."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=FIVE_MINUTES
    )


def probe_panel(canary_name: str, interval: Duration) -> Panels:
    """A panel for the probe named ``canary_name`` that another stack runs and alarms on: the metric its
    ``Probe.success_percent`` is (one datapoint a run), read by the canary's name, so the stack that
    charts it refers to nothing of the stack that runs it, and neither exports anything for it."""
    success_percent = cloudwatch.Metric(
        namespace=SYNTHETICS_NAMESPACE,
        metric_name="SuccessPercent",
        dimensions_map={"CanaryName": canary_name},
        statistic="Average",
        period=interval,
    )
    return {f"{PROBE_PANEL}: {canary_name}": [success_percent]}


def web_acl_panel(web_acl_name: str, rate_rule_metric: str, region: str) -> Panels:
    """The edge's web ACL (edge protection): the requests it allows, blocks and counts, and those its rate
    rule blocks, read by name from ``region`` (us-east-1, where CloudFront-scope WAF publishes), so the
    regional dashboards chart them without a reference to the cdn stack."""

    def waf(metric_name: str, rule: str, label: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name=metric_name,
            dimensions_map={"WebACL": web_acl_name, "Rule": rule},
            statistic="Sum",
            period=Duration.minutes(5),
            region=region,
            label=label,
        )

    return {
        f"Edge: the web ACL {web_acl_name} ({region})": [
            waf("AllowedRequests", "ALL", "allowed"),
            waf("BlockedRequests", "ALL", "blocked"),
            waf("CountedRequests", "ALL", "counted"),
            waf("BlockedRequests", rate_rule_metric, "blocked by the rate limit"),
        ]
    }


class DataAlarms(Alarms):
    """The database's and the cache's alarms, and their panels for the compute dashboards.

    ElastiCache reports node metrics per member cluster of the replication group:
    ``<group id>-001``, ``-002``, … ``panels`` holds CDK metrics that any stack may chart
    (the ids arrive there as imports of the data stack's exports). Every metric here is one a
    running instance or node publishes all the time: missing data is an outage.
    ``memory_gib`` is the instance class's memory (None: unknown, a fixed floor is used).
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
        memory_gib: float | None,
        cache: elasticache.CfnReplicationGroup,
        cache_nodes: int,
        also_notify: Sequence[sns.ITopic] = (),
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic, also_notify=also_notify)
        db = {"DBInstanceIdentifier": database.instance_identifier}
        nodes = [{"CacheClusterId": Fn.join("-", [cache.ref, f"{n:03d}"])} for n in range(1, cache_nodes + 1)]
        self.panels = {
            "RDS CPU (%)": [metric("AWS/RDS", "CPUUtilization", db, "Average")],
            "RDS connections": [metric("AWS/RDS", "DatabaseConnections", db, "Maximum")],
            "RDS free storage (bytes)": [metric("AWS/RDS", "FreeStorageSpace", db, "Minimum")],
            "RDS freeable memory and swap (bytes)": [
                metric("AWS/RDS", "FreeableMemory", db, "Average"),
                metric("AWS/RDS", "SwapUsage", db, "Average"),
            ],
            "Redis engine CPU (%)": [metric("AWS/ElastiCache", "EngineCPUUtilization", n, "Average") for n in nodes],
            "Redis evictions": [metric("AWS/ElastiCache", "Evictions", n) for n in nodes],
            "Redis memory used (%)": [
                metric("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", n, "Maximum") for n in nodes
            ],
        }
        panels, down = self.panels, SILENCE_IS_AN_OUTAGE
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        self.add("rds-cpu", panels["RDS CPU (%)"][0], alarm(80, "RDS CPU above 80% for 15 minutes", 3, missing=down))
        self.add(
            "rds-connections",
            panels["RDS connections"][0],
            alarm(
                int(max_connections * 0.8),
                f"RDS connections above 80% of max_connections ({max_connections}): cap Lambda concurrency "
                "or the pools before new connections are refused",
                missing=down,
            ),
        )
        self.add(
            "rds-free-storage",
            panels["RDS free storage (bytes)"][0],
            alarm(
                2 * GIB,
                "RDS free storage below 2 GiB (storage autoscaling may be at its ceiling)",
                comparison=below,
                missing=down,
            ),
        )
        freeable, swap = panels["RDS freeable memory and swap (bytes)"]
        if memory_gib is None:
            floor, of_what = FREEABLE_MEMORY_FLOOR_BYTES, "256 MiB (the class's memory is not in config/limits.py)"
        else:
            floor = int(memory_gib * GIB * FREEABLE_MEMORY_SHARE)
            of_what = f"10% of the class's {memory_gib:g} GiB"
        self.add(
            "rds-freeable-memory",
            freeable,
            alarm(
                floor,
                f"RDS freeable memory below {of_what} for 15 minutes: PostgreSQL's cache is squeezed, swap follows",
                3,
                below,
                missing=down,
            ),
        )
        self.add(
            "rds-swap",
            swap,
            alarm(
                SWAP_BOUND_BYTES,
                "RDS swap above 256 MiB for 15 minutes: the instance is short of memory (a larger class, or fewer "
                "connections)",
                3,
                missing=down,
            ),
        )
        for n, cpu in enumerate(panels["Redis engine CPU (%)"], start=1):
            self.add(f"redis-cpu-{n}", cpu, alarm(75, "Redis engine CPU above 75% for 15 minutes", 3, missing=down))
        for n, evictions in enumerate(panels["Redis evictions"], start=1):
            self.add(
                f"redis-evictions-{n}", evictions, alarm(0, "Redis is evicting keys: it is out of memory", missing=down)
            )
        for n, used in enumerate(panels["Redis memory used (%)"], start=1):
            self.add(
                f"redis-memory-{n}",
                used,
                alarm(80, "Redis memory above 80% for 15 minutes: evictions are near", 3, missing=down),
            )


class LambdaAlarms(Alarms):
    """The live alias's and the HTTP API's alarms, their panels for the dashboard, and the release
    alarms CodeDeploy watches while it moves the alias.

    The function's metrics are read through the alias (its ``Resource`` dimension), which is all
    the API invokes. The HTTP API has no metric of its own 429s: a metric filter counts the access
    log's ``"status":"429"`` lines into ``metric_namespace`` (``ThrottledRequests``). Every metric
    here exists only with traffic: missing data is idle, not down (the probe watches for down).

    The release alarms (``release``) are CodeDeploy's, per minute, and notify no one (the
    steady-state alarms do). All four watch the new version alone, so the old version's traffic
    cannot dilute the new one's failures during a canary: its errors and p99 duration by the
    alias's ``ExecutedVersion`` dimension, and its 5XX from the frame's own per-request metrics
    (``BACKEND_NAMESPACE``, by ``Version``) twice over. ``release-5xx-rate`` is their share of its
    requests, counted only from ``RELEASE_MIN_REQUESTS`` a minute: at a 10 % canary that needs some
    50 requests a minute overall, more than this app's expected traffic. ``release-5xx-count``
    fires on ``RELEASE_SERVER_ERRORS`` of them in any minute, so a canary of a few requests a
    minute is judged too. (From some 200 of the new version's requests a minute, two 5XX are under
    1 % and the count is the stricter of the two.) A night with no request to the new version
    leaves both silent: the pre-traffic hook's checks are then all that judged it. They carry the
    version in their names, so each release gets new alarms and never inherits the state of the
    last one's.
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
        access_log_group: logs.ILogGroup,
        metric_namespace: str,
        timeout_seconds: int,
        reserved_concurrency: int | None,
        also_notify: Sequence[sns.ITopic] = (),
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic, also_notify=also_notify)
        idle = SILENCE_IS_IDLE
        p50 = alias.metric_duration(statistic="p50", period=FIVE_MINUTES)
        p99 = alias.metric_duration(statistic="p99", period=FIVE_MINUTES)
        errors = alias.metric_errors(period=FIVE_MINUTES)
        throttles = alias.metric_throttles(period=FIVE_MINUTES)
        # The reservation is the function's, across its versions: so is the concurrency it caps.
        concurrency = function.metric("ConcurrentExecutions", statistic="Maximum", period=FIVE_MINUTES)
        requests = api.metric_count(period=FIVE_MINUTES)
        client_errors = api.metric_client_error(period=FIVE_MINUTES)
        server_errors = api.metric_server_error(period=FIVE_MINUTES)
        # Access-log lines carry the status as a string: the filter matches the quoted value.
        self.throttled_filter = logs.MetricFilter(
            self,
            "ThrottledRequests",
            log_group=access_log_group,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "429"),
            metric_namespace=metric_namespace,
            metric_name="ThrottledRequests",
            metric_value="1",
            # Every other request counts 0, so the metric exists whenever there is traffic.
            default_value=0,
            unit=cloudwatch.Unit.COUNT,
        )
        throttled = self.throttled_filter.metric(statistic="Sum", period=FIVE_MINUTES)
        slow = timeout_seconds * 1000 * 0.8

        self.add(
            "lambda-duration-p99",
            p99,
            alarm(slow, f"Lambda p99 duration above 80% of its {timeout_seconds} s timeout", missing=idle),
        )
        self.add("lambda-throttles", throttles, alarm(0, "Lambda throttled requests", missing=idle))
        self.add("lambda-errors", errors, alarm(5, "Over 5 Lambda errors in 5 minutes", missing=idle))
        self.add(
            "api-5xx-rate",
            _share(requests, server_errors, FIVE_MINUTES, 20, "5XX"),
            alarm(1, "HTTP API 5XX above 1% of requests (20 or more in 5 minutes)", missing=idle),
        )
        self.add(
            "api-4xx-rate",
            _share(requests, client_errors, FIVE_MINUTES, 20, "4XX"),
            alarm(
                CLIENT_ERROR_PERCENT,
                f"HTTP API 4XX above {CLIENT_ERROR_PERCENT}% of requests (20 or more in 5 minutes) for 15 minutes: "
                "a broken client release, a rotated JWT secret or a removed route, not the usual few percent",
                3,
                missing=idle,
            ),
        )
        self.add(
            "api-throttled",
            _share(requests, throttled, FIVE_MINUTES, 20, "429"),
            alarm(
                1,
                "The HTTP API throttled (429) over 1% of requests (20 or more in 5 minutes): load is past "
                "api_throttle_rate / api_throttle_burst",
                missing=idle,
            ),
        )
        if reserved_concurrency is not None:
            self.add(
                "lambda-concurrency",
                concurrency,
                alarm(
                    reserved_concurrency * 0.8,
                    f"Lambda concurrency above 80% of its reserved {reserved_concurrency}: throttling (and the "
                    "database's connection limit) is near",
                    missing=idle,
                ),
            )

        new_version = {
            "FunctionName": function.function_name,
            "Resource": f"{function.function_name}:{alias.alias_name}",
            "ExecutedVersion": version.version,
        }
        # The frame's own metrics: FunctionName and the version number, as it writes them.
        of_the_frame = {"FunctionName": function.function_name, "Version": version.version}
        of_version = f"-v{version.version}"
        # Four of the ten alarms a deployment group may watch; with no actions, MAX_ALARM_ACTIONS is not theirs.
        self.release = [
            self.add(
                "release-errors",
                _per_minute(alias.metric_errors(dimensions_map=new_version)),
                alarm(0, "A release: the new version had a function error (CodeDeploy rolls it back)", missing=idle),
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
                    missing=idle,
                ),
                notify=False,
                suffix=of_version,
            ),
            self.add(
                "release-5xx-rate",
                _share(
                    _frame_metric("Requests", of_the_frame),
                    _frame_metric("ServerErrors", of_the_frame),
                    ONE_MINUTE,
                    RELEASE_MIN_REQUESTS,
                    "5XX",
                ),
                alarm(
                    1,
                    f"A release: the new version answered 5XX to over 1% of its requests ({RELEASE_MIN_REQUESTS} or "
                    "more a minute) for 2 minutes (CodeDeploy rolls it back; lambda_deployment_alarms=false ships "
                    "a fix past it)",
                    2,
                    missing=idle,
                ),
                notify=False,
                suffix=of_version,
            ),
            self.add(
                "release-5xx-count",
                _frame_metric("ServerErrors", of_the_frame),
                alarm(
                    RELEASE_SERVER_ERRORS,
                    f"A release: the new version answered 5XX {RELEASE_SERVER_ERRORS} or more times in a minute, "
                    "at any traffic (CodeDeploy rolls it back; lambda_deployment_alarms=false ships a fix past it)",
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    missing=idle,
                ),
                notify=False,
                suffix=of_version,
            ),
        ]
        self.panels = {
            "Lambda duration (ms)": [p50, p99],
            "Lambda errors and throttles": [errors, throttles],
            "Lambda concurrent executions": [concurrency],
            "HTTP API requests, 4XX, 5XX, 429": [requests, client_errors, server_errors, throttled],
            "HTTP API latency (ms)": [
                api.metric_latency(statistic="p50", period=FIVE_MINUTES),
                api.metric_latency(statistic="p99", period=FIVE_MINUTES),
            ],
        }


def _per_minute(metric: cloudwatch.Metric) -> cloudwatch.Metric:
    return metric.with_(period=ONE_MINUTE)


def _frame_metric(name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=BACKEND_NAMESPACE, metric_name=name, dimensions_map=dimensions, statistic="Sum", period=ONE_MINUTE
    )


def _share(
    requests: cloudwatch.IMetric, errors: cloudwatch.IMetric, period: Duration, at_least: int, what: str
) -> cloudwatch.MathExpression:
    """``errors`` as a percentage of ``requests``, counted only from ``at_least`` requests a period."""
    return cloudwatch.MathExpression(
        expression=f"IF(requests >= {at_least}, 100 * errors / requests, 0)",
        using_metrics={"requests": requests, "errors": errors},
        label=f"{what} (% of requests)",
        period=period,
    )


class ServiceAlarms(Alarms):
    """The load balancer's and the Fargate service's alarms, and their panels for the dashboard.

    The healthy-host count and the service's CPU and memory are published as long as the load
    balancer and the tasks exist: missing data there is an outage. Response codes and times
    exist only with traffic. The unhealthy-host count is published all the time too, but its
    silence is ``alb-no-healthy-targets``'s to report: one page, not two.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        ingress: PublicLoadBalancer,
        service: ecs.FargateService,
        also_notify: Sequence[sns.ITopic] = (),
    ) -> None:
        super().__init__(scope, construct_id, prefix=prefix, topic=topic, also_notify=also_notify)
        idle, down = SILENCE_IS_IDLE, SILENCE_IS_AN_OUTAGE
        alb, target_group = ingress.load_balancer.metrics, ingress.target_group
        requests = alb.request_count(period=FIVE_MINUTES)
        target_4xx = alb.http_code_target(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, period=FIVE_MINUTES)
        target_5xx = alb.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES)
        response_p99 = alb.target_response_time(statistic="p99", period=FIVE_MINUTES)
        unhealthy = target_group.metrics.unhealthy_host_count(period=FIVE_MINUTES, statistic="Maximum")
        healthy = target_group.metrics.healthy_host_count(period=FIVE_MINUTES, statistic="Minimum")
        elb_5xx = alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES)
        cpu = service.metric_cpu_utilization(period=FIVE_MINUTES)
        memory = service.metric_memory_utilization(period=FIVE_MINUTES)

        self.add("alb-target-5xx", target_5xx, alarm(5, "Over 5 backend 5XX responses in 5 minutes", missing=idle))
        self.add(
            "alb-target-4xx-rate",
            _share(requests, target_4xx, FIVE_MINUTES, 20, "Backend 4XX"),
            alarm(
                CLIENT_ERROR_PERCENT,
                f"Backend 4XX above {CLIENT_ERROR_PERCENT}% of requests (20 or more in 5 minutes) for 15 minutes: "
                "a broken client release, a rotated JWT secret or a removed route, not the usual few percent",
                3,
                missing=idle,
            ),
        )
        self.add("alb-response-p99", response_p99, alarm(2, "p99 backend response time above 2 s", missing=idle))
        self.add("alb-unhealthy-targets", unhealthy, alarm(0, "A task fails the /health check", missing=idle))
        self.add(
            "alb-no-healthy-targets",
            healthy,
            alarm(
                1,
                "No healthy task behind the load balancer, or no report of any: the service is down",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=down,
            ),
        )
        self.add(
            "alb-elb-5xx",
            elb_5xx,
            alarm(5, "The load balancer itself answered 5XX (no healthy target, …)", missing=idle),
        )
        self.add("service-cpu", cpu, alarm(80, "Service CPU above 80% for 15 minutes", 3, missing=down))
        self.add("service-memory", memory, alarm(80, "Service memory above 80% for 15 minutes", 3, missing=down))
        self.panels = {
            "ALB requests, backend 4XX and 5XX, ALB 5XX": [requests, target_4xx, target_5xx, elb_5xx],
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
