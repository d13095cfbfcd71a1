"""Legacy compute stack (ECS/Fargate behind an ALB): the rollback path, `-c compute=ecs`."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm

from config import APP_PORT, ECS_DB_MAX_CONNS, AppConfig
from constructs import Construct
from constructs.assets_bucket import ALB_LOG_PREFIX, grant_object_read_write
from constructs.fargate_service import FargateBackendService
from constructs.log_retention import retention_days
from constructs.monitoring import FIVE_MINUTES, Alarms, AlarmSpec, BackendDashboard, data_metrics
from stacks import LAMBDA_SOURCE_DIR
from stacks.backend_environment import backend_environment
from stacks.checks import LOGS_ENCRYPTION, acknowledge, skip_checkov
from stacks.data_stack import bucket_objects
from stacks.permanent import PermanentResources

ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)(?::([\w.-]+)|@(sha256:[0-9a-f]{64}))"
)


class EcsStack(Stack):
    """The Go backend as a Fargate service. Reads from the network and data stacks only."""

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
        settings = config.ecs

        backend = FargateBackendService(
            self,
            "Backend",
            vpc=shared.vpc,
            task_security_group_id=shared.ecs_sg.security_group_id,
            load_balancer_security_group_id=shared.alb_sg.security_group_id,
            cluster_name=settings.cluster_name,
            service_name=settings.service_name,
            image=self._image(config),
            container_port=APP_PORT,
            # The same variables as the Lambda, plus AWS_REGION, which ECS does not set.
            environment={
                **backend_environment(
                    config,
                    database_host=shared.database_host,
                    redis_host=shared.redis_host,
                    bucket_name=shared.bucket.bucket_name,
                    db_max_conns=ECS_DB_MAX_CONNS,
                ),
                "AWS_REGION": Aws.REGION,
            },
            secrets=self._secrets(config),
            cpu=settings.cpu,
            memory_mib=settings.memory_mib,
            desired_count=settings.desired_count,
            log_group_name=f"/ecs/{settings.service_name}",
            log_retention=retention_days(config.log_retention_days),
            execution_role_name=f"anigmaa-{config.env}-ecs-execution",
            task_role_name=f"anigmaa-{config.env}-ecs-task",
            certificate=shared.certificate,
            access_logs_bucket_name=shared.access_logs_bucket.bucket_name,
            access_logs_prefix=ALB_LOG_PREFIX,
        )
        grant_object_read_write(shared.bucket, backend.task_role)
        self._acknowledge(config, backend)
        self._monitor(config, backend, shared.alarm_topic, data_metrics(shared.database_id, shared.cache_node_ids))

        self.alias_target: route53.IAliasRecordTarget | None = None
        scheme = "http"
        if shared.certificate is not None and config.api.domain is not None:
            self.alias_target = targets.LoadBalancerTarget(backend.load_balancer)
            scheme = "https"
        host = config.api.domain.name if config.api.domain is not None else backend.load_balancer.load_balancer_dns_name

        for name, value, description in (
            ("LoadBalancerDnsName", backend.load_balancer.load_balancer_dns_name, "ALB DNS name"),
            ("ServiceName", backend.service.service_name, "ECS service name"),
            ("ClusterName", backend.cluster.cluster_name, "ECS cluster name"),
            ("ServiceLogGroup", backend.log_group.log_group_name, "ECS log group"),
            ("Url", f"{scheme}://{host}", "URL of the backend in ECS mode"),
        ):
            CfnOutput(self, name, value=value, description=description)

    def _monitor(
        self,
        config: AppConfig,
        backend: FargateBackendService,
        topic: sns.ITopic,
        data_panels: dict[str, list[cloudwatch.IMetric]],
    ) -> None:
        """Alarms on the load balancer and the service, and the environment's dashboard for this path."""
        alb = backend.load_balancer.metrics
        target_5xx = alb.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES)
        response_p99 = alb.target_response_time(statistic="p99", period=FIVE_MINUTES)
        unhealthy = backend.target_group.metrics.unhealthy_host_count(period=FIVE_MINUTES, statistic="Maximum")
        healthy = backend.target_group.metrics.healthy_host_count(period=FIVE_MINUTES, statistic="Minimum")
        elb_5xx = alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES)
        cpu = backend.service.metric_cpu_utilization(period=FIVE_MINUTES)
        memory = backend.service.metric_memory_utilization(period=FIVE_MINUTES)
        alarms = Alarms(
            self,
            "Alarms",
            prefix=f"anigmaa-{config.env}-ecs",
            topic=topic,
            specs=[
                AlarmSpec("alb-target-5xx", target_5xx, 5, "Over 5 backend 5XX responses in 5 minutes"),
                AlarmSpec("alb-response-p99", response_p99, 2, "p99 backend response time above 2 s"),
                AlarmSpec("alb-unhealthy-targets", unhealthy, 0, "A task fails the /health check"),
                AlarmSpec(
                    "alb-no-healthy-targets",
                    healthy,
                    1,
                    "No healthy task behind the load balancer: the service is down",
                    comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                ),
                AlarmSpec("alb-elb-5xx", elb_5xx, 5, "The load balancer itself answered 5XX (no healthy target, …)"),
                AlarmSpec("service-cpu", cpu, 80, "Service CPU above 80% for 15 minutes", 3),
                AlarmSpec("service-memory", memory, 80, "Service memory above 80% for 15 minutes", 3),
            ],
        )
        BackendDashboard(
            self,
            "Dashboard",
            dashboard_name=f"anigmaa-{config.env}-ecs",
            panels={
                "ALB requests, backend 5XX, ALB 5XX": [alb.request_count(period=FIVE_MINUTES), target_5xx, elb_5xx],
                "ALB target response time (s)": [
                    alb.target_response_time(statistic="p50", period=FIVE_MINUTES),
                    response_p99,
                ],
                "Service CPU and memory (%)": [cpu, memory],
                "Healthy and unhealthy targets": [healthy, unhealthy],
                **data_panels,
            },
            alarms=alarms.alarms,
        )

    @staticmethod
    def _acknowledge(config: AppConfig, backend: FargateBackendService) -> None:
        """cdk-nag and checkov findings accepted in this stack, each with its reason."""
        skip_checkov(backend.log_group, "CKV_AWS_158", LOGS_ENCRYPTION)
        if backend.http_listener is not None:
            no_domain = (
                "Without a custom domain there is no certificate for the load balancer, so it serves plain HTTP; "
                "set domain_name to get HTTPS with HTTP redirected."
            )
            skip_checkov(backend.http_listener, "CKV_AWS_2", no_domain)
            skip_checkov(backend.http_listener, "CKV_AWS_103", no_domain)
        acknowledge(
            backend.execution_role.node.find_child("DefaultPolicy"),
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken does not support resource-level permissions; image pulls themselves are "
            "limited to the one repository.",
        )
        acknowledge(
            backend.task_role.node.find_child("DefaultPolicy"),
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{bucket_objects(config)}]",
            "Object access within the one assets bucket: S3 object ARNs need the /* wildcard.",
        )
        acknowledge(
            backend.task_definition,
            "AwsSolutions::AwsSolutions-ECS2",
            "Only plain settings (hosts, ports, flags) are environment variables; the four secrets come from SSM "
            "through the container's secrets, resolved by ECS at task start.",
        )

    def _secrets(self, config: AppConfig) -> dict[str, ecs.Secret]:
        """The four SecureStrings, injected by ECS at task start (valueFrom the parameter ARN)."""
        return {
            name: ecs.Secret.from_ssm_parameter(
                ssm.StringParameter.from_secure_string_parameter_attributes(
                    self, f"{name.title().replace('_', '')}Parameter", parameter_name=parameter_name
                )
            )
            for name, parameter_name in config.secret_parameter_names.items()
        }

    def _image(self, config: AppConfig) -> ecs.ContainerImage:
        uri = config.ecs.image_uri
        if uri is None:
            # Built from lambda_src/Dockerfile by `cdk deploy` (where Docker runs), not at synth.
            return ecs.ContainerImage.from_asset(str(LAMBDA_SOURCE_DIR), platform=ecr_assets.Platform.LINUX_AMD64)
        match = ECR_IMAGE.fullmatch(uri)
        if match is None:
            return ecs.ContainerImage.from_registry(uri)
        account, region, repository, tag, digest = match.groups()
        # An ECR image: the execution role is granted pull on exactly that repository.
        repo = ecr.Repository.from_repository_attributes(
            self,
            "ImageRepository",
            repository_arn=f"arn:{Aws.PARTITION}:ecr:{region}:{account}:repository/{repository}",
            repository_name=repository,
        )
        return ecs.ContainerImage.from_ecr_repository(repo, tag or digest)
