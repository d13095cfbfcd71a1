"""The contract between the permanent stacks and a compute stack.

The network and data stacks each hand out one frozen outputs object of CDK objects;
`PermanentResources` is the two together, which is all a compute stack may read. Each
field says what of it is exported (`pinned`): `pin_exports` exports exactly that, in
field order, whoever imports it, so a compute stack can come, change or go without
touching the permanent stacks. A field without a pin is refused, so adding a field
cannot forget its export. The order of the fields is the order of the exports in the
template: append, never reorder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns

from constructs.monitoring import Panels

Pins = Callable[[Any], list[str]]


def pinned(pins: Pins) -> Any:
    """A field whose value exports ``pins(value)`` (nothing when the value is None)."""
    return dataclasses.field(metadata={"pins": pins})


def unexported(why: str) -> Any:
    """A field that needs no export (``why``: e.g. it holds no token, or its tokens are pinned elsewhere)."""
    return dataclasses.field(metadata={"pins": None, "unexported": why})


def _itself(value: str) -> list[str]:
    return [value]


def _subnets_and_vpc(vpc: ec2.IVpc) -> list[str]:
    return [*(subnet.subnet_id for subnet in [*vpc.public_subnets, *vpc.private_subnets]), vpc.vpc_id]


def _group(group: ec2.ISecurityGroup) -> list[str]:
    return [group.security_group_id]


@dataclass(frozen=True)
class NetworkOutputs:
    """What the network stack hands to a compute stack."""

    vpc: ec2.IVpc = pinned(_subnets_and_vpc)
    lambda_sg: ec2.ISecurityGroup = pinned(_group)
    ecs_sg: ec2.ISecurityGroup = pinned(_group)
    alb_sg: ec2.ISecurityGroup = pinned(_group)
    # The custom domain's certificate, shared by API Gateway and the load balancer (None without a domain).
    certificate: acm.ICertificate | None = pinned(lambda c: [c.certificate_arn])
    # The KMS key of the SecureStrings: the compute roles may decrypt with it, through SSM only.
    secrets_key: kms.IKey = pinned(lambda k: [k.key_arn])
    # Edge protection only (else None): the certificate of the origins' own names (lambda-origin.<domain>,
    # ecs-origin.<domain>), and the secret CloudFront sends them, which the backend reads and checks.
    origin_certificate: acm.ICertificate | None = pinned(lambda c: [c.certificate_arn])
    origin_secret: secretsmanager.ISecret | None = pinned(lambda s: [s.secret_arn])


@dataclass(frozen=True)
class DataOutputs:
    """What the data stack hands to a compute stack."""

    database_host: str = pinned(_itself)
    redis_host: str = pinned(_itself)
    bucket: s3.IBucket = pinned(lambda b: [b.bucket_name, b.bucket_arn])
    # Where the load balancer writes its access logs: it needs the name only.
    access_logs_bucket: s3.IBucket = pinned(lambda b: [b.bucket_name])
    # The ids the data metrics carry: the database instance's and the cache replication group's.
    database_id: str = pinned(_itself)
    cache_id: str = pinned(_itself)
    alarm_topic: sns.ITopic = pinned(lambda t: [t.topic_arn])
    # The topic accepts alarms named with this prefix only: every stack names its alarms with it.
    alarm_prefix: str = unexported("a plain string, the same in every stack")
    # The database's and the cache's metrics, by dashboard panel; their ids are pinned above.
    data_panels: Panels = unexported("metrics whose tokens are database_id and cache_id")
    # The instance's DbiResourceId. No compute stack reads it any more (grant_connect allows rds-db:connect on
    # any of the account's instances: a promoted restore has a new one); the export stays for stacks deployed before.
    database_resource_id: str = pinned(_itself)
    # The role the backend logs in as (IAM tokens), created by the data stack at deploy time.
    database_app_user: str = unexported("a plain string, the same in every stack")


@dataclass(frozen=True)
class PermanentResources:
    """Everything a compute stack may read from the permanent stacks."""

    network: NetworkOutputs
    data: DataOutputs


def pin_exports(stack: Stack, outputs: NetworkOutputs | DataOutputs) -> None:
    """Export every pinned value of ``outputs`` from ``stack``, in field order."""
    for field in dataclasses.fields(outputs):
        if "pins" not in field.metadata:
            raise TypeError(
                f"{type(outputs).__name__}.{field.name} says nothing of its export: use pinned() or unexported()"
            )
        pins: Pins | None = field.metadata["pins"]
        value = getattr(outputs, field.name)
        if pins is None or value is None:
            continue
        for exported in pins(value):
            # A literal (a referenced VPC's ids) reaches a compute stack as itself: nothing to export.
            if Token.is_unresolved(exported):
                stack.export_value(exported)
