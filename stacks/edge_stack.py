"""Edge stack: the custom domain's DNS record, pointing at whichever compute path is selected."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_route53 as route53

from config import AppConfig
from constructs import Construct


class EdgeStack(Stack):
    """One alias record for the API's domain, owned here and nowhere else.

    Toggling compute changes only where it points (an in-place update of the same record:
    its logical ID never changes), so the name keeps answering while DNS moves, and no
    two stacks ever own the record.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        target: route53.IAliasRecordTarget,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        domain = config.api.domain
        assert domain is not None, "the edge stack exists only with a custom domain"

        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        route53.ARecord(
            self,
            "ApiAliasRecord",
            zone=zone,
            record_name=domain.name,
            target=route53.RecordTarget.from_alias(target),
            comment=f"anigmaa {config.env} API, served by compute={config.compute}",
        )
        CfnOutput(self, "Url", value=f"https://{domain.name}", description="API custom domain URL")
        CfnOutput(self, "ServedBy", value=config.compute, description="The compute path the record points at")
