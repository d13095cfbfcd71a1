"""Network stack: VPC, subnets, NAT, S3 endpoint, flow logs, the tier security groups, the
custom domain's certificate and the secrets' KMS key. With vpc_id, an existing VPC is referenced
instead, and only what the app adds to a VPC is built in it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53 as route53

from config import APP_PORT, DB_PORT, REDIS_PORT, AppConfig
from constructs import Construct
from constructs.backend_network import BackendSecurityGroups, BackendVpc, cloudfront_prefix_list
from constructs.origin_secret import OriginSecret
from constructs.secrets_key import SecretsKey
from stacks.configured_zones import ConfiguredZonesStack
from stacks.permanent import NetworkOutputs, pin_exports

# The template's Metadata key that describes a referenced VPC (vpc_id), for tools/cost.
EXISTING_VPC_METADATA = "anigmaa:existing-vpc"


class NetworkStack(ConfiguredZonesStack):
    """The long-lived network. It never depends on a compute stack."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.network

        network = BackendVpc(
            self,
            "Network",
            cidr=settings.vpc_cidr,
            availability_zones=list(settings.availability_zones),
            nat_gateways=settings.nat_gateways,
            nat_instance_type=settings.nat_instance_type if settings.nat_provider == "instance" else None,
            ssm_endpoint=settings.ssm_endpoint,
            flow_log_retention=config.log_retention,
            existing_vpc=_existing_vpc(self, config),
        )
        enforced = config.api.edge is not None and config.api.edge.enforced
        groups = BackendSecurityGroups(
            self,
            "SecurityGroups",
            vpc=network.vpc,
            db_port=DB_PORT,
            redis_port=REDIS_PORT,
            app_port=APP_PORT,
            # Edge protection: the load balancer takes HTTPS from CloudFront's origin-facing addresses only.
            load_balancer_peer=ec2.Peer.prefix_list(cloudfront_prefix_list(self)) if enforced else None,
        )
        network.allow_outbound_from("lambda_sg", groups.lambda_sg)
        network.allow_outbound_from("ecs_sg", groups.ecs_sg)

        # One certificate for the custom domain, shared by both compute paths (API Gateway
        # and the load balancer) and kept here so toggling compute never re-validates it.
        certificate = None
        if (domain := config.api.domain) is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
            )
            certificate = acm.Certificate(
                self, "DomainCertificate", domain_name=domain.name, validation=acm.CertificateValidation.from_dns(zone)
            )

        origin_certificate, origin_secret = None, None
        if domain is not None and config.api.edge is not None:
            origin_certificate = acm.Certificate(
                self,
                "OriginCertificate",
                domain_name=domain.origin_name("lambda"),
                subject_alternative_names=[domain.origin_name("ecs")],
                validation=acm.CertificateValidation.from_dns(zone),
            )
            origin_secret = OriginSecret(
                self,
                "OriginSecret",
                secret_name=config.names.origin_secret,
                replica_region=config.edge_region if config.edge_region != config.region else None,
            ).secret

        # The SecureStrings' key lives here, in the stack deployed first: the data stack resolves
        # those parameters at deploy, so the key must exist before they are put under it.
        secrets_key = SecretsKey(
            self,
            "SecretsKey",
            alias_name=config.names.secrets_key_alias,
            description=f"anigmaa {config.env}: encrypts the backend's SSM SecureStrings under {config.ssm_prefix}",
        )

        CfnOutput(self, "FlowLogGroup", value=network.flow_log_group.log_group_name, description="VPC flow logs")
        _warn_of_a_zone_without_its_nat(self, config)

        # For the data stack only, in the same deployment: never exported for a compute stack.
        self.database_sg = groups.database_sg
        self.cache_sg = groups.cache_sg
        self.outputs = NetworkOutputs(
            vpc=network.vpc,
            lambda_sg=groups.lambda_sg,
            ecs_sg=groups.ecs_sg,
            alb_sg=groups.alb_sg,
            certificate=certificate,
            secrets_key=secrets_key.key,
            origin_certificate=origin_certificate,
            origin_secret=origin_secret,
        )
        pin_exports(self, self.outputs)


def _existing_vpc(stack: NetworkStack, config: AppConfig) -> ec2.IVpc | None:
    """The VPC vpc_id names (an adopted one), referenced by its ids: nothing is looked up at synth.

    Its private subnets are PRIVATE_WITH_EGRESS, as the app's own are, so every selection of the
    data and compute stacks finds them; each carries its route table for the S3 gateway endpoint.
    """
    settings = config.network
    if settings.existing is None:
        return None
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "ExistingVpc",
        vpc_id=settings.existing.vpc_id,
        vpc_cidr_block=settings.vpc_cidr,
        availability_zones=list(settings.availability_zones),
        public_subnet_ids=list(settings.existing.public_subnet_ids),
        private_subnet_ids=list(settings.existing.private_subnet_ids),
        private_subnet_route_table_ids=list(settings.existing.private_route_table_ids),
    )
    # The cost report reads templates, not the configuration: the existing VPC's NAT gateways are billed too.
    stack.template_options.metadata = {
        EXISTING_VPC_METADATA: {"VpcId": vpc.vpc_id, "NatGateways": settings.nat_gateways}
    }
    for subnet in vpc.public_subnets:
        Annotations.of(subnet).acknowledge_warning(
            "@aws-cdk/aws-ec2:noSubnetRouteTableId",
            "Nothing the app adds uses a public subnet's route table (the S3 endpoint is on the private ones).",
        )
    return vpc


def _warn_of_a_zone_without_its_nat(stack: NetworkStack, config: AppConfig) -> None:
    """Prod's private subnets each need their own zone's NAT: otherwise losing one zone cuts the others off."""
    zones, nats = config.network.availability_zones, config.network.nat_gateways
    if not config.is_prod or nats >= len(zones):
        return
    Annotations.of(stack).add_warning_v2(
        "anigmaa:nat-not-in-every-zone",
        f"nat_gateways: {nats} for {len(zones)} zones in env={config.env}: the private subnets of "
        f"{', '.join(zones[nats:])} reach the internet through another zone's NAT, so losing that zone stops "
        "every Lambda cold start (secrets from SSM), every Midtrans call and every ECS task start in both; "
        f"set nat_gateways to {len(zones)} (one per zone)",
    )
