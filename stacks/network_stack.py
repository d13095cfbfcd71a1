"""Network stack: VPC, subnets, NAT, S3 endpoint, flow logs, the tier security groups and
the custom domain's certificate."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53 as route53

from config import APP_PORT, DB_PORT, REDIS_PORT, AppConfig
from constructs import Construct
from constructs.backend_network import BackendSecurityGroups, BackendVpc
from constructs.log_retention import retention_days
from stacks.checks import LOGS_ENCRYPTION, acknowledge, skip_checkov


class NetworkStack(Stack):
    """The long-lived network. It never depends on a compute stack."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)

        network = BackendVpc(
            self,
            "Network",
            cidr=config.network.vpc_cidr,
            availability_zones=list(config.network.availability_zones),
            nat_gateways=config.network.nat_gateways,
            nat_instance_type=(config.network.nat_instance_type if config.network.nat_provider == "instance" else None),
            ssm_endpoint=config.network.ssm_endpoint,
            flow_log_retention=retention_days(config.log_retention_days),
        )
        groups = BackendSecurityGroups(
            self, "SecurityGroups", vpc=network.vpc, db_port=DB_PORT, redis_port=REDIS_PORT, app_port=APP_PORT
        )
        network.allow_outbound_from("lambda_sg", groups.lambda_sg)
        network.allow_outbound_from("ecs_sg", groups.ecs_sg)

        self.vpc: ec2.IVpc = network.vpc
        self.lambda_sg: ec2.ISecurityGroup = groups.lambda_sg
        self.ecs_sg: ec2.ISecurityGroup = groups.ecs_sg
        self.alb_sg: ec2.ISecurityGroup = groups.alb_sg
        self.database_sg: ec2.ISecurityGroup = groups.database_sg
        self.cache_sg: ec2.ISecurityGroup = groups.cache_sg

        # One certificate for the custom domain, shared by both compute paths (API Gateway
        # and the load balancer) and kept here so toggling compute never re-validates it.
        self.certificate: acm.ICertificate | None = None
        domain = config.api.domain
        if domain is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
            )
            self.certificate = acm.Certificate(
                self, "DomainCertificate", domain_name=domain.name, validation=acm.CertificateValidation.from_dns(zone)
            )

        self._acknowledge(groups, network)

        CfnOutput(self, "FlowLogGroup", value=network.flow_log_group.log_group_name, description="VPC flow logs")

        # The exports a compute stack may import are declared here, whoever uses them, so
        # this template is the same whichever compute stack the app holds.
        for subnet in [*self.vpc.public_subnets, *self.vpc.private_subnets]:
            self.export_value(subnet.subnet_id)
        self.export_value(self.vpc.vpc_id)
        for group in (self.lambda_sg, self.ecs_sg, self.alb_sg):
            self.export_value(group.security_group_id)
        if self.certificate is not None:
            self.export_value(self.certificate.certificate_arn)

    @staticmethod
    def _acknowledge_nat_instances(provider: ec2.NatInstanceProviderV2) -> None:
        """The NAT instances (nat_provider: instance) are disposable routers, not servers."""
        replaced = (
            "CloudFormation replaces a NAT instance when Amazon Linux 2023 publishes a new AMI; termination "
            "protection would make that deployment fail half-way."
        )
        for instance in provider.gateway_instances:
            acknowledge(instance, "AwsSolutions::AwsSolutions-EC29", replaced)
            acknowledge(
                instance,
                "AwsSolutions::AwsSolutions-EC28",
                "Basic 5-minute metrics cover a NAT router; detailed monitoring would add its own monthly charge.",
            )
            skip_checkov(instance, "CKV_AWS_88", "A NAT instance needs a public address to reach the internet.")

    def _acknowledge(self, groups: BackendSecurityGroups, network: BackendVpc) -> None:
        """cdk-nag and checkov findings accepted in this stack, each with its reason."""
        public = (
            "The internet-facing load balancer of the ECS path takes HTTP (redirected to HTTPS when a domain is "
            "set) and HTTPS from anywhere by design; no other group accepts traffic from outside the VPC."
        )
        acknowledge(groups.alb_sg, "AwsSolutions::AwsSolutions-EC23", public)
        skip_checkov(groups.alb_sg, "CKV_AWS_260", public)
        skip_checkov(network.flow_log_group, "CKV_AWS_158", LOGS_ENCRYPTION)
        if network.nat_instances is not None:
            self._acknowledge_nat_instances(network.nat_instances)
        # The CDK's own handler that strips the default security group's rules at deploy time.
        provider = self.node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        assert provider is not None
        handler = provider.node.find_child("Handler")
        for check, reason in (
            ("CKV_AWS_115", "Runs once per deployment; there is no load to cap."),
            ("CKV_AWS_116", "Invoked synchronously by CloudFormation, which reports any failure."),
            ("CKV_AWS_117", "Calls only the EC2 API at deploy time; it needs no VPC access."),
        ):
            skip_checkov(handler, check, f"The CDK's deploy-time custom resource handler. {reason}")
