"""cfn-lint and checkov over synthesized templates, with the warnings we accept and why.

Usage: python -m tools.gates.scan [ASSEMBLY_DIR ...]     (default: cdk.out; `make scan` synthesizes first)

Both scanners run from their own virtualenv (.venv-scan: checkov's pins clash with the
app's) and offline (checkov with --skip-download). Exits non-zero on any cfn-lint error,
any cfn-lint warning not listed in ALLOWED_WARNINGS, or any failed checkov check; checkov
skips are written into the templates' metadata, each with its reason, by the stacks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools import ROOT
from tools.gates.assembly import template_files

SCAN_BIN = ROOT / ".venv-scan" / "bin"

# cfn-lint warnings we accept, by exact rule id, and why.
ALLOWED_WARNINGS = {
    "W2531": "provided.al2 is the design's runtime until the team moves; the synth warning gives the dates and "
    "the one setting (lambda_runtime=provided.al2023) that removes this.",
    "W3005": "The CDK writes an explicit DependsOn next to a GetAtt on the same resource (Lambda roles); "
    "redundant, harmless.",
    "W3691": "cfn-lint's data marks major-only PostgreSQL versions ('17') deprecated; RDS accepts a major version "
    "and picks its current minor, which keeps automatic minor upgrades from drifting the template.",
}


@dataclass(frozen=True)
class LintFinding:
    rule: str
    level: str
    file: str
    message: str


@dataclass(frozen=True)
class CheckovResult:
    passed: int
    failed: tuple[str, ...]
    skipped: tuple[tuple[str, str, str], ...]  # (check id, resource, reason)
    parsing_errors: int = 0
    unscanned: tuple[str, ...] = ()  # templates with checkable resources that produced no result


# Resource types checkov has no check for: a template of only these may produce no result.
UNCHECKED_TYPES = frozenset({"AWS::Route53::RecordSet", "AWS::CDK::Metadata"})


def _require(tool: Path) -> None:
    if not tool.exists():
        raise SystemExit(f"scan: {tool} not found; run `make setup` (it creates .venv-scan)")


def templates_in(assemblies: list[Path]) -> list[Path]:
    found = template_files(assemblies)
    if not found:
        raise SystemExit(f"scan: no *.template.json in {', '.join(map(str, assemblies))}; run `make synth` first")
    return found


def cfn_lint(templates: list[Path]) -> list[LintFinding]:
    _require(SCAN_BIN / "cfn-lint")
    result = subprocess.run(
        [str(SCAN_BIN / "cfn-lint"), "--format", "json", "--", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) or not result.stdout.strip().startswith("["):
        raise RuntimeError(f"cfn-lint did not run: {result.stderr.strip() or result.stdout.strip()}")
    return [
        LintFinding(rule=m["Rule"]["Id"], level=m["Level"], file=m["Filename"], message=m["Message"].splitlines()[0])
        for m in json.loads(result.stdout)
    ]


def checkov(templates: list[Path]) -> CheckovResult:
    # No network: --skip-download, and no mapping look-up.
    _require(SCAN_BIN / "checkov")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    files = [arg for t in templates for arg in ("-f", str(t))]
    command = [str(SCAN_BIN / "checkov"), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    result = subprocess.run([*command, *files], capture_output=True, text=True, check=False, env=env)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov did not run: {result.stderr.strip()[-2000:]}")
    try:
        reports = json.loads(result.stdout)
    except ValueError:
        raise RuntimeError(f"checkov printed no JSON report: {result.stdout[:300]!r}") from None
    reports = reports if isinstance(reports, list) else [reports]
    passed, failed, skipped, parsing_errors = 0, [], [], 0
    seen: set[str] = set()
    for report in reports:
        results = report.get("results", {})
        parsing_errors += int(report.get("summary", {}).get("parsing_errors", 0))
        for kind in ("passed_checks", "failed_checks", "skipped_checks"):
            seen.update(Path(c["file_abs_path"]).resolve().as_posix() for c in results.get(kind, []))
        passed += len(results.get("passed_checks", []))
        failed += [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in results.get("failed_checks", [])]
        skipped += [
            (c["check_id"], c["resource"], (c.get("check_result") or {}).get("suppress_comment", ""))
            for c in results.get("skipped_checks", [])
        ]
    unscanned = tuple(str(t) for t in templates if t.resolve().as_posix() not in seen and _checkable(t))
    return CheckovResult(
        passed=passed,
        failed=tuple(failed),
        skipped=tuple(skipped),
        parsing_errors=parsing_errors,
        unscanned=unscanned,
    )


def _checkable(template: Path) -> bool:
    try:
        resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
    except ValueError:
        return True  # not even JSON: it must be reported, not skipped
    return any(r.get("Type") not in UNCHECKED_TYPES for r in resources.values())


def problems(lint: list[LintFinding], scan: CheckovResult) -> list[str]:
    """Everything that should fail the build."""
    found = [f"cfn-lint {f.rule} ({f.level}) {f.file}: {f.message}" for f in lint if f.level == "Error"]
    found += [
        f"cfn-lint {f.rule} (warning, not allowed) {f.file}: {f.message}"
        for f in lint
        if f.level == "Warning" and f.rule not in ALLOWED_WARNINGS
    ]
    found += [f"checkov failed {failure}" for failure in scan.failed]
    if scan.parsing_errors:
        found.append(f"checkov could not parse {scan.parsing_errors} template(s)")
    found += [f"checkov produced no result for {template}" for template in scan.unscanned]
    return found


def main(argv: list[str]) -> int:
    assemblies = [Path(a) for a in argv[1:]] or [ROOT / "cdk.out"]
    templates = templates_in(assemblies)
    lint, scan = cfn_lint(templates), checkov(templates)
    levels = Counter(f.level for f in lint)
    print(f"cfn-lint: {len(templates)} templates, {levels['Error']} errors, {levels['Warning']} warnings")
    for rule, count in sorted(Counter(f.rule for f in lint if f.level == "Warning").items()):
        print(f"  {rule} x{count}: {ALLOWED_WARNINGS.get(rule, 'NOT ALLOWED')}")
    print(
        f"checkov: {scan.passed} passed, {len(scan.failed)} failed, {len(scan.skipped)} skipped, "
        f"{scan.parsing_errors} parsing errors"
    )
    found = problems(lint, scan)
    for problem in found:
        print(f"  {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
