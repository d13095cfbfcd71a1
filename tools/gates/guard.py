"""The stateful-replacement guard: would deploying replace, delete or unprotect a database, cache,
bucket, VPC, subnet, security group, certificate or DNS record?

Usage: python -m tools.gates.guard            compare fresh synths (both compute modes) with baseline/
       python -m tools.gates.guard --update   accept the current templates as the new baseline (review the diff)

The comparison is the CDK's own diff library (`tools/gates/template_diff.py`), which knows from the
CloudFormation resource specification which property changes replace a resource. The
baseline is committed, so an intended change is a reviewed diff of baseline/.

Four variants are guarded, each in both compute modes: prod, prod with an example domain
(so the certificate and the DNS records are compared too, and compute=split with them), the same
behind CloudFront (edge protection: the cdn stack's certificate and records), and dev. `baseline/<variant>/`
holds one copy of each template that holds a stateful resource: the network and data stacks
(the same in both compute modes, which `--update` checks), the edge stack with a domain, and
a compute stack only once it gains one. Every synthesized template is compared with its copy;
a template with a stateful resource and no copy fails until it is reviewed into the baseline.
Besides a replacement or deletion, the guard fails on a stateful resource whose protection is
weakened in place: DeletionPolicy or UpdateReplacePolicy from Retain or Snapshot to Delete, or
DeletionProtection from true to false.

An environment taken over with `cdk import` (a committed `.adopt/<env>/`, see `tools/gates/adoption.py`)
may set its resources' live names and reference its live VPC: those imports and references are no
loss, and the guard names them instead of failing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import ROOT
from tools.gates import adoption
from tools.gates.adoption import Adoption
from tools.gates.assembly import AssemblyError, SynthError, synthesize, templates
from tools.gates.template_diff import STATEFUL_TYPES, ResourceChange, diff_templates, stateful_losses

BASELINES = ROOT / "baseline"
BASELINE = BASELINES / "prod"
MODES = ("lambda", "ecs")
# The stacks that must not differ between the compute modes.
PERMANENT = ("Network.template.json", "Data.template.json")
# An obviously fake domain and zone, so the certificate and the record are guarded; nothing is looked up.
EXAMPLE_DOMAIN = (
    "domain_name=api.anigmaa.example",
    "hosted_zone_id=Z0EXAMPLE0ZONE0ID0000",
    "hosted_zone_name=anigmaa.example",
)
PROTECTIVE = ("Retain", "RetainExceptOnCreate", "Snapshot")


@dataclass(frozen=True)
class Variant:
    """One configuration the guard synthesizes (in both modes) and compares with baseline/<name>."""

    name: str
    env: str
    context: tuple[str, ...] = ()
    # The templates it keeps; empty: every one with a stateful resource.
    only: tuple[str, ...] = ()
    modes: tuple[str, ...] = MODES

    @property
    def baseline(self) -> Path:
        return BASELINES / self.name


VARIANTS = (
    Variant("prod", "prod"),
    # The data stack does not depend on the domain: prod's copy guards it.
    # With a domain whose records point at the compute paths (edge protection off), a split too: its
    # weighted records against the domain's records.
    Variant(
        "prod-domain",
        "prod",
        (*EXAMPLE_DOMAIN, "edge_protection=off"),
        only=("Network.template.json", "Edge.template.json"),
        modes=(*MODES, "split"),
    ),
    # The same domain behind CloudFront (prod's default): the records and the certificate of the cdn stack.
    Variant(
        "prod-edge",
        "prod",
        (*EXAMPLE_DOMAIN, "edge_protection=on"),
        only=("Network.template.json", "Edge.template.json", "Cdn.template.json"),
        modes=(*MODES, "split"),
    ),
    Variant("dev", "dev"),
)


def stateful_resources(template: dict[str, Any]) -> list[str]:
    """The logical ids of the template's stateful resources (those the guard protects)."""
    return sorted(k for k, r in template.get("Resources", {}).items() if r.get("Type") in STATEFUL_TYPES)


def losses(baseline: Path, current: Path, label: str, takeover: Adoption | None = None) -> list[ResourceChange]:
    """Stateful resources that going from ``baseline`` to ``current`` would replace or delete.

    Only the templates of ``baseline`` are compared: a stack the baseline does not hold has
    nothing stateful to lose (see `unreviewed`). What ``takeover`` imports or references is none.
    """
    return _losses(baseline, current, label, takeover)[0]


def _losses(
    baseline: Path, current: Path, label: str, takeover: Adoption | None
) -> tuple[list[ResourceChange], list[str]]:
    """The losses, and what the takeover makes of the changes it explains (one line each)."""
    old, new = templates(baseline), templates(current)
    pairs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
        f"{label}/{name}": (old[name], new.get(name)) for name in sorted(old)
    }
    found, adopted = [], []
    for loss in stateful_losses(diff_templates(pairs), pairs):
        verdict = takeover.verdict(loss, pairs) if takeover else None
        if verdict is None:
            found.append(loss)
        else:
            adopted.append(f"{loss.stack}: {loss.type} {loss.logical_id} {verdict.text}")
    return found, adopted


def weakened(baseline: Path, current: Path, label: str) -> list[str]:
    """Stateful resources kept in place whose deletion or replacement protection is weaker than in ``baseline``."""
    old, new = templates(baseline), templates(current)
    found = []
    for name, template in sorted(old.items()):
        for logical_id in stateful_resources(template):
            before = template["Resources"][logical_id]
            after = new.get(name, {}).get("Resources", {}).get(logical_id)
            if after is None:
                continue  # deleted or replaced: `losses` names it
            where = f"{label}/{name}: {before['Type']} {logical_id}"
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                was, now = before.get(policy, "Delete"), after.get(policy, "Delete")
                if was in PROTECTIVE and now not in PROTECTIVE:
                    found.append(f"{where} {policy} would be weakened from {was} to {now}")
            was_on = before.get("Properties", {}).get("DeletionProtection") is True
            if was_on and after.get("Properties", {}).get("DeletionProtection") is not True:
                found.append(f"{where} DeletionProtection would be turned off")
    return found


def unreviewed(baseline: Path, current: Path, label: str, only: tuple[str, ...] = ()) -> list[str]:
    """Templates of ``current`` (of ``only``, if given) with stateful resources but no copy in ``baseline``."""
    old = templates(baseline)
    return [
        f"{label}/{name}: holds {', '.join(ids)}, which baseline/ has never seen"
        for name, template in templates(current).items()
        if name not in old and (not only or name in only) and (ids := stateful_resources(template))
    ]


def problems(variant: Variant, current: Path, label: str) -> list[str]:
    """Everything the guard refuses in one synth of ``variant``."""
    return check(variant, current, label)[0]


def check(variant: Variant, current: Path, label: str, root: Path = ROOT) -> tuple[list[str], list[str]]:
    """What the guard refuses in one synth of ``variant``, and what the takeover committed under
    ``root``/.adopt/<env>/ imports or references instead (empty without one)."""
    takeover = adoption.load(root, variant.env, variant.context)
    lost, adopted = _losses(variant.baseline, current, label, takeover)
    found = [loss.describe() for loss in lost]
    return (
        found + weakened(variant.baseline, current, label) + unreviewed(variant.baseline, current, label, variant.only),
        adopted,
    )


def _kept(folder: Path, variant: Variant) -> list[str]:
    """The templates of one synth that belong in the variant's baseline."""
    return [
        name
        for name, template in templates(folder).items()
        if (name in variant.only if variant.only else bool(stateful_resources(template)))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="accept the current templates as the baseline")
    args = parser.parse_args(argv)

    try:
        return _run(update=args.update)
    except (RuntimeError, SynthError, AssemblyError) as error:
        print(f"guard: {error}", file=sys.stderr)
        return 1


# The weight a guarded split synthesizes with (compute=split needs one).
SPLIT_WEIGHT = ("lambda_weight=50",)


def _synths(variant: Variant) -> dict[str, Path]:
    return {
        mode: synthesize(
            ROOT / ".guard" / f"{variant.name}-{mode}",
            env=variant.env,
            compute=mode,
            context=variant.context + (SPLIT_WEIGHT if mode == "split" else ()),
        )
        for mode in variant.modes
    }


def _run(*, update: bool) -> int:
    found: list[str] = []
    adopted: list[str] = []
    for variant in VARIANTS:
        synths = _synths(variant)
        if update:
            _update(variant, synths)
            continue
        for mode, folder in synths.items():
            refused, taken_over = check(variant, folder, f"{variant.name}-{mode}")
            found += refused
            adopted += taken_over
    if update:
        return 0
    for line in adopted:
        print(f"guard: takeover: {line}")
    for problem in found:
        print(f"guard: {problem}", file=sys.stderr)
    if found:
        print(
            "guard: if this is intended, make it a reviewed change: make baseline, then commit baseline/",
            file=sys.stderr,
        )
        return 1
    names = ", ".join(f"{variant.name} ({', '.join(variant.modes)})" for variant in VARIANTS)
    print(f"guard: no stateful resource replaced, deleted or unprotected in {names}")
    return 0


def _update(variant: Variant, synths: dict[str, Path]) -> None:
    kept: dict[str, Path] = {}
    for folder in synths.values():
        for name in _kept(folder, variant):
            if name in kept and name in PERMANENT and kept[name].read_bytes() != (folder / name).read_bytes():
                raise RuntimeError(f"{variant.name}: {name} differs between the compute modes; it must not")
            kept.setdefault(name, folder / name)  # the edge stack points elsewhere per mode: the first is kept
    shutil.rmtree(variant.baseline, ignore_errors=True)
    variant.baseline.mkdir(parents=True)
    for name, path in kept.items():
        shutil.copy(path, variant.baseline / name)
    print(f"guard: baseline/{variant.name} updated ({', '.join(sorted(kept))}); review and commit its diff")


if __name__ == "__main__":
    sys.exit(main())
