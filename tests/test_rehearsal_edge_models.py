"""The rehearsal's emulator for the edge protection stack (us-east-1) and the network stack's secret: Secrets
Manager secrets with replicas, `{{resolve:secretsmanager:…}}` references, WAFv2 IP sets, web ACLs and logging,
CloudFront functions and distributions (tools/rehearsal/edge_models.py), and the network stack's lookup of
CloudFront's prefix list (`Custom::AWS`, tools/rehearsal/aws_custom_resource.py) feeding the load balancer group's
ingress, deployed with boto3's create_stack and update_stack and checked through the services' own APIs."""

from __future__ import annotations

import copy
import json
import string
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.rehearsal.server import ACCOUNT, REGION, Emulator, client

pytestmark = [pytest.mark.filterwarnings("ignore:Tried to parse")]

EDGE = "us-east-1"
# CloudFront's own hosted zone, which every alias to a distribution names (AWS General Reference).
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


def tag() -> str:
    return uuid.uuid4().hex[:8]


def create(server: Emulator, stack: str, template: dict[str, Any], region: str) -> dict[str, str]:
    """The stack made from ``template``; its outputs."""
    client(server.url, "cloudformation", region=region).create_stack(
        StackName=stack, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )
    return outputs(server, stack, region)


def update(server: Emulator, stack: str, template: dict[str, Any], region: str) -> dict[str, str]:
    client(server.url, "cloudformation", region=region).update_stack(
        StackName=stack, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )
    return outputs(server, stack, region)


def outputs(server: Emulator, stack: str, region: str) -> dict[str, str]:
    [described] = client(server.url, "cloudformation", region=region).describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def visibility(metric: str) -> dict[str, Any]:
    return {"CloudWatchMetricsEnabled": True, "MetricName": metric, "SampledRequestsEnabled": True}


# --------------------------------------------------------------------------- the network stack's secret


def secret_template(**properties: Any) -> dict[str, Any]:
    """The origin-verify secret as the CDK synthesizes it (`Secret` with `generateSecretString` and a replica)."""
    return {
        "Resources": {
            "OriginSecret5DDC59F1": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Description": "CloudFront origin verification header",
                    "GenerateSecretString": {"ExcludePunctuation": True, "PasswordLength": 48},
                    "ReplicaRegions": [{"Region": EDGE, "KmsKeyId": "alias/edge"}],
                    **properties,
                },
                "UpdateReplacePolicy": "Delete",
                "DeletionPolicy": "Delete",
            }
        },
        "Outputs": {
            "Arn": {"Value": {"Ref": "OriginSecret5DDC59F1"}},
            "Id": {"Value": {"Fn::GetAtt": ["OriginSecret5DDC59F1", "Id"]}},
        },
    }


def test_a_generated_secret_is_replicated_updated_in_place_with_its_value_and_deleted_in_both_regions(
    server: Emulator,
) -> None:
    stack = f"network-{tag()}"
    made = create(server, stack, secret_template(Tags=[{"Key": "env", "Value": "prod"}]), REGION)
    home, edge = client(server.url, "secretsmanager"), client(server.url, "secretsmanager", region=EDGE)
    arn = made["Arn"]
    assert made["Id"] == arn
    name = home.describe_secret(SecretId=arn)["Name"]
    logical_id, _, suffix = name.partition("-")
    assert logical_id == "OriginSecret5DDC59F1"
    assert len(suffix) == 12
    assert suffix.isalnum()

    value = home.get_secret_value(SecretId=arn)["SecretString"]
    assert len(value) == 48
    assert not set(value) & set(string.punctuation)
    assert {
        set(value) & set(kind) != set() for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    } == {True}
    # The replica answers in us-east-1, by name, with the same value and the key it was given.
    assert edge.get_secret_value(SecretId=name)["SecretString"] == value
    assert [s["Name"] for s in edge.list_secrets()["SecretList"] if s["Name"] == name] == [name]
    assert [s["ARN"] for s in home.list_secrets()["SecretList"] if s["Name"] == name] == [arn]
    [replica] = home.describe_secret(SecretId=arn)["ReplicationStatus"]
    assert (replica["Region"], replica["KmsKeyId"], replica["Status"]) == (EDGE, "alias/edge", "InSync")

    # Description and tags change in place, and the value stays (no new version).
    changed = secret_template(Description="rotated by hand only", Tags=[{"Key": "env", "Value": "dev"}])
    assert update(server, stack, changed, REGION)["Arn"] == arn
    described = home.describe_secret(SecretId=arn)
    assert (described["Description"], described["Tags"]) == ("rotated by hand only", [{"Key": "env", "Value": "dev"}])
    assert home.get_secret_value(SecretId=arn)["SecretString"] == value
    assert len(described["VersionIdsToStages"]) == 1

    # The replica region dropped: the replica goes, the secret and its value stay.
    unreplicated = secret_template(Description="rotated by hand only")
    del unreplicated["Resources"]["OriginSecret5DDC59F1"]["Properties"]["ReplicaRegions"]
    update(server, stack, unreplicated, REGION)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        edge.get_secret_value(SecretId=name)
    assert home.get_secret_value(SecretId=arn)["SecretString"] == value

    # A changed generator makes a new version, as CloudFormation does.
    regenerated = copy.deepcopy(unreplicated)
    regenerated["Resources"]["OriginSecret5DDC59F1"]["Properties"]["GenerateSecretString"]["PasswordLength"] = 40
    update(server, stack, regenerated, REGION)
    assert len(home.get_secret_value(SecretId=arn)["SecretString"]) == 40

    update(server, stack, secret_template(), REGION)  # replicated again, then the stack goes
    assert edge.describe_secret(SecretId=name)["PrimaryRegion"] == REGION
    client(server.url, "cloudformation").delete_stack(StackName=stack)
    for secrets in (home, edge):
        assert name not in [s["Name"] for s in secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"]]


def test_a_secret_from_a_template_and_a_key_keeps_the_template_s_fields(server: Emulator) -> None:
    name = f"anigmaa/db-{tag()}"
    generator = {"SecretStringTemplate": '{"username":"anigmaa"}', "GenerateStringKey": "password"}
    template = secret_template(Name=name, GenerateSecretString={**generator, "ExcludeCharacters": "\"@/\\'"})
    del template["Resources"]["OriginSecret5DDC59F1"]["Properties"]["ReplicaRegions"]
    made = create(server, f"network-{tag()}", template, REGION)
    document = json.loads(client(server.url, "secretsmanager").get_secret_value(SecretId=made["Arn"])["SecretString"])
    assert document["username"] == "anigmaa"
    assert len(document["password"]) == 32
    assert not set(document["password"]) & set("\"@/\\'")
    assert made["Arn"].split(":secret:")[1].startswith(f"{name}-")


# --------------------------------------------------------------------------- the edge protection stack


def web_acl(scope: str = "CLOUDFRONT", **properties: Any) -> dict[str, Any]:
    """A web ACL with a rate-based rule, two managed rule groups and a block list (the IP set `BlockList`)."""
    rules = [
        {
            "Name": "rate",
            "Priority": 0,
            "Action": {"Block": {}},
            "Statement": {"RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 2000}},
            "VisibilityConfig": visibility("rate"),
        },
        *(
            {
                "Name": group,
                "Priority": priority,
                "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"Name": group, "VendorName": "AWS"}},
                "VisibilityConfig": visibility(group),
            }
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ),
        {
            "Name": "blocked",
            "Priority": 3,
            "Action": {"Block": {}},
            "Statement": {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": ["BlockList", "Arn"]}}},
            "VisibilityConfig": visibility("blocked"),
        },
    ]
    return {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Scope": scope,
            "DefaultAction": {"Allow": {}},
            "Rules": rules,
            "VisibilityConfig": visibility("edge"),
            "CustomResponseBodies": {"blocked": {"ContentType": "APPLICATION_JSON", "Content": '{"error":"blocked"}'}},
            "Description": "anigmaa edge",
            **properties,
        },
    }


def ip_set(scope: str = "CLOUDFRONT") -> dict[str, Any]:
    return {
        "Type": "AWS::WAFv2::IPSet",
        "Properties": {"Scope": scope, "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"]},
    }


def function(code: str = "function handler(event) { return event.request; }", **config: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": f"edge-rewrite-{tag()}",
            "AutoPublish": True,
            "FunctionCode": code,
            "FunctionConfig": {"Comment": "strip the API prefix", "Runtime": "cloudfront-js-2.0", **config},
        },
    }


def distribution(header: Any, certificate: Any, web_acl_id: Any) -> dict[str, Any]:
    """The distribution as the CDK synthesizes one in front of the regional API (read from a CDK 2 synth)."""
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Aliases": ["api.anigmaa.example"],
                "Comment": "anigmaa edge",
                "DefaultCacheBehavior": {
                    "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                    "Compress": True,
                    "FunctionAssociations": [
                        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["Rewrite", "FunctionARN"]}}
                    ],
                    "OriginRequestPolicyId": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
                    "TargetOriginId": "api",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
                "Enabled": True,
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "Origins": [
                    {
                        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
                        "DomainName": "abc123.execute-api.ap-southeast-1.amazonaws.com",
                        "Id": "api",
                        "OriginCustomHeaders": [{"HeaderName": "X-Origin-Verify", "HeaderValue": header}],
                    }
                ],
                "PriceClass": "PriceClass_100",
                "ViewerCertificate": {
                    "AcmCertificateArn": certificate,
                    "MinimumProtocolVersion": "TLSv1.2_2021",
                    "SslSupportMethod": "sni-only",
                },
                "WebACLId": web_acl_id,
            },
            "Tags": [{"Key": "env", "Value": "prod"}],
        },
    }


def edge_template(secret: str, log_group: str) -> dict[str, Any]:
    """The edge protection stack: certificate, IP set, web ACL and its logging, function, distribution, alias."""
    header = {"Fn::Join": ["", ["{{resolve:secretsmanager:", secret, ":SecretString:header}}"]]}
    return {
        "Mappings": {"AWSCloudFrontPartitionHostedZoneIdMap": {"aws": {"zoneId": CLOUDFRONT_ZONE}}},
        "Resources": {
            "Certificate": {
                "Type": "AWS::CertificateManager::Certificate",
                "Properties": {"DomainName": "api.anigmaa.example", "ValidationMethod": "DNS"},
            },
            "BlockList": ip_set(),
            "Acl": web_acl(),
            "WafLogs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": log_group},
                "DeletionPolicy": "Delete",
            },
            "AclLogging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "LogDestinationConfigs": [{"Fn::GetAtt": ["WafLogs", "Arn"]}],
                },
            },
            "Rewrite": function(),
            "Distribution": distribution(header, {"Ref": "Certificate"}, {"Fn::GetAtt": ["Acl", "Arn"]}),
            "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "anigmaa.example."}},
            "Alias": {
                "Type": "AWS::Route53::RecordSet",
                "Properties": {
                    "AliasTarget": {
                        "DNSName": {"Fn::GetAtt": ["Distribution", "DomainName"]},
                        "HostedZoneId": {
                            "Fn::FindInMap": [
                                "AWSCloudFrontPartitionHostedZoneIdMap",
                                {"Ref": "AWS::Partition"},
                                "zoneId",
                            ]
                        },
                    },
                    "HostedZoneId": {"Ref": "Zone"},
                    "Name": "api.anigmaa.example.",
                    "Type": "A",
                },
            },
        },
        "Outputs": {
            "DistributionId": {"Value": {"Ref": "Distribution"}},
            "DistributionDomain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "AclRef": {"Value": {"Ref": "Acl"}},
            "AclArn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}},
            "AclId": {"Value": {"Fn::GetAtt": ["Acl", "Id"]}},
            "AclLabels": {"Value": {"Fn::GetAtt": ["Acl", "LabelNamespace"]}},
            "IpSetRef": {"Value": {"Ref": "BlockList"}},
            "IpSetArn": {"Value": {"Fn::GetAtt": ["BlockList", "Arn"]}},
            "Logging": {"Value": {"Ref": "AclLogging"}},
            "FunctionRef": {"Value": {"Ref": "Rewrite"}},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Rewrite", "FunctionMetadata.FunctionARN"]}},
            "FunctionStage": {"Value": {"Fn::GetAtt": ["Rewrite", "Stage"]}},
            "ZoneId": {"Value": {"Ref": "Zone"}},
            # An output names the secret: CloudFormation resolves one in resource properties only.
            "Leak": {"Value": f"{{{{resolve:secretsmanager:{secret}:SecretString:header}}}}"},
        },
    }


def origin_secret(server: Emulator, value: str) -> str:
    """The origin header's secret as the network stack's replica leaves it in us-east-1: its name."""
    name = f"anigmaa/origin-{tag()}"
    client(server.url, "secretsmanager", region=EDGE).create_secret(
        Name=name, SecretString=json.dumps({"header": value})
    )
    return name


def test_the_edge_stack_is_made_through_waf_cloudfront_and_route_53_with_the_header_resolved_nowhere_else(
    server: Emulator,
) -> None:
    value = f"verify-{uuid.uuid4().hex}"
    secret, stack, log_group = origin_secret(server, value), f"edge-{tag()}", f"aws-waf-logs-edge-{tag()}"
    template = edge_template(secret, log_group)
    made = create(server, stack, template, EDGE)
    cloudformation = client(server.url, "cloudformation", region=EDGE)

    # The origin header carries the secret's value inside CloudFront only.
    cloudfront = client(server.url, "cloudfront", region=EDGE)
    config = cloudfront.get_distribution_config(Id=made["DistributionId"])["DistributionConfig"]
    [origin] = config["Origins"]["Items"]
    assert origin["CustomHeaders"] == {
        "Quantity": 1,
        "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": value}],
    }
    assert origin["CustomOriginConfig"]["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1.2"]}
    shown = json.dumps(cloudformation.describe_stacks(StackName=stack), default=str)
    shown += json.dumps(cloudformation.get_template(StackName=stack)["TemplateBody"])
    shown += json.dumps(cloudformation.describe_stack_resources(StackName=stack), default=str)
    assert value not in shown
    assert made["Leak"] == f"{{{{resolve:secretsmanager:{secret}:SecretString:header}}}}"
    assert "{{resolve:secretsmanager:" in json.dumps(cloudformation.get_template(StackName=stack)["TemplateBody"])

    # The distribution's configuration, as CloudFront answers it.
    behavior = config["DefaultCacheBehavior"]
    assert behavior["FunctionAssociations"] == {
        "Quantity": 1,
        "Items": [{"FunctionARN": made["FunctionArn"], "EventType": "viewer-request"}],
    }
    assert behavior["AllowedMethods"]["Quantity"] == 7
    assert (behavior["CachePolicyId"], behavior["OriginRequestPolicyId"]) == (
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    )
    certificate = config["ViewerCertificate"]
    assert certificate["ACMCertificateArn"].startswith(f"arn:aws:acm:{EDGE}:{ACCOUNT}:certificate/")
    assert (certificate["SSLSupportMethod"], certificate["CloudFrontDefaultCertificate"]) == ("sni-only", False)
    assert (config["Aliases"]["Items"], config["WebACLId"]) == (["api.anigmaa.example"], made["AclArn"])
    assert (config["HttpVersion"], config["IsIPV6Enabled"], config["PriceClass"]) == (
        "http2and3",
        True,
        "PriceClass_100",
    )
    assert made["DistributionDomain"].startswith("d")
    assert made["DistributionDomain"].endswith(".cloudfront.net")
    assert (
        cloudfront.get_distribution(Id=made["DistributionId"])["Distribution"]["DomainName"]
        == made["DistributionDomain"]
    )

    # The web ACL round-trips through WAF's CLOUDFRONT scope, its IP set reference resolved.
    waf = client(server.url, "wafv2", region=EDGE)
    name, acl_id, scope = made["AclRef"].split("|")
    assert (scope, acl_id, made["AclId"]) == ("CLOUDFRONT", made["AclArn"].rsplit("/", 1)[1], acl_id)
    acl = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)["WebACL"]
    assert acl["ARN"] == made["AclArn"]
    assert ":global/webacl/" in acl["ARN"]
    assert acl["LabelNamespace"] == made["AclLabels"] == f"awswaf:{ACCOUNT}:webacl:{name}:"
    expected = copy.deepcopy(template["Resources"]["Acl"]["Properties"]["Rules"])
    # CloudFormation's `Arn` is the API's `ARN`.
    expected[3]["Statement"]["IPSetReferenceStatement"] = {"ARN": made["IpSetArn"]}
    assert [{key: rule[key] for key in expected[i]} for i, rule in enumerate(acl["Rules"])] == expected
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["CustomResponseBodies"]["blocked"]["ContentType"] == "APPLICATION_JSON"
    assert [summary["Id"] for summary in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]].count(acl_id) == 1
    ip_name, ip_id, _ = made["IpSetRef"].split("|")
    assert waf.get_ip_set(Name=ip_name, Scope="CLOUDFRONT", Id=ip_id)["IPSet"]["Addresses"] == ["192.0.2.0/24"]
    logging = waf.get_logging_configuration(ResourceArn=made["AclArn"])["LoggingConfiguration"]
    assert made["Logging"] == made["AclArn"]
    assert [destination.split(":log-group:")[1].split(":")[0] for destination in logging["LogDestinationConfigs"]] == [
        log_group
    ]

    # The function, published.
    summary = cloudfront.describe_function(Name=made["FunctionRef"].rsplit("/", 1)[1])["FunctionSummary"]
    assert (summary["FunctionMetadata"]["Stage"], made["FunctionStage"]) == ("LIVE", "LIVE")
    assert summary["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert made["FunctionRef"] == made["FunctionArn"] == summary["FunctionMetadata"]["FunctionARN"]

    # Route 53 takes the alias to CloudFront's zone.
    [record] = [
        r
        for r in client(server.url, "route53").list_resource_record_sets(HostedZoneId=made["ZoneId"])[
            "ResourceRecordSets"
        ]
        if r["Type"] == "A"
    ]
    assert record["AliasTarget"]["HostedZoneId"] == CLOUDFRONT_ZONE
    assert record["AliasTarget"]["DNSName"].rstrip(".") == made["DistributionDomain"]

    # An update changes everything in place: the same distribution, web ACL and function.
    changed = copy.deepcopy(template)
    changed["Resources"]["Acl"]["Properties"]["Rules"][0]["Statement"]["RateBasedStatement"]["Limit"] = 500
    changed["Resources"]["Rewrite"]["Properties"]["FunctionCode"] = "function handler(event) { return event; }"
    changed["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Comment"] = "anigmaa edge, v2"
    after = update(server, stack, changed, EDGE)
    assert {key: after[key] for key in ("DistributionId", "AclRef", "FunctionRef")} == {
        key: made[key] for key in ("DistributionId", "AclRef", "FunctionRef")
    }
    [rate, *_] = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)["WebACL"]["Rules"]
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 500
    code = cloudfront.get_function(Name=made["FunctionRef"].rsplit("/", 1)[1])["FunctionCode"].read()
    assert code == b"function handler(event) { return event; }"
    config = cloudfront.get_distribution_config(Id=made["DistributionId"])["DistributionConfig"]
    assert config["Comment"] == "anigmaa edge, v2"
    assert config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] == value

    # Deleting the stack deletes all of it.
    cloudformation.delete_stack(StackName=stack)
    assert made["DistributionId"] not in [
        d["Id"] for d in (cloudfront.list_distributions()["DistributionList"].get("Items") or [])
    ]
    assert acl_id not in [summary["Id"] for summary in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]]
    assert ip_id not in [summary["Id"] for summary in waf.list_ip_sets(Scope="CLOUDFRONT")["IPSets"]]
    with pytest.raises(ClientError, match="WAFNonexistentItemException"):
        waf.get_logging_configuration(ResourceArn=made["AclArn"])
    with pytest.raises(ClientError, match="NoSuchFunctionExists"):
        cloudfront.describe_function(Name=made["FunctionRef"].rsplit("/", 1)[1])


def test_a_reference_to_a_missing_secret_is_refused_as_a_missing_parameter_is(server: Emulator) -> None:
    missing = f"anigmaa/none-{tag()}"
    template: dict[str, Any] = {
        "Resources": {
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": f"{{{{resolve:secretsmanager:{missing}:SecretString:header}}}}"},
            }
        }
    }
    cloudformation = client(server.url, "cloudformation", region=EDGE)
    with pytest.raises(ClientError, match=rf"Parameters: \[secretsmanager:{missing}\] cannot be found\."):
        cloudformation.create_stack(StackName=f"edge-{tag()}", TemplateBody=json.dumps(template))
    stack = f"edge-{tag()}"
    change_set = cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
    )["Id"]
    described = cloudformation.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["StatusReason"]) == (
        "FAILED",
        f"Parameters: [secretsmanager:{missing}] cannot be found.",
    )

    # Built by Fn::Join (as the CDK builds one), it fails when the resource is made, with the same message.
    joined = copy.deepcopy(template)
    joined["Resources"]["Topic"]["Properties"]["DisplayName"] = {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", missing, ":SecretString:::}}"]]
    }
    with pytest.raises(ClientError, match=rf"Parameters: \[secretsmanager:{missing}\] cannot be found\."):
        cloudformation.create_stack(StackName=f"edge-{tag()}", TemplateBody=json.dumps(joined))


def test_a_reference_resolves_by_arn_stage_or_version_but_never_both(server: Emulator) -> None:
    secrets = client(server.url, "secretsmanager", region=EDGE)
    name = f"anigmaa/origin-{tag()}"
    arn = secrets.create_secret(Name=name, SecretString='{"header": "first"}')["ARN"]
    first = secrets.list_secret_version_ids(SecretId=arn)["Versions"][0]["VersionId"]
    secrets.put_secret_value(SecretId=arn, SecretString='{"header": "second"}')

    def resolved(reference: str) -> str:
        topic = {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": f"{{{{resolve:secretsmanager:{reference}}}}}"},
        }
        stack = f"edge-{tag()}"
        create(server, stack, {"Resources": {"Topic": topic}, "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}}}, EDGE)
        topic_arn = outputs(server, stack, EDGE)["Arn"]
        return str(
            client(server.url, "sns", region=EDGE).get_topic_attributes(TopicArn=topic_arn)["Attributes"]["DisplayName"]
        )

    assert resolved(f"{arn}:SecretString:header") == "second"
    assert resolved(f"{name}:SecretString:header:AWSPREVIOUS") == "first"
    assert resolved(f"{name}:SecretString:header::{first}") == "first"
    assert json.loads(resolved(name)) == {"header": "second"}
    with pytest.raises(ClientError, match="names both a version-stage and a version-id"):
        resolved(f"{name}:SecretString:header:AWSCURRENT:{first}")
    with pytest.raises(ClientError, match="Could not find a value associated with JSONKey in SecretString"):
        resolved(f"{name}:SecretString:password")


def test_a_cloudfront_scope_web_acl_or_ip_set_is_refused_outside_us_east_1(server: Emulator) -> None:
    cloudformation = client(server.url, "cloudformation")
    for resources in ({"BlockList": ip_set()}, {"BlockList": ip_set("REGIONAL"), "Acl": web_acl()}):
        with pytest.raises(ClientError) as refused:
            cloudformation.create_stack(StackName=f"edge-{tag()}", TemplateBody=json.dumps({"Resources": resources}))
        message = refused.value.response["Error"]["Message"]
        assert "Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: CLOUDFRONT" in message
        assert "WAFInvalidParameterException" in message
    # REGIONAL is made in any region, and listed there.
    made = create(
        server,
        f"edge-{tag()}",
        {
            "Resources": {"BlockList": ip_set("REGIONAL"), "Acl": web_acl("REGIONAL")},
            "Outputs": {"Acl": {"Value": {"Ref": "Acl"}}},
        },
        REGION,
    )
    name, acl_id, _ = made["Acl"].split("|")
    assert client(server.url, "wafv2").get_web_acl(Name=name, Scope="REGIONAL", Id=acl_id)["WebACL"]["Name"] == name


def test_waf_logs_only_to_a_destination_named_aws_waf_logs(server: Emulator) -> None:
    template: dict[str, Any] = {
        "Resources": {
            "BlockList": ip_set(),
            "Acl": web_acl(),
            "WafLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/anigmaa/waf-{tag()}"}},
            "AclLogging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "LogDestinationConfigs": [{"Fn::GetAtt": ["WafLogs", "Arn"]}],
                },
            },
        }
    }
    with pytest.raises(ClientError, match="field: LOG_DESTINATION, parameter: arn:aws:logs:us-east-1:") as refused:
        create(server, f"edge-{tag()}", template, EDGE)
    assert "Error reason: The ARN isn't valid." in refused.value.response["Error"]["Message"]


def test_a_function_is_at_most_10_kb_of_a_cloudfront_runtime(server: Emulator) -> None:
    body = "// padding\n" * 1000  # 12,000 bytes
    with pytest.raises(ClientError, match="FunctionSizeLimitExceeded"):
        create(server, f"edge-{tag()}", {"Resources": {"Rewrite": function(body)}}, EDGE)
    with pytest.raises(ClientError, match=r"cloudfront-js-1\.0 or cloudfront-js-2\.0"):
        create(server, f"edge-{tag()}", {"Resources": {"Rewrite": function(Runtime="nodejs20.x")}}, EDGE)
    # Unpublished, it stays in DEVELOPMENT.
    unpublished = function()
    unpublished["Properties"]["AutoPublish"] = False
    made = create(
        server,
        f"edge-{tag()}",
        {"Resources": {"Rewrite": unpublished}, "Outputs": {"Stage": {"Value": {"Fn::GetAtt": ["Rewrite", "Stage"]}}}},
        EDGE,
    )
    assert made["Stage"] == "DEVELOPMENT"


def test_a_distribution_needs_a_us_east_1_certificate_and_a_cloudfront_web_acl(server: Emulator) -> None:
    secret = origin_secret(server, "verify")
    header = f"{{{{resolve:secretsmanager:{secret}:SecretString:header}}}}"
    elsewhere = client(server.url, "acm").request_certificate(DomainName="api.anigmaa.example")["CertificateArn"]
    resources = {"Rewrite": function(), "Distribution": distribution(header, elsewhere, "")}
    with pytest.raises(ClientError, match="InvalidViewerCertificate") as refused:
        create(server, f"edge-{tag()}", {"Resources": resources}, EDGE)
    assert (
        "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a "
        "valid certificate chain." in refused.value.response["Error"]["Message"]
    )

    here = client(server.url, "acm", region=EDGE).request_certificate(DomainName="api.anigmaa.example")
    regional = create(
        server,
        f"edge-{tag()}",
        {
            "Resources": {"BlockList": ip_set("REGIONAL"), "Acl": web_acl("REGIONAL")},
            "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}}},
        },
        EDGE,
    )["Arn"]
    resources = {"Rewrite": function(), "Distribution": distribution(header, here["CertificateArn"], regional)}
    with pytest.raises(ClientError, match=r"Web ACL is not accessible by the requester.*InvalidWebACLId"):
        create(server, f"edge-{tag()}", {"Resources": resources}, EDGE)


def test_a_rule_targets_another_region_s_default_event_bus_with_its_role(server: Emulator) -> None:
    bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    template = {
        "Resources": {
            "ForwardRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Forward": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["aws.cloudfront"]},
                    "State": "ENABLED",
                    "Targets": [{"Arn": bus, "Id": "Target0", "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}],
                },
            },
        },
        "Outputs": {"Rule": {"Value": {"Ref": "Forward"}}, "Role": {"Value": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}},
    }
    made = create(server, f"edge-{tag()}", template, EDGE)
    [target] = client(server.url, "events", region=EDGE).list_targets_by_rule(Rule=made["Rule"])["Targets"]
    assert (target["Arn"], target["RoleArn"]) == (bus, made["Role"])


# --------------------------------------------------------------------------- the network stack's prefix list lookup

CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def prefix_list_lookup(**call: Any) -> dict[str, Any]:
    """The CDK's AwsCustomResource as constructs/backend_network.py cloudfront_prefix_list synthesizes it."""
    sdk_call = json.dumps(
        {
            "action": "describeManagedPrefixLists",
            "service": "EC2",
            "outputPaths": ["PrefixLists.0.PrefixListId"],
            "parameters": {"Filters": [{"Name": "prefix-list-name", "Values": [CLOUDFRONT_ORIGIN_FACING]}]},
            "physicalResourceId": {"id": CLOUDFRONT_ORIGIN_FACING},
            **call,
        }
    )
    return {
        "Type": "Custom::AWS",
        "Properties": {
            # The provider function is never invoked: the call is made against the emulator.
            "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:not-invoked",
            "Create": sdk_call,
            "Update": sdk_call,
            "InstallLatestAwsSdk": False,
        },
    }


def load_balancer_group(behind_cloudfront: bool) -> dict[str, Any]:
    """A VPC and the load balancer's group: HTTP(S) from anywhere, or (edge protection on) HTTPS from CloudFront's
    origin-facing prefix list, looked up by the custom resource, as the network stack has it."""
    group: dict[str, Any] = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "load balancer",
            "VpcId": {"Ref": "Vpc"},
            "SecurityGroupEgress": [{"IpProtocol": "icmp", "CidrIp": "255.255.255.255/32", "FromPort": 252,
                                     "ToPort": 86, "Description": "Disallow all traffic"}],
        },
    }  # fmt: skip
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "Group": group,
    }
    if behind_cloudfront:
        resources["Lookup"] = prefix_list_lookup()
        resources["FromCloudFront"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["Group", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "SourcePrefixListId": {"Fn::GetAtt": ["Lookup", "PrefixLists.0.PrefixListId"]},
                "Description": "HTTPS from CloudFront only",
            },
        }
    else:
        group["Properties"]["SecurityGroupIngress"] = [
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": "0.0.0.0/0", "Description": name}
            for port, name in ((80, "HTTP"), (443, "HTTPS"))
        ]
    outputs: dict[str, Any] = {"Group": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}}}
    if behind_cloudfront:
        outputs["PrefixList"] = {"Value": {"Fn::GetAtt": ["Lookup", "PrefixLists.0.PrefixListId"]}}
        outputs["Lookup"] = {"Value": {"Ref": "Lookup"}}
    return {"Resources": resources, "Outputs": outputs}


def ingress(server: Emulator, group_id: str) -> list[tuple[int, str]]:
    """The group's inbound rules as (port, source): an address range or a prefix list id."""
    [group] = client(server.url, "ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return sorted(
        (permission["FromPort"], source)
        for permission in group["IpPermissions"]
        for source in [r["CidrIp"] for r in permission.get("IpRanges", [])]
        + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
    )


def test_custom_aws_makes_its_sdk_call_and_the_group_takes_cloudfront_s_prefix_list_in_place(
    server: Emulator,
) -> None:
    ec2 = client(server.url, "ec2")
    [expected] = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_ORIGIN_FACING]}]
    )["PrefixLists"]
    stack = f"network-{tag()}"
    opened = create(server, stack, load_balancer_group(behind_cloudfront=False), REGION)
    assert ingress(server, opened["Group"]) == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]

    # on: the lookup's answer (the path its outputPaths keep) is the rule's source; the group is the same group.
    on = update(server, stack, load_balancer_group(behind_cloudfront=True), REGION)
    assert on["PrefixList"] == expected["PrefixListId"]
    assert on["Lookup"] == CLOUDFRONT_ORIGIN_FACING  # the physical id the call gives
    assert on["Group"] == opened["Group"]
    assert ingress(server, on["Group"]) == [(443, expected["PrefixListId"])]
    [resource] = [
        r
        for r in client(server.url, "cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
        if r["LogicalResourceId"] == "Lookup"
    ]
    assert (resource["ResourceType"], resource["PhysicalResourceId"]) == ("Custom::AWS", CLOUDFRONT_ORIGIN_FACING)

    # And back: the rule from the prefix list revoked with its resource, the inline ones authorized again.
    back = update(server, stack, load_balancer_group(behind_cloudfront=False), REGION)
    assert back["Group"] == opened["Group"]
    assert ingress(server, back["Group"]) == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]


def test_custom_aws_keeps_only_its_output_paths_and_fails_as_cloudformation_reports_a_failed_provider(
    server: Emulator,
) -> None:
    name = {"Fn::GetAtt": ["Lookup", "PrefixLists.0.PrefixListName"]}
    template = {
        "Resources": {
            "Lookup": prefix_list_lookup(),
            "Noted": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": f"/{tag()}", "Type": "String", "Value": name},
            },
        },
    }
    with pytest.raises(ClientError, match=r"Vendor response doesn't contain PrefixLists\.0\.PrefixListName"):
        create(server, f"lookup-{tag()}", template, REGION)

    # Without outputPaths every path is kept, beside the call's apiVersion and region.
    template["Resources"]["Lookup"] = prefix_list_lookup(outputPaths=None)
    template["Outputs"] = {"Name": {"Value": name}, "Region": {"Value": {"Fn::GetAtt": ["Lookup", "region"]}}}
    made = create(server, f"lookup-{tag()}", template, REGION)
    assert (made["Name"], made["Region"]) == (CLOUDFRONT_ORIGIN_FACING, REGION)

    # A call the service refuses fails the stack with the provider's message, unless its code is ignored.
    refused = prefix_list_lookup(
        service="@aws-sdk/client-ec2",
        action="DescribeSecurityGroupsCommand",
        parameters={"GroupIds": ["sg-0000000000000000f"]},
        outputPaths=None,
    )
    with pytest.raises(
        ClientError, match=r"Received response status \[FAILED\] from custom resource.*sg-0000000000000000f"
    ):
        create(server, f"lookup-{tag()}", {"Resources": {"Lookup": refused}}, REGION)
    ignored = json.loads(refused["Properties"]["Create"]) | {"ignoreErrorCodesMatching": r"InvalidGroup\.NotFound"}
    refused["Properties"]["Create"] = json.dumps(ignored)
    template = {
        "Resources": {"Lookup": refused},
        "Outputs": {"Region": {"Value": {"Fn::GetAtt": ["Lookup", "region"]}}},
    }
    assert create(server, f"lookup-{tag()}", template, REGION) == {"Region": REGION}  # nothing but the call's region


def test_an_sdk_call_names_its_service_and_action_as_the_cdk_s_handler_takes_them() -> None:
    from tools.rehearsal import aws_custom_resource as custom

    assert [custom.boto3_service(name) for name in ("EC2", "@aws-sdk/client-ec2", "CloudWatchLogs", "Route53",
            "SecretsManager", "ELBv2", "@aws-sdk/client-cloudwatch-logs", "StepFunctions")] == [
        "ec2", "ec2", "logs", "route53", "secretsmanager", "elbv2", "logs", "stepfunctions"]  # fmt: skip
    with pytest.raises(custom.CallFailedError, match="does not exist"):
        custom.boto3_service("NoSuchService")
    ec2 = client("http://127.0.0.1:9", "ec2")
    assert custom.operation(ec2, "describeManagedPrefixLists") == "describe_managed_prefix_lists"
    assert custom.operation(ec2, "DescribeManagedPrefixListsCommand") == "describe_managed_prefix_lists"
    answer = {"PrefixLists": [{"PrefixListId": "pl-1", "Tags": [], "Entries": [{"Cidr": "10.0.0.0/8"}]}], "Next": None}
    flat = {"PrefixLists.0.PrefixListId": "pl-1", "PrefixLists.0.Entries.0.Cidr": "10.0.0.0/8", "Next": None}
    assert custom.flatten(answer) == flat
