"""Monthly cost lines from an inventory, a price table and a usage assumption.

Every line is price x quantity with the quantity written in its label, so a reader can
redo the arithmetic by hand. Lines are grouped: ``shared`` (network and data, the same
in both compute modes), ``cdn`` (CloudFront and AWS WAF in front of both, with edge
protection; among the shared lines), ``lambda`` and ``ecs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tools.cost import CostError
from tools.cost.inventory import Inventory
from tools.cost.prices import PriceTable

GIB = 1024**3
# Amazon Linux 2023's AMI, which NatProvider.instanceV2 boots, has an 8 GiB root volume.
NAT_INSTANCE_ROOT_GB = 8
# An ALB LCU is the largest of: 25 new connections/s, 3,000 active connections/min,
# 1 GB processed/h, 1,000 rule evaluations/s. The backend has one listener rule (the first
# 10 are free) and short requests, so new connections and bytes decide it.
ALB_NEW_CONNECTIONS_PER_LCU = 25.0
ALB_GB_PER_LCU_HOUR = 1.0
HTTP_API_FIRST_TIER = 300_000_000


@dataclass(frozen=True)
class Usage:
    """What the traffic looks like; every figure the templates cannot say."""

    requests: float  # a month
    avg_ms: float = 100.0  # billed Lambda duration per request
    response_kb: float = 4.0  # average response, for the load balancer's processed bytes
    nat_gb: float = 1.0  # outbound traffic through NAT a month (Midtrans, AWS APIs)
    log_bytes_lambda: int = 1100  # access log + platform start/report + app line, per request
    log_bytes_ecs: int = 250  # the app's request line (ALB access logs go to S3)
    bucket_gb: float = 5.0  # the assets bucket's current objects, for its backups
    daily_change: float = 0.02  # the share of the database and the bucket that changes a day (incremental backups)
    # Edge protection: the share of requests the web ACL blocks or counts (scanners, clients past the rate limit;
    # counted: cloud-hosted addresses such as VPNs and Midtrans, bodies over 8 KB), which its log keeps, and the
    # size of one WAF log record (JSON with the request's headers and every rule group's verdict).
    waf_logged_share: float = 0.02
    waf_log_bytes: int = 2000

    def __post_init__(self) -> None:
        names = ("requests", "avg_ms", "response_kb", "nat_gb", "log_bytes_lambda", "log_bytes_ecs", "bucket_gb")
        for name in (*names, "daily_change", "waf_logged_share", "waf_log_bytes"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise CostError(f"{name}: {value} is not a usable amount; accepted: a finite number >= 0")
        for name, what in (("daily_change", "all of the data"), ("waf_logged_share", "every request")):
            if getattr(self, name) > 1:
                raise CostError(f"{name}: {getattr(self, name)} is more than {what}; accepted: 0..1")


@dataclass(frozen=True)
class Line:
    """One priced item of a month."""

    group: str
    label: str
    usd: float
    keys: tuple[str, ...]
    seed_item: str = ""  # the seed's line this corresponds to, if any


def shared_lines(inv: Inventory, prices: PriceTable, usage: Usage) -> list[Line]:
    """Network and data, and the CloudFront and WAF in front of both paths: billed the same whichever compute
    mode runs."""
    hours = prices.hours_per_month
    lines: list[Line] = []
    if inv.nat_gateways:
        n = inv.nat_gateways
        lines.append(
            Line(
                "shared",
                f"NAT gateway x{n}, {hours:g} h",
                n * hours * prices.usd("natgateway.hour", "NAT gateway"),
                ("natgateway.hour",),
            )
        )
        lines.append(
            Line(
                "shared",
                f"NAT gateway data, {usage.nat_gb:g} GB (assumed)",
                usage.nat_gb * prices.usd("natgateway.gb", "NAT gateway data"),
                ("natgateway.gb",),
            )
        )
    for instance_type in sorted(set(inv.nat_instances)):
        n = inv.nat_instances.count(instance_type)
        key = f"ec2.{instance_type}.hour"
        lines.append(
            Line(
                "shared",
                f"NAT instance {instance_type} x{n}",
                n * hours * prices.usd(key, f"NAT instance {instance_type}"),
                (key,),
            )
        )
    if inv.nat_instances:
        n = len(inv.nat_instances)
        gb = n * NAT_INSTANCE_ROOT_GB
        lines.append(
            Line(
                "shared",
                f"NAT instance root volumes, {gb} GB gp3",
                gb * prices.usd("ebs.gp3.gb_month", "EBS gp3"),
                ("ebs.gp3.gb_month",),
            )
        )
    network_ips = inv.elastic_ips + inv.nat_instance_public_ips
    if network_ips:
        lines.append(_ipv4("shared", network_ips, "NAT", prices))
    for service, zones in inv.interface_endpoints:
        lines.append(
            Line(
                "shared",
                f"{service.upper()} interface endpoint x {zones} zones",
                zones * hours * prices.usd("vpce.interface.az_hour", "interface endpoint"),
                ("vpce.interface.az_hour",),
            )
        )
    if inv.database is not None:
        db = inv.database
        az = "multi_az" if db.multi_az else "single_az"
        key = f"rds.postgres.{db.instance_class}.{az}_hour"
        label = "Multi-AZ" if db.multi_az else "Single-AZ"
        lines.append(
            Line(
                "shared",
                f"RDS PostgreSQL {db.instance_class} {label}",
                hours * prices.usd(key, f"RDS class {db.instance_class} ({label})"),
                (key,),
                seed_item="RDS",
            )
        )
        storage_key = f"rds.{db.storage_type}.{az}.gb_month"
        lines.append(
            Line(
                "shared",
                f"RDS storage {db.storage_gb} GB {db.storage_type} {label}",
                db.storage_gb * prices.usd(storage_key, f"RDS storage type {db.storage_type} ({label})"),
                (storage_key,),
                seed_item="RDS",
            )
        )
    if inv.cache is not None:
        key = f"elasticache.redis.{inv.cache.node_type}.hour"
        lines.append(
            Line(
                "shared",
                f"ElastiCache Redis {inv.cache.node_type} x{inv.cache.nodes}",
                inv.cache.nodes * hours * prices.usd(key, f"ElastiCache node type {inv.cache.node_type}"),
                (key,),
                seed_item="ElastiCache",
            )
        )
    lines += backup_lines(inv, prices, usage)
    if inv.kms_keys:
        lines.append(
            Line(
                "shared",
                f"KMS keys x{inv.kms_keys} (first year)",
                inv.kms_keys * prices.usd("kms.key_month", "KMS key"),
                ("kms.key_month",),
            )
        )
    lines += secret_lines(inv, prices)
    lines += _monitoring(
        "shared",
        inv.alarms,
        inv.dashboards,
        prices,
        probe_runs_per_hour=inv.probe_runs_per_hour,
        custom_metrics=inv.custom_metrics,
    )
    return lines + cdn_lines(inv, prices, usage)


def secret_lines(inv: Inventory, prices: PriceTable) -> list[Line]:
    """Secrets Manager: each secret a month, and each replica as a secret of its own region."""
    lines = []
    if inv.secrets:
        lines.append(
            Line(
                "shared",
                f"Secrets Manager secrets x{inv.secrets}",
                inv.secrets * prices.usd("secretsmanager.secret_month", "Secrets Manager secret"),
                ("secretsmanager.secret_month",),
            )
        )
    for region in sorted(set(inv.secret_replicas)):
        n = inv.secret_replicas.count(region)
        key = f"{region}:secretsmanager.secret_month"
        lines.append(
            Line(
                "shared",
                f"Secrets Manager replicas x{n} ({region})",
                n * prices.usd(key, f"Secrets Manager replica in {region}"),
                (key,),
            )
        )
    return lines


def cdn_lines(inv: Inventory, prices: PriceTable, usage: Usage) -> list[Line]:
    """CloudFront and its AWS WAF web ACL (edge_protection), at their stack's region's prices.

    Every request of the month passes through the distribution (HTTPS, at edges in Asia: the users are in
    Indonesia) and, with a web ACL on it, is inspected; each runs the distribution's viewer functions. The
    response goes out at CloudFront's rate; origin fetches from AWS origins are free. No free tier is credited.
    """
    cdn = inv.cdn
    if cdn is None:
        return []
    n = usage.requests

    def key(name: str) -> str:
        return f"{cdn.region}:{name}"

    lines = []
    if cdn.web_acls:
        lines += [
            Line(
                "cdn",
                f"AWS WAF web ACL x{cdn.web_acls}",
                cdn.web_acls * prices.usd(key("waf.webacl_month"), "AWS WAF web ACL"),
                (key("waf.webacl_month"),),
            ),
            Line(
                "cdn",
                f"AWS WAF rules and rule groups x{cdn.waf_rules} ({cdn.waf_capacity:,} WCU, no surcharge)",
                cdn.waf_rules * prices.usd(key("waf.rule_month"), "AWS WAF rule"),
                (key("waf.rule_month"),),
            ),
        ]
    if cdn.waf_inspected:
        lines.append(
            Line(
                "cdn",
                "AWS WAF requests inspected",
                n / 1e6 * prices.usd(key("waf.request_million"), "AWS WAF requests"),
                (key("waf.request_million"),),
            )
        )
    lines += [
        Line(
            "cdn",
            "CloudFront HTTPS requests (Asia)",
            n / 1e6 * prices.usd(key("cloudfront.asia.https.request_million"), "CloudFront requests"),
            (key("cloudfront.asia.https.request_million"),),
        ),
        Line(
            "cdn",
            f"CloudFront data transfer out, {usage.response_kb:g} KB/response (Asia)",
            n * usage.response_kb * 1024 / GIB * prices.usd(key("cloudfront.asia.dto.gb"), "CloudFront transfer"),
            (key("cloudfront.asia.dto.gb"),),
        ),
    ]
    if cdn.functions_per_request:
        lines.append(
            Line(
                "cdn",
                f"CloudFront Functions, {cdn.functions_per_request} a request",
                cdn.functions_per_request
                * n
                / 1e6
                * prices.usd(key("cloudfront.function.invocation_million"), "CloudFront Functions"),
                (key("cloudfront.function.invocation_million"),),
            )
        )
    if cdn.waf_logs:
        share = usage.waf_logged_share if cdn.waf_logs_filtered else 1.0
        gb = n * share * usage.waf_log_bytes / GIB
        lines.append(
            Line(
                "cdn",
                f"AWS WAF logs, {share:.0%} of requests x {usage.waf_log_bytes} B",
                gb * prices.usd(key("cloudwatch.logs.vended_gb"), "AWS WAF logs"),
                (key("cloudwatch.logs.vended_gb"),),
            )
        )
    return lines + _monitoring(
        "cdn", cdn.alarms, 0, prices, probe_runs_per_hour=0, custom_metrics=cdn.custom_metrics, region=cdn.region
    )


def stored_gb(size_gb: float, days: int, daily_change: float, per_day: int = 1) -> float:
    """What ``days`` of incremental recovery points of ``size_gb`` hold: one full, then the day's changes."""
    return size_gb * (1 + per_day * daily_change * max(days - 1, 0))


def backup_lines(inv: Inventory, prices: PriceTable, usage: Usage) -> list[Line]:
    """AWS Backup: the recovery points in the region, their copies in the copy region, the transfer between.

    The database counts at its allocated storage (an upper bound), the bucket at ``usage.bucket_gb``.
    RDS recovery points (snapshots and continuous) are billed at RDS's backup-storage rate, S3's at AWS
    Backup's. A copy of a continuous recovery point is a snapshot, so each rule that copies adds a day's
    changes to the copy vault and to the transfer.
    """
    b = inv.backups
    if b is None:
        return []
    sizes: list[tuple[str, float, str]] = []
    if b.database and inv.database is not None:
        sizes.append(("RDS", float(inv.database.storage_gb), "rds.backup.gb_month"))
    if b.bucket:
        sizes.append(("S3", usage.bucket_gb, "backup.s3.warm.gb_month"))
    lines = []
    for what, size, key in sizes:
        for kind, days in (("daily", b.daily_days), ("continuous", b.continuous_days)):
            if days:
                gb = stored_gb(size, days, usage.daily_change)
                lines.append(
                    Line(
                        "shared",
                        f"AWS Backup, {what} {kind}, {gb:,.1f} GB ({days} days)",
                        gb * prices.usd(key, f"{what} backup storage"),
                        (key,),
                    )
                )
    if b.copy_region and b.copies_per_day:
        for what, size, key in sizes:
            gb = stored_gb(size, b.copy_days, usage.daily_change, b.copies_per_day)
            lines.append(
                Line(
                    "shared",
                    f"AWS Backup copies in {b.copy_region}, {what} {gb:,.1f} GB ({b.copy_days} days, "
                    f"{prices.region} rates)",
                    gb * prices.usd(key, f"{what} backup storage"),
                    (key,),
                )
            )
        days_a_month = prices.hours_per_month / 24
        transfer = b.copies_per_day * days_a_month * usage.daily_change * sum(size for _, size, _ in sizes)
        lines.append(
            Line(
                "shared",
                f"Cross-region copy transfer, {transfer:,.1f} GB",
                transfer * prices.usd("datatransfer.interregion.gb", "inter-region data transfer"),
                ("datatransfer.interregion.gb",),
            )
        )
    return lines


def lambda_lines(inv: Inventory, prices: PriceTable, usage: Usage) -> list[Line]:
    """The Lambda path: function, HTTP API, logs, its alarms and dashboard."""
    function = inv.function
    if function is None or not inv.http_apis:
        raise CostError("the lambda assembly has no function behind an HTTP API")
    n = usage.requests
    gb_seconds = n * usage.avg_ms / 1000 * function.memory_mb / 1024
    gbs_key = f"lambda.gb_second.{function.architecture}"
    if n > HTTP_API_FIRST_TIER:
        raise CostError(f"requests: {n:g} is above the HTTP API's first price tier; accepted: up to 300M a month")
    if function.provisioned:
        raise CostError(
            f"lambda_provisioned_concurrency: {function.provisioned} environments are billed while idle, and the "
            "price table has no sourced figure for provisioned concurrency; accepted: 0 to price this assembly"
        )
    return [
        Line(
            "lambda",
            "Lambda requests",
            n / 1e6 * prices.usd("lambda.request_million", "Lambda requests"),
            ("lambda.request_million",),
            seed_item="Lambda",
        ),
        Line(
            "lambda",
            f"Lambda duration, {function.memory_mb} MB {function.architecture} x {usage.avg_ms:g} ms",
            gb_seconds * prices.usd(gbs_key, f"Lambda {function.architecture}"),
            (gbs_key,),
            seed_item="Lambda",
        ),
        Line(
            "lambda",
            "HTTP API requests",
            inv.http_apis * n / 1e6 * prices.usd("apigateway.http.request_million", "HTTP API"),
            ("apigateway.http.request_million",),
            seed_item="API Gateway",
        ),
        _logs("lambda", n, usage.log_bytes_lambda, prices),
        *_monitoring(
            "lambda",
            inv.compute_alarms,
            inv.compute_dashboards,
            prices,
            probe_runs_per_hour=inv.compute_probe_runs_per_hour,
            custom_metrics=inv.compute_custom_metrics,
        ),
    ]


def ecs_lines(inv: Inventory, prices: PriceTable, usage: Usage) -> list[Line]:
    """The ECS path: load balancer, Fargate tasks, logs (through NAT), its alarms and dashboard."""
    tasks = inv.fargate
    if tasks is None or not inv.load_balancer_zones:
        raise CostError("the ecs assembly has no Fargate service behind an internet-facing load balancer")
    hours = prices.hours_per_month
    n = usage.requests
    per_second = n / (hours * 3600)
    gb_per_hour = n * usage.response_kb * 1024 / GIB / hours
    lcus = max(per_second / ALB_NEW_CONNECTIONS_PER_LCU, gb_per_hour / ALB_GB_PER_LCU_HOUR)
    arch = tasks.architecture
    task_hour = tasks.vcpu * prices.usd(f"fargate.{arch}.vcpu_hour", f"Fargate {arch}") + tasks.memory_gb * prices.usd(
        f"fargate.{arch}.gb_hour", f"Fargate {arch}"
    )
    lines = [
        Line(
            "ecs",
            "Load balancer, hours",
            hours * prices.usd("elb.alb.hour", "load balancer"),
            ("elb.alb.hour",),
            seed_item="ALB",
        ),
        Line(
            "ecs",
            "Load balancer, LCUs (one new connection per request)",
            lcus * hours * prices.usd("elb.alb.lcu_hour", "load balancer LCU"),
            ("elb.alb.lcu_hour",),
            seed_item="ALB",
        ),
        _ipv4("ecs", inv.load_balancer_zones, "load balancer", prices),
        Line(
            "ecs",
            f"Fargate {tasks.count} {'task' if tasks.count == 1 else 'tasks'} x {tasks.vcpu:g} vCPU, "
            f"{tasks.memory_gb:g} GB {arch}",
            tasks.count * hours * task_hour,
            (f"fargate.{arch}.vcpu_hour", f"fargate.{arch}.gb_hour"),
            seed_item="ECS tasks",
        ),
        _logs("ecs", n, usage.log_bytes_ecs, prices),
    ]
    if inv.nat_gateways:
        # Fargate sends its logs to CloudWatch from the task's interface, through the NAT.
        gb = n * usage.log_bytes_ecs / GIB
        lines.append(
            Line(
                "ecs",
                "NAT gateway data, task logs",
                gb * prices.usd("natgateway.gb", "NAT gateway data"),
                ("natgateway.gb",),
            )
        )
    return lines + _monitoring(
        "ecs",
        inv.compute_alarms,
        inv.compute_dashboards,
        prices,
        probe_runs_per_hour=inv.compute_probe_runs_per_hour,
        custom_metrics=inv.compute_custom_metrics,
    )


def total(lines: list[Line]) -> float:
    return sum(line.usd for line in lines)


def break_even(lambda_total: Callable[[float], float], ecs_total: Callable[[float], float]) -> float | None:
    """The monthly requests from which ECS costs no more than Lambda; None if Lambda stays cheaper.

    Lambda's cost grows faster with requests than ECS's (which is mostly fixed), so the
    difference only grows; the crossing is found by bisection.
    """
    low, high = 0.0, float(HTTP_API_FIRST_TIER)

    def ecs_cheaper(n: float) -> bool:
        return ecs_total(n) <= lambda_total(n)

    if ecs_cheaper(low):
        return 0.0
    if not ecs_cheaper(high):
        return None
    while high - low > 1:
        middle = (low + high) / 2
        if ecs_cheaper(middle):
            high = middle
        else:
            low = middle
    return high


def _ipv4(group: str, addresses: int, what: str, prices: PriceTable) -> Line:
    return Line(
        group,
        f"Public IPv4 x{addresses} ({what})",
        addresses * prices.hours_per_month * prices.usd("ipv4.public.hour", "public IPv4"),
        ("ipv4.public.hour",),
    )


def _logs(group: str, requests: float, bytes_per_request: int, prices: PriceTable) -> Line:
    gb = requests * bytes_per_request / GIB
    return Line(
        group,
        f"CloudWatch Logs, {bytes_per_request} B/request",
        gb * prices.usd("cloudwatch.logs.ingest_gb", "CloudWatch Logs"),
        ("cloudwatch.logs.ingest_gb",),
    )


def _monitoring(
    group: str,
    alarms: int,
    dashboards: int,
    prices: PriceTable,
    *,
    probe_runs_per_hour: float,
    custom_metrics: int,
    region: str = "",
) -> list[Line]:
    """CloudWatch's lines: the probe's runs, custom metrics, alarm metrics and dashboards (those there are), at
    ``region``'s prices (default: the table's own)."""
    runs = probe_runs_per_hour * prices.hours_per_month
    prefix = f"{region}:" if region else ""
    items = (
        (f"Outside-in probe, {runs:,.0f} canary runs", runs, "cloudwatch.synthetics.canary_run", "canary run"),
        (f"CloudWatch custom metrics x{custom_metrics}", custom_metrics, "cloudwatch.metric_month", "custom metric"),
        (f"CloudWatch alarm metrics x{alarms}", alarms, "cloudwatch.alarm_month", "alarm"),
        (f"CloudWatch dashboard x{dashboards}", dashboards, "cloudwatch.dashboard_month", "dashboard"),
    )
    return [
        Line(group, label, quantity * prices.usd(prefix + key, what), (prefix + key,))
        for label, quantity, key, what in items
        if quantity
    ]
