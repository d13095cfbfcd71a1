"""The backend as a Fargate service behind an internet-facing Application Load Balancer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.findings import accept, service_log_group
from constructs.secret_parameters import grant_decrypt_through_ssm

ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)(?::([\w.-]+)|@(sha256:[0-9a-f]{64}))"
)


def backend_image(scope: Construct, *, image_uri: str | None, source_dir: Path) -> ecs.ContainerImage:
    """The container image: ``image_uri`` if given, else built from ``source_dir``'s Dockerfile.

    The Dockerfile is built by `cdk deploy` (where Docker runs), not at synth. An ECR image
    gets a repository reference in ``scope``, so the execution role may pull from exactly it.
    """
    if image_uri is None:
        return ecs.ContainerImage.from_asset(str(source_dir), platform=ecr_assets.Platform.LINUX_AMD64)
    match = ECR_IMAGE.fullmatch(image_uri)
    if match is None:
        return ecs.ContainerImage.from_registry(image_uri)
    account, region, repository, tag, digest = match.groups()
    repo = ecr.Repository.from_repository_attributes(
        scope,
        "ImageRepository",
        repository_arn=f"arn:{Aws.PARTITION}:ecr:{region}:{account}:repository/{repository}",
        repository_name=repository,
    )
    return ecs.ContainerImage.from_ecr_repository(repo, tag or digest)


@dataclass(frozen=True)
class PublicLoadBalancer:
    """The internet-facing load balancer in front of the service, and what it routes to."""

    load_balancer: elbv2.ApplicationLoadBalancer
    target_group: elbv2.ApplicationTargetGroup
    # The plain-HTTP listener that serves traffic, when there is no certificate (else None).
    http_listener: elbv2.ApplicationListener | None


class FargateBackendService(Construct):
    """An ECS cluster with Container Insights and a Fargate service in private subnets.

    `add_load_balancer` puts an ALB in front of it. The security groups are used as they
    are (imported immutable), so nothing here adds a rule to them: the network stack owns
    every rule. A deployment that never gets healthy is rolled back by the circuit breaker.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        cluster_name: str,
        service_name: str,
        image: ecs.ContainerImage,
        container_port: int,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret],
        cpu: int,
        memory_mib: int,
        desired_count: int,
        deploy_max_percent: int,
        log_group_name: str,
        log_retention: logs.RetentionDays,
        execution_role_name: str,
        task_role_name: str,
        secrets_key: kms.IKey | None = None,
    ) -> None:
        """``secrets_key``: the KMS key ``secrets``' SecureStrings are encrypted under (None: ``aws/ssm``)."""
        super().__init__(scope, construct_id)
        self.vpc = vpc
        self.container_port = container_port

        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            cluster_name=cluster_name,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.log_group = service_log_group(self, "LogGroup", name=log_group_name, retention=log_retention)
        # Named roles: their ARNs stay the same each time this stack is created again.
        ecs_tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com")

        def role(role_id: str, name: str, description: str) -> iam.Role:
            return iam.Role(self, role_id, role_name=name, assumed_by=ecs_tasks, description=description)

        self.execution_role = role(
            "ExecutionRole", execution_role_name, "Pulls the image, writes logs and reads the secrets at task start"
        )
        self.task_role = role("TaskRole", task_role_name, "What the backend itself may call (S3)")

        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_mib,
            execution_role=self.execution_role,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.container = self.task_definition.add_container(
            "Backend",
            image=image,
            port_mappings=[ecs.PortMapping(container_port=container_port)],
            environment=dict(environment),
            secrets=dict(secrets),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="backend", log_group=self.log_group),
            readonly_root_filesystem=True,
            stop_timeout=Duration.seconds(30),
        )
        if secrets_key is not None:
            # ECS reads the secrets at task start with the execution role; ECS grants it the parameters only.
            grant_decrypt_through_ssm(self.execution_role, secrets_key, [secret.arn for secret in secrets.values()])

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            service_name=service_name,
            task_definition=self.task_definition,
            desired_count=desired_count,
            security_groups=[self._immutable("TaskSecurityGroup", security_group)],
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=deploy_max_percent,
            health_check_grace_period=Duration.seconds(60),
        )
        accept(
            self.execution_role,
            "ecr:GetAuthorizationToken does not support resource-level permissions; image pulls themselves are "
            "limited to the one repository.",
            nag=["AwsSolutions-IAM5[Resource::*]"],
        )
        accept(
            self.task_definition,
            "Only plain settings (hosts, ports, flags) are environment variables; the four secrets come from SSM "
            "through the container's secrets, resolved by ECS at task start.",
            nag=["AwsSolutions-ECS2"],
        )

    def _immutable(self, construct_id: str, group: ec2.ISecurityGroup) -> ec2.ISecurityGroup:
        return ec2.SecurityGroup.from_security_group_id(self, construct_id, group.security_group_id, mutable=False)

    def add_load_balancer(
        self,
        *,
        security_group: ec2.ISecurityGroup,
        certificate: acm.ICertificate | None,
        access_logs: s3.IBucket,
        access_logs_prefix: str,
        origin_certificate: acm.ICertificate | None = None,
    ) -> PublicLoadBalancer:
        """An internet-facing ALB in the public subnets that checks ``/health`` on every task.

        With a certificate it serves HTTPS and redirects HTTP; without one it serves plain HTTP.
        ``origin_certificate`` (edge protection): the origin name's certificate beside the domain's, chosen by
        SNI, so the load balancer answers both CloudFront (at ``ecs-origin.<domain>``) and, while the
        domain's own record still points here, its viewers; and no port 80 (CloudFront sends HTTPS only).
        """
        load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=self.vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self._immutable("LoadBalancerSecurityGroup", security_group),
            drop_invalid_header_fields=True,
        )
        # Set as attributes rather than log_access_logs(), which would add a statement to the
        # bucket's policy in the data stack; that bucket already lets log delivery write there.
        for key, value in (
            ("access_logs.s3.enabled", "true"),
            ("access_logs.s3.bucket", access_logs.bucket_name),
            ("access_logs.s3.prefix", access_logs_prefix),
        ):
            load_balancer.set_attribute(key, value)
        target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=self.vpc,
            port=self.container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path="/health",
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )

        if certificate is not None:
            load_balancer.add_listener(
                "HttpsListener",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[
                    elbv2.ListenerCertificate.from_certificate_manager(c)
                    for c in (certificate, origin_certificate)
                    if c is not None
                ],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                default_target_groups=[target_group],
                open=False,
            )
            if origin_certificate is None:
                load_balancer.add_redirect(source_port=80, target_port=443, open=False)
            return PublicLoadBalancer(load_balancer, target_group, http_listener=None)
        http_listener = load_balancer.add_listener(
            "HttpListener",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            default_target_groups=[target_group],
            open=False,
        )
        no_domain = (
            "Without a custom domain there is no certificate for the load balancer, so it serves plain HTTP; "
            "set domain_name to get HTTPS with HTTP redirected."
        )
        accept(http_listener, no_domain, checkov=["CKV_AWS_2", "CKV_AWS_103"])
        return PublicLoadBalancer(load_balancer, target_group, http_listener)
