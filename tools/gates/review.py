"""The offline review of a change: what it would do to every environment, in both compute modes.

Usage: python -m tools.gates.review [--base REF] [--out FILE] [--allow-destructive]
       (or: make review)

Synthesizes the working tree and a base (a git ref, checked out in a temporary worktree;
default the merge-base with origin/main, else main) for every environment in cdk.json in
both compute modes, and compares each stack with the CDK's own diff library, as the guard
does. Prints one Markdown report fit for a pull-request comment (also written to comment.md
beside --out), and writes the whole of it to --out. No AWS credentials: nothing is looked up.

An environment taken over with `cdk import` (a committed `.adopt/<env>/` in the working tree, see
`tools/gates/adoption.py`) lists what it imports under Imported and the app's network it replaces
with the live VPC under Referenced; neither is destructive.

Exit status: 0, or 1 when a stateful resource would be replaced, deleted or unprotected
(the guard's rule) unless --allow-destructive; 2 when the review itself could not run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import read_context
from tools import ROOT
from tools.cost import CostError, inventory, prices
from tools.cost.model import Usage, ecs_lines, lambda_lines, shared_lines, total
from tools.gates import adoption
from tools.gates.adoption import IMPORTED, REFERENCED, Adoption, Verdict
from tools.gates.assembly import SynthError, context_items, synthesize, templates
from tools.gates.guard import weakened
from tools.gates.template_diff import (
    STATEFUL_TYPES,
    ResourceChange,
    StackDiff,
    Templates,
    diff_templates,
    stateful_losses,
)
from tools.gates.warm_synth import SYNTH_CONTEXT, Synths
from tools.gates.warm_synth import SynthError as WarmSynthError

MODES = ("lambda", "ecs")
# GitHub refuses comments over 65,536 characters; the verdicts always fit, the details give way.
COMMENT_LIMIT = 65_536
# The cost report's first volume: the default at which a change is priced.
PRICED_REQUESTS = 1_000_000
_HASH = re.compile(r"[0-9a-f]{64}")
# CDK metadata that moves with every asset hash or library version and says nothing to a reviewer.
_QUIET_TYPES = frozenset({"AWS::CDK::Metadata"})
# A function's current version: its logical ID ends in a hash of the code and configuration.
_VERSION_ID = re.compile(r"(?P<function>\w+CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")


class ReviewError(RuntimeError):
    """The review could not run; the message is one line."""


@dataclass(frozen=True)
class Configuration:
    env: str
    mode: str

    @property
    def label(self) -> str:
        return f"{self.env}/{self.mode}"


@dataclass
class StackReview:
    name: str
    added: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    security: list[str] = field(default_factory=list)
    broadened: bool = False

    @property
    def changed(self) -> bool:
        sections = (self.added, self.imported, self.removed, self.referenced, self.replaced, self.modified)
        return any((*sections, self.assets, self.outputs))


@dataclass
class ConfigReview:
    configuration: Configuration
    stacks: list[StackReview]
    destructive: list[str]
    acknowledgements: list[str]
    cost: list[str]
    cost_delta: float | None

    @property
    def verdict(self) -> str:
        if self.destructive:
            return "**destructive**"
        if any(s.changed for s in self.stacks) or self.acknowledgements:
            return "changes"
        return "no change"


# ---------------------------------------------------------------------- synthesizing both sides


def default_base() -> str:
    for ref in ("origin/main", "main"):
        found = _git("merge-base", "HEAD", ref, check=False)
        if found:
            return found
    raise ReviewError("no base: neither origin/main nor main exists; accepted: --base <git ref>")


def _git(*args: str, check: bool = True, cwd: Path = ROOT) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        if check:
            said = result.stderr.strip().splitlines() or ["no output"]
            raise ReviewError(f"git {' '.join(args)}: {said[-1]}")
        return ""
    return result.stdout.strip()


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """``ref`` checked out beside the working tree, sharing its set-up (venv, CLI, Go build cache)."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="anigmaa-review-") as folder:
        path = Path(folder) / "base"
        _git("worktree", "add", "--detach", "--quiet", str(path), commit)
        try:
            for shared in (".venv", "node_modules", ".cache"):
                if (ROOT / shared).exists() and not (path / shared).exists():
                    (path / shared).symlink_to(ROOT / shared)
            yield path
        finally:
            _git("worktree", "remove", "--force", str(path), check=False)


def configurations(root: Path) -> list[Configuration]:
    environments = read_context(root).get("environments", {})
    return [Configuration(env, mode) for env in environments for mode in MODES]


def synth_all(jobs: list[tuple[Path, Configuration, Path]]) -> None:
    """Synthesize every (root, configuration) into its folder: each checkout's configurations in its own
    warm process (tools/gates/warm_synth.py), the two checkouts at once. Where a checkout has none (a base
    older than it), or its app reports a problem, the CLI synthesizes, and says the problem in its words."""
    checkouts: dict[Path, list[tuple[Configuration, Path]]] = {}
    for root, c, out in jobs:
        checkouts.setdefault(root, []).append((c, out))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(checkouts))) as pool:
        futures = [pool.submit(_synth_checkout, root, items) for root, items in checkouts.items()]
        for future in futures:
            future.result()


def _synth_checkout(root: Path, items: list[tuple[Configuration, Path]]) -> None:
    with Synths(os.environ, SYNTH_CONTEXT, code=root) as synths:
        warm = True  # until the process stops answering: a checkout without it, or a crash
        for c, out in items:
            # Synthesized beside ``out`` and moved in whole: an interrupted synth leaves no folder to reuse.
            partial = out.with_name(f"{out.name}.partial-{os.getpid()}")
            shutil.rmtree(partial, ignore_errors=True)
            try:
                made = warm and not synths.synthesize(root, context_items(c.env, c.mode), partial)
            except WarmSynthError:
                warm = made = False
            if not made:
                synthesize(partial, env=c.env, compute=c.mode, root=root)
            try:
                os.replace(partial, out)
            except OSError:  # another review made it meanwhile, from the same inputs
                shutil.rmtree(partial, ignore_errors=True)


# ---------------------------------------------------------------------- synths kept between runs

# Each synth is kept in .review/synths/<key>/, keyed on all a synth reads: the files synthesized (a
# commit's git tree, or the working tree's files by content, untracked ones too, ignored ones not), the
# tools that synthesize them (the pinned requirements and CLI they were installed from, Go's and Python's
# versions, the user's ~/.cdk.json context) and the configuration. The base side of a review rarely
# changes between pushes, so its synths come from here; nothing is reused across a difference in any of it.
SYNTH_CACHE = ROOT / ".review" / "synths"
SYNTH_CACHE_KEEP = 16  # two sides of two environments in two modes, twice over


def tree_key(commit: str | None, root: Path = ROOT) -> str:
    """A commit's git tree id, or (``None``) a digest of the working tree's files: what a synth of it reads."""
    if commit is not None:
        return "tree-" + _git("rev-parse", f"{commit}^{{tree}}", cwd=root)
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=root)
    digest = hashlib.sha256()
    for name in sorted(set(listed.split("\0")) - {""}):
        path = root / name
        if path.is_file():  # a tracked file deleted is not read; a symlinked folder (.venv) is the toolchain's
            digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return "files-" + digest.hexdigest()


def toolchain_key(root: Path = ROOT) -> str:
    digest = hashlib.sha256(sys.version.encode())
    user_context = Path.home() / ".cdk.json"
    for path in (root / "requirements.txt", root / "requirements-dev.txt", root / "package-lock.json", user_context):
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-"))
    go = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout
    digest.update(go.encode())
    return digest.hexdigest()


def cached_synth(tree: str, toolchain: str, c: Configuration) -> Path:
    key = hashlib.sha256(f"{tree}\0{toolchain}\0{c.env}\0{c.mode}".encode()).hexdigest()[:32]
    return SYNTH_CACHE / f"{c.env}-{c.mode}-{key}"


def _prune_synths(keep: set[Path]) -> None:
    kept = sorted((p for p in SYNTH_CACHE.glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in kept[SYNTH_CACHE_KEEP:]:
        if stale not in keep:
            shutil.rmtree(stale, ignore_errors=True)


# ---------------------------------------------------------------------- comparing


def _scalar_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Property paths whose values differ, with old → new for scalars."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _scalar_changes(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return found
    if old == new:
        return []
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found += _scalar_changes(a, b, f"{path}[{i}]")
        return found
    if isinstance(old, (str, int, float, bool)) and isinstance(new, (str, int, float, bool)):
        return [f"`{path}`: {_short(old)} → {_short(new)}"]
    return [f"`{path}`"]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + '…"'


def _only_assets(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """The resource differs only in asset hashes (a new Lambda zip, a new image tag)."""
    strip = {k: v for k, v in old.items() if k != "Metadata"}, {k: v for k, v in new.items() if k != "Metadata"}
    return strip[0] != strip[1] and _HASH.sub("#", json.dumps(strip[0], sort_keys=True)) == _HASH.sub(
        "#", json.dumps(strip[1], sort_keys=True)
    )


def _asset_line(resource: str, kind: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    before = sorted(set(_HASH.findall(json.dumps(old))) - set(_HASH.findall(json.dumps(new))))
    after = sorted(set(_HASH.findall(json.dumps(new))) - set(_HASH.findall(json.dumps(old))))
    what = {"AWS::Lambda::Function": "Lambda code changed", "AWS::ECS::TaskDefinition": "ECS image changed"}.get(
        kind, f"{kind} asset changed"
    )
    return f"{what}: asset {','.join(h[:8] for h in before)}… → {','.join(h[:8] for h in after)}… (`{resource}`)"


def _acknowledged(templates_: dict[str, dict[str, Any]]) -> set[str]:
    """Every cdk-nag acknowledgement and checkov skip, as `stack/resource: rule`."""
    found = set()
    for stack, template in templates_.items():
        for logical_id, resource in template.get("Resources", {}).items():
            metadata = resource.get("Metadata") or {}
            for rule in (metadata.get("cdk_nag") or {}).get("rules_to_suppress", []):
                found.add(f"cdk-nag {rule.get('id')} at {stack}/{logical_id}")
            for skip in (metadata.get("checkov") or {}).get("skip", []):
                found.add(f"checkov {skip.get('id')} at {stack}/{logical_id}")
    return found


def _monthly(assembly: Path, mode: str) -> tuple[float, dict[str, float]]:
    inv = inventory.read(assembly)
    table = prices.load(prices.default_path(inv.region))
    usage = Usage(requests=PRICED_REQUESTS)
    lines = shared_lines(inv, table, usage) + (lambda_lines if mode == "lambda" else ecs_lines)(inv, table, usage)
    by_label: dict[str, float] = {}
    for line in lines:
        by_label[f"{line.group}: {line.label}"] = by_label.get(f"{line.group}: {line.label}", 0.0) + line.usd
    return total(lines), by_label


def compare(configuration: Configuration, base: Path, head: Path, takeover: Adoption | None = None) -> ConfigReview:
    """The review of one configuration; ``takeover``, the environment's committed `.adopt/`, if any."""
    old, new = templates(base), templates(head)
    pairs = {
        name.removesuffix(".template.json"): (old.get(name), new.get(name)) for name in sorted(set(old) | set(new))
    }
    releases = {name: _follow_the_version(pair) for name, pair in pairs.items()}
    pairs = {name: pair for name, (pair, _) in releases.items()}
    diffs = diff_templates(pairs)
    destructive = [
        loss.describe() for loss in stateful_losses(diffs, pairs) if not (takeover and takeover.verdict(loss, pairs))
    ]
    destructive += weakened(base, head, configuration.label)
    stacks = [_stack_review(d, pairs, takeover) for d in diffs]
    for stack in stacks:
        stack.assets += releases[stack.name][1]
    before, after = (
        _acknowledged({k: v[0] or {} for k, v in pairs.items()}),
        _acknowledged({k: v[1] or {} for k, v in pairs.items()}),
    )
    acknowledgements = [f"added: {a}" for a in sorted(after - before)] + [
        f"removed: {a}" for a in sorted(before - after)
    ]
    cost, delta = _cost(configuration, base, head)
    return ConfigReview(configuration, stacks, destructive, acknowledgements, cost, delta)


Pair = tuple[dict[str, Any] | None, dict[str, Any] | None]


def _follow_the_version(pair: Pair) -> tuple[Pair, list[str]]:
    """A new version of a function is a release, not a new resource: the old template takes the new
    version's logical ID (so the alias, the alarms and the hook that name it do not show as
    changed), and the review says one line instead."""
    old, new = pair
    if old is None or new is None:
        return pair, []
    before = {m["function"]: m[0] for m in _VERSION_ID.finditer(" ".join(old.get("Resources", {})))}
    after = {m["function"]: m[0] for m in _VERSION_ID.finditer(" ".join(new.get("Resources", {})))}
    text, lines = json.dumps(old), []
    for function, old_id in sorted(before.items()):
        new_id = after.get(function)
        if new_id is None or new_id == old_id:
            continue
        text = text.replace(f'"{old_id}"', f'"{new_id}"')
        lines.append(f"Lambda version published: the live alias moves to it through CodeDeploy (`{function}…`)")
    return (json.loads(text) if lines else old, new), lines


def _stack_review(diff: StackDiff, pairs: Templates, takeover: Adoption | None = None) -> StackReview:
    pair = pairs[diff.name]
    old_resources = (pair[0] or {}).get("Resources", {})
    new_resources = (pair[1] or {}).get("Resources", {})
    review = StackReview(diff.name)
    if pair[0] is None:
        review.added.append(f"the whole stack ({len(new_resources)} resources)")
    elif pair[1] is None:
        review.removed.append(f"the whole stack ({len(old_resources)} resources)")
    for change in diff.resources:
        if change.type in _QUIET_TYPES or pair[0] is None or pair[1] is None:
            continue
        verdict = takeover.verdict(change, pairs) if takeover else None
        review_line(review, change, old_resources.get(change.logical_id), new_resources.get(change.logical_id), verdict)
    for output in diff.outputs:
        review.outputs.append(f"`{output.logical_id}` {output.change}")
    security = diff.security
    review.broadened = security.broadened
    for title, rows in (("IAM", security.iam), ("managed policies", security.managed_policies),
                        ("security groups", security.security_groups)):  # fmt: skip
        if rows:
            review.security.append(f"{title}:\n\n" + _markdown_table(rows))
    return review


def review_line(
    review: StackReview, change: ResourceChange, old: Any, new: Any, verdict: Verdict | None = None
) -> None:
    """File ``change`` under its section; ``verdict``, what a takeover makes of it (`Adoption.verdict`)."""
    name = f"`{change.logical_id}` ({change.type})"
    stateful = " — stateful" if change.type in STATEFUL_TYPES else ""
    if verdict is not None and verdict.kind == IMPORTED:
        review.imported.append(f"{name} — {verdict.text}")
    elif verdict is not None and verdict.kind == REFERENCED:
        review.referenced.append(f"{name} — {verdict.text}")
    elif old is None:
        review.added.append(name)
    elif new is None:
        review.removed.append(name + stateful)
    elif change.replaces_or_removes:
        causes = [p.name for p in change.properties if p.impact in ("WILL_REPLACE", "MAY_REPLACE")]
        rebuilt = f": {verdict.text}" if verdict else ""
        review.replaced.append(f"{name}{stateful}, because of {', '.join(causes) or 'its type'}{rebuilt}")
    elif _only_assets(old, new):
        review.assets.append(_asset_line(change.logical_id, change.type, old, new))
    else:
        paths = _scalar_changes(old.get("Properties", {}), new.get("Properties", {}))
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            paths += _scalar_changes(old.get(key), new.get(key), key)
        review.modified.append(f"{name}: {'; '.join(paths) or 'metadata only'}")


def _markdown_table(rows: tuple[tuple[str, ...], ...]) -> str:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("\n", "<br>").replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines)


def _cost(configuration: Configuration, base: Path, head: Path) -> tuple[list[str], float | None]:
    try:
        before, before_lines = _monthly(base, configuration.mode)
        after, after_lines = _monthly(head, configuration.mode)
    except CostError as error:
        return [f"not priced: {error}"], None
    moved = []
    for label in sorted(set(before_lines) | set(after_lines)):
        a, b = before_lines.get(label, 0.0), after_lines.get(label, 0.0)
        if abs(b - a) >= 0.005:
            moved.append(f"{label}: ${a:,.2f} → ${b:,.2f} ({b - a:+,.2f})")
    return moved, after - before


# ---------------------------------------------------------------------- the report


def render(reviews: list[ConfigReview], base: str, limit: int = COMMENT_LIMIT, full_report: str = "") -> str:
    head = [
        "<!-- anigmaa-review -->",
        f"## Infrastructure review against `{base}`",
        "",
        "| environment / mode | verdict | stacks changed | monthly cost at 1M requests |",
        "|---|---|---|---|",
    ]
    for r in reviews:
        changed = ", ".join(s.name for s in r.stacks if s.changed) or "—"
        cost = "—" if r.cost_delta is None or abs(r.cost_delta) < 0.005 else f"{r.cost_delta:+,.2f} USD"
        head.append(f"| {r.configuration.label} | {r.verdict} | {changed} | {cost} |")
    pointer = f"\n\n_Details cut to fit a comment; the whole report: {full_report or 'the review artifact'}._"
    # What is destroyed is part of the verdict: all of it if it fits, else the first few of each.
    for most in (None, 3, 0):
        losses = []
        for r in reviews:
            shown = r.destructive if most is None else r.destructive[:most]
            losses += [f"\n**Destructive in {r.configuration.label}:** {loss}" for loss in shown]
            if len(shown) < len(r.destructive):
                losses.append(f"\n…and {len(r.destructive) - len(shown)} more in {r.configuration.label}")
        if len("\n".join(head + losses)) + len(pointer) <= limit:
            break
    head += losses
    details = [_details(r) for r in reviews if r.verdict != "no change"]
    text = "\n".join(head)
    for block in details:
        if len(text) + len(block) + 2 + len(pointer) > limit:
            return text + pointer
        text += "\n\n" + block
    return text


def _details(r: ConfigReview) -> str:
    parts = [f"<details><summary><b>{r.configuration.label}</b>: {r.verdict}</summary>", ""]
    for stack in r.stacks:
        if not stack.changed and not stack.security:
            continue
        parts.append(f"#### {stack.name}")
        sections = {"Added": stack.added, "Imported": stack.imported, "Removed": stack.removed,
                    "Referenced": stack.referenced, "Replaced": stack.replaced, "Modified": stack.modified,
                    "Assets": stack.assets, "Outputs": stack.outputs}  # fmt: skip
        for title, items in sections.items():
            parts += [f"- {title}: {item}" for item in items]
        if stack.security:
            width = "**widening**" if stack.broadened else "narrowing or neutral"
            parts.append(f"\nSecurity changes ({width}):\n")
            parts += stack.security
        parts.append("")
    if r.acknowledgements:
        parts.append("#### Acknowledged findings (read each one)")
        parts += [f"- {a}" for a in r.acknowledgements]
        parts.append("")
    if r.cost:
        parts.append("#### Monthly cost at 1M requests (lines that moved)")
        parts += [f"- {c}" for c in r.cost]
        parts.append("")
    parts.append("</details>")
    return "\n".join(parts)


# ---------------------------------------------------------------------- main


def run(base_ref: str, work: Path, *, reuse: bool = True) -> list[ConfigReview]:
    """Both sides synthesized (or, with ``reuse``, taken from SYNTH_CACHE where they were), then compared."""
    commit = _git("rev-parse", "--verify", f"{base_ref}^{{commit}}")
    toolchain = toolchain_key()
    trees = {"head": tree_key(None), "base": tree_key(commit)}
    with worktree(commit) as base_root:
        configs = configurations(ROOT)
        base_configs = {c.label for c in configurations(base_root)}
        sides = {"head": (ROOT, configs), "base": (base_root, [c for c in configs if c.label in base_configs])}
        outs: dict[tuple[str, str], Path] = {}
        jobs = []
        for side, (root, side_configs) in sides.items():
            for c in side_configs:
                out = cached_synth(trees[side], toolchain, c)
                outs[side, c.label] = out
                if not (reuse and (out / "manifest.json").is_file()):
                    shutil.rmtree(out, ignore_errors=True)
                    jobs.append((root, c, out))
        SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
        synth_all(jobs)
    for out in outs.values():
        out.touch()  # most recently used: kept by the pruning
    _prune_synths(set(outs.values()))
    reused = len(outs) - len(jobs)
    print(f"review: {len(jobs)} synths, {reused} reused from {SYNTH_CACHE.relative_to(ROOT)}/ (same files, tools and "
          "configuration)", file=sys.stderr)  # fmt: skip
    reviews = []
    for c in configs:
        base_out = outs.get(("base", c.label))
        if base_out is None:  # a new environment: everything is added
            base_out = work / "base" / c.label.replace("/", "-")
            base_out.mkdir(parents=True)
        takeover = adoption.load(ROOT, c.env)
        reviews.append(compare(c, base_out, outs["head", c.label], takeover))
    return reviews


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gates.review", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref to compare with (default: the merge-base with origin/main, or main)")
    parser.add_argument("--out", type=Path, default=ROOT / ".review" / "report.md", help="where the whole report goes")
    parser.add_argument("--allow-destructive", action="store_true", help="exit 0 even when a stateful resource goes")
    parser.add_argument("--fresh", action="store_true", help="synthesize both sides again (reuse no kept synth)")
    args = parser.parse_args(argv)
    try:
        ref = args.base or default_base()
        if not _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False):
            raise ReviewError(
                f"--base {ref}: not a commit here; accepted: a branch, tag or commit (git fetch it first)"
            )
        base = f"{ref} ({_git('rev-parse', '--short=12', ref)})" if args.base else _git("rev-parse", "--short=12", ref)
        with tempfile.TemporaryDirectory(prefix="anigmaa-review-out-") as work:
            reviews = run(ref, Path(work), reuse=not args.fresh)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(reviews, base, limit=10**9), encoding="utf-8")
        comment = render(reviews, base, full_report=str(args.out))
        # The comment-sized report beside the whole one, for the workflow to post.
        args.out.with_name("comment.md").write_text(comment + "\n", encoding="utf-8")
        print(comment)
    except (ReviewError, SynthError, RuntimeError) as error:
        print(f"review: {error}", file=sys.stderr)
        return 2
    destructive = [r.configuration.label for r in reviews if r.destructive]
    if destructive and not args.allow_destructive:
        print(f"review: destructive in {', '.join(destructive)}; if intended: --allow-destructive", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
