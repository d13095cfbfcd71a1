"""Refresh a price table from the AWS Price List API (needs credentials allowed pricing:GetProducts).

Usage: python -m tools.cost.refresh [--region ap-southeast-1] [--from FILE] [--out FILE]

Every figure of the starting table (by default the region's own file, or the committed
ap-southeast-1 one for a new region) that names its usage type is looked up again; its
price, date, source and confidence are replaced. A figure the API does not answer for
exactly (no product, or products with different prices) is kept and listed, so a
refresh never turns a known price into a zero.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.cost import CostError
from tools.cost.prices import PRICES_DIR, default_path, load
from tools.ops.aws import AwsError, client, one_line_errors

# The Price List API answers from these regions only; us-east-1 serves every region's prices.
PRICING_ENDPOINT_REGION = "us-east-1"
SOURCE = "AWS Price List API (pricing:GetProducts), refreshed by python -m tools.cost.refresh"
# Usage types start with a region code (ap-southeast-1's is APS1-; us-east-1 has none).
USAGE_PREFIX = {
    "ap-southeast-1": "APS1-",
    "ap-southeast-2": "APS2-",
    "ap-southeast-3": "APS4-",
    "ap-northeast-1": "APN1-",
    "ap-northeast-2": "APN2-",
    "ap-south-1": "APS3-",
    "us-east-1": "",
    "us-east-2": "USE2-",
    "us-west-2": "USW2-",
    "eu-west-1": "EU-",
    "eu-central-1": "EUC1-",
}
EC2_LINUX = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}
# Key prefix → (service code, extra attribute filters), most specific first.
SERVICES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("rds.postgres.", "AmazonRDS", {"databaseEngine": "PostgreSQL"}),
    ("rds.", "AmazonRDS", {}),
    ("elasticache.redis.", "AmazonElastiCache", {"cacheEngine": "Redis"}),
    ("ec2.", "AmazonEC2", EC2_LINUX),
    ("ebs.", "AmazonEC2", {}),
    ("natgateway.", "AmazonEC2", {}),
    ("ipv4.", "AmazonVPC", {}),
    ("vpce.", "AmazonVPC", {}),
    ("elb.alb.", "AWSELB", {"productFamily": "Load Balancer-Application"}),
    ("fargate.", "AmazonECS", {}),
    ("lambda.", "AWSLambda", {}),
    ("apigateway.", "AmazonApiGateway", {}),
    ("cloudwatch.", "AmazonCloudWatch", {}),
    ("backup.", "AWSBackup", {}),
    ("datatransfer.", "AWSDataTransfer", {}),
    ("kms.", "awskms", {}),
    ("secretsmanager.", "AWSSecretsManager", {}),
    ("cloudfront.", "AmazonCloudFront", {}),
    ("waf.", "awswaf", {}),
)

GetProducts = Callable[..., dict[str, Any]]


def service_for(key: str) -> tuple[str, dict[str, str]]:
    for prefix, service, filters in SERVICES:
        if key.startswith(prefix):
            return service, filters
    raise CostError(f"{key}: no Price List service is known for this figure")


def first_tier_usd(products: list[str]) -> set[float]:
    """The distinct on-demand first-tier USD prices in a GetProducts PriceList."""
    found = set()
    for text in products:
        product = json.loads(text)
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if str(dimension.get("beginRange", "0")) in ("0", "0.0"):
                    found.add(float(dimension["pricePerUnit"]["USD"]))
    return found


def lookup(get_products: GetProducts, key: str, usage_type: str) -> float | None:
    """The price of one figure, or None when the API has no single answer."""
    service, extra = service_for(key)
    filters = [{"Type": "TERM_MATCH", "Field": "usagetype", "Value": usage_type}]
    filters += [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in sorted(extra.items())]
    products: list[str] = []
    token = None
    while True:
        page = get_products(ServiceCode=service, Filters=filters, **({"NextToken": token} if token else {}))
        products += page.get("PriceList", [])
        token = page.get("NextToken")
        if not token:
            break
    prices = first_tier_usd(products)
    if len(prices) != 1 or 0 in prices:  # several answers, none, or a free tier: no price to trust
        return None
    [usd] = prices
    return usd * 1e6 if key.endswith("request_million") else usd


def refresh(
    table: dict[str, Any], region: str, get_products: GetProducts, today: str
) -> tuple[dict[str, Any], list[str], list[str]]:
    """A copy of ``table`` for ``region`` with every figure the API answers replaced.

    Returns the new table, the keys refreshed and the keys kept (the API had no single answer).
    """
    if region not in USAGE_PREFIX:
        raise CostError(f"region {region}: its usage-type prefix is not known; accepted: {', '.join(USAGE_PREFIX)}")
    old_prefix = USAGE_PREFIX.get(table["region"], "")
    new_table = {**table, "region": region, "prices": {}}
    refreshed, kept = [], []
    for key, entry in table["prices"].items():
        usage_type = entry.get("usage_type")
        if not usage_type:
            new_table["prices"][key] = entry
            kept.append(key)
            continue
        usage_type = USAGE_PREFIX[region] + usage_type.removeprefix(old_prefix)
        usd = lookup(get_products, key, usage_type)
        if usd is None:
            kept_entry = {**entry, "usage_type": usage_type}
            if region != table["region"]:
                # Another region's figure is at best an estimate of this one's.
                kept_entry.update(confidence="estimate", note=f"Not refreshed: carried over from {table['region']}.")
            new_table["prices"][key] = kept_entry
            kept.append(key)
            continue
        new_table["prices"][key] = {
            "usd": round(usd, 10),
            "unit": entry["unit"],
            "source": SOURCE,
            "date": today,
            "confidence": "price-list",
            "usage_type": usage_type,
        }
        refreshed.append(key)
    return new_table, refreshed, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost.refresh", description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="ap-southeast-1", help="region to price")
    parser.add_argument("--from", dest="source", type=Path, help="table to start from (its keys are refreshed)")
    parser.add_argument("--out", type=Path, help="where to write (default tools/cost/prices/<region>.json)")
    args = parser.parse_args(argv)
    start = args.source or default_path(args.region)
    if args.source is None and not start.exists():
        start = PRICES_DIR / "ap-southeast-1.json"
    out = args.out or default_path(args.region)
    try:
        load(start)  # checked before any call
        table = json.loads(start.read_text(encoding="utf-8"))
        with one_line_errors():
            pricing = client("pricing", PRICING_ENDPOINT_REGION)
            new, refreshed, kept = refresh(table, args.region, pricing.get_products, datetime.date.today().isoformat())
    except (CostError, AwsError) as error:
        print(f"cost.refresh: {error}", file=sys.stderr)
        return 1
    out.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
    print(f"cost.refresh: {len(refreshed)} figures refreshed from the Price List API into {out}")
    if kept:
        print(f"cost.refresh: kept as they were (no single answer, or no usage type): {', '.join(kept)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
