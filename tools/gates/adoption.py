"""A takeover with `cdk import`, as the guard and the review see it: what the diff library calls a
replacement or a deletion that the takeover turns into an import or a reference.

`make adopt` commits ``.adopt/<env>/resource-mapping-<stack>.json`` (``{"<logical id>":
{"<primary identifier property>": "<live id>"}}``, the file ``cdk import --resource-mapping`` takes)
with the change that adds its settings to cdk.json. Against a template that never named them, the
data stack's resources then set their live names, which the diff library reports as replacements,
and with ``vpc_id`` the network stack references the live VPC instead of building one, which it
reports as deletions. With the mapping committed (a takeover, and only then), three changes are no loss:

- **imported**: a stateful resource of the mapping whose only replacing change is its identifier,
  set to exactly the mapping's live id;
- **referenced**: one of the app's own network resources (`NETWORK_TYPES`) gone from a stack that
  now names the live VPC ``vpc_id``;
- **rebuilt in the live VPC**: a resource (the app's security groups) replaced only because its
  VpcId moves from the app's VPC, gone, to ``vpc_id``; the review still lists it as replaced.

Anything else is what the diff library says. Without ``.adopt/<env>/`` nothing changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import read_context
from tools.gates.template_diff import REMOVING, REPLACING, ResourceChange, Templates

FOLDER = ".adopt"
MAPPING_PREFIX = "resource-mapping-"
# What the app builds for its own VPC and no longer builds when it references a live one (vpc_id).
NETWORK_TYPES = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
    }
)


IMPORTED, REFERENCED, REBUILT = "imported", "referenced", "rebuilt"


@dataclass(frozen=True)
class Verdict:
    """What a takeover makes of one change: its kind (IMPORTED, REFERENCED or REBUILT) and one line."""

    kind: str
    text: str


class AdoptionError(RuntimeError):
    """A committed mapping cannot be read; the message is one line."""


@dataclass(frozen=True)
class Adoption:
    """The committed takeover of one environment: its mappings (by stack construct id) and its vpc_id."""

    env: str
    mappings: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    vpc_id: str = ""

    def verdict(self, change: ResourceChange, pairs: Templates) -> Verdict | None:
        """What the takeover makes of ``change`` (in a stack of ``pairs``, the templates diffed): "imported from
        <id>", "referenced: the live VPC <id>" or "rebuilt in the live VPC <id>"; None: what the diff says."""
        old, new = pairs[change.stack]
        old_resources = (old or {}).get("Resources", {})
        new_resources = (new or {}).get("Resources", {})
        if change.impact in REPLACING and change.logical_id in new_resources:
            after = new_resources[change.logical_id].get("Properties", {})
            causes = {p.name for p in change.properties if p.impact in REPLACING}
            identifiers = self.mappings.get(stack_id(change.stack), {}).get(change.logical_id, {})
            if identifiers and causes and causes <= set(identifiers) and _sets(after, identifiers):
                return Verdict(IMPORTED, f"imported from {', '.join(identifiers.values())}")
            if self.vpc_id and causes == {"VpcId"} and after.get("VpcId") == self.vpc_id:
                before = old_resources.get(change.logical_id, {}).get("Properties", {}).get("VpcId")
                if _app_vpc_gone(before, old_resources, new_resources):
                    return Verdict(REBUILT, f"rebuilt in the live VPC {self.vpc_id}")
        if (
            self.vpc_id
            and change.impact in REMOVING
            and change.type in NETWORK_TYPES
            and new is not None
            and change.logical_id not in new_resources
            and f'"{self.vpc_id}"' in json.dumps(new)
        ):
            return Verdict(REFERENCED, f"referenced: the live VPC {self.vpc_id}")
        return None


def _sets(properties: Mapping[str, Any], identifiers: Mapping[str, str]) -> bool:
    return all(properties.get(name) == value for name, value in identifiers.items())


def _app_vpc_gone(before: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """``before`` (a VpcId) names the app's own VPC of the old template, which the new one no longer holds."""
    if not isinstance(before, dict) or set(before) != {"Ref"}:
        return False
    vpc = before["Ref"]
    return old.get(vpc, {}).get("Type") == "AWS::EC2::VPC" and vpc not in new


def stack_id(stack: str) -> str:
    """The construct id of a stack as the gates name it: ``prod-lambda/Data.template.json`` or ``Data``."""
    return stack.rsplit("/", 1)[-1].removesuffix(".template.json")


def load(root: Path, env: str, context: Sequence[str] = ()) -> Adoption | None:
    """The takeover committed under ``root``/.adopt/``env``, or None when it holds no resource mapping.

    Its vpc_id is the environment's in ``root``'s cdk.json, or a ``vpc_id=…`` item of ``context``
    (the ``-c`` items of the synth), as the app reads it.
    """
    folder = root / FOLDER / env
    files = sorted(folder.glob(f"{MAPPING_PREFIX}*.json")) if folder.is_dir() else []
    if not files:
        return None
    mappings = {path.name.removeprefix(MAPPING_PREFIX).removesuffix(".json"): _mapping(path, root) for path in files}
    vpc_id: Any = read_context(root).get("environments", {}).get(env, {}).get("vpc_id", "")
    for item in context:
        key, _, value = item.partition("=")
        if key == "vpc_id":
            vpc_id = value
    return Adoption(env, mappings, vpc_id if isinstance(vpc_id, str) else "")


def _mapping(path: Path, root: Path) -> dict[str, dict[str, str]]:
    where = path.relative_to(root)
    accepted = 'accepted: {"<logical id>": {"<identifier property>": "<live id>"}}, as make adopt writes it'
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AdoptionError(f"{where}: not valid JSON ({error.msg}, line {error.lineno}); {accepted}") from None
    if not isinstance(document, dict) or not all(
        isinstance(ids, dict) and ids and all(isinstance(v, str) for v in ids.values()) for ids in document.values()
    ):
        raise AdoptionError(f"{where}: not a resource mapping; {accepted}")
    return document
