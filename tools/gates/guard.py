"""The stateful-replacement guard: would deploying prod replace or delete a database, cache,
bucket, VPC, subnet or security group?

Usage: python -m tools.gates.guard            compare a fresh prod synth (both compute modes) with baseline/
       python -m tools.gates.guard --update   accept the current templates as the new baseline (review the diff)

The comparison is the CDK's own diff library (`tools/gates/template_diff.py`), which knows from the
CloudFormation resource specification which property changes replace a resource. The
baseline is committed, so an intended change is a reviewed diff of baseline/.

baseline/prod/ holds one copy of each template that holds a stateful resource: the network
and data stacks (the same in both compute modes, which a test checks), and a compute or
edge stack only once it gains one. Every synthesized template is compared with its copy;
a template with a stateful resource and no copy fails until it is reviewed into the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from tools import ROOT
from tools.gates.assembly import ECS_PLAIN_HTTP, AssemblyError, SynthError, synthesize, templates
from tools.gates.template_diff import STATEFUL_TYPES, ResourceChange, diff_templates, stateful_losses

BASELINE = ROOT / "baseline" / "prod"
MODES = ("lambda", "ecs")


def stateful_resources(template: dict[str, Any]) -> list[str]:
    """The logical ids of the template's stateful resources (those the guard protects)."""
    return sorted(k for k, r in template.get("Resources", {}).items() if r.get("Type") in STATEFUL_TYPES)


def losses(baseline: Path, current: Path, label: str) -> list[ResourceChange]:
    """Stateful resources that going from ``baseline`` to ``current`` would replace or delete.

    Only the templates of ``baseline`` are compared: a stack the baseline does not hold has
    nothing stateful to lose (see `unreviewed`).
    """
    old, new = templates(baseline), templates(current)
    pairs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
        f"{label}/{name}": (old[name], new.get(name)) for name in sorted(old)
    }
    return stateful_losses(diff_templates(pairs))


def unreviewed(baseline: Path, current: Path, label: str) -> list[str]:
    """Templates of ``current`` that hold stateful resources but have no copy in ``baseline``."""
    old = templates(baseline)
    return [
        f"{label}/{name}: holds {', '.join(ids)}, which baseline/ has never seen"
        for name, template in templates(current).items()
        if name not in old and (ids := stateful_resources(template))
    ]


def _baselined(folder: Path) -> dict[str, dict[str, Any]]:
    """The templates of one synth that belong in the baseline: those with a stateful resource."""
    return {name: t for name, t in templates(folder).items() if stateful_resources(t)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="accept the current templates as the baseline")
    args = parser.parse_args(argv)

    try:
        return _run(update=args.update)
    except (RuntimeError, SynthError, AssemblyError) as error:
        print(f"guard: {error}", file=sys.stderr)
        return 1


def _run(*, update: bool) -> int:
    synths = {}
    for mode in MODES:
        context = ECS_PLAIN_HTTP if mode == "ecs" else ()
        synths[mode] = synthesize(ROOT / ".guard" / f"prod-{mode}", env="prod", compute=mode, context=context)
    if update:
        return _update(synths)
    problems: list[str] = []
    for mode, folder in synths.items():
        problems += [loss.describe() for loss in losses(BASELINE, folder, f"prod-{mode}")]
        problems += unreviewed(BASELINE, folder, f"prod-{mode}")
    for problem in problems:
        print(f"guard: {problem}", file=sys.stderr)
    if problems:
        print(
            "guard: if this is intended, make it a reviewed change: make baseline, then commit baseline/",
            file=sys.stderr,
        )
        return 1
    print(f"guard: no stateful resource replaced or deleted in prod ({', '.join(MODES)})")
    return 0


def _update(synths: dict[str, Path]) -> int:
    kept: dict[str, Path] = {}
    for folder in synths.values():
        for name in _baselined(folder):
            if name in kept and kept[name].read_bytes() != (folder / name).read_bytes():
                raise RuntimeError(f"{name} differs between the compute modes; the permanent stacks must not")
            kept[name] = folder / name
    shutil.rmtree(BASELINE, ignore_errors=True)
    BASELINE.mkdir(parents=True)
    for name, path in kept.items():
        shutil.copy(path, BASELINE / name)
    print(f"guard: baseline/prod updated ({', '.join(sorted(kept))}); review and commit its diff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
