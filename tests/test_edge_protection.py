"""Edge protection: CloudFront and an AWS WAF web ACL in front of both compute paths (edge_protection)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, load_config
from config.limits import WAF_BASE_CAPACITY
from constructs.edge_protection import rule_capacities
from tests.conftest import CDK_CONTEXT, ROOT, Synth, synthesize

DOMAIN = "api.anigmaa.example"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront's managed CachingDisabled policy
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # its managed AllViewerExceptHostHeader policy
EXTERNAL_ALB = "old-123.ap-southeast-1.elb.amazonaws.com"
MIDTRANS = ["34.87.92.33/32", "34.87.59.67/32", "13.228.166.126/32", "52.220.80.5/32", "3.1.123.95/32"]


@pytest.fixture(scope="module")
def edge(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-edge")


@pytest.fixture(scope="module")
def edge_ecs(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-edge-ecs")


@pytest.fixture(scope="module")
def edge_split(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-edge-split25")


@pytest.fixture(scope="module")
def edge_open(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-edge-open")


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    [(_, resource)] = _of_type(template, kind).items()
    return resource


def _acl(synth: Synth) -> dict[str, Any]:
    return dict(_one(synth.json("cdn"), "AWS::WAFv2::WebACL")["Properties"])


def _distribution(synth: Synth) -> dict[str, Any]:
    return dict(_one(synth.json("cdn"), "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"])


def _weights(synth: Synth) -> dict[str, int]:
    code = _one(synth.json("cdn"), "AWS::CloudFront::Function")["Properties"]["FunctionCode"]
    [line] = [line for line in code.splitlines() if line.startswith("var WEIGHTS = ")]
    return dict(json.loads(line.removeprefix("var WEIGHTS = ").removesuffix(";")))


# --------------------------------------------------------------------------- the stacks


def test_the_cdn_stack_is_in_us_east_1_and_deploys_after_the_paths_and_before_the_edge_stack(
    edge: Synth, edge_split: Synth
) -> None:
    cdn = edge.stack("cdn")
    assert (cdn.stack_name, cdn.region) == ("anigmaa-prod-cdn", "us-east-1")
    assert edge.config.deploy_regions == ("ap-southeast-1", "ap-southeast-3", "us-east-1")
    assert {s.stack_name for s in cdn.dependencies} == {"anigmaa-prod-lambda"}
    assert {s.stack_name for s in edge_split.stack("cdn").dependencies} == {"anigmaa-prod-lambda", "anigmaa-prod-ecs"}
    assert cdn in edge.stack("edge").dependencies
    # Nothing crosses regions but plain strings: no export, no import, no cross-region reference.
    assert "Fn::ImportValue" not in json.dumps(edge.json("cdn"))
    assert "Outputs" not in edge.json("cdn") or not any("Export" in o for o in edge.json("cdn")["Outputs"].values())


def test_without_a_domain_or_with_edge_protection_off_there_is_no_cdn_stack(
    prod: Synth, synth: Callable[[str], Synth]
) -> None:
    assert prod.config.api.edge is None
    assert prod.stacks.cdn is None
    assert "us-east-1" not in prod.config.deploy_regions
    domain = synth("prod-domain")
    assert domain.stacks.cdn is None
    assert not _of_type(domain.json("network"), "AWS::SecretsManager::Secret")


# --------------------------------------------------------------------------- the web ACL


def test_the_web_acl_limits_each_address_to_a_tenth_of_the_api_and_exempts_midtrans(edge: Synth) -> None:
    acl = _acl(edge)
    assert (acl["Scope"], acl["DefaultAction"]) == ("CLOUDFRONT", {"Allow": {}})
    assert [rule["Name"] for rule in acl["Rules"]] == [
        "RateLimitPerClient",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ]
    assert [rule["Priority"] for rule in acl["Rules"]] == [0, 1, 2, 3, 4]
    rate = acl["Rules"][0]
    statement = rate["Statement"]["RateBasedStatement"]
    # prod's stage serves 160 requests/s (16 reserved x 1000 / 100 ms): a tenth of it over 60 s.
    assert edge.config.api.throttle_rate == 160
    assert (statement["Limit"], statement["EvaluationWindowSec"], statement["AggregateKeyType"]) == (960, 60, "IP")
    exempt = statement["ScopeDownStatement"]["NotStatement"]["Statement"]["IPSetReferenceStatement"]["Arn"]
    [(ip_set_id, ip_set)] = _of_type(edge.json("cdn"), "AWS::WAFv2::IPSet").items()
    assert exempt == {"Fn::GetAtt": [ip_set_id, "Arn"]}
    assert ip_set["Properties"]["Addresses"] == MIDTRANS
    assert (ip_set["Properties"]["Scope"], ip_set["Properties"]["IPAddressVersion"]) == ("CLOUDFRONT", "IPV4")
    # Past the limit: 429 with the API's JSON error shape.
    custom = rate["Action"]["Block"]["CustomResponse"]
    assert (custom["ResponseCode"], custom["CustomResponseBodyKey"]) == (429, "rate-limited")
    body = acl["CustomResponseBodies"]["rate-limited"]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"])["error"] == "rate_limited"


def test_the_managed_rules_count_what_would_block_midtrans_and_the_api_s_uploads(edge: Synth) -> None:
    groups = {rule["Name"]: rule for rule in _acl(edge)["Rules"][1:]}
    for rule in groups.values():
        assert rule["OverrideAction"] == {"None": {}}
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
        assert rule["VisibilityConfig"]["SampledRequestsEnabled"] is True

    def counted(group: str) -> list[tuple[str, Any]]:
        overrides = groups[group]["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides", [])
        return [(o["Name"], o["ActionToUse"]) for o in overrides]

    assert counted("AWSManagedRulesAnonymousIpList") == [("HostingProviderIPList", {"Count": {}})]
    assert counted("AWSManagedRulesCommonRuleSet") == [("SizeRestrictions_BODY", {"Count": {}})]
    assert counted("AWSManagedRulesAmazonIpReputationList") == counted("AWSManagedRulesKnownBadInputsRuleSet") == []


def test_the_rules_fit_the_web_acl_s_included_capacity(edge: Synth, edge_open: Synth) -> None:
    assert edge.config.api.edge is not None
    assert edge_open.config.api.edge is not None
    capacities = rule_capacities(edge.config.api.edge)
    assert list(capacities) == [rule["Name"] for rule in _acl(edge)["Rules"]]
    assert capacities == {
        "RateLimitPerClient": 3,  # 2, and 1 for the exempt addresses' IP set
        "AWSManagedRulesAmazonIpReputationList": 25,
        "AWSManagedRulesAnonymousIpList": 50,
        "AWSManagedRulesCommonRuleSet": 700,
        "AWSManagedRulesKnownBadInputsRuleSet": 200,
    }
    assert sum(capacities.values()) == 978 <= WAF_BASE_CAPACITY
    # IP and JA4 as custom keys, no exempt addresses.
    assert rule_capacities(edge_open.config.api.edge)["RateLimitPerClient"] == 2 + 2 * 30
    assert sum(rule_capacities(edge_open.config.api.edge).values()) <= WAF_BASE_CAPACITY


def test_the_rate_key_window_and_limit_are_configuration(edge_open: Synth) -> None:
    statement = _acl(edge_open)["Rules"][0]["Statement"]["RateBasedStatement"]
    assert statement == {
        "Limit": 500,
        "EvaluationWindowSec": 300,
        "AggregateKeyType": "CUSTOM_KEYS",
        "CustomKeys": [{"IP": {}}, {"JA4Fingerprint": {"FallbackBehavior": "MATCH"}}],
    }
    assert not _of_type(edge_open.json("cdn"), "AWS::WAFv2::IPSet")


def test_blocked_and_counted_requests_are_logged_without_credentials(edge: Synth) -> None:
    template = edge.json("cdn")
    logging = _one(template, "AWS::WAFv2::LoggingConfiguration")["Properties"]
    [(group_id, group)] = _of_type(template, "AWS::Logs::LogGroup").items()
    assert group["Properties"]["RetentionInDays"] == 90
    assert json.dumps(group["Properties"]["LogGroupName"]).startswith('{"Fn::Join": ["-", ["aws-waf-logs-')
    assert group["DeletionPolicy"] == "Retain"
    assert logging["ResourceArn"] == {"Fn::GetAtt": [next(iter(_of_type(template, "AWS::WAFv2::WebACL"))), "Arn"]}
    assert group_id in json.dumps(logging["LogDestinationConfigs"])
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
        {"QueryString": {}},
    ]
    keep = logging["LoggingFilter"]["Filters"][0]["Conditions"]
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    assert keep == [{"ActionCondition": {"Action": "BLOCK"}}, {"ActionCondition": {"Action": "COUNT"}}]


# --------------------------------------------------------------------------- the distribution


def test_the_distribution_caches_nothing_and_forwards_every_method_and_header_but_host(edge: Synth) -> None:
    config = _distribution(edge)
    template = edge.json("cdn")
    acl_id = next(iter(_of_type(template, "AWS::WAFv2::WebACL")))
    certificate_id = next(iter(_of_type(template, "AWS::CertificateManager::Certificate")))
    assert config["Aliases"] == [DOMAIN]
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": certificate_id},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    behavior = config["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert sorted(behavior["AllowedMethods"]) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    [association] = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = _one(template, "AWS::CloudFront::Function")["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True


def test_each_origin_is_reached_at_its_own_name_with_the_secret_from_secrets_manager(edge_split: Synth) -> None:
    config = _distribution(edge_split)
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    assert {path: o["DomainName"] for path, o in origins.items()} == {
        "lambda": f"lambda-origin.{DOMAIN}",
        "ecs": f"ecs-origin.{DOMAIN}",
    }
    for origin in origins.values():
        assert origin["CustomOriginConfig"] == {
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
            "OriginReadTimeout": 30,
        }
        # A dynamic reference: CloudFormation resolves it at deploy; the template never holds the value.
        assert origin["OriginCustomHeaders"] == [
            {
                "HeaderName": "X-Origin-Verify",
                "HeaderValue": "{{resolve:secretsmanager:anigmaa-prod-origin-verify:SecretString}}",
            }
        ]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "lambda"


def test_a_pinned_origin_secret_version_changes_the_reference(
    configurations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    version = "0123abcd-0123-4567-89ab-0123456789ab"
    pinned = synthesize({**configurations["prod-edge"], "origin_secret_version": version}, tmp_path)
    for origin in _distribution(pinned)["Origins"]:
        assert origin["OriginCustomHeaders"][0]["HeaderValue"] == (
            f"{{{{resolve:secretsmanager:anigmaa-prod-origin-verify:SecretString:::{version}}}}}"
        )


@pytest.mark.parametrize(
    ("name", "weights", "origins"),
    [
        ("prod-edge", {"lambda": 100}, ["lambda", "ecs"]),
        ("prod-edge-ecs", {"ecs": 100}, ["ecs", "lambda"]),
        ("prod-edge-split25", {"lambda": 25, "ecs": 75}, ["lambda", "ecs"]),
    ],
)
def test_compute_and_lambda_weight_become_the_function_s_weights_over_both_origins(
    synth: Callable[[str], Synth], name: str, weights: dict[str, int], origins: list[str]
) -> None:
    target = synth(name)
    assert _weights(target) == weights
    assert [origin["Id"] for origin in _distribution(target)["Origins"]] == origins
    assert _distribution(target)["DefaultCacheBehavior"]["TargetOriginId"] == origins[0]


def test_the_domain_s_records_point_at_cloudfront_and_the_edge_stack_holds_none(edge: Synth) -> None:
    records = _of_type(edge.json("cdn"), "AWS::Route53::RecordSet").values()
    # IPv4 only: the rate rule counts each address, and one IPv6 host holds a /64 of them.
    assert [r["Properties"]["Type"] for r in records] == ["A"]
    assert _distribution(edge)["IPV6Enabled"] is False
    for record in records:
        properties = record["Properties"]
        assert (properties["Name"], properties["SetIdentifier"], properties["Weight"]) == (
            f"{DOMAIN}.",
            "cloudfront",
            100,
        )
        assert "AWSCloudFrontPartitionHostedZoneIdMap" in json.dumps(properties["AliasTarget"]["HostedZoneId"])
    regional = edge.json("edge")
    assert not _of_type(regional, "AWS::Route53::RecordSet")
    # It reads the Lambda stack's origin target, so that stack cannot be deleted while CloudFront uses it.
    assert "Fn::ImportValue" in json.dumps(regional["Outputs"]["LambdaOrigin"])


# --------------------------------------------------------------------------- the origins


def test_the_lambda_path_takes_requests_at_its_origin_name_only(edge: Synth, synth: Callable[[str], Synth]) -> None:
    template = edge.json("lambda")
    api = _one(template, "AWS::ApiGatewayV2::Api")["Properties"]
    assert api["DisableExecuteApiEndpoint"] is True
    domains = _of_type(template, "AWS::ApiGatewayV2::DomainName")
    assert sorted(r["Properties"]["DomainName"] for r in domains.values()) == [DOMAIN, f"lambda-origin.{DOMAIN}"]
    # Only the origin name is mapped to the API: a request for the domain's own name that goes around
    # CloudFront gets API Gateway's 403, never reaches the function, and takes nothing of the stage's throttle.
    [mapping] = _of_type(template, "AWS::ApiGatewayV2::ApiMapping").values()
    [origin_id] = [k for k, r in domains.items() if r["Properties"]["DomainName"] == f"lambda-origin.{DOMAIN}"]
    assert mapping["Properties"]["DomainName"] == {"Ref": origin_id}
    [record] = _of_type(template, "AWS::Route53::RecordSet").values()
    assert record["Properties"]["Name"] == f"lambda-origin.{DOMAIN}."
    variables = _backend_variables(template)
    assert "Fn::ImportValue" in json.dumps(variables["ORIGIN_VERIFY_SECRET"])
    reads = [
        s
        for p in _of_type(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])
    ]
    assert len(reads) == 1
    assert reads[0]["Resource"] == variables["ORIGIN_VERIFY_SECRET"]
    # Any domain disables the execute-api address; without one the API answers there.
    assert _one(synth("prod-domain").json("lambda"), "AWS::ApiGatewayV2::Api")["Properties"][
        "DisableExecuteApiEndpoint"
    ]
    assert "DisableExecuteApiEndpoint" not in _one(synth("prod").json("lambda"), "AWS::ApiGatewayV2::Api")["Properties"]


def test_open_keeps_the_origins_taking_direct_requests(edge_open: Synth) -> None:
    variables = _backend_variables(edge_open.json("lambda"))
    assert "ORIGIN_VERIFY_SECRET" not in variables
    assert len(_of_type(edge_open.json("lambda"), "AWS::ApiGatewayV2::ApiMapping")) == 2
    assert _ingress(edge_open) == [("0.0.0.0/0", 80), ("0.0.0.0/0", 443)]


def _ingress(synth: Synth) -> list[tuple[Any, int]]:
    """The load balancer group's ingress: its inline rules and the separate ones (a rule with a token peer)."""
    network = synth.json("network")
    [(group_id, group)] = [
        (k, g)
        for k, g in _of_type(network, "AWS::EC2::SecurityGroup").items()
        if g["Properties"]["GroupDescription"].startswith("anigmaa load balancer")
    ]
    rules = list(group["Properties"].get("SecurityGroupIngress", []))
    rules += [
        r["Properties"]
        for r in _of_type(network, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    return sorted(
        (rule.get("CidrIp") or json.dumps(rule.get("SourcePrefixListId")), rule["FromPort"]) for rule in rules
    )


def _backend_variables(template: dict[str, Any]) -> dict[str, Any]:
    [function] = [
        f
        for f in _of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName") == "anigmaa-backend"
    ]
    return dict(function["Properties"]["Environment"]["Variables"])


def test_the_load_balancer_takes_https_from_cloudfront_s_addresses_only(edge_ecs: Synth) -> None:
    network = edge_ecs.json("network")
    [(lookup_id, lookup)] = _of_type(network, "Custom::AWS").items()
    assert "com.amazonaws.global.cloudfront.origin-facing" in json.dumps(lookup["Properties"])
    assert _ingress(edge_ecs) == [(json.dumps({"Fn::GetAtt": [lookup_id, "PrefixLists.0.PrefixListId"]}), 443)]
    template = edge_ecs.json("ecs")
    [record] = _of_type(template, "AWS::Route53::RecordSet").values()
    assert record["Properties"]["Name"] == f"ecs-origin.{DOMAIN}."
    [listener] = [
        r
        for r in _of_type(template, "AWS::ElasticLoadBalancingV2::Listener").values()
        if r["Properties"]["Port"] == 443
    ]
    # The domain's certificate stays the default (its record may point here again, open or off); the origin
    # name's is chosen by SNI. No port 80: the group admits none, and CloudFront sends HTTPS only.
    assert "DomainCertificate" in json.dumps(listener["Properties"]["Certificates"])
    [extra] = _of_type(template, "AWS::ElasticLoadBalancingV2::ListenerCertificate").values()
    assert "OriginCertificate" in json.dumps(extra["Properties"]["Certificates"])
    ports = [r["Properties"]["Port"] for r in _of_type(template, "AWS::ElasticLoadBalancingV2::Listener").values()]
    assert ports == [443]
    container = _one(template, "AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"][0]
    assert any(v["Name"] == "ORIGIN_VERIFY_SECRET" for v in container["Environment"])


def test_the_origin_secret_is_generated_and_replicated_to_the_edge_region(edge: Synth) -> None:
    secret = _one(edge.json("network"), "AWS::SecretsManager::Secret")
    properties = secret["Properties"]
    assert properties["Name"] == "anigmaa-prod-origin-verify"
    assert "SecretString" not in properties
    assert properties["GenerateSecretString"] == {
        "ExcludePunctuation": True,
        "IncludeSpace": False,
        "PasswordLength": 48,
    }
    assert properties["ReplicaRegions"] == [{"Region": "us-east-1"}]
    assert secret["DeletionPolicy"] == "Delete"
    certificate = _of_type(edge.json("network"), "AWS::CertificateManager::Certificate")
    names = {
        r["Properties"]["DomainName"]: r["Properties"].get("SubjectAlternativeNames") for r in certificate.values()
    }
    assert names == {DOMAIN: None, f"lambda-origin.{DOMAIN}": [f"ecs-origin.{DOMAIN}"]}


# --------------------------------------------------------------------------- alarms


def test_the_edge_s_alarms_reach_the_environment_s_topic_through_its_event_bus(edge: Synth) -> None:
    cdn = edge.json("cdn")
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in _of_type(cdn, "AWS::CloudWatch::Alarm").values()}
    assert sorted(alarms) == ["anigmaa-prod-edge-5xx", "anigmaa-prod-edge-blocked-surge"]
    blocked = alarms["anigmaa-prod-edge-blocked-surge"]
    assert (blocked["Namespace"], blocked["MetricName"], blocked["Threshold"]) == ("AWS/WAFV2", "BlockedRequests", 100)
    assert {d["Name"]: d["Value"] for d in blocked["Dimensions"]} == {"WebACL": "anigmaa-prod-api", "Rule": "ALL"}
    [rule] = _of_type(cdn, "AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    assert ":ap-southeast-1:" in json.dumps(target["Arn"])
    assert "event-bus/default" in json.dumps(target["Arn"])
    [notices] = [
        r
        for r in _of_type(edge.json("data"), "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("region") == ["us-east-1"]
    ]
    pattern = notices["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["CloudWatch Alarm State Change"]
    assert ":alarm:anigmaa-prod-" in json.dumps(pattern["resources"])


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"edge_protection": "yes"}, "edge_protection: 'yes' is not known; accepted: off | open | on"),
        ({"waf_rate_limit": "5"}, "waf_rate_limit: 5 is below AWS WAF's minimum; accepted: 0 (derived), or 10.."),
        ({"waf_rate_window_seconds": "90"}, "waf_rate_window_seconds: 90 is not a window AWS WAF offers"),
        ({"waf_rate_key": "jwt"}, "waf_rate_key: 'jwt' is not known; accepted: ip | ip-and-ja4"),
        ({"waf_rate_exempt_cidrs": "10.0.0.0/8"}, "waf_rate_exempt_cidrs: '10.0.0.0/8' is not a public address range"),
        ({"waf_rate_exempt_cidrs": "34.87.92.33/24"}, "is not a network address (host bits set, or out of range)"),
        ({"waf_rate_exempt_cidrs": "0.0.0.0/0"}, "is wider than a /24 (it would exempt much of the internet)"),
        ({"waf_rate_exempt_cidrs": "34.0.0.0/8"}, "is wider than a /24"),
        ({"origin_secret_version": "v2"}, "origin_secret_version: 'v2' is malformed"),
        (
            {"external_alb": json.dumps({"dns_name": EXTERNAL_ALB, "hosted_zone_id": "Z1LMS91P8CMLE5"})},
            "edge_protection: 'on' is given with external_alb",
        ),
    ],
)
def test_a_bad_edge_setting_is_one_line(overrides: dict[str, Any], message: str) -> None:
    context = {
        **CDK_CONTEXT,
        "env": "prod",
        "compute": "lambda",
        "domain_name": DOMAIN,
        "hosted_zone_id": "Z0EXAMPLE0ZONE0ID0000",
        "hosted_zone_name": "anigmaa.example",
        **{k: json.loads(v) if k == "external_alb" else v for k, v in overrides.items()},
    }
    with pytest.raises(ConfigError) as raised:
        load_config(context, ROOT)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_each_compute_dashboard_charts_the_web_acl_from_us_east_1(edge_split: Synth) -> None:
    for path in ("lambda", "ecs"):
        [dashboard] = _of_type(edge_split.json(path), "AWS::CloudWatch::Dashboard").values()
        body = json.dumps(dashboard["Properties"]["DashboardBody"])
        assert "Edge: the web ACL anigmaa-prod-api (us-east-1)" in body
        for metric in ("AllowedRequests", "BlockedRequests", "CountedRequests", "anigmaa-prod-rate-limit"):
            assert metric in body, metric
        assert '\\"region\\":\\"us-east-1\\"' in body
