"""Legacy compute stack (ECS/Fargate behind an ALB): the rollback path, `-c compute=ecs`."""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Aws, CfnOutput
from aws_cdk import aws_route53_targets as targets

from config import APP_PORT, ECS_DB_MAX_CONNS, ECS_DEPLOY_MAX_PERCENT, AppConfig
from constructs.assets_bucket import ALB_LOG_PREFIX, grant_object_read_write
from constructs.database_role import grant_connect
from constructs.fargate_service import FargateBackendService, backend_image
from constructs.monitoring import ServiceAlarms, import_topics
from constructs.secret_parameters import ecs_secrets
from stacks import LAMBDA_SOURCE_DIR
from stacks.backend_environment import backend_environment, origin_check_variables
from stacks.compute import ComputeStack, add_origin_record
from stacks.outside_in import add_probe
from stacks.permanent import DataOutputs, NetworkOutputs


class EcsStack(ComputeStack):
    """The Go backend as a Fargate service. Reads from the network and data stacks only."""

    def build(self, config: AppConfig, network: NetworkOutputs, data: DataOutputs) -> None:
        settings = config.ecs

        backend = FargateBackendService(
            self,
            "Backend",
            vpc=network.vpc,
            security_group=network.ecs_sg,
            cluster_name=settings.cluster_name,
            service_name=settings.service_name,
            image=backend_image(self, image_uri=settings.image_uri, source_dir=LAMBDA_SOURCE_DIR),
            container_port=APP_PORT,
            # The same variables as the Lambda, plus AWS_REGION, which ECS does not set.
            environment={
                **backend_environment(
                    config,
                    database_host=data.database_host,
                    redis_host=data.redis_host,
                    bucket_name=data.bucket.bucket_name,
                    db_max_conns=ECS_DB_MAX_CONNS,
                ),
                "AWS_REGION": Aws.REGION,
                **origin_check_variables(config, network),
            },
            secrets=ecs_secrets(self, config.backend_secret_parameter_names),
            cpu=settings.cpu,
            memory_mib=settings.memory_mib,
            desired_count=settings.desired_count,
            # The connection budget counts the deploy's extra tasks from the same number.
            deploy_max_percent=ECS_DEPLOY_MAX_PERCENT,
            log_group_name=config.names.service_log_group,
            log_retention=config.log_retention,
            execution_role_name=config.names.of("ecs-execution"),
            task_role_name=config.names.of("ecs-task"),
            secrets_key=network.secrets_key,
        )
        ingress = backend.add_load_balancer(
            security_group=network.alb_sg,
            certificate=network.certificate,
            # Edge protection: CloudFront reaches it at its origin name, with that name's certificate.
            origin_certificate=network.origin_certificate,
            access_logs=data.access_logs_bucket,
            access_logs_prefix=ALB_LOG_PREFIX,
        )
        grant_object_read_write(data.bucket, backend.task_role)
        if origin_check_variables(config, network) and network.origin_secret is not None:
            network.origin_secret.grant_read(backend.task_role)
        grant_connect(self, backend.task_role, user=data.database_app_user)
        alarms = ServiceAlarms(
            self,
            "Alarms",
            prefix=data.alarm_prefix,
            topic=data.alarm_topic,
            ingress=ingress,
            service=backend.service,
            also_notify=import_topics(self, config.alarms.topic_arns),
        )
        dns_name = ingress.load_balancer.load_balancer_dns_name
        # With a domain the edge stack probes it, whichever path serves it; without, the load balancer's address.
        if config.api.domain is None:
            add_probe(self, config=config, data=data, alarms=alarms, role="ecs", url=f"http://{dns_name}/health/ready")
        self.add_dashboard("ecs", alarms, data, config)

        if ingress.http_listener is not None and settings.allow_plain_http:
            Annotations.of(self).add_warning_v2(
                "anigmaa:ecs-plain-http",
                f"ecs_allow_plain_http=true in env={config.env}: the load balancer serves plain HTTP, so JWTs and "
                "payment calls cross the internet unencrypted; set domain_name for HTTPS",
            )
        scheme = "http"
        if network.certificate is not None and config.api.domain is not None:
            self.alias_target = targets.LoadBalancerTarget(ingress.load_balancer, EvaluateTargetHealth())
            scheme = "https"
            if network.origin_certificate is not None:
                # As the Lambda stack's: the target of the domain's own record stays exported (edge protection off).
                self.export_value(dns_name)
                self.export_value(ingress.load_balancer.load_balancer_canonical_hosted_zone_id)
                self.origin_target = dns_name
                add_origin_record(self, config.api.domain, "ecs", self.alias_target)
        host = config.api.domain.name if config.api.domain is not None else dns_name
        for name, value, description in (
            ("LoadBalancerDnsName", dns_name, "ALB DNS name"),
            ("ServiceName", backend.service.service_name, "ECS service name"),
            ("ClusterName", backend.cluster.cluster_name, "ECS cluster name"),
            ("ServiceLogGroup", backend.log_group.log_group_name, "ECS log group"),
            ("Url", f"{scheme}://{host}", "URL of the backend in ECS mode"),
        ):
            CfnOutput(self, name, value=value, description=description)


@jsii.implements(targets.IAliasRecordTargetProps)
class EvaluateTargetHealth:
    """The load balancer's record inherits its health: Route 53 stops answering with it while no task is healthy."""

    @property
    def evaluate_target_health(self) -> bool:
        return True

    @property
    def hosted_zone_id(self) -> str | None:
        return None  # the load balancer's own
