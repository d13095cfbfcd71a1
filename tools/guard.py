"""The stateful-replacement guard: would deploying prod replace or delete a database, cache,
bucket, VPC, subnet or security group?

Usage: python -m tools.guard            compare a fresh prod synth (both compute modes) with baseline/
       python -m tools.guard --update   accept the current templates as the new baseline (review the diff)

The comparison is the CDK's own diff library (`tools/template_diff.py`), which knows from the
CloudFormation resource specification which property changes replace a resource. The
baseline is committed, so an intended change is a reviewed diff of baseline/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from tools.assembly import SynthError, synthesize
from tools.template_diff import ResourceChange, diff_templates, stateful_losses

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "baseline"
MODES = ("lambda", "ecs")


def _load(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def templates(folder: Path) -> dict[str, dict[str, object]]:
    """Templates by file name (one per stack)."""
    return {p.name: _load(p) for p in sorted(folder.glob("*.template.json"))}


def losses(baseline: Path, current: Path, label: str) -> list[ResourceChange]:
    """Stateful resources that going from ``baseline`` to ``current`` would replace or delete."""
    old, new = templates(baseline), templates(current)
    pairs = {f"{label}/{name}": (old.get(name), new.get(name)) for name in sorted(set(old) | set(new))}
    return stateful_losses(diff_templates(pairs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="accept the current templates as the baseline")
    args = parser.parse_args(argv)

    try:
        return _run(update=args.update)
    except RuntimeError as error:
        print(f"guard: {error}", file=sys.stderr)
        return 1


def _run(*, update: bool) -> int:
    found: list[ResourceChange] = []
    for mode in MODES:
        current = ROOT / ".guard" / f"prod-{mode}"
        try:
            synthesize(current, env="prod", compute=mode)
        except SynthError as error:
            raise SystemExit(f"guard: {error}") from None
        if update:
            target = BASELINE / f"prod-{mode}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for path in current.glob("*.template.json"):
                shutil.copy(path, target / path.name)
            print(f"guard: baseline/prod-{mode} updated; review and commit its diff")
            continue
        found += losses(BASELINE / f"prod-{mode}", current, f"prod-{mode}")
    for loss in found:
        print(f"guard: {loss.describe()}", file=sys.stderr)
    if found:
        print(
            "guard: if this is intended, make it a reviewed change: make baseline, then commit baseline/",
            file=sys.stderr,
        )
        return 1
    if not update:
        print(f"guard: no stateful resource replaced or deleted in prod ({', '.join(MODES)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
