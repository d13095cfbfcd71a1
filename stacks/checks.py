"""The policy checks: cdk-nag's AwsSolutions and Serverless packs at every synth, and the
one line per failed check that a stopped synth prints.

Findings a construct accepts are acknowledged where the construct is built, with
`constructs.findings.accept`; those that depend on the configuration, in the stack.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks

# Set at the app's creation: the CDK then leaves a failed check for the app to report (as
# `failures` does) instead of printing the whole validation report.
APP_MODE = {"@aws-cdk/core:appMode": "inmemory"}
CLOUDFORMATION_SCHEMA = "CloudFormation Validate"
# Template properties set straight from one configuration key: a failure there names the key.
KEY_OF_PROPERTY = {
    "DBInstanceClass": "db_instance_class",
    "CacheNodeType": "cache_node_type",
    "InstanceType": "nat_instance_type",
}
# CloudFormation's schema check lists every accepted value: hundreds of RDS classes on one line.
_NOT_ONE_OF = re.compile(
    r"(?P<property>\w+): '(?P<value>[^']*)' is not one of \[(?P<accepted>[^\]]*)\](?P<condition>.*)", re.DOTALL
)
_LONGEST = 200


def register_checks(app: App) -> list[NagPack]:
    """Attach the rule packs to ``app``: synth fails on any finding not acknowledged with a reason."""
    packs: list[NagPack] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    Validations.of(app).add_plugins(*packs)
    return packs


def failures(outdir: Path) -> list[str]:
    """One line for each check that stopped the synth, from its validation report."""
    path = outdir / "validation-report.json"
    if not path.exists():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for plugin in report.get("pluginReports", []):
        if plugin.get("conclusion") == "success":
            continue
        for violation in plugin.get("violations", []):
            if violation.get("severity") not in ("error", "fatal"):
                continue
            where = ", ".join(c.get("constructPath", "?") for c in violation.get("violatingConstructs", []))
            line = f"{violation.get('ruleName', '?')} at {where}: {condensed(violation.get('description', ''))}"
            if plugin.get("pluginName") != CLOUDFORMATION_SCHEMA:
                line += "; fix it, or accept it with a reason (constructs/findings.py)"
            lines.append(line)
    return lines


def condensed(description: str) -> str:
    """A finding's description in one short line: a list of accepted values becomes the nearest few."""
    found = _NOT_ONE_OF.fullmatch(description.strip())
    if found:
        prop, value = found["property"], found["value"]
        accepted = re.findall(r"'([^']*)'", found["accepted"])
        near = difflib.get_close_matches(value, accepted, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
        key = f" (set by {KEY_OF_PROPERTY[prop]})" if prop in KEY_OF_PROPERTY else ""
        condition = " ".join(found["condition"].split())
        return (
            f"{prop}{key}: {value!r} is not a value CloudFormation accepts{' ' + condition if condition else ''}; "
            f"{hint}accepted: one of the {len(accepted)} values in the report"
        )
    line = " ".join(description.split())
    return line if len(line) <= _LONGEST else line[: _LONGEST - 1] + "…"
