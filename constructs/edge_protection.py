"""CloudFront in front of the compute paths, behind an AWS WAF web ACL: what the edge stack (us-east-1) builds.

HTTP APIs cannot be associated with AWS WAF and throttle all callers together, so the domain
points at a CloudFront distribution whose CLOUDFRONT-scope web ACL limits each client and runs
AWS's managed rules. The distribution caches nothing and forwards every method and every viewer
header but Host (API Gateway answers 403 to a Host it has no custom domain for): each origin is
reached at its own name (``lambda-origin.<domain>``, ``ecs-origin.<domain>``), with the origin
secret in ``X-Origin-Verify``, which the backend checks (lambda_src/origin.go). A viewer-request
CloudFront Function picks the origin of each request by the weights the app writes into its code
(edge_src/origin_selector.js), so compute=split shares requests, not DNS answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2

from config.limits import (
    HTTP_API_MAX_TIMEOUT_SECONDS,
    WAF_CUSTOM_KEY_CAPACITY,
    WAF_IP_SET_CAPACITY,
    WAF_MANAGED_RULE_GROUP_CAPACITY,
    WAF_RATE_RULE_CAPACITY,
)
from config.model import EdgeConfig
from constructs import Construct
from constructs.findings import accept, service_log_group
from constructs.origin_selector import origin_selector_code

# The header CloudFront adds to every request it sends an origin; the backend answers 403 without it.
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
# The rate rule's answer: 429 with a JSON body, as the API's own errors are.
RATE_LIMITED_BODY = "rate-limited"
RATE_LIMITED_JSON = '{"error":"rate_limited","message":"too many requests from this client; retry in a minute"}'

# The managed rule groups, in the order the web ACL runs them (after the rate rule), each with the rules
# it only counts: a counted rule is logged and labelled, never blocks.
#  - HostingProviderIPList: Midtrans notifies from cloud providers' ranges, and so do some of the app's users'
#    VPNs; blocking every cloud address would block payments.
#  - SizeRestrictions_BODY blocks bodies over 8 KB: the API takes larger ones (uploads, which the bucket
#    stores through the backend, up to Lambda's 6 MB request limit). The origins bound the size themselves.
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    ("AWSManagedRulesAnonymousIpList", ("HostingProviderIPList",)),
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)
RATE_RULE = "RateLimitPerClient"


def rate_rule_metric(metric_prefix: str) -> str:
    """The CloudWatch metric name (WAF's Rule dimension) of the rate rule."""
    return f"{metric_prefix}-rate-limit"


def rule_capacities(edge: EdgeConfig) -> dict[str, int]:
    """Each rule's web ACL capacity units (WCU), in the web ACL's order (config/limits.py says where from)."""
    rate = WAF_RATE_RULE_CAPACITY
    if edge.rate_key != "ip":
        rate += WAF_CUSTOM_KEY_CAPACITY * len(_custom_keys(edge.rate_key))
    if edge.rate_exempt_cidrs:
        rate += WAF_IP_SET_CAPACITY
    return {RATE_RULE: rate, **{name: WAF_MANAGED_RULE_GROUP_CAPACITY[name] for name, _ in MANAGED_RULE_GROUPS}}


def _custom_keys(rate_key: str) -> list[dict[str, Any]]:
    """The rate rule's aggregation keys for ``rate_key`` other than the plain IP (config.keys.WAF_RATE_KEYS)."""
    if rate_key == "ip-and-ja4":
        # A request without a fingerprint (none is computed for it) is counted by its address alone.
        return [{"ip": {}}, {"ja4Fingerprint": {"fallbackBehavior": "MATCH"}}]
    return []


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class EdgeWebAcl(Construct):
    """The CLOUDFRONT-scope web ACL: a per-client rate limit, then AWS's managed rules; its blocks logged.

    The rate rule counts each client (``edge.rate_key``) over ``edge.rate_window_seconds`` and answers
    429 past ``edge.rate_limit``; the addresses of ``edge.rate_exempt_cidrs`` (Midtrans's notifications)
    are never counted by it, but still meet the managed rules. WAF logs the requests it blocks or counts
    (not the ones it allows, which the origins' access logs hold) to ``aws-waf-logs-<prefix>-…``, with
    the Authorization and Cookie headers and the query string redacted. Metric names start with ``metric_prefix``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        edge: EdgeConfig,
        metric_prefix: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.metric_names: dict[str, str] = {
            RATE_RULE: rate_rule_metric(metric_prefix),
            **{group: f"{metric_prefix}-{group}" for group, _ in MANAGED_RULE_GROUPS},
        }
        rate: dict[str, Any] = {
            "limit": edge.rate_limit,
            "evaluationWindowSec": edge.rate_window_seconds,
            "aggregateKeyType": "IP" if edge.rate_key == "ip" else "CUSTOM_KEYS",
        }
        if edge.rate_key != "ip":
            rate["customKeys"] = _custom_keys(edge.rate_key)
        if edge.rate_exempt_cidrs:
            exempt = wafv2.CfnIPSet(
                self,
                "RateExempt",
                name=f"{name}-rate-exempt",
                scope="CLOUDFRONT",
                ip_address_version="IPV4",
                addresses=list(edge.rate_exempt_cidrs),
                description="Addresses the per-client rate limit never counts: Midtrans notifications",
            )
            rate["scopeDownStatement"] = {
                "notStatement": {"statement": {"ipSetReferenceStatement": {"arn": exempt.attr_arn}}}
            }
        rules: list[Any] = [
            {
                "name": RATE_RULE,
                "priority": 0,
                "action": {
                    "block": {"customResponse": {"responseCode": 429, "customResponseBodyKey": RATE_LIMITED_BODY}}
                },
                "statement": {"rateBasedStatement": rate},
                "visibilityConfig": _visibility(self.metric_names[RATE_RULE]),
            }
        ]
        for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS, start=1):
            managed: dict[str, Any] = {"vendorName": "AWS", "name": group}
            if counted:
                managed["ruleActionOverrides"] = [{"name": rule, "actionToUse": {"count": {}}} for rule in counted]
            rules.append(
                {
                    "name": group,
                    "priority": priority,
                    "overrideAction": {"none": {}},
                    "statement": {"managedRuleGroupStatement": managed},
                    "visibilityConfig": _visibility(self.metric_names[group]),
                }
            )
        self.acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="CLOUDFRONT",
            description="anigmaa API: a per-client rate limit, then AWS managed rules",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                RATE_LIMITED_BODY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=RATE_LIMITED_JSON
                )
            },
            rules=rules,
            visibility_config=_visibility(f"{metric_prefix}-web-acl"),
        )
        self.name = name
        self.log_group = service_log_group(self, "LogGroup", name=f"aws-waf-logs-{name}", retention=log_retention)
        wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.acl.attr_arn,
            # WAF takes the group's ARN without the CloudWatch Logs ":*" suffix.
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                {"singleHeader": {"Name": "authorization"}},
                {"singleHeader": {"Name": "cookie"}},
                # The frame never logs a query string either: it may carry a token.
                {"queryString": {}},
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [
                            {"ActionCondition": {"Action": "BLOCK"}},
                            {"ActionCondition": {"Action": "COUNT"}},
                        ],
                    }
                ],
            },
        )


@dataclass(frozen=True)
class Origin:
    """A compute path as CloudFront reaches it: its origin id (the path) and its host name."""

    path: str
    domain_name: str


class EdgeDistribution(Construct):
    """The API's CloudFront distribution: no caching, every method, every viewer header but Host.

    ``origins`` are both paths, the one that serves first (the default); ``weights`` (path →
    percent) go into the viewer-request function that picks each request's origin. Both origins
    are always declared: a switch of compute publishes the function and updates the distribution,
    which reach the edge locations apart, and an edge running either function against either
    configuration still finds the origin it names (one never selected is never contacted).

    Each origin is reached over HTTPS (TLS 1.2) at its own name, with ``origin_secret`` (a Secrets
    Manager dynamic reference, resolved by CloudFormation at deploy) in `ORIGIN_VERIFY_HEADER`, and
    waits up to the HTTP API's 30 s for an answer.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        certificate: acm.ICertificate,
        web_acl_arn: str,
        origins: Sequence[Origin],
        weights: Mapping[str, int],
        origin_secret: str,
        function_name: str,
        comment: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.selector = cloudfront.Function(
            self,
            "OriginSelector",
            function_name=function_name,
            comment="Picks each request's compute path by the weights of compute and lambda_weight",
            code=cloudfront.FunctionCode.from_inline(origin_selector_code(weights)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            auto_publish=True,
        )
        self.distribution = cloudfront.CfnDistribution(
            self,
            "Distribution",
            distribution_config=cloudfront.CfnDistribution.DistributionConfigProperty(
                enabled=True,
                comment=comment,
                aliases=[domain_name],
                http_version="http2and3",
                # IPv4 only: the rate rule counts each address, and one IPv6 host holds a /64 of them.
                ipv6_enabled=False,
                # North America, Europe, Asia (Indonesia and Singapore among them), the Middle East and Africa.
                price_class="PriceClass_200",
                web_acl_id=web_acl_arn,
                viewer_certificate=cloudfront.CfnDistribution.ViewerCertificateProperty(
                    acm_certificate_arn=certificate.certificate_arn,
                    ssl_support_method="sni-only",
                    minimum_protocol_version="TLSv1.2_2021",
                ),
                origins=[
                    cloudfront.CfnDistribution.OriginProperty(
                        id=origin.path,
                        domain_name=origin.domain_name,
                        custom_origin_config=cloudfront.CfnDistribution.CustomOriginConfigProperty(
                            origin_protocol_policy="https-only",
                            origin_ssl_protocols=["TLSv1.2"],
                            https_port=443,
                            origin_read_timeout=HTTP_API_MAX_TIMEOUT_SECONDS,
                        ),
                        origin_custom_headers=[
                            cloudfront.CfnDistribution.OriginCustomHeaderProperty(
                                header_name=ORIGIN_VERIFY_HEADER, header_value=origin_secret
                            )
                        ],
                    )
                    for origin in origins
                ],
                default_cache_behavior=cloudfront.CfnDistribution.DefaultCacheBehaviorProperty(
                    target_origin_id=origins[0].path,
                    viewer_protocol_policy="https-only",
                    allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                    cached_methods=["GET", "HEAD"],
                    compress=True,
                    cache_policy_id=cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id,
                    origin_request_policy_id=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
                    ),
                    function_associations=[
                        cloudfront.CfnDistribution.FunctionAssociationProperty(
                            event_type="viewer-request", function_arn=self.selector.function_arn
                        )
                    ],
                ),
            ),
        )
        accept(
            self.distribution,
            "The web ACL logs every request it blocks or counts, and each origin logs every request it serves "
            "(the HTTP API's access log, the load balancer's); standard logs would log them a third time.",
            nag=["AwsSolutions-CFR3"],
            checkov=["CKV_AWS_86"],
        )
        accept(
            self.distribution,
            "An API for mobile and web clients everywhere: no country is refused.",
            nag=["AwsSolutions-CFR1"],
            checkov=["CKV_AWS_374"],
        )
        self.domain_name = self.distribution.attr_domain_name
        self.distribution_id = self.distribution.ref


def origin_secret_reference(secret_name: str, version_id: str | None) -> str:
    """The CloudFormation dynamic reference to the origin secret's value (a pinned version, or the current one).

    CloudFormation resolves it at deploy into the distribution's origin header and keeps it out of
    the template; it resolves again only when the reference itself changes, so rotating the secret
    takes a new ``origin_secret_version`` (tools.ops.origin_secret).
    """
    # secret-id:SecretString:json-key:version-stage:version-id, the json key and stage empty.
    version = f":::{version_id}" if version_id else ""
    return "{{resolve:secretsmanager:" + f"{secret_name}:SecretString{version}" + "}}"
