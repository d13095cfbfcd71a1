"""What a synthesized cloud assembly would bill for: read from its templates, not the config.

Reading the templates (rather than cdk.json) means the report prices exactly what
`cdk deploy` would create, whatever the context, overrides or code produced.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from config.limits import (
    WAF_BASE_CAPACITY,
    WAF_CUSTOM_KEY_CAPACITY,
    WAF_IP_SET_CAPACITY,
    WAF_MANAGED_RULE_GROUP_CAPACITY,
    WAF_RATE_RULE_CAPACITY,
)
from tools.cost import CostError
from tools.gates.assembly import AssemblyError, read_stacks

Resource = dict[str, Any]


@dataclass(frozen=True)
class Database:
    instance_class: str
    multi_az: bool
    storage_gb: int
    storage_type: str


@dataclass(frozen=True)
class Cache:
    node_type: str
    nodes: int


@dataclass(frozen=True)
class Function:
    memory_mb: int
    architecture: str
    # Environments kept initialised on its alias (lambda_provisioned_concurrency), billed while idle.
    provisioned: int = 0


@dataclass(frozen=True)
class FargateTasks:
    count: int
    vcpu: float
    memory_gb: float
    architecture: str


@dataclass(frozen=True)
class Backups:
    """What the AWS Backup plan keeps: days per rule, where it copies, what it selects."""

    daily_days: int  # 0: no daily rule
    continuous_days: int  # 0: no continuous rule
    copy_region: str | None  # the copy vault's region (None: no copy to another region)
    copy_days: int
    copies_per_day: int  # rules that copy to copy_region, each once a day
    account_copies: bool  # also copied to a vault in another account (billed there)
    database: bool
    bucket: bool


@dataclass(frozen=True)
class Cdn:
    """CloudFront and its AWS WAF web ACL in front of the compute paths (edge_protection), in ``region``."""

    region: str  # where the stack holding them is (us-east-1: a CLOUDFRONT-scope web ACL exists only there)
    web_acls: int
    waf_rules: int  # rules and rule groups, each billed a month
    waf_capacity: int  # WCU of the largest web ACL (up to WAF_BASE_CAPACITY: no surcharge)
    waf_inspected: bool  # the distribution's requests go through a web ACL
    waf_logs_filtered: bool  # the web ACL logs only the requests it blocks or counts (False: every request)
    waf_logs: bool  # the web ACL logs to CloudWatch Logs
    functions_per_request: int  # CloudFront Functions each request runs (viewer request and response)
    alarms: int = 0
    custom_metrics: int = 0


@dataclass(frozen=True)
class Inventory:
    """The billable resources of one assembly (one environment, one compute mode)."""

    region: str
    stacks: tuple[str, ...]
    nat_gateways: int
    nat_instances: tuple[str, ...]  # instance types
    nat_instance_public_ips: int
    elastic_ips: int
    interface_endpoints: tuple[tuple[str, int], ...]  # (service, zones)
    database: Database | None
    cache: Cache | None
    function: Function | None  # the one behind the HTTP API
    http_apis: int
    load_balancer_zones: int  # 0: no load balancer
    fargate: FargateTasks | None
    alarms: int  # alarm metrics (billed per metric) in the network and data stacks
    dashboards: int
    compute_alarms: int  # alarm metrics in the compute stack
    compute_dashboards: int
    # The outside-in probe's canary runs an hour (CloudWatch Synthetics bills each run), by where it lives.
    probe_runs_per_hour: float = 0.0
    compute_probe_runs_per_hour: float = 0.0
    # Custom metrics the alarms watch (billed per metric-month): the frame's per-version counts and
    # the access log's 429s; AWS's own metrics (AWS/…, CloudWatchSynthetics) are free.
    custom_metrics: int = 0
    compute_custom_metrics: int = 0
    # The AWS Backup plan of the data stack (None: none), and the customer-managed KMS keys in every stack.
    backups: Backups | None = None
    kms_keys: int = 0
    # Secrets Manager secrets in the region, and the regions of their replicas (each billed as a secret there).
    secrets: int = 0
    secret_replicas: tuple[str, ...] = ()
    # CloudFront and WAF (edge_protection): priced by their own stack's region; None without them.
    cdn: Cdn | None = None
    # Each stack and the region it deploys to, as the assembly's manifest says.
    stack_regions: tuple[tuple[str, str], ...] = ()

    @property
    def compute(self) -> str:
        if self.function is not None and self.fargate is None:
            return "lambda"
        if self.fargate is not None and self.function is None:
            return "ecs"
        raise CostError(f"assembly with stacks {', '.join(self.stacks)} holds neither or both compute paths")

    @property
    def public_ipv4(self) -> int:
        """Public IPv4 addresses billed by the hour: Elastic IPs, NAT instances, load balancer nodes."""
        return self.elastic_ips + self.nat_instance_public_ips + self.load_balancer_zones


def read(assembly: Path) -> Inventory:
    """The inventory of the cloud assembly in ``assembly`` (a cdk.out directory)."""
    try:
        artifacts = read_stacks(assembly)
    except AssemblyError as error:
        raise CostError(str(error)) from None
    if not artifacts:
        raise CostError(f"{assembly}: the assembly holds no stacks")
    # A stack of backup vaults alone (BackupCopy) lives in another region on purpose, and so does the one holding
    # CloudFront and its web ACL (us-east-1, edge_protection); the rest share one.
    cdn = [stack for stack in artifacts if _is_cdn(stack.template)]
    regions = {stack.region for stack in artifacts if stack not in cdn and not _vaults_only(stack.template)}
    if len(regions) != 1 or regions & {"", "unknown-region"}:
        raise CostError(f"{assembly}: stacks are not in one known region ({sorted(regions)})")
    cdn_regions = {stack.region for stack in cdn}
    if len(cdn_regions) > 1 or cdn_regions & {"", "unknown-region"}:
        raise CostError(f"{assembly}: the CloudFront stacks are not in one known region ({sorted(cdn_regions)})")
    inventory = _inventory(
        regions.pop(), {stack.construct_id: stack.template for stack in artifacts if stack not in cdn}
    )
    return replace(
        inventory,
        stacks=tuple(stack.construct_id for stack in artifacts),
        stack_regions=tuple((stack.construct_id, stack.region) for stack in artifacts),
        cdn=_cdn(cdn_regions.pop(), {stack.construct_id: stack.template for stack in cdn}) if cdn else None,
    )


CDN_TYPES = frozenset({"AWS::CloudFront::Distribution", "AWS::WAFv2::WebACL"})


def _is_cdn(template: dict[str, Any]) -> bool:
    return any(r.get("Type") in CDN_TYPES for r in template.get("Resources", {}).values())


VAULT_STACK_TYPES = frozenset({"AWS::Backup::BackupVault", "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::CDK::Metadata"})


def _vaults_only(template: dict[str, Any]) -> bool:
    types = {r.get("Type") for r in template.get("Resources", {}).values()}
    return "AWS::Backup::BackupVault" in types and types <= VAULT_STACK_TYPES


def _inventory(region: str, stacks: dict[str, dict[str, Any]]) -> Inventory:
    resources: list[tuple[str, Resource]] = [
        (f"{stack}/{logical_id}", resource)
        for stack, template in stacks.items()
        for logical_id, resource in template.get("Resources", {}).items()
    ]

    def of_type(kind: str) -> Iterator[tuple[str, Resource]]:
        return ((where, r) for where, r in resources if r.get("Type") == kind)

    # The compute stack is the one holding the HTTP API or the ECS service.
    compute_stacks = {
        where.split("/", 1)[0]
        for where, r in resources
        if r.get("Type") in ("AWS::ApiGatewayV2::Api", "AWS::ECS::Service")
    }

    def count(kind: str, *, compute: bool) -> int:
        return sum(
            _billed_units(r) for where, r in of_type(kind) if (where.split("/", 1)[0] in compute_stacks) == compute
        )

    def in_stacks(kind: str, *, compute: bool) -> list[tuple[str, Resource]]:
        return [(w, r) for w, r in of_type(kind) if (w.split("/", 1)[0] in compute_stacks) == compute]

    def probe_runs(*, compute: bool) -> float:
        return sum(_runs_per_hour(w, r) for w, r in in_stacks("AWS::Synthetics::Canary", compute=compute))

    def custom_metrics(*, compute: bool) -> int:
        return len({m for _, r in in_stacks("AWS::CloudWatch::Alarm", compute=compute) for m in _custom_metrics(r)})

    nat_instances = [(w, r) for w, r in of_type("AWS::EC2::Instance") if _prop(r, "SourceDestCheck", True) is False]
    unpriced = [w for w, r in of_type("AWS::EC2::Instance") if (w, r) not in nat_instances]
    if unpriced:
        raise CostError(f"{unpriced[0]}: an EC2 instance that is not a NAT instance; the report cannot price it")

    return Inventory(
        region=region,
        stacks=tuple(stacks),
        # A referenced VPC's NAT gateways (vpc_id) are in no template: its stack's Metadata counts them.
        nat_gateways=sum(1 for _ in of_type("AWS::EC2::NatGateway"))
        + sum(
            int(template.get("Metadata", {}).get("anigmaa:existing-vpc", {}).get("NatGateways", 0))
            for template in stacks.values()
        ),
        nat_instances=tuple(_literal(w, r, "InstanceType", str) for w, r in nat_instances),
        nat_instance_public_ips=sum(1 for _, r in nat_instances if _public_ip(r)),
        elastic_ips=sum(1 for _ in of_type("AWS::EC2::EIP")),
        interface_endpoints=tuple(
            (_endpoint_service(w, r), len(_literal(w, r, "SubnetIds", list)))
            for w, r in of_type("AWS::EC2::VPCEndpoint")
            if _prop(r, "VpcEndpointType", "Gateway") == "Interface"
        ),
        database=_one(of_type("AWS::RDS::DBInstance"), _database),
        cache=_one(of_type("AWS::ElastiCache::ReplicationGroup"), _cache),
        function=_backend_function(resources),
        http_apis=sum(1 for _, r in of_type("AWS::ApiGatewayV2::Api") if _prop(r, "ProtocolType", "") == "HTTP"),
        load_balancer_zones=sum(
            len(_prop(r, "Subnets", [])) if _prop(r, "Scheme", "internet-facing") == "internet-facing" else 0
            for _, r in of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
        ),
        fargate=_fargate(resources),
        alarms=count("AWS::CloudWatch::Alarm", compute=False),
        dashboards=count("AWS::CloudWatch::Dashboard", compute=False),
        compute_alarms=count("AWS::CloudWatch::Alarm", compute=True),
        compute_dashboards=count("AWS::CloudWatch::Dashboard", compute=True),
        probe_runs_per_hour=probe_runs(compute=False),
        compute_probe_runs_per_hour=probe_runs(compute=True),
        custom_metrics=custom_metrics(compute=False),
        compute_custom_metrics=custom_metrics(compute=True),
        backups=_backups(
            region,
            list(of_type("AWS::Backup::BackupPlan")),
            list(of_type("AWS::Backup::BackupSelection")),
            buckets={where.split("/", 1)[1] for where, _ in of_type("AWS::S3::Bucket")},
        ),
        kms_keys=sum(1 for _ in of_type("AWS::KMS::Key")),
        secrets=sum(1 for _ in of_type("AWS::SecretsManager::Secret")),
        secret_replicas=tuple(
            _literal(where, {"Properties": replica}, "Region", str)
            for where, r in of_type("AWS::SecretsManager::Secret")
            for replica in _prop(r, "ReplicaRegions", [])
        ),
    )


# The AWS managed rule groups the report prices, each billed as one rule (their WCU from config/limits.py); the
# others (Bot Control, account takeover and creation fraud prevention, anti-DDoS) add fees of their own, and a
# vendor's groups a subscription.
_FREE_MANAGED_GROUPS = WAF_MANAGED_RULE_GROUP_CAPACITY


def _cdn(region: str, stacks: dict[str, dict[str, Any]]) -> Cdn:
    """The distribution, its web ACL (rules, capacity, logging) and the alarms beside them."""
    resources = [
        (f"{stack}/{logical_id}", resource)
        for stack, template in stacks.items()
        for logical_id, resource in template.get("Resources", {}).items()
    ]

    def of_type(kind: str) -> list[tuple[str, Resource]]:
        return [(where, r) for where, r in resources if r.get("Type") == kind]

    distributions = of_type("AWS::CloudFront::Distribution")
    if len(distributions) != 1:
        raise CostError(
            f"{', '.join(sorted(stacks))}: {len(distributions)} CloudFront distributions; the report prices one, "
            "which every request passes through"
        )
    where, distribution = distributions[0]
    config = _literal(where, distribution, "DistributionConfig", dict)
    price_class = config.get("PriceClass", "PriceClass_All")
    if price_class not in ("PriceClass_200", "PriceClass_All"):
        raise CostError(
            f"{where}: PriceClass {price_class!r} serves Indonesia from edges outside Asia, whose rates the price "
            "table lacks; accepted: PriceClass_200 or PriceClass_All"
        )
    behaviors = [config.get("DefaultCacheBehavior", {}), *config.get("CacheBehaviors", [])]
    if any(b.get("ViewerProtocolPolicy") == "allow-all" for b in behaviors):
        raise CostError(f"{where}: a behavior allows plain HTTP; the report prices HTTPS requests only")
    if any(b.get("LambdaFunctionAssociations") for b in behaviors):
        raise CostError(f"{where}: a behavior runs Lambda@Edge, which the price table has no figure for")
    # Each request runs the default behavior's functions (the app has no other behavior).
    functions = sum(
        1
        for association in config.get("DefaultCacheBehavior", {}).get("FunctionAssociations", [])
        if association.get("EventType") in ("viewer-request", "viewer-response")
    )

    acls = of_type("AWS::WAFv2::WebACL")
    capacities = [_waf_capacity(where, acl) for where, acl in acls]
    if capacities and max(capacities) > WAF_BASE_CAPACITY:
        raise CostError(
            f"{acls[capacities.index(max(capacities))][0]}: {max(capacities)} WCU is above the {WAF_BASE_CAPACITY:,} "
            "a web ACL includes; the report does not price the surcharge"
        )
    logging = of_type("AWS::WAFv2::LoggingConfiguration")
    for log_where, config_ in logging:
        destinations = json.dumps(_prop(config_, "LogDestinationConfigs", []))
        if ":logs:" not in destinations or "log-group" not in destinations:
            raise CostError(f"{log_where}: logs to {destinations}; the report prices WAF logs to CloudWatch Logs only")
    alarms = of_type("AWS::CloudWatch::Alarm")
    return Cdn(
        region=region,
        web_acls=len(acls),
        waf_rules=sum(len(_prop(acl, "Rules", [])) for _, acl in acls),
        waf_capacity=max(capacities, default=0),
        waf_inspected=bool(config.get("WebACLId")),
        waf_logs=bool(logging),
        waf_logs_filtered=all(_keeps_only_blocks_and_counts(r) for _, r in logging),
        functions_per_request=functions,
        alarms=sum(_billed_units(r) for _, r in alarms),
        custom_metrics=len({m for _, r in alarms for m in _custom_metrics(r)}),
    )


def _waf_capacity(where: str, acl: Resource) -> int:
    """A web ACL's capacity units (WCU), from its rules: AWS's free managed groups and rate-based rules."""
    total = 0
    for rule in _prop(acl, "Rules", []):
        statement = rule.get("Statement", {})
        name = rule.get("Name", "?")
        if "ManagedRuleGroupStatement" in statement:
            group = statement["ManagedRuleGroupStatement"]
            if group.get("VendorName") != "AWS" or group.get("Name") not in _FREE_MANAGED_GROUPS:
                raise CostError(
                    f"{where}: rule {name} runs {group.get('VendorName')}'s {group.get('Name')}, whose fees and WCU "
                    f"the report does not know; accepted: {', '.join(sorted(_FREE_MANAGED_GROUPS))}"
                )
            total += _FREE_MANAGED_GROUPS[group["Name"]]
        elif "RateBasedStatement" in statement:
            rate = statement["RateBasedStatement"]
            scope = json.dumps(rate.get("ScopeDownStatement", {}))
            if scope != "{}" and "IPSetReferenceStatement" not in scope:
                raise CostError(
                    f"{where}: rule {name}'s scope-down statement is one the report cannot count the WCU of"
                )
            total += WAF_RATE_RULE_CAPACITY + WAF_CUSTOM_KEY_CAPACITY * len(rate.get("CustomKeys", []))
            total += WAF_IP_SET_CAPACITY * scope.count("IPSetReferenceStatement")
        else:
            raise CostError(
                f"{where}: rule {name} is neither a managed rule group nor a rate-based rule; the report "
                "cannot count its WCU"
            )
    return total


def _keeps_only_blocks_and_counts(logging: Resource) -> bool:
    """Whether a logging configuration drops every request but the ones its web ACL blocks or counts."""
    found = _prop(logging, "LoggingFilter") or {}
    if found.get("DefaultBehavior") != "DROP":
        return False
    kept = [
        condition.get("ActionCondition", {}).get("Action")
        for rule in found.get("Filters", [])
        if rule.get("Behavior") == "KEEP"
        for condition in rule.get("Conditions", [])
    ]
    return bool(kept) and set(kept) <= {"BLOCK", "COUNT"}


_ARN_REGION = re.compile(r"arn:aws[a-z-]*:backup:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?")


def _copy_region(where: str, destination: Any) -> str:
    """The region of a copy action's destination vault: a literal ARN, or one joined around the account token."""
    text = destination if isinstance(destination, str) else json.dumps(destination)
    found = _ARN_REGION.search(text)
    if found is None:
        raise CostError(
            f"{where}: DestinationBackupVaultArn {destination!r} names no region; the report cannot price it"
        )
    return found["region"]


def _backups(
    region: str, plans: list[tuple[str, Resource]], selections: list[tuple[str, Resource]], *, buckets: set[str]
) -> Backups | None:
    """The one plan's rules (retention, continuous or not, copies) and what its selections cover
    (``buckets``: the logical ids of the assembly's buckets, which a selection names by Fn::GetAtt)."""
    if not plans:
        return None
    if len(plans) > 1:
        raise CostError(f"{plans[1][0]}: more than one backup plan; the report prices one")
    where, plan = plans[0]
    daily = continuous = copy_days = copies_per_day = 0
    copy_region: str | None = None
    account_copies = False
    for rule in _prop(plan, "BackupPlan", {}).get("BackupPlanRule", []):
        days = int(rule.get("Lifecycle", {}).get("DeleteAfterDays", 0))
        if rule.get("EnableContinuousBackup"):
            continuous = max(continuous, days)
        else:
            daily = max(daily, days)
        for action in rule.get("CopyActions", []):
            destination = _copy_region(where, action.get("DestinationBackupVaultArn"))
            if destination == region:
                account_copies = True  # the same region: a vault of another account, billed there
                continue
            copy_region, copies_per_day = destination, copies_per_day + 1
            copy_days = max(copy_days, int(action.get("Lifecycle", {}).get("DeleteAfterDays", 0)))
    items = [item for _, r in selections for item in _prop(r, "BackupSelection", {}).get("Resources", [])]
    selected = json.dumps(items)
    bucket = ":s3:::" in selected or any(
        isinstance(item, dict) and (item.get("Fn::GetAtt") or [None])[0] in buckets for item in items
    )
    return Backups(
        daily_days=daily,
        continuous_days=continuous,
        copy_region=copy_region,
        copy_days=copy_days,
        copies_per_day=copies_per_day,
        account_copies=account_copies,
        database=":db:" in selected,
        bucket=bucket,
    )


_RATE = re.compile(r"rate\((?P<n>\d+) (?P<unit>minute|minutes|hour|hours)\)")


def _runs_per_hour(where: str, canary: Resource) -> float:
    """A canary's runs an hour, from its schedule's rate(); rate(0 minutes) runs it once, not monthly."""
    expression = _prop(canary, "Schedule", {}).get("Expression")
    found = _RATE.fullmatch(expression) if isinstance(expression, str) else None
    if found is None:
        raise CostError(f"{where}: Schedule {expression!r} is not a rate(N minutes); the report cannot price it")
    n = int(found["n"])
    if n == 0:
        return 0.0
    return 60 / n if found["unit"].startswith("minute") else 1 / n


def _custom_metrics(alarm: Resource) -> set[str]:
    """The custom metrics an alarm watches, each as one string (namespace, name, dimensions)."""
    properties = alarm.get("Properties", {})
    metrics = [properties] + [
        m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if isinstance(m, dict) and "MetricStat" in m
    ]
    found = set()
    for metric in metrics:
        namespace = metric.get("Namespace")
        if not isinstance(namespace, str) or namespace.startswith("AWS/") or namespace == "CloudWatchSynthetics":
            continue
        found.add(json.dumps([namespace, metric.get("MetricName"), metric.get("Dimensions", [])], sort_keys=True))
    return found


def _billed_units(resource: Resource) -> int:
    """CloudWatch bills an alarm per metric it watches: a metric-math alarm counts each metric."""
    metrics = resource.get("Properties", {}).get("Metrics")
    if isinstance(metrics, list):
        return max(1, sum(1 for metric in metrics if isinstance(metric, dict) and "MetricStat" in metric))
    return 1


def _prop(resource: Resource, name: str, default: Any = None) -> Any:
    return resource.get("Properties", {}).get(name, default)


def _literal(where: str, resource: Resource, name: str, kind: type, default: Any = None) -> Any:
    """A property the price depends on; it must be written out in the template, not computed."""
    value = _prop(resource, name, default)
    if kind is int and isinstance(value, str) and value.isdigit():
        value = int(value)
    if kind is float and isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CostError(f"{where}: {name} is {value!r}, not a literal {kind.__name__}; the report cannot price it")
    return value


def _one(found: Iterator[tuple[str, Resource]], build: Any) -> Any:
    items = list(found)
    if len(items) > 1:
        raise CostError(f"{items[1][0]}: more than one of its type; the report prices one")
    return build(*items[0]) if items else None


def _public_ip(resource: Resource) -> bool:
    """A NAT instance needs a public address: counted unless the template turns it off."""
    interfaces = resource.get("Properties", {}).get("NetworkInterfaces", [])
    return not any(i.get("AssociatePublicIpAddress") is False for i in interfaces)


def _endpoint_service(where: str, resource: Resource) -> str:
    service = _prop(resource, "ServiceName")
    if isinstance(service, str):
        return service.rsplit(".", 1)[-1]
    return "interface"


def _database(where: str, r: Resource) -> Database:
    return Database(
        instance_class=_literal(where, r, "DBInstanceClass", str),
        multi_az=_literal(where, r, "MultiAZ", bool, False),
        storage_gb=_literal(where, r, "AllocatedStorage", int),
        storage_type=_literal(where, r, "StorageType", str, "gp2"),
    )


def _cache(where: str, r: Resource) -> Cache:
    return Cache(node_type=_literal(where, r, "CacheNodeType", str), nodes=_literal(where, r, "NumCacheClusters", int))


def _backend_function(resources: list[tuple[str, Resource]]) -> Function | None:
    """The function an HTTP API integrates with, directly or through an alias (deploy-time handlers and
    the pre-traffic hook are not it)."""
    by_id = {where.split("/", 1)[1]: (where, r) for where, r in resources}
    targets = []
    for _, r in resources:
        if r.get("Type") != "AWS::ApiGatewayV2::Integration":
            continue
        uri = _prop(r, "IntegrationUri")
        uri = uri if isinstance(uri, dict) else {}
        function_id, provisioned = (uri.get("Fn::GetAtt") or [None])[0], 0
        if uri.get("Ref") in by_id:  # an alias: the function it belongs to, and what it keeps warm
            alias = by_id[uri["Ref"]][1]
            function_id = (_prop(alias, "FunctionName") or {}).get("Ref")
            warm = _prop(alias, "ProvisionedConcurrencyConfig") or {}
            provisioned = int(warm.get("ProvisionedConcurrentExecutions", 0))
        if function_id in by_id:
            targets.append((*by_id[function_id], provisioned))
    if not targets:
        return None
    where, function, provisioned = targets[0]
    architectures = _literal(where, function, "Architectures", list, ["x86_64"])
    if architectures not in (["x86_64"], ["arm64"]):
        raise CostError(f"{where}: Architectures is {architectures!r}; the report prices x86_64 or arm64")
    [architecture] = architectures
    return Function(
        memory_mb=_literal(where, function, "MemorySize", int, 128), architecture=architecture, provisioned=provisioned
    )


def _fargate(resources: list[tuple[str, Resource]]) -> FargateTasks | None:
    services = [(w, r) for w, r in resources if r.get("Type") == "AWS::ECS::Service"]
    if not services:
        return None
    if len(services) > 1:
        raise CostError(f"{services[1][0]}: more than one ECS service; the report prices one")
    where, service = services[0]
    if _prop(service, "LaunchType") != "FARGATE":
        raise CostError(f"{where}: LaunchType is not FARGATE; the report prices Fargate only")
    ref = _prop(service, "TaskDefinition")
    by_id = {w.split("/", 1)[1]: (w, r) for w, r in resources}
    if not (isinstance(ref, dict) and ref.get("Ref") in by_id):
        raise CostError(f"{where}: TaskDefinition is not a reference to a task definition in the assembly")
    task_where, task = by_id[ref["Ref"]]
    platform = _literal(task_where, task, "RuntimePlatform", dict, {})
    cpu_architecture = platform.get("CpuArchitecture", "X86_64")
    if cpu_architecture not in ("X86_64", "ARM64"):
        raise CostError(f"{task_where}: CpuArchitecture is {cpu_architecture!r}; the report prices X86_64 or ARM64")
    return FargateTasks(
        count=_literal(where, service, "DesiredCount", int, 1),
        vcpu=_literal(task_where, task, "Cpu", float) / 1024,
        memory_gb=_literal(task_where, task, "Memory", float) / 1024,
        architecture="arm64" if cpu_architecture == "ARM64" else "x86_64",
    )
