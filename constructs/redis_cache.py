"""ElastiCache Redis for the backend."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache

from constructs import Construct
from constructs.findings import accept


class RedisCache(Construct):
    """A Redis replication group with TLS, encryption at rest and an AUTH token.

    A replication group (not a single cache cluster) because only it takes an AUTH
    token, and AUTH needs in-transit encryption. With two or more nodes it fails over
    automatically across availability zones.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        node_type: str,
        engine_version: str,
        nodes: int,
        snapshot_retention_days: int,
        snapshot_window: str,
        maintenance_window: str,
        auth_token: SecretValue,
        port: int,
        description: str,
        replication_group_id: str | None = None,
        extra_security_group_ids: Sequence[str] = (),
        kms_key_id: str | None = None,
    ) -> None:
        """``replication_group_id`` and ``extra_security_group_ids`` hold an adopted group as it is: its live
        name, and groups kept beside ``security_group``. ``kms_key_id``: a customer-managed key for the data at
        rest instead of ElastiCache's own (changing it replaces the group)."""
        super().__init__(scope, construct_id)

        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.subnet_group = elasticache.CfnSubnetGroup(
            self, "SubnetGroup", description=description, subnet_ids=subnets.subnet_ids
        )
        failover = nodes > 1
        self.replication_group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_description=description,
            engine="redis",
            engine_version=engine_version,
            cache_node_type=node_type,
            num_cache_clusters=nodes,
            automatic_failover_enabled=failover,
            multi_az_enabled=failover,
            port=port,
            cache_subnet_group_name=self.subnet_group.ref,
            security_group_ids=[security_group.security_group_id, *extra_security_group_ids],
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            kms_key_id=kms_key_id,
            # A {{resolve:ssm-secure:…}} reference: the token itself never enters the template.
            auth_token=auth_token.unsafe_unwrap(),
            snapshot_retention_limit=snapshot_retention_days,
            snapshot_window=snapshot_window if snapshot_retention_days else None,
            preferred_maintenance_window=maintenance_window,
            auto_minor_version_upgrade=True,
            replication_group_id=replication_group_id,
        )
        # L1 resources default to Delete; keep a final snapshot on delete and on replacement.
        self.replication_group.apply_removal_policy(RemovalPolicy.SNAPSHOT)
        accept(
            self.replication_group,
            f"REDIS_PORT={port} is part of the backend's configuration; it is private, reachable only from "
            "lambda_sg and ecs_sg, and accepts TLS only, with AUTH.",
            nag=["AwsSolutions-AEC5"],
        )

    @property
    def primary_endpoint_address(self) -> str:
        """The host name clients connect to (the primary's endpoint)."""
        return self.replication_group.attr_primary_end_point_address
