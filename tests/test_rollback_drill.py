"""The rollback drill: lambda → ecs → lambda, and the migration a slice at a time (ecs → split 5 →
split 50 → lambda → split 50 → ecs), walked offline against a simulated account.

Each step of the README's runbook is applied to a dict of "deployed" templates, with the
checks CloudFormation itself makes (an import needs an existing export; an export in use
cannot be removed or its stack deleted) and the ones the team cares about (no stateful
resource replaced or deleted, the permanent stacks untouched, the domain always answered
by a record of weight above 0, each record owned by one stack only). Replacement comes
from the CDK's own diff library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import Synth
from tools.gates.template_diff import diff_templates, stateful_losses

Template = dict[str, Any]
Step = tuple[str, Synth, str]  # ("deploy" | "delete", the synth it comes from, stack role)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def imports(template: Template) -> set[str]:
    return {n["Fn::ImportValue"] for n in _walk(template) if isinstance(n, dict) and "Fn::ImportValue" in n}


def exports(template: Template) -> set[str]:
    return {o["Export"]["Name"] for o in template.get("Outputs", {}).values() if "Export" in o}


def owned_names(template: Template) -> set[tuple[str, str]]:
    """DNS records and API domains a template owns: (kind, name)."""
    owned = set()
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Route53::RecordSet":
            owned.add((f"record {properties['Type']}", properties["Name"]))
        elif resource["Type"] == "AWS::ApiGatewayV2::DomainName":
            owned.add(("api domain", properties["DomainName"]))
    return owned


@dataclass
class Account:
    """Deployed stacks by CloudFormation name, and a log of what each step did."""

    stacks: dict[str, Template] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def deploy(self, synth: Synth, role: str) -> None:
        name, new = synth.stack(role).stack_name, synth.json(role)
        old = self.stacks.get(name)
        exported_elsewhere = set().union(*(exports(t) for n, t in self.stacks.items() if n != name))
        missing = imports(new) - exported_elsewhere
        assert not missing, f"deploy {name}: imports exports that do not exist: {missing}"
        if old is not None:
            removed = exports(old) - exports(new)
            in_use = {e for e in removed for n, t in self.stacks.items() if n != name and e in imports(t)}
            assert not in_use, f"deploy {name}: would delete exports in use: {in_use}"
        [diff] = diff_templates({name: (old, new)})
        losses = stateful_losses([diff], {name: (old, new)})
        assert not losses, "\n".join(loss.describe() for loss in losses)
        self.stacks[name] = new
        changed = sorted(f"{r.logical_id}:{r.impact}" for r in diff.resources)
        self.log.append(f"deploy {name}: {'no change' if not changed else ', '.join(changed)}")

    def delete(self, name: str) -> None:
        template = self.stacks[name]
        in_use = {e for e in exports(template) for n, t in self.stacks.items() if n != name and e in imports(t)}
        assert not in_use, f"delete {name}: its exports are in use: {in_use}"
        [diff] = diff_templates({name: (template, None)})
        losses = stateful_losses([diff])
        assert not losses, "\n".join(loss.describe() for loss in losses)
        del self.stacks[name]
        self.log.append(f"delete {name}")

    def check_invariants(self, domain: str | None) -> None:
        seen: dict[tuple[str, str], str] = {}
        for name, template in self.stacks.items():
            for owned in owned_names(template):
                assert owned not in seen, f"{owned} owned by both {seen[owned]} and {name}"
                seen[owned] = name
        if domain is not None:
            weights = self.weights(domain)
            assert weights, f"no DNS record for {domain} in {sorted(self.stacks)}"
            assert any(weight > 0 for weight in weights.values()), f"{domain}: every record has weight 0: {weights}"

    def weights(self, domain: str) -> dict[str, int]:
        """The domain's A records across the account, by set identifier (Route 53's view of the name)."""
        found: dict[str, int] = {}
        for template in self.stacks.values():
            for resource in template.get("Resources", {}).values():
                properties = resource.get("Properties", {})
                if resource["Type"] == "AWS::Route53::RecordSet" and properties["Name"] == f"{domain}.":
                    assert properties["Type"] == "A"
                    identifier = properties.get("SetIdentifier")
                    assert identifier not in found, f"{domain}: two records with set identifier {identifier}"
                    found[identifier] = properties["Weight"]
        if found:
            assert None not in found, f"{domain}: a simple record beside weighted ones is refused by Route 53"
        return found


def _unhashed(line: str) -> str:
    """A log line with the CDK's 8-digit hash taken off each logical ID (ApiAliasRecordBCE933A3 → ApiAliasRecord)."""
    return re.sub(r"([A-Za-z]+)[0-9A-F]{8}:", r"\1:", line)


DRILLS = [("prod", "prod-ecs", None), ("prod-custom", "prod-custom-ecs", "api.anigmaa.example")]


@pytest.mark.parametrize(("lambda_name", "ecs_name", "domain"), DRILLS)
def test_lambda_to_ecs_and_back_never_fails_loses_data_or_drops_the_domain(
    synth: Callable[[str], Synth], lambda_name: str, ecs_name: str, domain: str | None
) -> None:
    on_lambda, on_ecs = synth(lambda_name), synth(ecs_name)
    account = Account()
    has_edge = on_lambda.stacks.edge is not None
    assert has_edge == (domain is not None)

    # Day one: everything on Lambda (the record exists once the edge stack does).
    for role in ("network", "data", "compute", *(("edge",) if has_edge else ())):
        account.deploy(on_lambda, role)
        account.check_invariants(None)
    account.check_invariants(domain)
    permanent = {n: json.dumps(t, sort_keys=True) for n, t in account.stacks.items() if n.endswith(("network", "data"))}

    edge: list[Step] = [("deploy", on_ecs, "edge")] if has_edge else []
    rollback: list[Step] = [
        ("deploy", on_ecs, "network"),  # no change
        ("deploy", on_ecs, "data"),  # no change
        ("deploy", on_ecs, "compute"),  # ECS runs beside Lambda
        *edge,  # DNS moves to the load balancer
        ("delete", on_lambda, "compute"),  # after the rollback window
    ]
    forward: list[Step] = [
        ("deploy", on_lambda, "compute"),
        *([("deploy", on_lambda, "edge")] if has_edge else []),
        ("delete", on_ecs, "compute"),
    ]
    for action, source, role in [*rollback, *forward]:
        if action == "deploy":
            account.deploy(source, role)
        else:
            account.delete(source.stack(role).stack_name)
        account.check_invariants(domain)

    assert {n: json.dumps(t, sort_keys=True) for n, t in account.stacks.items() if n in permanent} == permanent
    permanent_steps = [
        line for line in account.log if line.startswith(("deploy anigmaa-prod-network", "deploy anigmaa-prod-data"))
    ]
    assert permanent_steps[2:] == ["deploy anigmaa-prod-network: no change", "deploy anigmaa-prod-data: no change"]
    if has_edge:
        edge_updates = [_unhashed(line) for line in account.log if line.startswith("deploy anigmaa-prod-edge")]
        # Created once, with the outside-in probe of the domain, which no switch touches; then each move
        # creates the other path's record (weight 100) before it removes this one's (CloudFormation
        # deletes last), so the name always answers.
        assert edge_updates == [
            "deploy anigmaa-prod-edge: Alarmsprobe:WILL_CREATE, ApiAliasRecord:WILL_CREATE, ProbeCanary:WILL_CREATE, "
            "ProbeRole:WILL_CREATE",
            "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_DESTROY, EcsAliasRecord:WILL_CREATE",
            "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_CREATE, EcsAliasRecord:WILL_DESTROY",
        ]


def test_deleting_the_live_compute_stack_first_is_refused(synth: Callable[[str], Synth]) -> None:
    """Out of order — removing Lambda while the record still points at it — CloudFormation refuses."""
    on_lambda = synth("prod-custom")
    account = Account()
    for role in ("network", "data", "compute", "edge"):
        account.deploy(on_lambda, role)
    with pytest.raises(AssertionError, match="its exports are in use"):
        account.delete("anigmaa-prod-lambda")


def test_the_guard_sees_a_database_replacement() -> None:
    """The drill's stateful check is live: a renamed database is reported by type, id and cause."""
    old = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBName": "anigmaa"}}}}
    new = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBName": "anigmaa2"}}}}
    [loss] = stateful_losses(diff_templates({"anigmaa-prod-data": (old, new)}))
    assert loss.describe() == "anigmaa-prod-data: AWS::RDS::DBInstance Db would be replaced (because DBName changes)"


SPLIT_DOMAIN = "api.anigmaa.example"  # tools/gates/guard.py EXAMPLE_DOMAIN, which the split configurations use


def test_ecs_to_lambda_a_slice_at_a_time_and_back(synth: Callable[[str], Synth]) -> None:
    """The migration runbook: ecs → split 5 → split 50 → lambda → split 50 → ecs, against one account.

    Every step is an in-place update of the records (or the creation or removal of one of them),
    no stateful resource changes, the domain always has a record with weight above 0, and every
    record has one owner.
    """
    on_ecs, on_lambda = synth("prod-domain-ecs"), synth("prod-domain")
    split5, split50 = synth("prod-split5"), synth("prod-split50")
    account = Account()
    for role in ("network", "data", "compute", "edge"):
        account.deploy(on_ecs, role)
    account.check_invariants(SPLIT_DOMAIN)
    permanent = {n: json.dumps(t, sort_keys=True) for n, t in account.stacks.items() if n.endswith(("network", "data"))}
    start = len(account.log)

    steps: list[tuple[str, Step, dict[str, int]]] = [
        ("Lambda beside ECS", ("deploy", split5, "lambda"), {"ecs": 100}),
        ("5 % to Lambda", ("deploy", split5, "edge"), {"lambda": 5, "ecs": 95}),
        ("50 %", ("deploy", split50, "edge"), {"lambda": 50, "ecs": 50}),
        ("all to Lambda", ("deploy", on_lambda, "edge"), {"lambda": 100}),
        ("ECS removed", ("delete", on_ecs, "compute"), {"lambda": 100}),
        ("back: ECS beside Lambda", ("deploy", split50, "ecs"), {"lambda": 100}),
        ("back: 50 %", ("deploy", split50, "edge"), {"lambda": 50, "ecs": 50}),
        ("back: all to ECS", ("deploy", on_ecs, "edge"), {"ecs": 100}),
        ("Lambda removed", ("delete", on_lambda, "compute"), {"ecs": 100}),
    ]
    for label, (action, source, role), weights in steps:
        if action == "deploy":
            account.deploy(source, role)
        else:
            account.delete(source.stack(role).stack_name)
        account.check_invariants(SPLIT_DOMAIN)
        assert account.weights(SPLIT_DOMAIN) == weights, label

    assert {n: json.dumps(t, sort_keys=True) for n, t in account.stacks.items() if n in permanent} == permanent
    edge_steps = [_unhashed(line) for line in account.log[start:] if line.startswith("deploy anigmaa-prod-edge")]
    # Each edge step creates, re-weights or removes a record; none is replaced.
    assert edge_steps == [
        "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_CREATE, EcsAliasRecord:WILL_UPDATE",  # 5 %
        "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_UPDATE, EcsAliasRecord:WILL_UPDATE",  # 50 %
        "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_UPDATE, EcsAliasRecord:WILL_DESTROY",  # all to Lambda
        "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_UPDATE, EcsAliasRecord:WILL_CREATE",  # back: 50 %
        "deploy anigmaa-prod-edge: ApiAliasRecord:WILL_DESTROY, EcsAliasRecord:WILL_UPDATE",  # back: all to ECS
    ]
    # The split's Lambda stack is the Lambda stack of compute=lambda, and the same for ECS:
    # moving between modes never changes a compute stack.
    assert split5.json("lambda") == on_lambda.json("compute")
    assert split50.json("ecs") == on_ecs.json("compute")
    print("\n".join(account.log[start:]))
