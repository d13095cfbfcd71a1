"""What the permanent stacks hand to a compute stack: everything a compute stack may read."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns


@dataclass(frozen=True)
class PermanentResources:
    """The network and data stacks' resources a compute stack uses.

    Every value here is exported (pinned) by its stack whoever imports it, so a compute
    stack can come, change or go without touching the permanent stacks.
    """

    vpc: ec2.IVpc
    lambda_sg: ec2.ISecurityGroup
    ecs_sg: ec2.ISecurityGroup
    alb_sg: ec2.ISecurityGroup
    certificate: acm.ICertificate | None
    database_host: str
    database_id: str
    redis_host: str
    cache_node_ids: tuple[str, ...]
    bucket: s3.IBucket
    access_logs_bucket: s3.IBucket
    alarm_topic: sns.ITopic
