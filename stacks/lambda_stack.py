"""Compute stack (Lambda): the Go backend behind an HTTP API, with its logs, alarms and domain."""

from __future__ import annotations

from aws_cdk import Annotations, CfnOutput, Duration

from config import LAMBDA_DB_MAX_CONNS, AppConfig
from config.backend import LIVE_ALIAS
from config.limits import runtime_deprecation
from config.rules import lambda_capacity_rps
from constructs.assets_bucket import grant_object_read_write
from constructs.backend_function import BackendFunction, dependency_layers
from constructs.database_role import grant_connect
from constructs.findings import accept
from constructs.go_bundling import backend_code
from constructs.http_api import ApiCustomDomain, LambdaHttpApi
from constructs.monitoring import LambdaAlarms, import_topics
from constructs.release import AliasDeployment, LiveAlias, PreTrafficHook
from constructs.secret_parameters import SecretParameters
from stacks import LAMBDA_SOURCE_DIR
from stacks.backend_environment import backend_environment, origin_check_variables, secret_parameter_variables
from stacks.compute import ComputeStack, add_origin_record
from stacks.outside_in import add_probe
from stacks.permanent import DataOutputs, NetworkOutputs

BACKEND_ROLE_LOGICAL_ID = "BackendFunctionServiceRoleE32AFFE8"


class LambdaStack(ComputeStack):
    """The Lambda compute path. Reads from the network and data stacks; they never read from it."""

    def build(self, config: AppConfig, network: NetworkOutputs, data: DataOutputs) -> None:
        settings = config.function
        retention = config.log_retention
        runtime, architecture = settings.cdk_runtime, settings.cdk_architecture

        backend = BackendFunction(
            self,
            "Backend",
            function_name=settings.function_name,
            # The ID of the role the CDK made for the function before it had a role of its own: kept,
            # so the role is updated in place and the versions published before can still start.
            role_logical_id=BACKEND_ROLE_LOGICAL_ID,
            code=backend_code(LAMBDA_SOURCE_DIR, settings.goarch, settings.code_zip),
            layers=dependency_layers(
                self,
                layer_zip=settings.layer_zip,
                layer_arns=settings.layer_arns,
                runtime=runtime,
                architecture=architecture,
            ),
            runtime=runtime,
            architecture=architecture,
            memory_mb=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            environment={
                **backend_environment(
                    config,
                    database_host=data.database_host,
                    redis_host=data.redis_host,
                    bucket_name=data.bucket.bucket_name,
                    db_max_conns=LAMBDA_DB_MAX_CONNS,
                ),
                **secret_parameter_variables(config),
                **origin_check_variables(config, network),
            },
            vpc=network.vpc,
            security_group=network.lambda_sg,
            log_retention=retention,
            reserved_concurrency=settings.reserved_concurrency,
        )
        if (deprecation := runtime_deprecation(settings.runtime)) is not None:
            warning = f"anigmaa:runtime-{settings.runtime.replace('.', '-')}-deprecated"
            Annotations.of(backend.function).add_warning_v2(warning, deprecation)
            # The CDK's own validation says the same in less (no fix): one warning is enough.
            accept(
                backend.function,
                "The stack raises its own warning for this runtime, naming the one setting that moves it on.",
                nag=["CloudFormation-Validate::W2531"],
            )
        if settings.reserved_concurrency is None:
            accept(
                backend.function,
                f"No reserved concurrency in env={config.env} by configuration (lambda_reserved_concurrency=0); "
                "the HTTP API stage throttling bounds the load.",
                checkov=["CKV_AWS_115"],
            )
        else:
            _warn_of_a_rate_beyond_the_reservation(backend, config)
        secrets = SecretParameters(
            self, "Secrets", names=config.backend_secret_parameter_names, key=network.secrets_key
        )
        secrets.grant_get(backend.function)
        if origin_check_variables(config, network) and network.origin_secret is not None:
            network.origin_secret.grant_read(backend.function)
        grant_object_read_write(data.bucket, backend.function)
        grant_connect(self, backend.function, user=data.database_app_user)

        live = LiveAlias(
            self,
            "Live",
            function=backend.function,
            alias_name=LIVE_ALIAS,
            provisioned_concurrency=settings.provisioned_concurrency,
        )
        http = LambdaHttpApi(
            self,
            "HttpApi",
            api_name=config.api.name,
            handler=live.alias,
            allowed_origins=config.api.allowed_origins,
            throttle_rate=config.api.throttle_rate,
            throttle_burst=config.api.throttle_burst,
            access_log_group_name=config.names.api_access_log_group,
            log_retention=retention,
            # With a domain, the domain is the way in: the execute-api address would bypass it (and its web ACL).
            disable_execute_api_endpoint=config.api.domain is not None,
        )
        alarms = LambdaAlarms(
            self,
            "Alarms",
            prefix=data.alarm_prefix,
            topic=data.alarm_topic,
            function=backend.function,
            alias=live.alias,
            version=live.version,
            api=http.api,
            access_log_group=http.access_log_group,
            metric_namespace=f"anigmaa/{config.env}",
            timeout_seconds=settings.timeout_seconds,
            reserved_concurrency=settings.reserved_concurrency,
            also_notify=import_topics(self, config.alarms.topic_arns),
        )
        # With a domain the edge stack probes it, whichever path serves it; without, the API's own endpoint.
        if config.api.domain is None:
            add_probe(
                self,
                config=config,
                data=data,
                alarms=alarms,
                role="lambda",
                url=f"{http.api.api_endpoint}/health/ready",
            )
        self.add_dashboard("lambda", alarms, data, config)
        hook = PreTrafficHook(
            self,
            "PreTrafficHook",
            function_name=config.names.of("pre-traffic"),
            version=live.version,
            backend_timeout_seconds=settings.timeout_seconds,
            log_retention=retention,
            release_checks=settings.release_checks,
        )
        release = AliasDeployment(
            self,
            "Release",
            alias=live.alias,
            application_name=config.names.of("backend"),
            deployment_config=settings.cdk_deployment_config,
            alarms=alarms.release,
            pre_hook=hook.function,
            watch_alarms=settings.deployment_alarms,
        )

        for name, value, description in (
            ("ApiGatewayEndpoint", *_endpoint(config, http)),
            ("FunctionName", backend.function.function_name, "Lambda function name"),
            ("FunctionArn", backend.function.function_arn, "Lambda function ARN"),
            ("AliasArn", live.alias.function_arn, f"The {LIVE_ALIAS} alias the HTTP API invokes"),
            ("DeploymentApplication", release.application.application_name, "CodeDeploy application"),
            ("DeploymentGroup", release.group.deployment_group_name, "CodeDeploy deployment group"),
            ("FunctionLogGroup", backend.log_group.log_group_name, "Lambda log group"),
            ("ApiId", http.api.api_id, "HTTP API id"),
            ("ApiAccessLogGroup", http.access_log_group.log_group_name, "HTTP API access log group"),
        ):
            CfnOutput(self, name, value=value, description=description)

        if (domain := config.api.domain) is not None and network.certificate is not None:
            custom = ApiCustomDomain(
                self,
                "CustomDomain",
                domain_name=domain.name,
                certificate=network.certificate,
                http=http,
                # With edge protection on, the domain's name reaches API Gateway only around CloudFront.
                mapped=not (config.api.edge is not None and config.api.edge.enforced),
            )
            self.alias_target = custom.alias_target
            CfnOutput(self, "CustomDomainUrl", value=custom.url, description="API custom domain URL")
            if network.origin_certificate is not None:
                # The domain's own record points here while edge protection is off: its target stays exported,
                # so the edge stack deployed before (which reads it) can be updated after this one.
                self.export_value(custom.domain.regional_domain_name)
                self.export_value(custom.domain.regional_hosted_zone_id)
                # Where CloudFront reaches this path (edge protection): its own name, its own record.
                origin = ApiCustomDomain(
                    self,
                    "OriginDomain",
                    domain_name=domain.origin_name("lambda"),
                    certificate=network.origin_certificate,
                    http=http,
                )
                self.origin_target = origin.domain.regional_domain_name
                add_origin_record(self, domain, "lambda", origin.alias_target)


def _endpoint(config: AppConfig, http: LambdaHttpApi) -> tuple[str, str]:
    """The seed's api_gateway_endpoint output: the HTTP API's own address, or with a domain (which disables
    that address) the domain's."""
    if config.api.domain is None:
        return http.api.api_endpoint, "HTTP API endpoint (the seed's api_gateway_endpoint)"
    return f"https://{config.api.domain.name}", "The API's address: the domain (its execute-api address is disabled)"


def _warn_of_a_rate_beyond_the_reservation(backend: BackendFunction, config: AppConfig) -> None:
    """An explicit rate above what the reserved environments serve turns load into 500s, not 429s."""
    reserved, duration = config.function.reserved_concurrency or 0, config.function.average_duration_ms
    serves = lambda_capacity_rps(reserved, duration)
    if config.api.throttle_rate <= serves:
        return
    Annotations.of(backend.function).add_warning_v2(
        "anigmaa:throttle-beyond-reservation",
        f"api_throttle_rate: {config.api.throttle_rate}/s is more than {reserved} reserved environments serve at "
        f"lambda_average_duration_ms {duration} ({reserved} x 1000 / {duration} = {serves}/s): past it Lambda "
        "throttles and the HTTP API answers 500, not 429; set api_throttle_rate to 0 to derive it, or "
        "lambda_average_duration_ms to the function's measured average Duration",
    )
