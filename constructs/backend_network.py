"""The VPC the backend runs in, and the security groups between its tiers."""

from __future__ import annotations

import ipaddress

from aws_cdk import Aspects, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr

from constructs import Construct
from constructs.findings import LOGS_ENCRYPTION, accept, accept_deploy_time_function, managed_policy


class BackendVpc(Construct):
    """A VPC over explicit availability zones with NAT, an S3 gateway endpoint and flow logs.

    Public subnets hold the NAT gateway(s) or NAT instance(s); private subnets with egress
    hold Lambda, RDS and Redis. Availability zones are given, not looked up, so synth stays
    offline. `allow_outbound_from` lets the compute tiers use the NAT instances and the
    optional SSM endpoint; with NAT gateways it only opens the endpoint.

    With ``existing_vpc`` (a VPC built elsewhere, referenced with ``Vpc.from_vpc_attributes``,
    its private subnets typed PRIVATE_WITH_EGRESS) nothing of the VPC is built: no subnets, no
    NAT (``nat_instance_type`` is refused). Only what the app adds to a VPC is: the S3 gateway
    endpoint on the private subnets' route tables, the SSM endpoint and the flow log.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: list[str],
        nat_gateways: int,
        nat_instance_type: str | None,
        ssm_endpoint: bool,
        flow_log_retention: logs.RetentionDays,
        existing_vpc: ec2.IVpc | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if existing_vpc is not None and nat_instance_type is not None:
            raise ValueError("BackendVpc: an existing VPC has its own NAT; pass no nat_instance_type with it")
        self.nat_instances: ec2.NatInstanceProviderV2 | None = None
        self.vpc: ec2.IVpc
        if existing_vpc is None:
            self.vpc = self._new_vpc(cidr, availability_zones, nat_gateways, nat_instance_type)
        else:
            self.vpc = existing_vpc
            # The private subnets' traffic to S3 bypasses the NAT, as in a VPC of the app's own.
            existing_vpc.add_gateway_endpoint(
                "S3",
                service=ec2.GatewayVpcEndpointAwsService.S3,
                subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)],
            )

        # SSM (the backend's secrets) over PrivateLink: reachable without the NAT, at an hourly
        # price per zone. Only groups named in allow_outbound_from may use it.
        self.ssm_endpoint: ec2.InterfaceVpcEndpoint | None = None
        if ssm_endpoint:
            self.ssm_endpoint = self.vpc.add_interface_endpoint(
                "SsmEndpoint",
                service=ec2.InterfaceVpcEndpointAwsService.SSM,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                private_dns_enabled=True,
                open=False,
            )

        # Named by CloudFormation: a kept group with a fixed name would block re-creating the stack.
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=flow_log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        accept(self.flow_log_group, LOGS_ENCRYPTION, checkov=["CKV_AWS_158"])
        _accept_default_security_group_handler(Stack.of(self))

    def _new_vpc(
        self, cidr: str, availability_zones: list[str], nat_gateways: int, nat_instance_type: str | None
    ) -> ec2.Vpc:
        """The app's own VPC: public and private subnets in each zone, NAT, and the S3 gateway endpoint."""
        prefix = ipaddress.ip_network(cidr).prefixlen
        if nat_instance_type is not None:
            # Amazon Linux 2023 with iptables masquerading. Nothing may connect in from the
            # internet, and nothing goes out but the HTTPS it forwards (added below); the
            # compute tiers are let in by allow_outbound_from. It assigns its own public address.
            self.nat_instances = ec2.NatProvider.instance_v2(
                instance_type=ec2.InstanceType(nat_instance_type),
                default_allowed_traffic=ec2.NatTrafficDirection.NONE,
                associate_public_ip_address=True,
            )

        vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=availability_zones,
            nat_gateways=nat_gateways,
            nat_gateway_provider=self.nat_instances,  # None: NAT gateways
            subnet_configuration=[
                # A /16 gives /22 public and /20 private subnets; a /20, /26 and /24. Nothing in
                # the public subnets needs an address handed out: the NAT gateway has its Elastic
                # IP, the load balancer is managed, a NAT instance asks for its own.
                ec2.SubnetConfiguration(
                    name="Public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=prefix + 6,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=prefix + 4
                ),
            ],
            # S3 traffic from the private subnets bypasses the NAT gateway (and its per-GB charge).
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        if self.nat_instances is not None:
            # The compute groups send only TCP 443 out (SSM, S3, Midtrans): that is all a NAT instance forwards.
            self.nat_instances.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS forwarded for lambda_sg and ecs_sg"
            )
            for instance in self.nat_instances.gateway_instances:
                _harden_nat_instance(instance)
                _accept_nat_instance(instance)
        return vpc

    def allow_outbound_from(self, name: str, group: ec2.ISecurityGroup) -> None:
        """Let ``group`` send HTTPS through the NAT instances and to the SSM endpoint, if there are any.

        Forwarded traffic leaves ``group`` by its own rule to 0.0.0.0/0 on 443, so the NAT
        instances only need to accept it: an ingress rule, no egress rule on ``group``.
        """
        if self.nat_instances is not None:
            self.nat_instances.security_group.add_ingress_rule(
                group, ec2.Port.tcp(443), f"{name} HTTPS out through NAT"
            )
        if self.ssm_endpoint is not None:
            self.ssm_endpoint.connections.allow_default_port_from(group, f"{name} to SSM")


def _accept_nat_instance(instance: ec2.Instance) -> None:
    """A NAT instance is a disposable router, not a server."""
    accept(
        instance,
        "CloudFormation replaces a NAT instance when Amazon Linux 2023 publishes a new AMI; termination "
        "protection would make that deployment fail half-way.",
        nag=["AwsSolutions-EC29"],
    )
    accept(
        instance,
        "Basic 5-minute metrics cover a NAT router; detailed monitoring would add its own monthly charge.",
        nag=["AwsSolutions-EC28"],
    )
    accept(instance, "A NAT instance needs a public address to reach the internet.", checkov=["CKV_AWS_88"])


def _accept_default_security_group_handler(stack: Stack) -> None:
    """The CDK's own handler that strips the default security group's rules at deploy time.

    The VPC adds it under the @aws-cdk/aws-ec2:restrictDefaultSecurityGroup feature flag
    (cdk.json sets it); without the flag there is nothing to accept.
    """
    provider = stack.node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
    if provider is None:
        return
    handler = provider.node.find_child("Handler")
    accept_deploy_time_function(handler, "The CDK's deploy-time custom resource handler", "EC2")


def _harden_nat_instance(instance: ec2.Instance) -> None:
    """IMDSv2 only, and an encrypted root volume (gp3, the AMI's size)."""
    Aspects.of(instance).add(ec2.InstanceRequireImdsv2Aspect())
    cfn = instance.node.default_child
    assert isinstance(cfn, ec2.CfnInstance)
    # The provider builds the instance itself and takes no block devices, so they are set on
    # its CloudFormation resource. No size: the volume takes the AMI's (8 GiB for AL2023).
    cfn.block_device_mappings = [
        ec2.CfnInstance.BlockDeviceMappingProperty(
            device_name="/dev/xvda",
            ebs=ec2.CfnInstance.EbsProperty(encrypted=True, volume_type="gp3", delete_on_termination=True),
        )
    ]


class BackendSecurityGroups(Construct):
    """The security groups of every tier, for both compute paths, with all their rules.

    ``lambda_sg`` (Lambda) and ``ecs_sg`` (Fargate tasks) may reach PostgreSQL and Redis
    on their ports and HTTPS anywhere (SSM, S3, Midtrans); the database and cache accept
    nothing else. ``alb_sg`` takes HTTP(S) from the internet and reaches only ``ecs_sg``
    on the application port. All of it lives here, in the long-lived network stack, so
    no compute stack ever edits a group and this stack is the same in both compute modes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        db_port: int,
        redis_port: int,
        app_port: int,
        load_balancer_peer: ec2.IPeer | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        def closed_group(construct_id: str, description: str) -> ec2.SecurityGroup:
            # No default allow-all egress: each group gets only the rules written below.
            return ec2.SecurityGroup(self, construct_id, vpc=vpc, description=description, allow_all_outbound=False)

        self.lambda_sg = closed_group("LambdaSecurityGroup", "lambda_sg: anigmaa backend functions")
        self.ecs_sg = closed_group("EcsSecurityGroup", "ecs_sg: anigmaa backend Fargate tasks")
        self.alb_sg = closed_group("LoadBalancerSecurityGroup", "anigmaa load balancer: HTTP and HTTPS from anywhere")
        self.database_sg = closed_group("DatabaseSecurityGroup", "anigmaa PostgreSQL: from lambda_sg and ecs_sg only")
        self.cache_sg = closed_group("CacheSecurityGroup", "anigmaa Redis: from lambda_sg and ecs_sg only")

        for name, compute in (("lambda_sg", self.lambda_sg), ("ecs_sg", self.ecs_sg)):
            compute.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (SSM, S3) and Midtrans")
            compute.connections.allow_to(self.database_sg, ec2.Port.tcp(db_port), f"{name} to PostgreSQL")
            compute.connections.allow_to(self.cache_sg, ec2.Port.tcp(redis_port), f"{name} to Redis")

        if load_balancer_peer is not None:
            # Behind CloudFront (edge protection): HTTPS from its origin-facing addresses, nothing else.
            self.alb_sg.add_ingress_rule(load_balancer_peer, ec2.Port.tcp(443), "HTTPS from CloudFront only")
        else:
            for port in (80, 443):
                self.alb_sg.add_ingress_rule(
                    ec2.Peer.any_ipv4(), ec2.Port.tcp(port), f"HTTP{'S' if port == 443 else ''}"
                )
        self.alb_sg.connections.allow_to(self.ecs_sg, ec2.Port.tcp(app_port), "load balancer to the backend")
        if load_balancer_peer is not None:
            return
        accept(
            self.alb_sg,
            "The internet-facing load balancer of the ECS path takes HTTP (redirected to HTTPS when a domain is "
            "set) and HTTPS from anywhere by design; no other group accepts traffic from outside the VPC.",
            nag=["AwsSolutions-EC23"],
            checkov=["CKV_AWS_260"],
        )


# The AWS-managed prefix list of CloudFront's origin-facing addresses: one name, a different id in each region.
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def cloudfront_prefix_list(scope: Construct) -> str:
    """The id of `CLOUDFRONT_ORIGIN_FACING` in the stack's region, looked up when the stack deploys.

    A synth-time lookup (``PrefixList.fromLookup``) would need AWS credentials at synth, and a table
    of ids would go stale unseen: the custom resource asks EC2 (DescribeManagedPrefixLists, a read
    without resource-level permissions) on every deploy that changes it.
    """
    lookup = cr.AwsCustomResource(
        scope,
        "CloudFrontPrefixList",
        on_update=cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [CLOUDFRONT_ORIGIN_FACING]}]},
            physical_resource_id=cr.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING),
            output_paths=["PrefixLists.0.PrefixListId"],
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
        install_latest_aws_sdk=False,
    )
    accept(
        lookup,
        "DescribeManagedPrefixLists has no resource-level permissions: the lookup's role may call it alone.",
        nag=["AwsSolutions-IAM5[Resource::*]"],
    )
    function = Stack.of(scope).node.find_child(AWS_CUSTOM_RESOURCE_FUNCTION)
    what = "The CDK's deploy-time function that looks up CloudFront's prefix list"
    accept(
        function,
        f"{what}: the AWS-managed AWSLambdaBasicExecutionRole lets it write its own logs.",
        nag=[managed_policy("AWSLambdaBasicExecutionRole")],
    )
    accept(
        function,
        f"{what}: it runs once per deployment that changes it, synchronously for CloudFormation, which "
        "reports a failure; the default memory serves one API call.",
        nag=["Serverless-LambdaDefaultMemorySize", "Serverless-LambdaDLQ", "Serverless-LambdaTracing"],
    )
    accept_deploy_time_function(function, what, "EC2")
    return lookup.get_response_field("PrefixLists.0.PrefixListId")


# The id of the one function every AwsCustomResource of a stack runs (the CDK's singleton).
AWS_CUSTOM_RESOURCE_FUNCTION = "AWS679f53fac002430cb0da5b7982bd2287"
