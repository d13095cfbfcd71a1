"""Network stack: VPC, subnets, NAT, endpoint, flow logs and the tier security groups."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from tests.conftest import EXAMPLE_ZONE_ID, Synth


def _resources(synth: Synth, kind: str) -> dict[str, Any]:
    return {k: r for k, r in synth.json("network")["Resources"].items() if r["Type"] == kind}


def _group_id(synth: Synth, description_prefix: str) -> str:
    groups = _resources(synth, "AWS::EC2::SecurityGroup")
    [logical_id] = [k for k, r in groups.items() if r["Properties"]["GroupDescription"].startswith(description_prefix)]
    return logical_id


def test_vpc_spans_two_explicit_zones_with_public_and_private_subnets(prod: Synth) -> None:
    template = prod.templates["network"]
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"})
    subnets = _resources(prod, "AWS::EC2::Subnet").values()
    zones = sorted(s["Properties"]["AvailabilityZone"] for s in subnets)
    assert zones == ["ap-southeast-1a", "ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1b"]
    public = [s for s in subnets if _subnet_type(s) == "Public"]
    assert len(public) == 2
    # Nothing there needs an address handed out (the NAT gateway has an Elastic IP).
    assert [s["Properties"]["MapPublicIpOnLaunch"] for s in subnets] == [False] * 4


def _subnet_type(subnet: dict[str, Any]) -> str:
    """Public or Private, as the CDK tags each subnet."""
    return str(next(t["Value"] for t in subnet["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-type"))


def test_subnet_sizes_follow_the_vpc_range(prod: Synth, custom: Synth) -> None:
    def masks(synth: Synth) -> list[tuple[bool, str]]:
        subnets = _resources(synth, "AWS::EC2::Subnet").values()
        return sorted((_subnet_type(s) == "Public", s["Properties"]["CidrBlock"][-3:]) for s in subnets)

    assert masks(prod) == [(False, "/20")] * 2 + [(True, "/22")] * 2
    # The smallest range accepted, over three zones, still fits (and leaves /26 public subnets).
    assert masks(custom) == [(False, "/24")] * 3 + [(True, "/26")] * 3


def test_prod_has_a_nat_gateway_in_each_zone_and_each_private_subnet_uses_its_own(prod: Synth) -> None:
    """Losing one zone leaves the other's functions and tasks their way out (SSM, Midtrans)."""
    resources = prod.json("network")["Resources"]
    gateways = {k: r for k, r in resources.items() if r["Type"] == "AWS::EC2::NatGateway"}
    subnets = sorted(r["Properties"]["SubnetId"]["Ref"] for r in gateways.values())
    assert [subnet.split("Subnet")[1][0] for subnet in subnets] == ["1", "2"]
    assert all(subnet.startswith("NetworkVpcPublicSubnet") for subnet in subnets)
    routes = {
        r["Properties"]["RouteTableId"]["Ref"]: r["Properties"]["NatGatewayId"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::Route" and "NatGatewayId" in r["Properties"]
    }
    # Private subnet N's table routes to the gateway in public subnet N, in the same zone.
    for table, gateway in routes.items():
        zone = table.split("PrivateSubnet")[1][0]
        assert resources[gateway]["Properties"]["SubnetId"]["Ref"].split("PublicSubnet")[1][0] == zone
    assert len(routes) == 2
    assert not [f for f in prod.findings if f.rule.endswith("anigmaa:nat-not-in-every-zone")]


def test_prod_with_fewer_nat_devices_than_zones_is_warned_at_every_synth(custom: Synth, dev: Synth) -> None:
    [warning] = [f for f in custom.findings if f.rule.endswith("anigmaa:nat-not-in-every-zone")]
    assert warning.message.startswith(
        "nat_gateways: 2 for 3 zones in env=prod: the private subnets of ap-southeast-1c reach the internet "
        "through another zone's NAT"
    )
    assert not [f for f in dev.findings if f.rule.endswith("anigmaa:nat-not-in-every-zone")]  # not a prod


def test_dev_reaches_the_internet_through_a_hardened_nat_instance(dev: Synth) -> None:
    template = dev.templates["network"]
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    [instance] = _resources(dev, "AWS::EC2::Instance").values()
    props = instance["Properties"]
    assert props["InstanceType"] == "t4g.nano"
    assert props["SourceDestCheck"] is False
    assert props["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": True, "Encrypted": True, "VolumeType": "gp3"}}
    ]
    [interface] = props["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is True
    assert interface["SubnetId"]["Ref"].startswith("NetworkVpcPublicSubnet1")
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate", {"LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}}
    )
    template.has_resource_properties(
        "AWS::EC2::Route", {"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": Match.any_value()}
    )
    # Nothing connects in from the internet; the compute tiers may send HTTPS through it.
    [nat_sg] = interface["GroupSet"]
    nat_sg_id = nat_sg["Fn::GetAtt"][0]
    assert "SecurityGroupIngress" not in _resources(dev, "AWS::EC2::SecurityGroup")[nat_sg_id]["Properties"]
    lambda_sg, ecs_sg = _group_id(dev, "lambda_sg"), _group_id(dev, "ecs_sg")
    assert [(peer, port) for group, peer, port in _rules(dev, "Ingress") if group == nat_sg_id] == sorted(
        [(lambda_sg, 443), (ecs_sg, 443)]
    )
    # And nothing goes out but the HTTPS it forwards for them.
    egress = _resources(dev, "AWS::EC2::SecurityGroup")[nat_sg_id]["Properties"]["SecurityGroupEgress"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in egress] == [
        ("tcp", 443, 443, "0.0.0.0/0")
    ]


def test_the_ssm_endpoint_is_opt_in_and_open_to_the_compute_groups_only(prod: Synth, custom: Synth) -> None:
    def interface_endpoints(synth: Synth) -> list[dict[str, Any]]:
        endpoints = _resources(synth, "AWS::EC2::VPCEndpoint").values()
        return [e["Properties"] for e in endpoints if e["Properties"].get("VpcEndpointType") == "Interface"]

    assert interface_endpoints(prod) == []
    [endpoint] = interface_endpoints(custom)
    assert endpoint["ServiceName"] == "com.amazonaws.ap-southeast-1.ssm"
    assert endpoint["PrivateDnsEnabled"] is True
    # One network interface per zone, in the private subnets.
    assert sorted(s["Ref"][: len("NetworkVpcPrivateSubnetN")] for s in endpoint["SubnetIds"]) == [
        f"NetworkVpcPrivateSubnet{n}" for n in (1, 2, 3)
    ]
    [group] = endpoint["SecurityGroupIds"]
    endpoint_sg = group["Fn::GetAtt"][0]
    lambda_sg, ecs_sg = _group_id(custom, "lambda_sg"), _group_id(custom, "ecs_sg")
    assert [(peer, port) for g, peer, port in _rules(custom, "Ingress") if g == endpoint_sg] == sorted(
        [(lambda_sg, 443), (ecs_sg, 443)]
    )


def test_s3_gateway_endpoint_serves_the_private_subnets(prod: Synth) -> None:
    prod.templates["network"].has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]},
            "RouteTableIds": Match.array_with([{"Ref": Match.string_like_regexp("PrivateSubnet1RouteTable")}]),
        },
    )


def test_flow_logs_go_to_a_retained_log_group(prod: Synth) -> None:
    template = prod.templates["network"]
    template.has_resource_properties("AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL"})
    template.has_resource(
        "AWS::Logs::LogGroup",
        {"Properties": {"RetentionInDays": 90}, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
    )
    [log_group] = list(_resources(prod, "AWS::Logs::LogGroup").values())
    assert "LogGroupName" not in log_group["Properties"]  # a kept, named group would block re-creating the stack
    assert "FlowLogGroup" in prod.json("network")["Outputs"]


def _rules(synth: Synth, kind: str) -> list[tuple[str, str, int]]:
    """(group, peer group, port) for every cross-group rule of ``kind`` (Ingress or Egress)."""
    peer_key = "SourceSecurityGroupId" if kind == "Ingress" else "DestinationSecurityGroupId"
    return sorted(
        (
            r["Properties"]["GroupId"]["Fn::GetAtt"][0],
            r["Properties"][peer_key]["Fn::GetAtt"][0],
            r["Properties"]["FromPort"],
        )
        for r in _resources(synth, f"AWS::EC2::SecurityGroup{kind}").values()
    )


def test_only_the_compute_groups_reach_postgres_and_redis_and_only_the_alb_reaches_tasks(prod: Synth) -> None:
    lambda_sg, ecs_sg = _group_id(prod, "lambda_sg"), _group_id(prod, "ecs_sg")
    alb_sg = _group_id(prod, "anigmaa load balancer")
    database_sg, cache_sg = _group_id(prod, "anigmaa PostgreSQL"), _group_id(prod, "anigmaa Redis")

    assert _rules(prod, "Ingress") == sorted(
        [
            (database_sg, lambda_sg, 5432),
            (database_sg, ecs_sg, 5432),
            (cache_sg, lambda_sg, 6379),
            (cache_sg, ecs_sg, 6379),
            (ecs_sg, alb_sg, 8080),
        ]
    )
    groups = _resources(prod, "AWS::EC2::SecurityGroup")
    for logical_id in (database_sg, cache_sg, lambda_sg, ecs_sg):
        assert "SecurityGroupIngress" not in groups[logical_id]["Properties"]


def test_compute_groups_egress_is_https_postgres_and_redis_only(prod: Synth) -> None:
    groups = _resources(prod, "AWS::EC2::SecurityGroup")
    database_sg, cache_sg = _group_id(prod, "anigmaa PostgreSQL"), _group_id(prod, "anigmaa Redis")
    for description in ("lambda_sg", "ecs_sg"):
        group = _group_id(prod, description)
        assert groups[group]["Properties"]["SecurityGroupEgress"] == [
            {
                "CidrIp": "0.0.0.0/0",
                "Description": "HTTPS to AWS APIs (SSM, S3) and Midtrans",
                "FromPort": 443,
                "IpProtocol": "tcp",
                "ToPort": 443,
            }
        ]
        assert [(peer, port) for g, peer, port in _rules(prod, "Egress") if g == group] == sorted(
            [(database_sg, 5432), (cache_sg, 6379)]
        )


def test_the_load_balancer_takes_http_and_https_and_reaches_only_the_tasks(prod: Synth) -> None:
    alb_sg, ecs_sg = _group_id(prod, "anigmaa load balancer"), _group_id(prod, "ecs_sg")
    inline = _resources(prod, "AWS::EC2::SecurityGroup")[alb_sg]["Properties"]["SecurityGroupIngress"]
    assert sorted((rule["CidrIp"], rule["FromPort"]) for rule in inline) == [("0.0.0.0/0", 80), ("0.0.0.0/0", 443)]
    assert [(peer, port) for g, peer, port in _rules(prod, "Egress") if g == alb_sg] == [(ecs_sg, 8080)]


def test_the_database_and_cache_groups_allow_no_outbound_traffic(prod: Synth) -> None:
    groups = _resources(prod, "AWS::EC2::SecurityGroup")
    for logical_id in (_group_id(prod, "anigmaa PostgreSQL"), _group_id(prod, "anigmaa Redis")):
        [rule] = groups[logical_id]["Properties"]["SecurityGroupEgress"]
        assert rule["CidrIp"] == "255.255.255.255/32"  # the CDK's "no egress" placeholder


def test_the_domain_certificate_lives_here_dns_validated_and_exported(prod: Synth, custom: Synth) -> None:
    prod.templates["network"].resource_count_is("AWS::CertificateManager::Certificate", 0)
    custom.templates["network"].has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": "api.anigmaa.example",
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [{"DomainName": "api.anigmaa.example", "HostedZoneId": EXAMPLE_ZONE_ID}],
        },
    )
    exports = [o["Export"]["Name"] for o in custom.json("network")["Outputs"].values() if "Export" in o]
    assert any("DomainCertificate" in name for name in exports)


def test_the_default_security_group_is_stripped_of_rules(prod: Synth) -> None:
    prod.templates["network"].resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_network_exports_are_the_declared_interface(prod: Synth) -> None:
    exports = {o["Export"]["Name"] for o in prod.json("network")["Outputs"].values() if "Export" in o}
    # VPC, 4 subnets, lambda_sg, ecs_sg, alb_sg, the two groups the data stack uses, and the secrets key
    assert len(exports) == 11
    assert all(name.startswith("anigmaa-prod-network:") for name in exports)


# The secrets key's logical ID: the SecureStrings are encrypted under this very key, so a new one
# (a renamed construct) would leave them unreadable by the compute roles. Never rename it.
SECRETS_KEY_ID = "SecretsKey0D2EC683"


def test_the_secrets_key_rotates_is_retained_and_named_by_the_environments_alias(prod: Synth, dev: Synth) -> None:
    for synth, alias in ((prod, "alias/anigmaa-prod-secrets"), (dev, "alias/anigmaa-dev-secrets")):
        template = synth.templates["network"]
        template.resource_count_is("AWS::KMS::Key", 1)
        keys = _resources(synth, "AWS::KMS::Key")
        assert list(keys) == [SECRETS_KEY_ID]
        key = keys[SECRETS_KEY_ID]
        assert key["Properties"]["EnableKeyRotation"] is True
        assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
        template.has_resource_properties(
            "AWS::KMS::Alias", {"AliasName": alias, "TargetKeyId": {"Fn::GetAtt": [SECRETS_KEY_ID, "Arn"]}}
        )


def test_the_secrets_key_policy_hands_its_use_to_iam_and_names_no_role(prod: Synth) -> None:
    """The account root only (administrators manage, roles decrypt, through IAM): no compute role in it,
    so the network stack never depends on a compute stack."""
    [statement] = _resources(prod, "AWS::KMS::Key")[SECRETS_KEY_ID]["Properties"]["KeyPolicy"]["Statement"]
    assert statement["Action"] == "kms:*"
    assert statement["Principal"] == {"AWS": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}}
    assert "Condition" not in statement


def test_the_secrets_key_is_exported_whoever_imports_it(prod: Synth) -> None:
    outputs = prod.json("network")["Outputs"].values()
    [exported] = [o for o in outputs if o.get("Value") == {"Fn::GetAtt": [SECRETS_KEY_ID, "Arn"]}]
    assert exported["Export"]["Name"].startswith("anigmaa-prod-network:")
