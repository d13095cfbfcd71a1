"""The backend as a Fargate service behind an internet-facing Application Load Balancer."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from constructs import Construct


class FargateBackendService(Construct):
    """An ECS cluster with Container Insights, a Fargate service in private subnets and an ALB.

    The security groups are passed in and used as they are (imported immutable), so this
    construct adds no rule to them: the network stack owns every rule. With a certificate
    the load balancer serves HTTPS and redirects HTTP; without one it serves plain HTTP.
    The target group checks ``/health``; a deployment that never gets healthy is rolled
    back by the circuit breaker.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        task_security_group_id: str,
        load_balancer_security_group_id: str,
        cluster_name: str,
        service_name: str,
        image: ecs.ContainerImage,
        container_port: int,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret],
        cpu: int,
        memory_mib: int,
        desired_count: int,
        log_group_name: str,
        log_retention: logs.RetentionDays,
        execution_role_name: str,
        task_role_name: str,
        certificate: acm.ICertificate | None,
        access_logs_bucket_name: str,
        access_logs_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)

        def imported_group(construct_id: str, group_id: str) -> ec2.ISecurityGroup:
            return ec2.SecurityGroup.from_security_group_id(self, construct_id, group_id, mutable=False)

        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            cluster_name=cluster_name,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name,
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Named roles: their ARNs stay the same each time this stack is created again.
        ecs_tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        self.execution_role = iam.Role(
            self, "ExecutionRole", role_name=execution_role_name, assumed_by=ecs_tasks,
            description="Pulls the image, writes logs and reads the secrets at task start",
        )  # fmt: skip
        self.task_role = iam.Role(
            self, "TaskRole", role_name=task_role_name, assumed_by=ecs_tasks,
            description="What the backend itself may call (S3)",
        )  # fmt: skip

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

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            service_name=service_name,
            task_definition=self.task_definition,
            desired_count=desired_count,
            security_groups=[imported_group("TaskSecurityGroup", task_security_group_id)],
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=Duration.seconds(60),
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=imported_group("LoadBalancerSecurityGroup", load_balancer_security_group_id),
            drop_invalid_header_fields=True,
        )
        # Set as attributes rather than log_access_logs(), which would add a statement to the
        # bucket's policy in the data stack; that bucket already lets log delivery write there.
        for key, value in (
            ("access_logs.s3.enabled", "true"),
            ("access_logs.s3.bucket", access_logs_bucket_name),
            ("access_logs.s3.prefix", access_logs_prefix),
        ):
            self.load_balancer.set_attribute(key, value)
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            port=container_port,
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

        # The plain-HTTP listener that serves traffic, when there is no certificate (else None).
        self.http_listener: elbv2.ApplicationListener | None = None
        if certificate is not None:
            self.load_balancer.add_listener(
                "HttpsListener",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                default_target_groups=[self.target_group],
                open=False,
            )
            self.load_balancer.add_redirect(source_port=80, target_port=443, open=False)
        else:
            self.http_listener = self.load_balancer.add_listener(
                "HttpListener",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                default_target_groups=[self.target_group],
                open=False,
            )
