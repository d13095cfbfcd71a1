"""The monthly comparison as a Markdown table (readable in a terminal, pasteable in docs/costs.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from config.limits import WAF_BASE_CAPACITY
from tools.cost import CostError
from tools.cost.inventory import Inventory
from tools.cost.model import Line, Usage, break_even, ecs_lines, lambda_lines, shared_lines, total
from tools.cost.prices import PriceTable

# The seed document's "Cost Comparison", item by item, as it stated them.
SEED_ITEMS = {
    "ALB": "~$16",
    "ECS tasks": "~$30 (2 tasks)",
    "RDS": "~$20",
    "ElastiCache": "~$15",
    "API Gateway": '"$0.035 per request"',
    "Lambda": '"$0.0000002 per 100ms"',
}
SEED_TOTALS = {"lambda": "~$35 + API usage", "ecs": "~$81"}
NAMES = {"lambda": "Lambda", "ecs": "ECS"}
GROUPS = {
    "shared": "Shared: network and data",
    "cdn": "Edge protection: CloudFront and AWS WAF ({region})",
    "lambda": "Lambda path",
    "ecs": "ECS path (rollback)",
}
NOT_PRICED = (
    "data transfer out to the internet (about the same on both paths), data transfer between zones "
    "(compute to the database, cache and NAT in another zone), interface-endpoint data, S3 storage and "
    "requests, ECR storage and image pulls through the NAT (ECS), VPC flow log and RDS enhanced-monitoring "
    "ingestion, CloudWatch Logs storage, KMS and SSM requests, Route 53 queries, T-class CPU credits "
    "beyond the baseline, the probe canary's own Lambda duration and artifacts, free tiers"
)
# What edge protection adds that the report does not price, when the assembly has it.
NOT_PRICED_CDN = (
    "CloudFront's data transfer to the origins (request bodies such as uploads), Secrets Manager API calls "
    "($0.05 per 10,000: the backend reads the origin secret once per cold start or task start), EventBridge's "
    "cross-region delivery of the edge alarms' state changes, the WAF log group's storage, the origin secret's "
    "deploy-time custom resource (ACM certificates are free)"
)
# CloudFront's flat-rate plans, against the pay-as-you-go lines (edge-protection research, section 5).
FLAT_RATE_NOTE = (
    "Flat-rate alternative, not modelled: CloudFront's Pro plan is $15 a month for up to 10M requests and 50 TB, "
    "AWS WAF included (requests it blocks do not count; no overage charge, but traffic above may be throttled), "
    "against the CloudFront and WAF lines above. The app stays on pay-as-you-go: the flat-rate plans lack origin "
    "mTLS, allow one distribution each, their per-tier WAF rule limits are not verified, and their CloudFormation "
    "subscription (AWS::PricingPlanManager::Subscription) needs separate approval."
)


@dataclass(frozen=True)
class Comparison:
    """Both paths priced at each volume."""

    env: str
    prices: PriceTable
    lambda_inventory: Inventory
    ecs_inventory: Inventory
    usage: Usage
    volumes: tuple[float, ...]

    def lines(self, requests: float) -> tuple[list[Line], list[Line], list[Line]]:
        usage = replace(self.usage, requests=requests)
        return (
            shared_lines(self.lambda_inventory, self.prices, usage),
            lambda_lines(self.lambda_inventory, self.prices, usage),
            ecs_lines(self.ecs_inventory, self.prices, usage),
        )

    def totals(self, requests: float) -> tuple[float, float]:
        shared, lam, ecs = self.lines(requests)
        return total(shared) + total(lam), total(shared) + total(ecs)

    def break_even(self) -> float | None:
        return break_even(lambda n: self.totals(n)[0], lambda n: self.totals(n)[1])


def compare(
    env: str, prices: PriceTable, lambda_inv: Inventory, ecs_inv: Inventory, usage: Usage, volumes: Sequence[float]
) -> Comparison:
    if lambda_inv.compute != "lambda" or ecs_inv.compute != "ecs":
        raise CostError("the assemblies are not one lambda and one ecs synth of the same environment")
    for inv in (lambda_inv, ecs_inv):
        if inv.region != prices.region:
            raise CostError(
                f"the stacks are in {inv.region} but {prices.path.name} prices {prices.region}; "
                f"accepted: --prices with a {inv.region} price file"
            )
    # The network and data stacks are priced once, from the lambda synth; they must be the same in both.
    if shared_lines(lambda_inv, prices, usage) != shared_lines(ecs_inv, prices, usage):
        raise CostError("the network and data stacks differ between the two compute modes; they must not")
    return Comparison(env, prices, lambda_inv, ecs_inv, usage, tuple(volumes))


def _sections(lines: tuple[list[Line], list[Line], list[Line]]) -> dict[str, list[Line]]:
    """The lines of one volume by the report's sections: the shared ones split into network and data, and edge."""
    shared, lam, ecs = lines
    return {
        "shared": [line for line in shared if line.group != "cdn"],
        "cdn": [line for line in shared if line.group == "cdn"],
        "lambda": lam,
        "ecs": ecs,
    }


def render(c: Comparison) -> str:
    per_volume = [_sections(c.lines(v)) for v in c.volumes]
    header = ["", "seed says", *(_volume(v) for v in c.volumes)]
    rows = [_row(header), _row(["---", "---", *("---:" for _ in c.volumes)])]
    estimates: set[str] = set()
    seen_seed: set[str] = set()
    cdn = c.lambda_inventory.cdn
    for group in ("shared", "cdn", "lambda", "ecs"):
        if group == "cdn" and cdn is None:
            continue
        title = GROUPS[group].format(region=cdn.region if cdn else "")
        rows.append(_row([f"**{title}**", "", *("" for _ in c.volumes)]))
        for position, line in enumerate(per_volume[0][group]):
            unverified = [k for k in line.keys if not c.prices.get(k, line.label).verified]
            estimates.update(unverified)
            seed = ""
            if line.seed_item and line.seed_item not in seen_seed:
                seen_seed.add(line.seed_item)
                seed = f"{line.seed_item}: {SEED_ITEMS[line.seed_item]}"
            amounts = [_usd(sections[group][position].usd) for sections in per_volume]
            rows.append(_row([line.label + (" †" if unverified else ""), seed, *amounts]))
        if group in ("lambda", "ecs"):
            amounts = [
                _usd(total(sections["shared"]) + total(sections["cdn"]) + total(sections[group]))
                for sections in per_volume
            ]
            rows.append(_row([f"**Total, {NAMES[group]}**", SEED_TOTALS[group], *(f"**{a}**" for a in amounts)]))
    cheaper = []
    for volume in c.volumes:
        lam, ecs = c.totals(volume)
        cheaper.append(f"Lambda by {_usd(ecs - lam)}" if lam < ecs else f"ECS by {_usd(lam - ecs)}")
    rows.append(_row(["**Cheaper**", "", *cheaper]))

    u = c.usage
    function = c.lambda_inventory.function
    assert function is not None
    even = c.break_even()
    if even is None:
        verdict = "Lambda stays cheaper up to the HTTP API's first price tier (300M requests a month)."
    elif even == 0:
        verdict = "ECS is cheaper at every volume with these settings."
    else:
        verdict = (
            f"Break-even: ECS costs no more than Lambda from about **{_volume(even)} requests a month** "
            f"(at {u.avg_ms:g} ms and {function.memory_mb} MB {function.architecture} per request)."
        )
    lines = [
        f"**anigmaa {c.env}: monthly cost, Lambda against ECS "
        f"(USD, {c.prices.region}, {c.prices.hours_per_month:g} h a month)**",
        "",
        *rows,
        "",
        verdict,
        "",
        f"Assumptions: {u.avg_ms:g} ms billed per Lambda request; {u.response_kb:g} KB per response; "
        f"{u.nat_gb:g} GB a month out through NAT; logs of {u.log_bytes_lambda} B a request on Lambda "
        f"(access log, platform start/report, app line) and {u.log_bytes_ecs} B on ECS; traffic spread "
        "evenly over the month; ECS runs its deployed task count (no autoscaling); on-demand prices, "
        "no free tier, no Savings Plans.",
        *_backup_assumptions(c),
        *_cdn_assumptions(c),
        f"Not priced: {NOT_PRICED}" + (f"; with edge protection, {NOT_PRICED_CDN}." if cdn else "."),
        "The seed's own rates would put the HTTP API alone at $35,000 for 1M requests; it bills per million.",
        *([FLAT_RATE_NOTE] if cdn else []),
    ]
    if estimates:
        lines.append(
            f"† uses a figure that is not AWS's own (quoted by a third party, or derived): "
            f"{', '.join(sorted(estimates))}. See --sources, and refresh with python -m tools.cost.refresh."
        )
    return "\n".join(lines)


def _backup_assumptions(c: Comparison) -> list[str]:
    """What the backup lines assume, when the assembly has a plan."""
    b, db = c.lambda_inventory.backups, c.lambda_inventory.database
    if b is None:
        return []
    sizes = []
    if b.database and db is not None:
        sizes.append(f"the database at its allocated {db.storage_gb} GB")
    if b.bucket:
        sizes.append(f"a {c.usage.bucket_gb:g} GB assets bucket")
    copies = (
        f"; copies in {b.copy_region} priced at {c.prices.region}'s rates, {b.copies_per_day} a day (one per rule; "
        "a copy of a continuous recovery point is a snapshot)"
        if b.copy_region
        else ""
    )
    account = "; a copy to another account is stored on that account's bill" if b.account_copies else ""
    return [
        f"Backups: {' and '.join(sizes)}, {c.usage.daily_change:.0%} of each changing a day (a recovery point or "
        f"copy after the first holds only the changes){copies}{account}; no RDS free backup allowance (the "
        "instance's own automated backups use it)."
    ]


def cdn_assumption(c: Comparison) -> str:
    """What the edge protection lines assume (CloudFront and WAF in front of both paths)."""
    cdn = c.lambda_inventory.cdn
    assert cdn is not None
    u = c.usage
    steps = ["goes through CloudFront over HTTPS from edges in Asia (the rates Indonesia is billed at)"]
    if cdn.waf_inspected:
        steps.append(
            f"is inspected by its web ACL ({cdn.waf_capacity:,} WCU, within the {WAF_BASE_CAPACITY:,} a web ACL "
            "includes)"
        )
    if cdn.functions_per_request:
        steps.append(
            f"runs {cdn.functions_per_request} CloudFront Function{'s' if cdn.functions_per_request > 1 else ''}"
        )
    logged = (
        f"{u.waf_logged_share:.0%} of requests blocked or counted by the web ACL, and so logged (assumed: scanners "
        "and clients past the rate limit; counted: cloud-hosted addresses such as VPNs and Midtrans, bodies over "
        "8 KB)"
        if cdn.waf_logs_filtered
        else "every request logged by the web ACL"
    )
    path = steps[0] if len(steps) == 1 else f"{', '.join(steps[:-1])} and {steps[-1]}"
    return (
        f"Edge protection: every request {path}; {u.response_kb:g} KB out per response, origin fetches from AWS "
        f"origins free; {logged}, {u.waf_log_bytes} B a log record; priced at {cdn.region}'s rates. CloudFront's "
        "always-free 1 TB, 10M requests and 2M function invocations a month per account (shared with whatever "
        "else it serves) are not credited, as no free tier is in this report (below them CloudFront's own lines "
        "would be $0). The origins' data transfer out, which the report does not price, goes to CloudFront free "
        "instead."
    )


def _cdn_assumptions(c: Comparison) -> list[str]:
    return [cdn_assumption(c)] if c.lambda_inventory.cdn is not None else []


def render_edge(on: Comparison, off: Comparison) -> str:
    """What edge protection adds a month: the lines of ``on`` that ``off`` (the same configuration without it)
    lacks, at each volume, and the difference in both totals."""
    if on.lambda_inventory.cdn is None or off.lambda_inventory.cdn is not None:
        raise CostError("render_edge compares a configuration with edge protection against the same without it")
    header = ["", *(_volume(v) for v in on.volumes)]
    rows = [_row(header), _row(["---", *("---:" for _ in on.volumes)])]
    estimates: set[str] = set()

    def added(volume: float) -> list[Line]:
        before = {(line.group, line.label) for lines in off.lines(volume) for line in lines}
        return [line for lines in on.lines(volume) for line in lines if (line.group, line.label) not in before]

    per_volume = [added(v) for v in on.volumes]
    for position, line in enumerate(per_volume[0]):
        unverified = [k for k in line.keys if not on.prices.get(k, line.label).verified]
        estimates.update(unverified)
        amounts = [_usd(lines[position].usd) for lines in per_volume]
        rows.append(_row([line.label + (" †" if unverified else ""), *amounts]))
    for mode, name in enumerate(NAMES.values()):
        differences = [on.totals(v)[mode] - off.totals(v)[mode] for v in on.volumes]
        for lines, difference in zip(per_volume, differences, strict=True):
            if abs(total(lines) - difference) > 0.005:
                raise CostError(f"edge protection changes more than its own lines on the {name} path")
        rows.append(_row([f"**Added to the {name} total**", *(f"**{_usd(d)}**" for d in differences)]))
    text = [
        f"**anigmaa {on.env} with a domain: what edge protection adds a month (USD)**",
        "",
        *rows,
        "",
        cdn_assumption(on),
        FLAT_RATE_NOTE,
    ]
    if estimates:
        text.append(f"† uses a figure that is not AWS's own: {', '.join(sorted(estimates))}.")
    return "\n".join(text)


def render_sources(c: Comparison) -> str:
    keys = sorted({k for lines in c.lines(c.volumes[0]) for line in lines for k in line.keys})
    rows = [
        _row(["price", "USD", "per", "confidence", "date", "source"]),
        _row(["---", "---:", "---", "---", "---", "---"]),
    ]
    for price in c.prices.keys_used(keys):
        source = price.source + (f" ({price.note})" if price.note else "")
        rows.append(_row([f"`{price.key}`", f"{price.usd:g}", price.unit, price.confidence, price.date, source]))
    return "\n".join([f"**Prices used ({', '.join(c.prices.files_used(keys))})**", "", *rows])


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _volume(n: float) -> str:
    """1.5M, 250k, 17.8M: three significant figures, the unit chosen after rounding."""
    rounded = float(f"{n:.3g}")
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rounded >= size:
            return f"{rounded / size:g}{suffix}"
    return f"{rounded:g}"
