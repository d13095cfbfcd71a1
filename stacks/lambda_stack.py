"""Compute stack (Lambda): the Go backend behind an HTTP API, with its logs and domain."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_sns as sns

from config import LAMBDA_DB_MAX_CONNS, AppConfig
from constructs import Construct
from constructs.assets_bucket import grant_object_read_write
from constructs.backend_function import BackendFunction, dependency_layers
from constructs.go_bundling import go_bootstrap_code
from constructs.http_api import ApiCustomDomain, LambdaHttpApi
from constructs.log_retention import retention_days
from constructs.monitoring import FIVE_MINUTES, Alarms, AlarmSpec, BackendDashboard, data_metrics
from constructs.secret_parameters import SecretParameters
from stacks import LAMBDA_SOURCE_DIR
from stacks.backend_environment import backend_environment, secret_parameter_variables
from stacks.checks import LOGS_ENCRYPTION, acknowledge, skip_checkov
from stacks.data_stack import bucket_objects
from stacks.permanent import PermanentResources

RUNTIMES = {"provided.al2": lambda_.Runtime.PROVIDED_AL2, "provided.al2023": lambda_.Runtime.PROVIDED_AL2023}
ARCHITECTURES = {"x86_64": lambda_.Architecture.X86_64, "arm64": lambda_.Architecture.ARM_64}

AL2_DEPRECATION = (
    "lambda_runtime: provided.al2 was deprecated on 2026-07-31; AWS blocks creating functions on it "
    "from 2027-02-01 and updating them from 2027-03-03. The same bootstrap runs on provided.al2023: "
    "set lambda_runtime to provided.al2023 in cdk.json (or -c lambda_runtime=provided.al2023)."
)


class LambdaStack(Stack):
    """The Lambda compute path. Reads from the network and data stacks; they never read from it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        shared: PermanentResources,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        function_config = config.function
        retention = retention_days(config.log_retention_days)
        runtime = RUNTIMES[function_config.runtime]
        architecture = ARCHITECTURES[function_config.architecture]

        backend = BackendFunction(
            self,
            "Backend",
            function_name=function_config.function_name,
            code=self._code(config),
            layers=dependency_layers(
                self,
                layer_zip=function_config.layer_zip,
                layer_arns=function_config.layer_arns,
                runtime=runtime,
                architecture=architecture,
            ),
            runtime=runtime,
            architecture=architecture,
            memory_mb=function_config.memory_mb,
            timeout=Duration.seconds(function_config.timeout_seconds),
            environment={
                **backend_environment(
                    config,
                    database_host=shared.database_host,
                    redis_host=shared.redis_host,
                    bucket_name=shared.bucket.bucket_name,
                    db_max_conns=LAMBDA_DB_MAX_CONNS,
                ),
                **secret_parameter_variables(config),
            },
            vpc=shared.vpc,
            security_group=shared.lambda_sg,
            log_retention=retention,
            reserved_concurrency=function_config.reserved_concurrency,
        )
        if function_config.runtime == "provided.al2":
            Annotations.of(backend.function).add_warning_v2("anigmaa:runtime-provided-al2-deprecated", AL2_DEPRECATION)

        SecretParameters(self, "Secrets", names=config.secret_parameter_names).grant_get(backend.function)
        grant_object_read_write(shared.bucket, backend.function)

        http = LambdaHttpApi(
            self,
            "HttpApi",
            api_name=config.api.name,
            handler=backend.function,
            allowed_origins=config.api.allowed_origins,
            throttle_rate=config.api.throttle_rate,
            throttle_burst=config.api.throttle_burst,
            access_log_group_name=f"/aws/apigateway/{config.api.name}",
            log_retention=retention,
        )

        self._acknowledge(config, backend, http)
        self._monitor(
            config, backend, http, shared.alarm_topic, data_metrics(shared.database_id, shared.cache_node_ids)
        )

        self._output("ApiGatewayEndpoint", http.api.api_endpoint, "HTTP API endpoint (the seed's api_gateway_endpoint)")
        self._output("FunctionName", backend.function.function_name, "Lambda function name")
        self._output("FunctionArn", backend.function.function_arn, "Lambda function ARN")
        self._output("FunctionLogGroup", backend.log_group.log_group_name, "Lambda log group")
        self._output("ApiId", http.api.api_id, "HTTP API id")
        self._output("ApiAccessLogGroup", http.access_log_group.log_group_name, "HTTP API access log group")

        # Where the edge stack's DNS record points in this mode (None without a custom domain).
        self.alias_target: route53.IAliasRecordTarget | None = None
        domain = config.api.domain
        if domain is not None and shared.certificate is not None:
            custom = ApiCustomDomain(
                self,
                "CustomDomain",
                domain_name=domain.name,
                certificate=shared.certificate,
                api=http.api,
                stage=http.stage,
            )
            self.alias_target = targets.ApiGatewayv2DomainProperties(
                custom.domain.regional_domain_name, custom.domain.regional_hosted_zone_id
            )
            self._output("CustomDomainUrl", custom.url, "API custom domain URL")

    def _monitor(
        self,
        config: AppConfig,
        backend: BackendFunction,
        http: LambdaHttpApi,
        topic: sns.ITopic,
        data_panels: dict[str, list[cloudwatch.IMetric]],
    ) -> None:
        """Alarms on the function and the API, and the environment's dashboard for this path."""
        function = backend.function
        timeout_ms = config.function.timeout_seconds * 1000
        p99 = function.metric_duration(statistic="p99", period=FIVE_MINUTES)
        requests = http.api.metric_count(period=FIVE_MINUTES)
        server_errors = http.api.metric_server_error(period=FIVE_MINUTES)
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests >= 20, 100 * errors / requests, 0)",
            using_metrics={"requests": requests, "errors": server_errors},
            label="5XX (% of requests)",
            period=FIVE_MINUTES,
        )
        concurrency = function.metric("ConcurrentExecutions", statistic="Maximum", period=FIVE_MINUTES)
        specs = [
            AlarmSpec(
                "lambda-duration-p99",
                p99,
                timeout_ms * 0.8,
                f"Lambda p99 duration above 80% of its {config.function.timeout_seconds} s timeout",
            ),
            AlarmSpec(
                "lambda-throttles", function.metric_throttles(period=FIVE_MINUTES), 0, "Lambda throttled requests"
            ),
            AlarmSpec(
                "lambda-errors", function.metric_errors(period=FIVE_MINUTES), 5, "Over 5 Lambda errors in 5 minutes"
            ),
            AlarmSpec("api-5xx-rate", error_rate, 1, "HTTP API 5XX above 1% of requests (20 or more in 5 minutes)"),
        ]
        reserved = config.function.reserved_concurrency
        if reserved is not None:
            specs.append(
                AlarmSpec(
                    "lambda-concurrency",
                    concurrency,
                    reserved * 0.8,
                    f"Lambda concurrency above 80% of its reserved {reserved}: throttling (and the database's "
                    "connection limit) is near",
                )
            )
        alarms = Alarms(self, "Alarms", prefix=f"anigmaa-{config.env}-lambda", topic=topic, specs=specs)
        BackendDashboard(
            self,
            "Dashboard",
            dashboard_name=f"anigmaa-{config.env}-lambda",
            panels={
                "Lambda duration (ms)": [function.metric_duration(statistic="p50", period=FIVE_MINUTES), p99],
                "Lambda errors and throttles": [
                    function.metric_errors(period=FIVE_MINUTES),
                    function.metric_throttles(period=FIVE_MINUTES),
                ],
                "Lambda concurrent executions": [concurrency],
                "HTTP API requests, 4XX, 5XX": [
                    requests,
                    http.api.metric_client_error(period=FIVE_MINUTES),
                    server_errors,
                ],
                "HTTP API latency (ms)": [
                    http.api.metric_latency(statistic="p50", period=FIVE_MINUTES),
                    http.api.metric_latency(statistic="p99", period=FIVE_MINUTES),
                ],
                **data_panels,
            },
            alarms=alarms.alarms,
        )

    @staticmethod
    def _acknowledge(config: AppConfig, backend: BackendFunction, http: LambdaHttpApi) -> None:
        """cdk-nag and checkov findings accepted in this stack, each with its reason."""
        skip_checkov(
            backend.function,
            "CKV_AWS_116",
            "Invoked synchronously by API Gateway only; a dead-letter queue applies to asynchronous invocations.",
        )
        skip_checkov(
            backend.function,
            "CKV_AWS_173",
            "The environment holds no secret (only SSM parameter names); Lambda encrypts it at rest with an "
            "AWS-managed key.",
        )
        if config.function.reserved_concurrency is None:
            skip_checkov(
                backend.function,
                "CKV_AWS_115",
                f"No reserved concurrency in env={config.env} by configuration (lambda_reserved_concurrency=0); "
                "the HTTP API stage throttling bounds the load.",
            )
        for log_group in (backend.log_group, http.access_log_group):
            skip_checkov(log_group, "CKV_AWS_158", LOGS_ENCRYPTION)
        role = backend.function.role
        assert role is not None
        for policy, why in (
            ("AWSLambdaVPCAccessExecutionRole", "lets Lambda create and delete the function's network interfaces"),
            ("AWSLambdaBasicExecutionRole", "lets the function write its logs"),
        ):
            acknowledge(
                role,
                f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{policy}]",
                f"The AWS-managed {policy} {why}; AWS maintains it for exactly this use.",
            )
        default_policy = role.node.find_child("DefaultPolicy")
        acknowledge(
            default_policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.",
        )
        acknowledge(
            default_policy,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{bucket_objects(config)}]",
            "Object access within the one assets bucket: S3 object ARNs need the /* wildcard.",
        )
        acknowledge(
            http.api.node.find_child("DefaultRoute"),
            "AwsSolutions::AwsSolutions-APIG4",
            "The backend authenticates its own requests (JWT signed with JWT_SECRET); /health must stay open.",
        )
        acknowledge(
            backend.function,
            "Serverless::Serverless-LambdaDLQ",
            "Invoked synchronously by API Gateway only; a dead-letter queue applies to asynchronous invocations.",
        )

    def _output(self, name: str, value: str, description: str) -> None:
        CfnOutput(self, name, value=value, description=description)

    @staticmethod
    def _code(config: AppConfig) -> lambda_.Code:
        if config.function.code_zip is not None:
            return lambda_.Code.from_asset(str(config.function.code_zip))
        return go_bootstrap_code(LAMBDA_SOURCE_DIR, config.function.goarch)
