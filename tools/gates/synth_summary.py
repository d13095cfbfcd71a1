"""Print a short human summary of a synthesized cloud assembly.

Usage: python -m tools.gates.synth_summary [cdk.out]

Lists each stack with its CloudFormation name, resource count and outputs, then every
warning or error the synthesis raised (construct annotations and CloudFormation
validation), so `make synth` ends with what a reviewer needs to know.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tools.gates.assembly import load_json, read_stacks


@dataclass(frozen=True)
class Finding:
    """A warning or error raised during synthesis."""

    severity: str
    source: str
    rule: str
    where: str
    message: str


def findings(assembly: Path) -> list[Finding]:
    """Warnings and errors from the validation report (annotations and CloudFormation checks)."""
    report_path = assembly / "validation-report.json"
    if not report_path.exists():
        return []
    result = []
    for plugin in load_json(report_path).get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                result.append(
                    Finding(
                        severity=violation.get("severity", "?"),
                        source=plugin.get("pluginName", "?"),
                        rule=violation.get("ruleName", "?"),
                        where=construct.get("constructPath", "?"),
                        message=violation.get("description", "").strip(),
                    )
                )
    return result


def render(assembly: Path) -> str:
    """The summary as text."""
    lines = [f"Synthesized {assembly}:"]
    for stack in read_stacks(assembly):
        lines.append(f"  {stack.construct_id:<8} {stack.stack_name:<28} {stack.resources:>3} resources")
        if stack.outputs:
            lines.append(f"           outputs: {', '.join(stack.outputs)}")
    found = findings(assembly)
    if found:
        # Their full text is printed once, by the synth itself (or in cdk.out/validation-report.json).
        lines.append(f"{len(found)} finding(s), in full above:")
        for finding in found:
            lines.append(f"  [{finding.severity}] {finding.rule} at {finding.where}")
    else:
        lines.append("No warnings or errors.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    assembly = Path(argv[1] if len(argv) > 1 else "cdk.out")
    if not (assembly / "manifest.json").exists():
        print(f"synth_summary: {assembly}/manifest.json not found; run `make synth` first", file=sys.stderr)
        return 1
    print(render(assembly))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
