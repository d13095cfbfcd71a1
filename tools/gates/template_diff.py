"""Semantic differences between CloudFormation templates, as `cdk diff` sees them.

The comparison runs in `tools/gates/template_diff.mjs` with `@aws-cdk/cloudformation-diff`, the
library behind `cdk diff`, which knows from the CloudFormation resource specification
which property changes replace a resource. This module calls it and returns dataclasses.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import ROOT

SCRIPT = Path(__file__).with_name("template_diff.mjs")
# Resources whose replacement or deletion loses data or breaks what depends on them.
STATEFUL_TYPES = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBSubnetGroup",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::SubnetGroup",
        "AWS::S3::Bucket",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::EIP",  # the NAT gateway's public address, which partners may allow-list
        "AWS::CertificateManager::Certificate",
        "AWS::Route53::RecordSet",
        "AWS::SNS::Topic",  # replacing it drops the e-mail subscription
        "AWS::KMS::Key",  # the SecureStrings' key: a new one leaves them under the old, which no role may use
        "AWS::Backup::BackupVault",  # a new vault starts empty: the recovery points stay in the old one
    }
)
REPLACING = frozenset({"WILL_REPLACE", "MAY_REPLACE"})
REMOVING = frozenset({"WILL_DESTROY", "WILL_ORPHAN"})


@dataclass(frozen=True)
class PropertyChange:
    name: str
    impact: str


@dataclass(frozen=True)
class ResourceChange:
    stack: str
    logical_id: str
    type: str
    impact: str
    properties: tuple[PropertyChange, ...]

    @property
    def replaces_or_removes(self) -> bool:
        return self.impact in REPLACING | REMOVING

    def describe(self) -> str:
        verb = {"WILL_REPLACE": "would be replaced", "MAY_REPLACE": "may be replaced"}.get(
            self.impact, "would be deleted"
        )
        causes = [p.name for p in self.properties if p.impact in REPLACING]
        because = f" (because {', '.join(causes)} changes)" if causes else ""
        return f"{self.stack}: {self.type} {self.logical_id} {verb}{because}"


@dataclass(frozen=True)
class OutputChange:
    stack: str
    logical_id: str
    change: str
    old_export: str | None
    new_export: str | None


@dataclass(frozen=True)
class SecurityChange:
    """The diff library's own account of IAM and security-group changes (tables, header row first)."""

    broadened: bool
    iam: tuple[tuple[str, ...], ...] = ()
    managed_policies: tuple[tuple[str, ...], ...] = ()
    security_groups: tuple[tuple[str, ...], ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.iam or self.managed_policies or self.security_groups)


@dataclass(frozen=True)
class StackDiff:
    name: str
    resources: tuple[ResourceChange, ...]
    outputs: tuple[OutputChange, ...]
    security: SecurityChange = SecurityChange(broadened=False)


def _node() -> str:
    venv_node = ROOT / ".venv" / "bin" / "node"
    node = str(venv_node) if venv_node.exists() else shutil.which("node")
    if node is None:
        raise RuntimeError("node not found; run `make setup`")
    return node


def diff_templates(pairs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> list[StackDiff]:
    """Diff each stack's (old, new) templates; None stands for a stack that does not exist."""
    request = {"stacks": [{"name": name, "old": old, "new": new} for name, (old, new) in pairs.items()]}
    result = subprocess.run(
        [_node(), str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"template_diff.mjs failed: {result.stderr.strip()}")
    diffs = []
    for stack in json.loads(result.stdout)["stacks"]:
        resources = tuple(
            ResourceChange(
                stack=stack["name"],
                logical_id=r["logicalId"],
                type=r["type"],
                impact=r["impact"],
                properties=tuple(PropertyChange(p["name"], p["impact"]) for p in r["properties"]),
            )
            for r in stack["resources"]
        )
        outputs = tuple(
            OutputChange(stack["name"], o["logicalId"], o["change"], o["oldExport"], o["newExport"])
            for o in stack["outputs"]
        )
        found = stack.get("security") or {}
        security = SecurityChange(
            broadened=bool(found.get("broadened")),
            iam=_table(found.get("iam")),
            managed_policies=_table(found.get("managedPolicies")),
            security_groups=_table(found.get("securityGroups")),
        )
        diffs.append(StackDiff(name=stack["name"], resources=resources, outputs=outputs, security=security))
    return diffs


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _table(rows: Any) -> tuple[tuple[str, ...], ...]:
    """A summary table without the terminal colours the library adds."""
    return tuple(tuple(_ANSI.sub("", str(cell)) for cell in row) for row in rows or ())


Templates = dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]


def stateful_losses(diffs: list[StackDiff], pairs: Templates | None = None) -> list[ResourceChange]:
    """Every stateful resource that the change would replace or delete.

    Given the templates compared (``pairs``, by stack name, as `diff_templates` took them), a
    weighted DNS record that goes while its stack keeps another weighted record of the same name
    is no loss: the name keeps answering, from the other record (compute=split's steps).
    """
    return [
        r
        for d in diffs
        for r in d.resources
        if r.type in STATEFUL_TYPES and r.replaces_or_removes and not _weighted_record_kept(r, pairs)
    ]


def _weighted_record_kept(change: ResourceChange, pairs: Templates | None) -> bool:
    if pairs is None or change.type != "AWS::Route53::RecordSet" or change.impact != "WILL_DESTROY":
        return False
    old, new = pairs[change.stack]
    removed = (old or {}).get("Resources", {}).get(change.logical_id, {}).get("Properties", {})
    if "SetIdentifier" not in removed:
        return False
    same_name = [
        r["Properties"]
        for r in (new or {}).get("Resources", {}).values()
        if r["Type"] == "AWS::Route53::RecordSet"
        and r["Properties"].get("Name") == removed.get("Name")
        and r["Properties"].get("Type") == removed.get("Type")
    ]
    identifiers = {p.get("SetIdentifier") for p in same_name}
    # The same identifier under another logical ID is a rename: CloudFormation would create it
    # before deleting the old one, and Route 53 refuses the duplicate.
    return removed["SetIdentifier"] not in identifiers and any(i is not None for i in identifiers)
