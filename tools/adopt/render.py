"""The takeover plan's files: plan.md for the reviewers, terraform-removed.tf for Terraform."""

from __future__ import annotations

import json
from collections import Counter

from tools.adopt.plan import DATA, NONE, REPLACEMENT, Plan

FATE_ORDER = ("imported", "referenced", "replaced at cutover", "left to Terraform")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: Plan, *, state: str, stack_names: dict[str, str], today: dict[str, object]) -> str:
    """plan.md: the fates, the settings, the differences and decisions, the secrets, what is left to do."""
    counts = Counter(f.kind for f in plan.fates.values())
    lines = [
        f"# Taking over env={plan.env} from Terraform",
        "",
        f"From `{state}`: {len(plan.fates)} managed resources — "
        + ", ".join(f"{counts[k]} {k}" for k in FATE_ORDER if counts[k])
        + ".",
        "",
    ]
    refusals = plan.refusals
    if refusals:
        lines += (
            ["## Refused: do not import", ""]
            + [f"- {r}" for r in refusals]
            + [
                "",
                "No resource mapping or import override was written. Fix the above and run `make adopt` again.",
                "",
            ]
        )
    lines += [
        "## Network",
        "",
        "The app runs in the live network by id and leaves it to Terraform. Its own VPC construct lays out one "
        "public route table per subnet and /22 and /20 subnets: importing this network into it would replace the "
        "route table associations, a moment without a route for every subnet. Terraform keeps the VPC, its "
        "subnets, NAT gateways and routes; the app adds its security groups, flow log and S3 endpoint to it.",
        "",
    ]
    lines += ["## Fates", "", "| Terraform address | fate | where | why |", "|---|---|---|---|"]
    for kind in FATE_ORDER:
        for address, fate in sorted(plan.fates.items()):
            if fate.kind != kind:
                continue
            where = f"{stack_names.get(fate.stack, fate.stack)} `{fate.logical_id}`" if fate.stack else ""
            lines.append(f"| `{address}` | {fate.kind} | {where} | {_cell(fate.why)} |")
    lines += [
        "",
        f"## Settings (`settings.json`, for `environments.{plan.env}` in cdk.json)",
        "",
        "| key | cdk.json today | setting (the live value) |",
        "|---|---|---|",
    ]
    for key, value in plan.settings.items():
        before = today.get(key, "(not set)")
        lines.append(f"| `{key}` | {_cell(json.dumps(before))} | {_cell(json.dumps(value))} |")
    lines += [
        "",
        "## Live differences and the deploy after the import",
        "",
        "The import changes nothing. The deploy after it (without the import overrides) makes each change "
        "marked *in place*; *none* means the live value stays, because the template never sends that property.",
        "",
        "| resource | property | live | app | next deploy | decision |",
        "|---|---|---|---|---|---|",
    ]
    for d in plan.differences:
        effect = f"**{d.effect} — refused**" if d.effect == REPLACEMENT else d.effect
        lines.append(
            f"| `{d.address}` | {d.property} | {_cell(d.live)} | {_cell(d.app)} | {effect} | {_cell(d.decision)} |"
        )
    kept = [d for d in plan.differences if d.effect == NONE]
    if kept:
        lines += ["", "Kept live: " + ", ".join(f"{d.property} of `{d.address}`" for d in kept) + "."]
    lines += ["", "## Secrets", "", "Compared by SHA-256 digest: no value is read into any file or printed.", ""]
    lines += [f"- `{s.parameter}` must hold the {s.holds}: **{s.result}**" for s in plan.secrets]
    lines += [
        "",
        "## Import",
        "",
        f"`resource-mapping-{DATA}.json` for `cdk import {DATA} --resource-mapping …`, with "
        "`-c adopt_import=…/import-overrides.json` so the import's template is the live resources.",
        "",
        "| logical ID | identifier |",
        "|---|---|",
    ]
    for stack, mapping in plan.mappings.items():
        for logical_id, identifier in mapping.items():
            lines.append(f"| {stack} `{logical_id}` | {_cell(json.dumps(identifier))} |")
    lines += [
        "",
        "## Terraform",
        "",
        "`terraform-removed.tf` forgets each imported resource without destroying it. Delete those resource "
        "blocks and replace every reference to them (`terraform validate` lists each) with its value:",
        "",
        "| expression | value |",
        "|---|---|",
    ]
    lines += [f"| `{expr}` | `{value}` |" for expr, value in sorted(plan.references.items())]
    lines += ["", '`terraform plan` must then show only "will no longer be managed" and 0 to destroy.', ""]
    if plan.follow_ups:
        lines += ["## Follow-ups", ""] + [f"- {f}" for f in plan.follow_ups] + [""]
    return "\n".join(lines)


def removed_blocks(plan: Plan) -> str:
    """terraform-removed.tf: one ``removed`` block per resource taken over (Terraform ≥ 1.7)."""
    lines = [
        "# Written by make adopt: Terraform forgets each resource the app took over, and destroys none.",
        "# Apply only after cdk import has completed; delete the resource blocks named here first.",
        "",
    ]
    for address in plan.removed:
        lines += ["removed {", f"  from = {address}", "", "  lifecycle {", "    destroy = false", "  }", "}", ""]
    return "\n".join(lines)
