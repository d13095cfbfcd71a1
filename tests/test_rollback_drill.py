"""The rollback drill: lambda → ecs → lambda, and the migration a slice at a time (ecs → split 5 →
split 50 → lambda → split 50 → ecs), walked offline against a simulated account.

Each step of docs/runbooks.md's runbook is applied to a dict of "deployed" templates, with the
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
            # Weighted records of one name are distinct records, by set identifier (each stack owns its own).
            identifier = f" {properties['SetIdentifier']}" if "SetIdentifier" in properties else ""
            owned.add((f"record {properties['Type']}{identifier}", properties["Name"]))
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
        losses = [
            loss for loss in stateful_losses([diff], {name: (old, new)}) if not self._answered_by_cloudfront(old, loss)
        ]
        assert not losses, "\n".join(loss.describe() for loss in losses)
        self.stacks[name] = new
        changed = sorted(f"{r.logical_id}:{r.impact}" for r in diff.resources)
        self.log.append(f"deploy {name}: {'no change' if not changed else ', '.join(changed)}")

    def _answered_by_cloudfront(self, old: Template | None, loss: Any) -> bool:
        """A domain record the edge stack drops once CloudFront's (the cdn stack's) answers for the name, or an
        origin's record or certificate, dropped once no CloudFront sends it requests (no cdn stack)."""
        if old is None:
            return False
        if loss.logical_id.startswith(("OriginRecord", "OriginCertificate")):
            return not any(n.endswith("-cdn") for n in self.stacks)
        if loss.type != "AWS::Route53::RecordSet":
            return False
        record = old["Resources"][loss.logical_id]["Properties"]
        return any(
            r["Type"] == "AWS::Route53::RecordSet"
            and r["Properties"]["Name"] == record["Name"]
            and r["Properties"].get("SetIdentifier") == "cloudfront"
            for t in self.stacks.values()
            for r in t.get("Resources", {}).values()
        )

    def delete(self, name: str, *, retired: bool = False) -> None:
        """Delete a stack; ``retired``: one the runbook retires whole (the cdn stack, when edge protection goes),
        whose certificate and records may go, as long as the domain still answers (check_invariants)."""
        template = self.stacks[name]
        in_use = {e for e in exports(template) for n, t in self.stacks.items() if n != name and e in imports(t)}
        assert not in_use, f"delete {name}: its exports are in use: {in_use}"
        [diff] = diff_templates({name: (template, None)})
        # A retired path's origin record (edge protection) goes with its stack: CloudFront no longer sends it
        # requests, which the export its edge stack reads guarantees (above).
        losses = [
            loss for loss in stateful_losses([diff]) if not retired and not loss.logical_id.startswith("OriginRecord")
        ]
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
                    if properties["Type"] == "AAAA":
                        assert properties.get("SetIdentifier") == "cloudfront", "only CloudFront answers IPv6"
                        continue
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


EDGE = "api.anigmaa.example"  # prod-edge*: the guard's example domain behind CloudFront


def _origin_weights(account: Account) -> dict[str, int]:
    """What the deployed cdn stack's function sends each path (its WEIGHTS line), by path."""
    [template] = [t for n, t in account.stacks.items() if n.endswith("-cdn")]
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Function"]
    [line] = [x for x in function["Properties"]["FunctionCode"].splitlines() if x.startswith("var WEIGHTS = ")]
    return dict(json.loads(line.removeprefix("var WEIGHTS = ").removesuffix(";")))


def _checks_the_origin_header(account: Account) -> list[str]:
    """The deployed compute stacks whose backend refuses a request without CloudFront's header."""
    return [n for n, t in account.stacks.items() if "ORIGIN_VERIFY_SECRET" in json.dumps(t.get("Resources", {}))]


def _walk_steps(account: Account, steps: list[Step], *, day_one: bool = False) -> None:
    """Each step, then the invariants (on day one the domain has no record until its last step)."""
    for action, source, role in steps:
        if action == "deploy":
            account.deploy(source, role)
        else:
            account.delete(source.stack(role).stack_name)
        account.check_invariants(None if day_one else EDGE)
        # A path that checks the header is reached through CloudFront only: no record of the domain points
        # at it directly (else a viewer's request, without the header, would be refused).
        if not day_one and _checks_the_origin_header(account):
            assert set(account.weights(EDGE)) == {"cloudfront"}, f"{action} {role}: {account.weights(EDGE)}"
    account.check_invariants(EDGE)


def test_behind_cloudfront_rollback_and_split_are_the_function_s_weights(synth: Callable[[str], Synth]) -> None:
    """lambda → ecs → lambda and the slices, with edge protection on: the same commands, the cdn stack's
    function moves the requests; the domain's records never change and each origin is its path's own."""
    on_lambda, on_ecs, split = synth("prod-edge"), synth("prod-edge-ecs"), synth("prod-edge-split25")
    account = Account()
    _walk_steps(
        account, [("deploy", on_lambda, role) for role in ("network", "data", "compute", "cdn", "edge")], day_one=True
    )
    assert account.weights(EDGE) == {"cloudfront": 100}
    assert _origin_weights(account) == {"lambda": 100}
    records = _cdn_records(account)
    start = len(account.log)

    # The 3 a.m. rollback: `cdk deploy --all -c compute=ecs` (network, data, ecs, cdn, edge in that order).
    _walk_steps(account, [("deploy", on_ecs, role) for role in ("network", "data", "compute", "cdn", "edge")])
    assert _origin_weights(account) == {"ecs": 100}
    with pytest.raises(AssertionError, match="its exports are in use"):
        account.delete("anigmaa-prod-ecs")  # CloudFront may still send it requests: refused
    _walk_steps(account, [("delete", on_lambda, "compute")])  # after the rollback window
    # Forward again a slice at a time: split 25, then all to Lambda.
    _walk_steps(account, [("deploy", split, role) for role in ("lambda", "cdn", "edge")])
    assert _origin_weights(account) == {"lambda": 25, "ecs": 75}
    _walk_steps(account, [("deploy", on_lambda, role) for role in ("compute", "cdn", "edge")])
    _walk_steps(account, [("delete", on_ecs, "compute")])
    assert _origin_weights(account) == {"lambda": 100}

    assert account.weights(EDGE) == {"cloudfront": 100}
    cdn_steps = [_unhashed(line) for line in account.log[start:] if line.startswith("deploy anigmaa-prod-cdn")]
    # Each move updates the function and the distribution in place; the records and the web ACL stay.
    assert len(cdn_steps) == 3, cdn_steps  # to ECS, split 25, all to Lambda
    for line in cdn_steps:
        assert "WILL_REPLACE" not in line, line
        assert "AliasRecord" not in line, line
        assert "WebAcl" not in line, line
        assert "CdnOriginSelector:WILL_UPDATE" in line, line
    assert _cdn_records(account) == records


def _cdn_records(account: Account) -> dict[str, Any]:
    """The deployed cdn stack's DNS records, by logical id."""
    [template] = [t for n, t in account.stacks.items() if n.endswith("-cdn")]
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Route53::RecordSet"}


def test_edge_protection_comes_and_goes_through_open_with_the_domain_always_answered(
    synth: Callable[[str], Synth],
) -> None:
    """off → open → on, and back: each deploy in order, the domain always answered, a header-checking path
    reached through CloudFront only; the way back deploys the paths before the network (its exports)."""
    off, on = synth("prod-domain"), synth("prod-edge")
    opened = synth("prod-edge-open")
    account = Account()
    _walk_steps(account, [("deploy", off, role) for role in ("network", "data", "compute", "edge")], day_one=True)
    assert account.weights(EDGE) == {"lambda": 100}
    # open: CloudFront comes up and the records move to it; the paths still take direct requests.
    _walk_steps(account, [("deploy", opened, role) for role in ("network", "data", "compute", "cdn", "edge")])
    assert account.weights(EDGE) == {"cloudfront": 100}
    assert not _checks_the_origin_header(account)
    # on: the paths refuse requests without the header, the load balancer takes CloudFront's addresses only.
    _walk_steps(account, [("deploy", on, role) for role in ("network", "data", "compute", "cdn", "edge")])
    assert _checks_the_origin_header(account) == ["anigmaa-prod-lambda"]
    # The way back (docs/edge-protection.md): open; the edge stack alone with off (its records beside
    # CloudFront's); the cdn stack deleted; the paths alone with off; then everything.
    _walk_steps(account, [("deploy", opened, role) for role in ("network", "data", "compute", "cdn", "edge")])
    _walk_steps(account, [("deploy", off, "edge")])
    assert account.weights(EDGE) == {"cloudfront": 100, "lambda": 100}
    account.delete(opened.stack("cdn").stack_name, retired=True)
    account.check_invariants(EDGE)
    assert account.weights(EDGE) == {"lambda": 100}
    with pytest.raises(AssertionError, match="would delete exports in use"):
        account.deploy(off, "network")  # the Lambda stack still imports the origin certificate
    _walk_steps(account, [("deploy", off, role) for role in ("compute", "network", "data", "edge")])
    assert {n: json.dumps(t, sort_keys=True) for n, t in account.stacks.items()} == {
        off.stack(role).stack_name: json.dumps(off.json(role), sort_keys=True)
        for role in ("network", "data", "compute", "edge")
    }
