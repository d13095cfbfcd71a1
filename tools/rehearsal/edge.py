"""Edge protection, rehearsed on prod with its domain: CloudFront and its AWS WAF web ACL come, serve the
rollback and the split, rotate their origin secret, and go, each step checked as a user would see it.

From the Lambda path with the domain's records on it (edge_protection off): us-east-1 bootstrapped;
`edge_protection=open` and `cdk deploy --all` (the cdn stack in us-east-1: the distribution on the
Lambda path's origin name behind the CLOUDFRONT web ACL, its X-Origin-Verify header the origin secret's
current value read through its us-east-1 replica; the domain's records CloudFront's alone; the paths
still take direct requests); `edge_protection=on` (the backend gets ORIGIN_VERIFY_SECRET, the load
balancer's group takes HTTPS from CloudFront's origin-facing prefix list only, looked up at deploy by
the network stack's custom resource); the runbook's 3 a.m. rollback (`cdk deploy --all -c compute=ecs`:
the CloudFront function's weights and the distribution's origin move, the records stay), the ECS stack
refused deletion while the edge stack reads its origin, the split at 25 and all back to Lambda; the
origin secret rotated with tools.ops.origin_secret (a second rotation refused until the cdn stack
carries the first) and the cdn stack deployed with the new version; and the way back out (open; the
edge stack alone with off, its records beside CloudFront's; the cdn stack deleted; the compute stack
alone with off; everything with off), where the rehearsal was before: the domain's records on Lambda,
no cdn stack, no origin secret. The domain has an A record at every step.

What the emulator cannot show: no request reaches CloudFront, so WAF evaluates nothing (no rate limit
is hit, no managed rule matches, nothing is logged) and the function runs nowhere (its tests under njs
cover the weights); nothing propagates (a distribution is Deployed at once, with no delay in which both
the old and the new configuration answer); certificates are never validated (ACM issues at once, no DNS
is asked); the origin check is not exercised (the backend refusing a request without the header: the
Go parity suite covers it); CloudFront's prefix list is moto's copy, not AWS's; and the custom resource's
lookup runs as the emulator's administrator, not its provider function's role.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from config import AppConfig
from constructs.edge_protection import MANAGED_RULE_GROUPS, ORIGIN_VERIFY_HEADER, RATE_RULE
from tools import ROOT
from tools.ops.aws import load_environment
from tools.ops.smoke import stack_outputs
from tools.rehearsal import pipeline, server
from tools.rehearsal.server import ACCOUNT, REGION

if TYPE_CHECKING:
    from tools.rehearsal.__main__ import Rehearsal

EDGE_REGION = "us-east-1"
PYTHON = ROOT / ".venv" / "bin" / "python"
ORIGIN_SECRET = (str(PYTHON), "-m", "tools.ops.origin_secret")
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# The CloudFront function's weights line (constructs/origin_selector.py WEIGHTS_LINE).
WEIGHTS_LINE = re.compile(r"^var WEIGHTS = (.*);$", re.MULTILINE)


class EdgeError(Exception):
    """An edge protection step did not do what it should; the message names it."""


def rehearse_edge(r: Rehearsal, zone_id: str, domain_args: tuple[str, ...], ecs_image: str) -> None:
    """On prod as `rehearse` leaves it after the split (Lambda path, the domain's records on it, edge
    protection off): edge protection open, on, the rollback and split behind it, the origin secret's
    rotation, and the way back to where it started."""
    off = domain_args
    settings = [item for item in off[1::2] if not item.startswith("edge_protection=")]
    domain_only = tuple(arg for item in settings for arg in ("-c", item))
    opened, on = (*domain_only, "-c", "edge_protection=open"), (*domain_only, "-c", "edge_protection=on")
    config = load_environment("prod", ROOT, [*settings, "edge_protection=on"])
    network, data, on_lambda, on_ecs, edge, cdn = (
        config.stack_name(role) for role in ("network", "data", "lambda", "ecs", "edge", "cdn")
    )
    check = _Checks(r, config, zone_id)
    regional = {network, data, on_lambda, edge}

    r.cdk("edge: cdk bootstrap (us-east-1)", "bootstrap", f"aws://{ACCOUNT}/{EDGE_REGION}")
    check.bootstrapped()

    # open: CloudFront in front; the paths still take direct requests.
    r.deploy("edge: edge_protection=open, deploy --all", "--all", *opened)
    r.expect_stacks("edge: open", regional)
    check.cdn_stack(cdn)
    distribution = check.distribution({"lambda": 100})
    check.header_is_the_current_secret(distribution)
    check.records({"cloudfront": ("A",)}, distribution)
    check.origin_names(["lambda"])
    check.origin_check(enforced=False)
    check.domain_mapping(mapped=True)
    check.web_acl(distribution)
    check.load_balancer_ingress(from_cloudfront=False)

    # on: the backend refuses requests without the header, the load balancer takes CloudFront's addresses only.
    r.deploy("edge: edge_protection=on, deploy --all", "--all", *on)
    r.expect_stacks("edge: on", regional)
    check.origin_check(enforced=True)
    check.domain_mapping(mapped=False)
    check.load_balancer_ingress(from_cloudfront=True)
    check.header_is_the_current_secret(check.distribution({"lambda": 100}))
    check.records({"cloudfront": ("A",)}, distribution)

    # The 3 a.m. rollback behind CloudFront: the runbook's one command; the function and the origin move.
    ecs = ("-c", "compute=ecs", "-c", f"ecs_image_uri={ecs_image}")
    r.deploy("edge: the 3 a.m. rollback behind CloudFront (compute=ecs)", "--all", *ecs, *on)
    r.expect_stacks("edge: ECS beside Lambda", regional | {on_ecs})
    check.distribution({"ecs": 100})
    check.origin_names(["lambda", "ecs"])
    check.records({"cloudfront": ("A",)}, distribution)
    r.cdk("edge: refused: destroy the ECS stack CloudFront sends requests to", "destroy", "--force", *ecs, *on,
          "--exclusively", "Ecs", fails_with=f"is in use by {edge}")  # fmt: skip
    split = ("-c", "compute=split", "-c", "lambda_weight=25", "-c", f"ecs_image_uri={ecs_image}")
    r.deploy("edge: split behind CloudFront (lambda_weight=25)", "--all", *split, *on)
    check.distribution({"lambda": 25, "ecs": 75})
    check.records({"cloudfront": ("A",)}, distribution)
    r.deploy("edge: all back to Lambda behind CloudFront (compute=lambda)", "--all", *on)
    check.distribution({"lambda": 100})
    r.client("cloudformation").delete_stack(StackName=on_ecs)
    r.expect_stacks("edge: the ECS stack deleted", regional)
    check.records({"cloudfront": ("A",)}, distribution)

    rotate_origin_secret(r, check, on, [*settings, "edge_protection=on"])

    # The way back: open; the edge stack alone with off (its records beside CloudFront's); the cdn stack
    # deleted; the compute stack alone with off (it holds the origin certificate's import); everything.
    r.deploy("edge: the way back: edge_protection=open, deploy --all", "--all", *opened)
    check.origin_check(enforced=False)
    check.load_balancer_ingress(from_cloudfront=False)
    check.records({"cloudfront": ("A",)}, distribution)
    r.deploy("edge: the way back: the edge stack alone with off", *off, "--exclusively", "Edge")
    check.records({"cloudfront": ("A",), "lambda": ("A",)}, distribution)
    check.edge_client("cloudformation").delete_stack(StackName=cdn)
    check.cdn_stack(cdn, deleted=True)
    check.records({"lambda": ("A",)}, distribution)
    r.log(f"      {cdn} deleted: no distribution, web ACL or CloudFront function left in {EDGE_REGION}")
    r.deploy("edge: the way back: the compute stack alone with off", *off, "--exclusively", "Lambda")
    check.records({"lambda": ("A",)}, distribution)
    r.deploy("edge: the way back: everything with off, deploy --all", "--all", *off)
    r.expect_stacks("edge: off again", regional)
    check.records({"lambda": ("A",)}, distribution)
    check.gone()


def rotate_origin_secret(r: Rehearsal, check: _Checks, on: tuple[str, ...], settings: list[str]) -> None:
    """tools.ops.origin_secret rotate against a checkout whose cdk.json has the domain and edge protection on,
    a second rotation refused, then the cdn stack deployed with the new version; status clean after it."""
    cdk_json = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    prod = cdk_json["context"]["environments"]["prod"]
    prod.update(item.split("=", 1) for item in settings)
    t = replace(r, assemblies={}, root=pipeline.checkout_copy(r.workdir, json.dumps(cdk_json, indent=2)))
    before = check.secret_versions()
    t.run("edge: origin_secret status (never rotated)", [*ORIGIN_SECRET, "status", "--env", "prod"])
    rotated = t.run("edge: origin_secret rotate", [*ORIGIN_SECRET, "rotate", "--env", "prod"])
    match = re.search(r"^new version\s+(\S+) \(AWSCURRENT\)$", rotated, re.MULTILINE)
    after = check.secret_versions()
    if match is None or after["AWSCURRENT"] != match.group(1) or after.get("AWSPREVIOUS") != before["AWSCURRENT"]:
        raise EdgeError(f"origin_secret rotate: versions {before} → {after}, the tool said {rotated.strip()!r}")
    version = match.group(1)
    t.run("edge: refused: rotate again before the cdn stack carries the new version",
          [*ORIGIN_SECRET, "rotate", "--env", "prod"], fails_with="not rotated: ")  # fmt: skip
    # What the tool says next: the version into cdk.json (committed), and the cdn stack deployed.
    prod["origin_secret_version"] = version
    (t.root / "cdk.json").write_text(json.dumps(cdk_json, indent=2), encoding="utf-8")
    r.deploy("edge: the cdn stack with the new origin_secret_version", *on, "-c", f"origin_secret_version={version}",
             "--exclusively", "Cdn")  # fmt: skip
    check.header_is_the_current_secret(check.distribution({"lambda": 100}))
    status = t.run("edge: origin_secret status (rotated, deployed)", [*ORIGIN_SECRET, "status", "--env", "prod"])
    if "the same reference as the configuration" not in status or "FAIL" in status:
        raise EdgeError(f"origin_secret status after the deploy:\n{status}")
    r.log(
        f"      {check.config.names.origin_secret}: rotated to a new version ({before['AWSCURRENT'][:8]}… "
        "AWSPREVIOUS), the cdn stack pinned to it: the distribution's header is the new AWSCURRENT"
    )


class _Checks:
    """What a user sees of edge protection, read through boto3 (us-east-1 for CloudFront, WAF and the cdn stack)."""

    def __init__(self, r: Rehearsal, config: AppConfig, zone_id: str) -> None:
        assert config.api.domain is not None
        assert config.api.edge is not None
        self.r, self.config, self.zone_id = r, config, zone_id
        self.domain = config.api.domain
        self.edge = config.api.edge
        self.cdn = config.stack_name("cdn")

    def edge_client(self, service: str) -> Any:
        return server.client(self.r.emulator.url, service, region=EDGE_REGION)

    # ------------------------------------------------------------------ the cdn stack and its distribution

    def bootstrapped(self) -> None:
        [toolkit] = self.edge_client("cloudformation").describe_stacks(StackName="CDKToolkit")["Stacks"]
        if toolkit["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise EdgeError(f"CDKToolkit in {EDGE_REGION}: {toolkit['StackStatus']}")
        self.r.log(f"      CDKToolkit: {toolkit['StackStatus']} in {EDGE_REGION}, where the cdn stack deploys")

    def cdn_stack(self, name: str, *, deleted: bool = False) -> None:
        outputs = stack_outputs(self.edge_client("cloudformation"), name)
        if deleted:
            if outputs is not None:
                raise EdgeError(f"{name} is still deployed in {EDGE_REGION}")
            distributions = self.edge_client("cloudfront").list_distributions()["DistributionList"].get("Items", [])
            acls = self.edge_client("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
            functions = self.edge_client("cloudfront").list_functions()["FunctionList"].get("Items", [])
            if distributions or acls or functions:
                raise EdgeError(
                    f"{name} deleted, yet left {len(distributions)} distribution(s), {len(acls)} web ACL(s), "
                    f"{len(functions)} function(s)"
                )
            return
        expected = {"DistributionId", "DistributionDomainName", "WebAclArn", "WafLogGroup", "OriginWeights"}
        if outputs is None or not expected <= set(outputs):
            raise EdgeError(f"{name} in {EDGE_REGION}: outputs {sorted(outputs or {})}, expected {sorted(expected)}")
        self.r.log(f"      {name}: deployed in {EDGE_REGION}, outputs {', '.join(sorted(expected))}")

    def distribution(self, weights: dict[str, int]) -> dict[str, Any]:
        """The deployed distribution serves the domain through both paths' origins, the serving one first, by the
        function's weights (its WEIGHTS line), behind the web ACL; its configuration."""
        outputs = stack_outputs(self.edge_client("cloudformation"), self.cdn) or {}
        cloudfront = self.edge_client("cloudfront")
        found = cloudfront.get_distribution(Id=outputs.get("DistributionId", "none"))["Distribution"]
        settings = found["DistributionConfig"]
        aliases = settings["Aliases"].get("Items", [])
        origins = {o["Id"]: o["DomainName"] for o in settings["Origins"].get("Items", [])}
        serving = sorted(("lambda", "ecs"), key=lambda path: (path not in weights, path != "lambda"))
        expected = {path: self.domain.origin_name(path) for path in serving}
        if aliases != [self.domain.name] or list(origins.items()) != list(expected.items()):
            raise EdgeError(f"{self.cdn}: distribution aliases {aliases}, origins {origins}; expected {expected}")
        default = settings["DefaultCacheBehavior"]
        associations = default.get("FunctionAssociations", {}).get("Items", [])
        name = self.config.names.of("origin-selector")
        described = cloudfront.describe_function(Name=name)["FunctionSummary"]
        if [(a["FunctionARN"], a["EventType"]) for a in associations] != [
            (described["FunctionMetadata"]["FunctionARN"], "viewer-request")
        ]:
            raise EdgeError(f"{self.cdn}: the default behavior runs {associations}, not {name} on viewer-request")
        code = cloudfront.get_function(Name=name)["FunctionCode"].read().decode()
        lines = WEIGHTS_LINE.findall(code)
        if len(lines) != 1 or json.loads(lines[0]) != weights:
            raise EdgeError(f"{name}: WEIGHTS {lines}, expected {weights}")
        if described["FunctionMetadata"].get("Stage") != "LIVE":
            raise EdgeError(f"{name}: stage {described['FunctionMetadata'].get('Stage')}, not LIVE (published)")
        self.r.log(
            f"      {self.cdn}: {aliases[0]} through {name}, WEIGHTS {json.dumps(weights)} (LIVE, viewer-request); "
            "origins " + ", ".join(f"{path} → {host}" for path, host in origins.items())
        )
        return dict(found)

    def header_is_the_current_secret(self, distribution: dict[str, Any]) -> None:
        """Every origin's X-Origin-Verify is the secret's AWSCURRENT value, read through its us-east-1 replica
        (compared here, never printed)."""
        name = self.config.names.origin_secret
        current = self.edge_client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        values = [
            header["HeaderValue"]
            for origin in distribution["DistributionConfig"]["Origins"].get("Items", [])
            for header in origin.get("CustomHeaders", {}).get("Items", [])
            if header["HeaderName"] == ORIGIN_VERIFY_HEADER
        ]
        origins = len(distribution["DistributionConfig"]["Origins"].get("Items", []))
        if len(values) != origins or any(value != current for value in values):
            raise EdgeError(
                f"{self.cdn}: {len(values)} of {origins} origin(s) send {ORIGIN_VERIFY_HEADER}; not each the "
                f"current value of {name} in {EDGE_REGION}"
            )
        self.r.log(
            f"      {self.cdn}: each origin's {ORIGIN_VERIFY_HEADER} is {name}'s AWSCURRENT, read through its "
            f"{EDGE_REGION} replica (compared, not shown)"
        )

    def secret_versions(self) -> dict[str, str]:
        stages = self.r.client("secretsmanager").describe_secret(SecretId=self.config.names.origin_secret)
        return {
            stage: version
            for version, labels in stages.get("VersionIdsToStages", {}).items()
            for stage in labels
            if stage in ("AWSCURRENT", "AWSPREVIOUS")
        }

    def web_acl(self, distribution: dict[str, Any]) -> None:
        """The distribution's web ACL is the CLOUDFRONT one of the stack: the rate rule first, then the managed
        rule groups, as the configuration has them."""
        wafv2 = self.edge_client("wafv2")
        name = self.config.names.web_acl
        [summary] = [acl for acl in wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] if acl["Name"] == name] or [None]
        if summary is None:
            raise EdgeError(f"no CLOUDFRONT web ACL {name} in {EDGE_REGION}")
        acl = wafv2.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=summary["Id"])["WebACL"]
        if distribution["DistributionConfig"].get("WebACLId") != acl["ARN"]:
            raise EdgeError(f"{self.cdn}: the distribution's web ACL is not {acl['ARN']}")
        rules = [rule["Name"] for rule in sorted(acl["Rules"], key=lambda rule: rule["Priority"])]
        expected = [RATE_RULE, *(group for group, _ in MANAGED_RULE_GROUPS)]
        rate = acl["Rules"][0]["Statement"].get("RateBasedStatement", {}) if acl["Rules"] else {}
        limit = (rate.get("Limit"), rate.get("EvaluationWindowSec"))
        if rules != expected or limit != (self.edge.rate_limit, self.edge.rate_window_seconds):
            raise EdgeError(
                f"{name}: rules {rules}, rate {limit}; expected {expected}, "
                f"({self.edge.rate_limit}, {self.edge.rate_window_seconds})"
            )
        self.r.log(
            f"      {name} (CLOUDFRONT, {EDGE_REGION}) protects the distribution: {RATE_RULE} "
            f"{limit[0]} per {limit[1]} s, then {len(MANAGED_RULE_GROUPS)} managed rule groups"
        )

    def domain_mapping(self, *, mapped: bool) -> None:
        """The domain's own API custom domain is mapped to the API (open) or not (on: API Gateway answers a request
        for it 403 itself, so none that goes around CloudFront reaches the function or its throttle)."""
        apigateway = self.r.client("apigatewayv2")
        found = apigateway.get_api_mappings(DomainName=self.domain.name).get("Items", [])
        if bool(found) != mapped:
            raise EdgeError(f"{self.domain.name}: {len(found)} API mapping(s); expected {'one' if mapped else 'none'}")
        self.r.log(
            f"      {self.domain.name}: {'mapped to the API' if mapped else 'no API mapping (403 around CloudFront)'}"
        )

    # ------------------------------------------------------------------ DNS and the origins

    def records(self, expected: dict[str, tuple[str, ...]], distribution: dict[str, Any]) -> None:
        """The domain's records are exactly ``expected`` (set identifier → record types); CloudFront's alias the
        distribution, Lambda's the API's own custom domain. There is always an A record."""
        found: dict[str, list[str]] = {}
        shown = []
        for record in self._zone():
            if record["Name"].rstrip(".") != self.domain.name or record["Type"] not in ("A", "AAAA"):
                continue
            identifier = record.get("SetIdentifier", "")
            found.setdefault(identifier, []).append(record["Type"])
            alias = (record.get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower()
            if identifier == "cloudfront":
                target = distribution["DomainName"].lower()
            elif identifier == "lambda":
                target = self._api_domain_target(self.domain.name).lower().rstrip(".")
            else:
                target = "?"
            if target not in alias:
                raise EdgeError(
                    f"{self.domain.name} ({identifier} {record['Type']}): an alias of {alias}, not {target}"
                )
            shown.append(f"{identifier} {record['Type']} {record.get('Weight')}")
        wanted = {identifier: sorted(types) for identifier, types in expected.items()}
        if {identifier: sorted(types) for identifier, types in found.items()} != wanted:
            raise EdgeError(f"{self.domain.name}: records {found}, expected {wanted}")
        if not any("A" in types for types in found.values()):
            raise EdgeError(f"{self.domain.name}: no A record")
        self.r.log(f"      {self.domain.name}: {', '.join(sorted(shown))}")

    def origin_names(self, paths: list[str]) -> None:
        """Each path's origin name has its record, aliasing the path (the API's custom domain, the load balancer)."""
        for path in paths:
            name = self.domain.origin_name(path)
            records = [r for r in self._zone() if r["Name"].rstrip(".") == name and r["Type"] == "A"]
            if path == "lambda":
                target = self._api_domain_target(name)
            else:
                ecs = stack_outputs(self.r.client("cloudformation"), self.config.stack_name("ecs")) or {}
                target = ecs.get("LoadBalancerDnsName", "?")
            aliases = [(r.get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower() for r in records]
            if len(records) != 1 or target.lower().rstrip(".") not in aliases[0]:
                raise EdgeError(f"{name}: A records aliasing {aliases}, expected one aliasing {target}")
        self.r.log(
            f"      origin names: {', '.join(self.domain.origin_name(path) for path in paths)}, each its A record"
        )

    def _zone(self) -> list[dict[str, Any]]:
        route53 = self.r.client("route53")
        records: list[dict[str, Any]] = []
        request: dict[str, Any] = {"HostedZoneId": self.zone_id}
        while True:
            page = route53.list_resource_record_sets(**request)
            records += page["ResourceRecordSets"]
            if not page.get("IsTruncated"):
                return records
            request.update(StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"])

    def _api_domain_target(self, name: str) -> str:
        for domain in self.r.client("apigatewayv2").get_domain_names()["Items"]:
            if domain["DomainName"] == name:
                return str(domain["DomainNameConfigurations"][0]["ApiGatewayDomainName"])
        raise EdgeError(f"no API custom domain {name}")

    # ------------------------------------------------------------------ the origin check and the load balancer

    def origin_check(self, *, enforced: bool) -> None:
        """With on, the function gets ORIGIN_VERIFY_SECRET (the secret's ARN); with open, it does not."""
        function = self.r.client("lambda").get_function_configuration(FunctionName=self.config.function.function_name)
        variables = function.get("Environment", {}).get("Variables", {})
        arn = self.r.client("secretsmanager").describe_secret(SecretId=self.config.names.origin_secret)["ARN"]
        given = variables.get("ORIGIN_VERIFY_SECRET")
        if (given == arn) != enforced or (not enforced and given is not None):
            raise EdgeError(
                f"{function['FunctionName']}: ORIGIN_VERIFY_SECRET {given!r}; expected "
                f"{arn if enforced else 'none'} (edge_protection {'on' if enforced else 'open'})"
            )
        self.r.log(
            f"      {function['FunctionName']}: "
            + ("ORIGIN_VERIFY_SECRET is the origin secret's ARN" if enforced else "no ORIGIN_VERIFY_SECRET")
        )

    def load_balancer_ingress(self, *, from_cloudfront: bool) -> None:
        """The network stack's load balancer group: HTTPS from CloudFront's origin-facing prefix list only (on),
        or HTTP and HTTPS from anywhere."""
        network = self.config.stack_name("network")
        resources = self.r.client("cloudformation").describe_stack_resources(StackName=network)["StackResources"]
        [group_id] = [
            resource["PhysicalResourceId"]
            for resource in resources
            if resource["ResourceType"] == "AWS::EC2::SecurityGroup"
            and resource["LogicalResourceId"].startswith("SecurityGroupsLoadBalancerSecurityGroup")
        ]
        ec2 = self.r.client("ec2")
        [group] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        rules = sorted(
            (permission.get("FromPort"), source)
            for permission in group["IpPermissions"]
            for source in [r["CidrIp"] for r in permission.get("IpRanges", [])]
            + [r.get("CidrIpv6", "") for r in permission.get("Ipv6Ranges", [])]
            + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
            + [g["GroupId"] for g in permission.get("UserIdGroupPairs", [])]
        )
        [prefix_list] = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_ORIGIN_FACING]}]
        )["PrefixLists"]
        expected = [(443, prefix_list["PrefixListId"])] if from_cloudfront else [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
        if rules != expected:
            raise EdgeError(f"{network}: the load balancer's group {group_id} takes {rules}, expected {expected}")
        said = (
            f"HTTPS from {prefix_list['PrefixListId']} ({CLOUDFRONT_ORIGIN_FACING}) only, no 0.0.0.0/0"
            if from_cloudfront
            else "HTTP and HTTPS from 0.0.0.0/0"
        )
        self.r.log(f"      {network}: the load balancer's group takes {said}")

    def gone(self) -> None:
        """Off again: no origin secret in either region, no origin name, no cdn stack."""
        name = self.config.names.origin_secret
        for region in (REGION, EDGE_REGION):
            secrets = server.client(self.r.emulator.url, "secretsmanager", region=region).list_secrets()["SecretList"]
            if any(secret["Name"] == name for secret in secrets):
                raise EdgeError(f"{name} is still in {region} with edge protection off")
        names = {self.domain.origin_name(path) for path in ("lambda", "ecs")}
        left = sorted({r["Name"].rstrip(".") for r in self._zone()} & names)
        if left:
            raise EdgeError(f"origin names left with edge protection off: {left}")
        self.r.log(f"      off again: no {name} in {REGION} or {EDGE_REGION}, no origin names, no {self.cdn}")
