"""Prepare an environment's change sets for approval, then execute exactly those.

Usage (the deploy workflow: dev plans and executes at once, prod executes after the approval; the
rehearsal runs the same commands):
  python -m tools.ops.change_sets plan --app cdk.out --name deploy-SHA --out plan.json [--summary FILE]
  python -m tools.ops.change_sets execute --app cdk.out --plan plan.json --digest SHA256

`plan` (the plan role) prepares a change set named NAME for each stack, in dependency order, with
the pinned CDK CLI, and writes plan.json: per stack its change set's ARN, the SHA-256 of the
template it was made from and its changes, or `unchanged` (the CLI leaves a change set that
changes nothing, FAILED: it is deleted), or `after` when it uses an export an earlier stack's
change set adds (CloudFormation cannot prepare it until that one has executed).
The approver approves that plan: the listed change sets, and for an `after` stack the template.

`execute` (the deploy role) refuses, before anything runs, a plan whose SHA-256 is not DIGEST (the
plan job's output), an assembly whose templates are not the planned ones, or a planned change set
that is gone or differs. Then per stack in
order: a planned change set is looked up by its ARN, which a delete-and-recreate under the same
name changes, and must still be the plan's (name, stack, template, parameters) and executable;
an `after` stack gets its change set now, from the approved template, checked the same way. Each
is executed by ARN and waited for before the next. Only ChangeSetNotFound means "none"; every
other error fails, and nothing after a refusal runs. Every refusal is one line.

Each stack's change set is made, looked up, checked and executed in that stack's own region, the one
its artifact's `environment` (aws://ACCOUNT/REGION) names in the assembly's manifest.json, as the CLI
deploys it; `--region` (AWS_REGION) is only for a stack that names none. plan.json records each
stack's `region`; `execute` refuses a plan whose regions are not the assembly's. A plan without
regions (made before they were recorded) is read as all in `--region`, which holds for an assembly in
that one region and is refused for any other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from tools import ROOT
from tools.gates.assembly import AssemblyError, load_json, region_of
from tools.ops.aws import AwsError, RegionalClients, one_line_errors

CDK = ROOT / "node_modules" / ".bin" / "cdk"
# What the plan job's CLI step says when a stack uses an export an earlier, unexecuted change set adds.
MISSING_EXPORT = re.compile(r"No export named (\S+) found")
# What CloudFormation says of a change set that would change nothing; `--method=prepare-change-set`
# leaves such a change set behind, FAILED (the CLI deletes it only when it executes).
NO_CHANGES = ("The submitted information didn't contain changes", "No updates are to be performed")
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
POLL_SECONDS = float(os.environ.get("CHANGE_SETS_POLL_SECONDS", "10"))


class RefusedError(AwsError):
    """The plan cannot be executed as approved; nothing from this stack on was executed."""


@dataclass(frozen=True)
class Stack:
    """One stack of the assembly, as the CLI selects and CloudFormation names it."""

    artifact_id: str
    display_name: str
    stack_name: str
    region: str
    template_file: str
    template: dict[str, Any]
    termination_protection: bool

    @property
    def template_sha256(self) -> str:
        return template_digest(self.template)


def template_digest(template: Any) -> str:
    """The SHA-256 of a template's JSON, independent of key order and spacing (as CloudFormation returns it)."""
    if isinstance(template, str):
        template = json.loads(template)
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stacks_in_order(assembly: Path, default_region: str = "") -> list[Stack]:
    """The assembly's top-level stacks in dependency order (the order `cdk deploy --all` deploys them), each
    with its region (``default_region`` for a stack whose environment names none)."""
    artifacts = load_json(assembly / "manifest.json").get("artifacts", {})
    stacks = {k: a for k, a in artifacts.items() if a.get("type") == "aws:cloudformation:stack"}
    ordered: list[str] = []

    def visit(artifact_id: str, path: tuple[str, ...]) -> None:
        if artifact_id in ordered:
            return
        if artifact_id in path:
            raise AssemblyError(f"{assembly}: stacks depend on each other in a cycle: {' → '.join(path)}")
        for dependency in stacks[artifact_id].get("dependencies", []):
            if dependency in stacks:
                visit(dependency, (*path, artifact_id))
        ordered.append(artifact_id)

    for artifact_id in stacks:
        visit(artifact_id, ())
    found = []
    for artifact_id in ordered:
        properties = stacks[artifact_id]["properties"]
        found.append(
            Stack(
                artifact_id=artifact_id,
                display_name=stacks[artifact_id].get("displayName", artifact_id),
                stack_name=properties.get("stackName", artifact_id),
                region=region_of(stacks[artifact_id]) or default_region,
                template_file=properties["templateFile"],
                template=load_json(assembly / properties["templateFile"]),
                termination_protection=bool(properties.get("terminationProtection", False)),
            )
        )
    return found


# ---------------------------------------------------------------------------------------- reading


def describe(cloudformation: Any, change_set: str, stack_name: str | None = None) -> dict[str, Any] | None:
    """The change set (by ARN, or by name with its stack), or None when CloudFormation has none."""
    arguments = {"ChangeSetName": change_set, **({"StackName": stack_name} if stack_name else {})}
    try:
        answer: dict[str, Any] = cloudformation.describe_change_set(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ChangeSetNotFound":
            return None
        raise
    changes = answer.get("Changes", [])
    token = answer.get("NextToken")
    while token:  # a change set of many resources comes in pages
        page = cloudformation.describe_change_set(**arguments, NextToken=token)
        changes += page.get("Changes", [])
        token = page.get("NextToken")
    answer["Changes"] = changes
    return answer


def changes_nothing(change_set: dict[str, Any]) -> bool:
    return change_set.get("Status") == "FAILED" and str(change_set.get("StatusReason", "")).startswith(NO_CHANGES)


def prepared(cloudformation: Any, name: str, stack_name: str) -> dict[str, Any] | None:
    """The change set the CLI just prepared, or None when it changes nothing (then it is deleted)."""
    change_set = describe(cloudformation, name, stack_name)
    if change_set is not None and changes_nothing(change_set):
        cloudformation.delete_change_set(ChangeSetName=change_set["ChangeSetId"])
        return None
    return change_set


def exports_of(template: dict[str, Any]) -> set[str]:
    """The export names a template declares as plain strings (the app's are)."""
    names = (output.get("Export", {}).get("Name") for output in template.get("Outputs", {}).values())
    return {name for name in names if isinstance(name, str)}


def staged_template(assembly: Path, stack: Stack) -> str:
    """Where the CLI stages ``stack``'s template (s3://bucket/key), from its asset manifest."""
    for path in assembly.glob("*.assets.json"):
        for asset in load_json(path).get("files", {}).values():
            if asset.get("source", {}).get("path") == stack.template_file:
                for destination in asset.get("destinations", {}).values():
                    return f"s3://{destination['bucketName']}/{destination['objectKey']}"
    return "its staged copy in the CDK bootstrap bucket"


def summary_of(change_set: dict[str, Any]) -> list[str]:
    """One line per change: action, logical ID, type, and a replacement when there is one."""
    lines = []
    for change in change_set.get("Changes", []):
        resource = change.get("ResourceChange", {})
        replacement = resource.get("Replacement")
        lines.append(
            f"{resource.get('Action', '?')} {resource.get('LogicalResourceId', '?')} "
            f"({resource.get('ResourceType', '?')})" + (f" replacement: {replacement}" if replacement == "True" else "")
        )
    return lines


def parameters_of(change_set: dict[str, Any]) -> dict[str, str]:
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in change_set.get("Parameters", [])}


def change_set_template(cloudformation: Any, stack_name: str, arn: str) -> str:
    """The SHA-256 of the template a change set was made from."""
    answer = cloudformation.get_template(StackName=stack_name, ChangeSetName=arn, TemplateStage="Original")
    return template_digest(answer["TemplateBody"])


# ---------------------------------------------------------------------------------------- plan


Prepare = Callable[[Path, Stack, str], "subprocess.CompletedProcess[str]"]


def prepare_with_cli(assembly: Path, stack: Stack, name: str) -> subprocess.CompletedProcess[str]:
    """`cdk deploy --method=prepare-change-set` for one stack: it publishes the assets and makes the change set."""
    command = [
        str(CDK), "deploy", "--app", str(assembly), stack.display_name, "--exclusively",
        "--method=prepare-change-set", "--change-set-name", name, "--require-approval", "never", "--no-color",
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _headline(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "failed" in line.lower() or "❌" in line]
    return (errors or lines or ["no output"])[-1][:400]


def plan(clients: RegionalClients, assembly: Path, name: str, prepare: Prepare = prepare_with_cli) -> dict[str, Any]:
    """Prepare ``name`` for each stack, in its region, and describe what was prepared (plan.json's content)."""
    entries: list[dict[str, Any]] = []
    # stack → its region and the exports its pending change set's template declares (an export is regional)
    pending: dict[str, tuple[str, set[str]]] = {}
    for stack in stacks_in_order(assembly, clients.default_region):
        cloudformation = clients(stack.region)
        entry: dict[str, Any] = {"stack": stack.stack_name, "id": stack.display_name, "region": stack.region,
                                 "template_sha256": stack.template_sha256}  # fmt: skip
        result = prepare(assembly, stack, name)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            missing = MISSING_EXPORT.search(output)
            # Deferred only when a change set before it, in its region, adds that very export; any other
            # missing export fails.
            adding = [other for other, (region, exports) in pending.items()
                      if region == stack.region and missing and missing.group(1) in exports]  # fmt: skip
            if not adding:
                raise AwsError(
                    f"{stack.stack_name}: cdk deploy --method=prepare-change-set failed: {_headline(output)}"
                )
            entry.update(status="after", after=adding, reason=_headline(output))
            pending[stack.stack_name] = (stack.region, exports_of(stack.template))
            entries.append(entry)
            continue
        change_set = prepared(cloudformation, name, stack.stack_name)
        if change_set is None:
            entry["status"] = "unchanged"
        else:
            if change_set.get("Status") != "CREATE_COMPLETE":
                raise AwsError(f"{stack.stack_name}: change set {name} is {change_set.get('Status')}: "
                               f"{change_set.get('StatusReason', '')}")  # fmt: skip
            arn = change_set["ChangeSetId"]
            if change_set_template(cloudformation, stack.stack_name, arn) != stack.template_sha256:
                raise AwsError(
                    f"{stack.stack_name}: change set {name} was not made from the assembly's template: the CLI "
                    f"found {staged_template(assembly, stack)} already staged with other content; delete that "
                    "object and run the plan again"
                )
            entry.update(status="prepared", arn=arn, parameters=parameters_of(change_set),
                         changes=summary_of(change_set))  # fmt: skip
            pending[stack.stack_name] = (stack.region, exports_of(stack.template))
        entries.append(entry)
    return {"name": name, "stacks": entries}


def plan_markdown(content: dict[str, Any]) -> str:
    """What the approver approves, for the job's summary."""
    lines = [f"## Approving executes exactly these ({content['name']})", ""]
    # A plan in one region reads as it always did; one across regions names each stack's.
    several = len({entry.get("region") for entry in content["stacks"]}) > 1
    for entry in content["stacks"]:
        stack = f"**{entry['stack']}**" + (f" ({entry.get('region')})" if several else "")
        if entry["status"] == "unchanged":
            lines.append(f"- {stack}: no changes")
            continue
        if entry["status"] == "after":
            lines.append(
                f"- {stack}: prepared after {', '.join(entry['after'])} executes (it uses an export "
                f"that change adds), from the template `sha256:{entry['template_sha256'][:16]}…`; any other "
                "template is refused"
            )
            continue
        lines.append(f"- {stack}: `{entry['arn']}`")
        lines += [f"  - {change}" for change in entry["changes"]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- execute


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_plan(content: dict[str, Any], stacks: Sequence[Stack], default_region: str = "") -> None:
    """The assembly holds exactly the planned stacks and templates, each in the planned region (a plan that
    records no regions was made by the version that made every change set in ``default_region``)."""
    planned = [(e["stack"], e["template_sha256"]) for e in content["stacks"]]
    present = [(s.stack_name, s.template_sha256) for s in stacks]
    if planned != present:
        differs = sorted({s for s, _ in planned} ^ {s for s, _ in present}) or [
            s for (s, d), (_, e) in zip(planned, present, strict=False) if d != e
        ]
        raise RefusedError(
            f"the assembly is not the planned one ({', '.join(differs) or 'order'}); nothing was executed"
        )
    for entry, stack in zip(content["stacks"], stacks, strict=True):
        region = entry.get("region", default_region)
        if region != stack.region:
            how = "planned in" if "region" in entry else "but a plan without regions (an earlier version's) reads as"
            raise RefusedError(f"the assembly is not the planned one ({stack.stack_name} is in {stack.region}, {how} "
                               f"{region}); nothing was executed: run the plan again")  # fmt: skip


def verify(cloudformation: Any, change_set: dict[str, Any] | None, entry: dict[str, Any], name: str, what: str) -> str:
    """The change set's ARN, when it is still exactly what the plan approved."""
    stack = entry["stack"]
    if change_set is None:
        raise RefusedError(f"{stack}: {what} is gone (deleted after the plan); nothing from here on was executed: "
                      "run the deploy workflow again")  # fmt: skip
    arn = str(change_set["ChangeSetId"])
    if change_set.get("ChangeSetName") != name or change_set.get("StackName") != stack:
        raise RefusedError(f"{stack}: {arn} is not change set {name} of {stack}; nothing from here on was executed")
    if change_set.get("Status") != "CREATE_COMPLETE" or change_set.get("ExecutionStatus") != "AVAILABLE":
        raise RefusedError(f"{stack}: {arn} is {change_set.get('Status')}/{change_set.get('ExecutionStatus')}, not "
                      "executable; nothing from here on was executed")  # fmt: skip
    if change_set_template(cloudformation, stack, arn) != entry["template_sha256"]:
        raise RefusedError(f"{stack}: {arn} differs from the approved template; nothing from here on was executed")
    if "parameters" in entry and parameters_of(change_set) != entry["parameters"]:
        raise RefusedError(f"{stack}: {arn} has other parameters than the plan; nothing from here on was executed")
    return arn


def wait(cloudformation: Any, stack_name: str, token: str, log: Callable[[str], None]) -> None:
    """Until the stack settles; a failure names CloudFormation's first reason in this execution (``token``)."""
    while True:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        time.sleep(POLL_SECONDS)
    if status in DONE:
        log(f"{stack_name}: {status}")
        return
    events = cloudformation.describe_stack_events(StackName=stack_name).get("StackEvents", [])  # newest first
    reasons = [e.get("ResourceStatusReason", "") for e in reversed(events)
               if e.get("ClientRequestToken") == token and e.get("ResourceStatus", "").endswith("FAILED")]  # fmt: skip
    raise AwsError(f"{stack_name}: {status}: {reasons[0] if reasons else 'see its events'}")


def execute(
    clients: RegionalClients,
    assembly: Path,
    content: dict[str, Any],
    log: Callable[[str], None],
    prepare: Prepare = prepare_with_cli,
) -> int:
    """Execute the plan as approved, each stack's change set in its region; returns how many change sets ran."""
    stacks = stacks_in_order(assembly, clients.default_region)
    check_plan(content, stacks, clients.default_region)
    by_name = {s.stack_name: s for s in stacks}
    name = content["name"]
    # Every planned change set is checked before the first runs, so a swapped one stops the whole plan
    # (and each is checked again just before it runs).
    for entry in content["stacks"]:
        if entry["status"] == "prepared":
            cloudformation = clients(by_name[entry["stack"]].region)
            change_set = describe(cloudformation, entry["arn"])
            if change_set is None or change_set.get("ExecutionStatus") != "EXECUTE_COMPLETE":
                verify(cloudformation, change_set, entry, name, entry["arn"])
    executed = 0
    for entry in content["stacks"]:
        stack = by_name[entry["stack"]]
        cloudformation = clients(stack.region)
        if entry["status"] == "unchanged":
            log(f"{stack.stack_name}: no changes (as planned)")
            continue
        if entry["status"] == "prepared":
            change_set = describe(cloudformation, entry["arn"])
            if change_set is not None and change_set.get("ExecutionStatus") == "EXECUTE_COMPLETE":
                log(f"{stack.stack_name}: {entry['arn']} already executed (an earlier run of this plan)")
                continue
            arn = verify(cloudformation, change_set, entry, name, entry["arn"])
        else:
            result = prepare(assembly, stack, name)
            if result.returncode != 0:
                raise AwsError(f"{stack.stack_name}: cdk deploy --method=prepare-change-set failed: "
                               f"{_headline(result.stdout + result.stderr)}")  # fmt: skip
            deferred = prepared(cloudformation, name, stack.stack_name)
            if deferred is None:
                log(f"{stack.stack_name}: no changes once the stacks before it ran")
                continue
            arn = verify(cloudformation, deferred, entry, name, f"change set {name}")
        token = f"{name}-{uuid.uuid4()}"[:128]
        cloudformation.execute_change_set(ChangeSetName=arn, ClientRequestToken=token)
        log(f"{stack.stack_name}: executing {arn}")
        wait(cloudformation, stack.stack_name, token, log)
        executed += 1
        if stack.termination_protection:
            [live] = cloudformation.describe_stacks(StackName=stack.stack_name)["Stacks"]
            if not live.get("EnableTerminationProtection"):
                cloudformation.update_termination_protection(
                    StackName=stack.stack_name, EnableTerminationProtection=True
                )
    return executed


# ---------------------------------------------------------------------------------------- command


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.change_sets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan_parser = commands.add_parser("plan", help="prepare a change set per stack and write the plan")
    plan_parser.add_argument("--name", required=True, help="the change sets' name, deploy-<commit>")
    plan_parser.add_argument("--out", type=Path, required=True, help="where to write plan.json")
    plan_parser.add_argument("--summary", type=Path, help="append the plan as Markdown here ($GITHUB_STEP_SUMMARY)")
    execute_parser = commands.add_parser("execute", help="execute the plan's change sets as approved")
    execute_parser.add_argument("--plan", type=Path, required=True)
    execute_parser.add_argument("--digest", required=True, help="the plan's SHA-256, as the plan job output it")
    for sub in (plan_parser, execute_parser):
        sub.add_argument("--app", type=Path, default=ROOT / "cdk.out", help="the cloud assembly (cdk.out)")
        sub.add_argument(
            "--region",
            default=os.environ.get("AWS_REGION", "ap-southeast-1"),
            help="for a stack that names no region (the others: their own)",
        )
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        out.write(f"change sets: {line}\n")
        out.flush()

    try:
        with one_line_errors():
            clients = RegionalClients("cloudformation", args.region)
            if args.command == "plan":
                _plan_command(clients, args, log)
            else:
                _execute_command(clients, args, log)
            return 0
    except (AwsError, AssemblyError) as error:
        print(f"change sets: {error}", file=sys.stderr)
        return 1


def _plan_command(clients: RegionalClients, args: argparse.Namespace, log: Callable[[str], None]) -> None:
    if not args.name.startswith("deploy-"):
        raise AwsError(f"--name {args.name}: accepted: deploy-<commit> (the deploy role executes only those)")
    content = plan(clients, args.app, args.name)
    args.out.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(plan_markdown(content))
    counts = ", ".join(
        f"{sum(e['status'] == status for e in content['stacks'])} {status}"
        for status in ("prepared", "after", "unchanged")
    )
    log(f"plan {args.out} sha256 {file_digest(args.out)}: {counts}")


def _execute_command(clients: RegionalClients, args: argparse.Namespace, log: Callable[[str], None]) -> None:
    if not args.plan.is_file():
        raise RefusedError(f"--plan {args.plan}: no such file; nothing was executed")
    if file_digest(args.plan) != args.digest:
        raise RefusedError(
            f"--plan {args.plan} is not the approved plan (sha256 differs from --digest); nothing was executed"
        )
    content = json.loads(args.plan.read_text(encoding="utf-8"))
    executed = execute(clients, args.app, content, log)
    log(f"{executed} change set(s) executed, as approved")


if __name__ == "__main__":
    sys.exit(main())
