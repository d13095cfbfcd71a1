"""What both compute stacks share: they read the permanent stacks only, chart one dashboard, and
tell the edge stack where the domain's record should point."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_route53 as route53

from config import AppConfig
from config.model import DomainConfig, ExternalLoadBalancer
from constructs import Construct
from constructs.edge_protection import rate_rule_metric
from constructs.monitoring import Alarms, BackendDashboard, Panels, probe_panel, web_acl_panel
from stacks.configured_zones import ConfiguredZonesStack
from stacks.permanent import DataOutputs, NetworkOutputs, PermanentResources


class ComputeStack(ConfiguredZonesStack):
    """A compute path (Lambda or ECS). It reads from the network and data stacks; they never read from it.

    Each path says what it builds in `build`, from the configuration and the permanent stacks' outputs.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, shared: PermanentResources, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Where the edge stack's DNS record points in this mode (None without a custom domain).
        self.alias_target: route53.IAliasRecordTarget | None = None
        # With edge protection: the name the origin record resolves to (an export the edge stack imports, so
        # this stack cannot be deleted while CloudFront may still send it requests).
        self.origin_target: str | None = None
        self.build(config, shared.network, shared.data)

    def build(self, config: AppConfig, network: NetworkOutputs, data: DataOutputs) -> None:
        raise NotImplementedError

    def add_dashboard(self, path: str, alarms: Alarms, data: DataOutputs, config: AppConfig) -> BackendDashboard:
        """``anigmaa-<env>-<path>``: this path's panels and alarms, then the database's and the cache's panels.

        Without a domain the path's own probe is among its alarms' panels. With one, the edge stack's
        probe watches the domain, and so this path: its panel comes before the database's, read by
        the canary's name (the edge stack's, ``anigmaa-<env>-edge``), which adds no reference between
        the stacks.
        """
        edge_probe: Panels = {}
        if config.api.domain is not None and config.alarms.probe_interval_minutes:
            edge_probe = probe_panel(config.stack_name("edge"), Duration.minutes(config.alarms.probe_interval_minutes))
        if config.api.edge is not None and config.edge_region is not None:
            names = config.names
            edge_probe |= web_acl_panel(names.web_acl, rate_rule_metric(names.prefix), config.edge_region)
        return BackendDashboard(
            self,
            "Dashboard",
            dashboard_name=f"{data.alarm_prefix}-{path}",
            alarms=alarms,
            more_panels={**edge_probe, **data.data_panels},
        )


def add_origin_record(stack: Stack, domain: DomainConfig, path: str, target: route53.IAliasRecordTarget) -> None:
    """``<path>-origin.<domain>``, where CloudFront reaches ``path``: owned by the path's own stack, so it
    exists before the distribution sends the path a request and stays until the stack is deleted."""
    zone = route53.HostedZone.from_hosted_zone_attributes(
        stack, "OriginZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
    )
    route53.ARecord(
        stack,
        "OriginRecord",
        zone=zone,
        record_name=domain.origin_name(path),
        target=route53.RecordTarget.from_alias(target),
        comment=f"anigmaa: where CloudFront reaches the {path} path",
    )


@jsii.implements(route53.IAliasRecordTarget)
class ExternalLoadBalancerTarget:
    """Where the domain's ecs record points when a load balancer outside the app serves that path (external_alb).

    Like the app's own load balancer target, it evaluates target health: Route 53 stops answering
    with it while it has no healthy target and the other path can answer.
    """

    def __init__(self, load_balancer: ExternalLoadBalancer) -> None:
        self.load_balancer = load_balancer

    def bind(
        self, record: route53.IRecordSet, zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return route53.AliasRecordTargetConfig(
            dns_name=self.load_balancer.dns_name,
            hosted_zone_id=self.load_balancer.hosted_zone_id,
            evaluate_target_health=True,
        )
