"""An API Gateway HTTP API (v2) in front of one Lambda function, and its custom domain."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53

from constructs import Construct
from constructs.findings import accept, service_log_group

# One JSON object per request; $context.requestId is required by API Gateway.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "userAgent": "$context.identity.userAgent",
    },
    separators=(",", ":"),
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """Access-log settings for a stage (an interface in the CDK, so it needs a class here)."""

    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class LambdaHttpApi(Construct):
    """An HTTP API whose every route goes to ``handler`` (payload format 2.0).

    The ``$default`` stage is created explicitly so that it carries throttling and
    JSON access logs. CORS is answered by API Gateway itself: when it is configured,
    API Gateway ignores CORS headers from the function (which answers CORS itself only
    where no gateway does, in server mode behind the load balancer).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        handler: lambda_.IFunction,
        allowed_origins: Sequence[str],
        throttle_rate: int,
        throttle_burst: int,
        access_log_group_name: str,
        log_retention: logs.RetentionDays,
        disable_execute_api_endpoint: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)

        cors = None
        if allowed_origins:
            cors = apigwv2.CorsPreflightOptions(
                allow_origins=list(allowed_origins),
                allow_methods=[apigwv2.CorsHttpMethod.ANY],
                allow_headers=["Authorization", "Content-Type", "X-Requested-With"],
                max_age=Duration.hours(1),
            )
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=api_name,
            description="anigmaa backend",
            cors_preflight=cors,
            create_default_stage=False,
            disable_execute_api_endpoint=disable_execute_api_endpoint or None,
            default_integration=integrations.HttpLambdaIntegration(
                "BackendIntegration",
                handler,
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            ),
        )
        # The integration invokes the handler only once API Gateway may: when the handler changes (the
        # function's ARN to its alias's), the new permission is in place before the integration moves.
        route = self.api.node.find_child("DefaultRoute")
        integration = route.node.find_child("BackendIntegration")
        permissions = [child for child in route.node.children if isinstance(child, lambda_.CfnPermission)]
        assert permissions, "the CDK's Lambda integration no longer adds its permission under the route"
        for permission in permissions:
            integration.node.add_dependency(permission)
        self.access_log_group = service_log_group(
            self, "AccessLogGroup", name=access_log_group_name, retention=log_retention
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_log_group),
                apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
            ),
        )
        accept(
            self.api,
            "The backend authenticates its own requests (JWT signed with JWT_SECRET); /health must stay open.",
            nag=["AwsSolutions-APIG4"],
        )


class ApiCustomDomain(Construct):
    """A regional custom domain for the stage of an HTTP API (`LambdaHttpApi`).

    The certificate must be in the API's region. The mapping waits for the stage,
    avoiding CloudFormation's "Invalid stage identifier specified". The DNS record that
    points the name here is not made here: the edge stack owns it, so it can point at
    either compute path.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        certificate: acm.ICertificate,
        http: LambdaHttpApi,
        mapped: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)

        self.domain = apigwv2.DomainName(
            self,
            "DomainName",
            domain_name=domain_name,
            certificate=certificate,
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        # Unmapped (edge protection on: the domain's name is CloudFront's), API Gateway answers a request for
        # this name 403 itself, so none reaches the function or counts against the stage's throttle.
        if mapped:
            mapping = apigwv2.ApiMapping(self, "ApiMapping", api=http.api, domain_name=self.domain, stage=http.stage)
            mapping.node.add_dependency(http.stage)
        self.url = f"https://{domain_name}"
        # Where the edge stack's record points; it inherits the regional endpoint's health.
        self.alias_target = _RegionalDomainTarget(self.domain)


@jsii.implements(route53.IAliasRecordTarget)
class _RegionalDomainTarget:
    """An alias to the domain's regional endpoint that evaluates its health (the CDK's
    ``ApiGatewayv2DomainProperties`` target leaves ``EvaluateTargetHealth`` off)."""

    def __init__(self, domain: apigwv2.DomainName) -> None:
        self._domain = domain

    def bind(
        self, record: route53.IRecordSet, zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return route53.AliasRecordTargetConfig(
            dns_name=self._domain.regional_domain_name,
            hosted_zone_id=self._domain.regional_hosted_zone_id,
            evaluate_target_health=True,
        )
