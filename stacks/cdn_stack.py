"""Cdn stack (us-east-1): the API's CloudFront distribution, its certificate and its AWS WAF web ACL.

CloudFront takes its certificate from ACM in us-east-1 and a CLOUDFRONT-scope web ACL, which
exists only there; the distribution, its function and its DNS records live beside them, so
nothing crosses regions but plain strings the configuration already knows (each origin's name,
the origin secret's name, the environment's event bus). No `crossRegionReferences`: the CDK's
are experimental, made of custom resources writing SSM parameters, and block replacing what they
export.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_sns as sns

from config import AppConfig
from config.limits import WAF_BLOCK_SURGE_PER_5_MINUTES
from constructs import Construct
from constructs.edge_protection import EdgeDistribution, EdgeWebAcl, Origin, origin_secret_reference
from constructs.findings import accept
from constructs.monitoring import SILENCE_IS_IDLE
from stacks.edge_stack import record_weights

# The record set identifier of the domain's CloudFront records, beside the edge stack's lambda and ecs
# ones: turning edge protection on or off creates one before the other goes, so the name always answers.
CLOUDFRONT_SET_IDENTIFIER = "cloudfront"
# CloudFront's 5xx error rate, in percent over five minutes, that pages: the origins' own alarms say which.
EDGE_5XX_PERCENT = 5


class CdnStack(Stack):
    """CloudFront and WAF in front of the compute paths that serve the domain (edge_protection).

    The domain's weighted A record (set identifier ``cloudfront``, weight 100) points at the
    distribution. Its alarms notify the environment's topic through the environment's default
    event bus (an alarm notifies only a topic of its own region): the data stack's rule publishes
    them.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        domain, edge = config.api.domain, config.api.edge
        assert domain is not None, "the cdn stack exists only with a domain"
        assert edge is not None, "the cdn stack exists only with edge protection"
        names = config.names

        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        certificate = acm.Certificate(
            self, "Certificate", domain_name=domain.name, validation=acm.CertificateValidation.from_dns(zone)
        )
        web_acl = EdgeWebAcl(
            self,
            "Waf",
            name=names.web_acl,
            edge=edge,
            metric_prefix=names.prefix,
            log_retention=config.log_retention,
        )
        weights = record_weights(config)
        cdn = EdgeDistribution(
            self,
            "Cdn",
            domain_name=domain.name,
            certificate=certificate,
            web_acl_arn=web_acl.acl.attr_arn,
            # Both paths, the serving one first (the default): the one of compute=lambda or ecs, else Lambda.
            origins=[
                Origin(path, domain.origin_name(path))
                for path in sorted(("lambda", "ecs"), key=lambda path: (path not in weights, _lambda_first(path)))
            ],
            weights=weights,
            origin_secret=origin_secret_reference(names.origin_secret, edge.origin_secret_version),
            function_name=names.of("origin-selector"),
            comment=f"anigmaa {config.env} API (compute={config.compute})",
        )
        distribution = cloudfront.Distribution.from_distribution_attributes(
            self, "DistributionRef", domain_name=cdn.domain_name, distribution_id=cdn.distribution_id
        )
        target = route53.RecordTarget.from_alias(route53_targets.CloudFrontTarget(distribution))
        # A record only: the distribution serves IPv4 (see EdgeDistribution).
        route53.ARecord(
            self,
            "AliasRecord",
            zone=zone,
            record_name=domain.name,
            target=target,
            set_identifier=CLOUDFRONT_SET_IDENTIFIER,
            weight=100,
            comment=f"anigmaa {config.env} API through CloudFront and its web ACL",
        )

        blocked = cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions_map={"WebACL": web_acl.name, "Rule": "ALL"},
            statistic="Sum",
            period=Duration.minutes(5),
        )
        errors = cloudwatch.Metric(
            namespace="AWS/CloudFront",
            metric_name="5xxErrorRate",
            dimensions_map={"DistributionId": cdn.distribution_id, "Region": "Global"},
            statistic="Average",
            period=Duration.minutes(5),
        )
        alarms = [
            cloudwatch.Alarm(
                self,
                "BlockSurge",
                alarm_name=f"{names.prefix}-edge-blocked-surge",
                alarm_description=(
                    f"The web ACL blocked {WAF_BLOCK_SURGE_PER_5_MINUTES} or more requests in five minutes: a client "
                    "past its rate limit, or an attack. The WAF log group names the rule and the address."
                ),
                metric=blocked,
                threshold=WAF_BLOCK_SURGE_PER_5_MINUTES,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=SILENCE_IS_IDLE,
            ),
            cloudwatch.Alarm(
                self,
                "Edge5xx",
                alarm_name=f"{names.prefix}-edge-5xx",
                alarm_description=(
                    f"{EDGE_5XX_PERCENT}% or more of CloudFront's answers were 5xx for 10 minutes: an origin "
                    "fails or cannot be reached (its own alarms say which)."
                ),
                metric=errors,
                threshold=EDGE_5XX_PERCENT,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=2,
                treat_missing_data=SILENCE_IS_IDLE,
            ),
        ]
        if config.region == config.edge_region:
            # The alarm topic is in this region (the data stack's): the alarms notify it themselves.
            topic = sns.Topic.from_topic_arn(
                self, "AlarmTopic", self.format_arn(service="sns", resource=names.alarm_topic, region=config.region)
            )
            for alarm in alarms:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
                alarm.add_ok_action(cloudwatch_actions.SnsAction(topic))
        else:
            forward = events.Rule(
                self,
                "AlarmsToRegion",
                description=f"The edge's alarms, to {config.region}'s default event bus, where the alarm topic is",
                event_pattern=events.EventPattern(
                    source=["aws.cloudwatch"],
                    detail_type=["CloudWatch Alarm State Change"],
                    resources=[alarm.alarm_arn for alarm in alarms],
                ),
                targets=[
                    event_targets.EventBus(
                        events.EventBus.from_event_bus_arn(
                            self,
                            "RegionBus",
                            self.format_arn(
                                service="events", region=config.region, resource="event-bus", resource_name="default"
                            ),
                        )
                    )
                ],
            )
            accept(
                forward,
                "EventBridge retries delivery to the other region's bus for 24 hours; the alarm's state stays in "
                "CloudWatch (describe-alarms) whatever happens to its notice.",
                nag=["Serverless-EventBusDLQ"],
            )

        self.alarm_names = [alarm.alarm_name for alarm in alarms]
        self.web_acl_name = web_acl.name
        self.metric_names = web_acl.metric_names
        for name, value, description in (
            ("DistributionId", cdn.distribution_id, "CloudFront distribution id"),
            ("DistributionDomainName", cdn.domain_name, "Where the domain's records point"),
            ("WebAclArn", web_acl.acl.attr_arn, "The distribution's AWS WAF web ACL"),
            ("WafLogGroup", web_acl.log_group.log_group_name, "The requests the web ACL blocks or counts"),
            ("OriginWeights", ", ".join(f"{p} {w}" for p, w in weights.items()), "Each compute path's share"),
        ):
            CfnOutput(self, name, value=value, description=description)


def _lambda_first(path: str) -> int:
    return 0 if path == "lambda" else 1
