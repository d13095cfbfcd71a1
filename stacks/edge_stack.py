"""Edge stack: the custom domain's DNS records, pointing at the compute path (or both, by weight)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_route53 as route53

from config import AppConfig
from constructs import Construct
from constructs.monitoring import Alarms, import_topics
from stacks.configured_zones import ConfiguredZonesStack
from stacks.outside_in import add_probe
from stacks.permanent import DataOutputs

# Each path's record: its logical ID and Route 53 set identifier never change, in any mode. The
# Lambda record keeps the ID the domain's one record always had, so that record is updated in place.
RECORDS = {"lambda": "ApiAliasRecord", "ecs": "EcsAliasRecord"}


class EdgeStack(ConfiguredZonesStack):
    """The domain's weighted alias records, one per compute path that serves it, owned here and nowhere else.

    Every mode uses the same weighted records (set identifiers ``lambda`` and ``ecs``): one at
    weight 100 with compute=lambda or compute=ecs, both with compute=split (``lambda_weight``
    and the rest). So each step between modes creates, re-weights or removes a record in place,
    never swaps a simple record for a weighted one (Route 53 refuses the two side by side), and
    the name always answers: CloudFormation creates and updates before it deletes. Each compute
    stack's target evaluates its health (``EvaluateTargetHealth``), so Route 53 stops answering
    with a path whose load balancer has no healthy task while the other path can answer.

    With edge protection (``edge_protection`` open or on) CloudFront serves the domain: the cdn
    stack owns its records, and this stack holds none; it reads each serving path's origin target
    instead, so CloudFormation refuses to delete a compute stack CloudFront may still send requests to.

    The outside-in probe of the domain lives here too (``probe_interval_minutes`` above 0): this
    stack exists exactly when there is a domain, and outlives every switch of compute. Its alarm
    notifies the data stack's topic (``data``) like every other alarm.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        targets: Mapping[str, route53.IAliasRecordTarget],
        data: DataOutputs,
        origin_targets: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        domain = config.api.domain
        assert domain is not None, "the edge stack exists only with a custom domain"
        weights = record_weights(config)
        assert set(targets) == set(weights), f"targets for {sorted(targets)}, weights for {sorted(weights)}"

        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        if config.api.edge is not None:
            # CloudFront serves the domain (the cdn stack's records); the weights are its function's. Each
            # origin's target is read here, so a compute stack CloudFront may still send requests to cannot
            # be deleted ("Export ... is in use").
            for path, target in (origin_targets or {}).items():
                CfnOutput(
                    self,
                    f"{path.capitalize()}Origin",
                    value=target,
                    description=f"Where CloudFront reaches the {path} path ({domain.origin_name(path)})",
                )
            weights = {}
        for path, weight in weights.items():
            route53.ARecord(
                self,
                RECORDS[path],
                zone=zone,
                record_name=domain.name,
                target=route53.RecordTarget.from_alias(targets[path]),
                set_identifier=path,
                weight=weight,
                comment=f"anigmaa {config.env} API on {path}: weight {weight} of 100 (compute={config.compute})",
            )
        CfnOutput(self, "Url", value=f"https://{domain.name}", description="API custom domain URL")
        CfnOutput(self, "ServedBy", value=config.compute, description="The compute path the records point at")
        if config.api.edge is not None:
            CfnOutput(
                self,
                "ServedThrough",
                value=f"cloudfront ({config.stack_name('cdn')}, {config.edge_region})",
                description="The domain's records are the cdn stack's: CloudFront picks each request's path",
            )
        if config.lambda_weight is not None:
            CfnOutput(
                self,
                "LambdaWeight",
                value=str(config.lambda_weight),
                description=(
                    "compute=split: the percent of requests CloudFront's function sends Lambda"
                    if config.api.edge is not None
                    else "compute=split: the percent of DNS answers that point at Lambda"
                ),
            )
        if config.alarms.probe_interval_minutes:
            alarms = Alarms(
                self,
                "Alarms",
                prefix=data.alarm_prefix,
                topic=data.alarm_topic,
                also_notify=import_topics(self, config.alarms.topic_arns),
            )
            add_probe(
                self, config=config, data=data, alarms=alarms, role="edge", url=f"https://{domain.name}/health/ready"
            )


def record_weights(config: AppConfig) -> dict[str, int]:
    """Each serving path's Route 53 weight, out of 100."""
    if config.lambda_weight is None:
        return {config.compute: 100}
    return {"lambda": config.lambda_weight, "ecs": 100 - config.lambda_weight}
