"""The price table: one committed JSON file per region, every figure with its source and date.

A key names a figure of the table's own region (``natgateway.hour``), or of another region when it
starts with that region (``us-east-1:waf.webacl_month``): the CloudFront distribution and its web ACL
live in us-east-1 whatever the environment's region, and so do a secret's replicas there. Another
region's figures come from its file beside the table's (else the committed one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from config.limits import ELASTICACHE_NODE_TYPES
from tools.cost import CostError

PRICES_DIR = Path(__file__).resolve().parent / "prices"
CONFIDENCES = ("price-list", "aws-bill", "secondary", "estimate")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Price:
    """One figure of the table."""

    key: str
    usd: float
    unit: str
    source: str
    date: str
    confidence: str
    note: str = ""

    @property
    def verified(self) -> bool:
        """Whether the figure is AWS's own (Price List or bill) rather than quoted or derived."""
        return self.confidence in ("price-list", "aws-bill")


@dataclass(frozen=True)
class PriceTable:
    """The prices of one region, looked up by key (e.g. ``natgateway.hour``, ``us-east-1:waf.rule_month``)."""

    path: Path
    region: str
    hours_per_month: float
    prices: dict[str, Price]
    # Other regions' tables, loaded on first use.
    _others: dict[str, PriceTable] = dataclass_field(default_factory=dict, repr=False, compare=False)

    def usd(self, key: str, what: str) -> float:
        """The price under ``key``; ``what`` names the priced thing in the error if there is none."""
        return self.get(key, what).usd

    def get(self, key: str, what: str) -> Price:
        table, bare = self._resolve(key)
        price = table.prices.get(bare)
        if price is None:
            raise CostError(
                f"{what}: no price in {table.path.name} (key {bare!r}); accepted: the types that file lists, "
                f"or add the figure with its source (python -m tools.cost.refresh fills it from the Price List API)"
            )
        return price

    def other(self, region: str) -> PriceTable:
        """The table of ``region``: this one, or the file of that region beside it (else the committed one)."""
        if region == self.region:
            return self
        if region not in self._others:
            beside = self.path.parent / f"{region}.json"
            table = load(beside if beside.is_file() else default_path(region))
            if table.region != region:
                raise CostError(f"price file {table.path}: prices {table.region}, not {region}")
            self._others[region] = table
        return self._others[region]

    def keys_used(self, keys: list[str]) -> list[Price]:
        """The figures behind ``keys``, for the report's sources table (another region's under its full key)."""
        found = []
        for key in sorted(set(keys)):
            table, bare = self._resolve(key)
            if bare in table.prices:
                found.append(replace(table.prices[bare], key=key))
        return found

    def files_used(self, keys: list[str]) -> list[str]:
        """The names of the price files behind ``keys``, this table's first."""
        others = sorted({self._resolve(key)[0].path.name for key in keys} - {self.path.name})
        return [self.path.name, *others]

    def _resolve(self, key: str) -> tuple[PriceTable, str]:
        region, _, bare = key.rpartition(":")
        return (self.other(region) if region else self), bare


def default_path(region: str) -> Path:
    return PRICES_DIR / f"{region}.json"


def load(path: Path) -> PriceTable:
    """Read and check a price file; a malformed one is one clear error, not a zero."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostError(f"price file {path}: not found; accepted: a file under {PRICES_DIR} or --prices PATH") from None
    except json.JSONDecodeError as error:
        raise CostError(f"price file {path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("prices"), dict) or not isinstance(raw.get("region"), str):
        raise CostError(f"price file {path}: needs 'region' and a 'prices' object")
    prices = {key: _price(path, key, entry) for key, entry in raw["prices"].items()}
    for key in prices:
        node_type = key.removeprefix("elasticache.redis.").removesuffix(".hour")
        if key.startswith("elasticache.redis.") and node_type not in ELASTICACHE_NODE_TYPES:
            raise CostError(
                f"price file {path.name}: {key}: {node_type} is not an ElastiCache node type the app can create; "
                "accepted: ELASTICACHE_NODE_TYPES in config/limits.py"
            )
    hours = raw.get("hours_per_month", 730)
    if not isinstance(hours, int | float) or not 672 <= hours <= 744:
        raise CostError(f"price file {path}: hours_per_month {hours!r} is out of range 672..744")
    return PriceTable(path=path, region=raw["region"], hours_per_month=float(hours), prices=prices)


def _price(path: Path, key: str, entry: Any) -> Price:
    def fail(problem: str) -> CostError:
        return CostError(f"price file {path.name}: {key}: {problem}")

    if not isinstance(entry, dict):
        raise fail("is not an object with usd, unit, source, date and confidence")
    usd = entry.get("usd")
    if isinstance(usd, bool) or not isinstance(usd, int | float) or usd < 0:
        raise fail(f"usd {usd!r} is not a price; accepted: a number >= 0")
    for field in ("unit", "source", "date", "confidence"):
        if not isinstance(entry.get(field), str) or not entry[field]:
            raise fail(f"has no {field}; every figure needs its unit, source, date and confidence")
    if not _DATE.fullmatch(entry["date"]):
        raise fail(f"date {entry['date']!r} is not YYYY-MM-DD")
    if entry["confidence"] not in CONFIDENCES:
        raise fail(f"confidence {entry['confidence']!r} is not known; accepted: {' | '.join(CONFIDENCES)}")
    return Price(
        key=key,
        usd=float(usd),
        unit=entry["unit"],
        source=entry["source"],
        date=entry["date"],
        confidence=entry["confidence"],
        note=entry.get("note", ""),
    )
