"""tools.ops.change_sets: prod executes exactly the change sets the plan prepared, by ARN, or refuses.

Against moto with the rehearsal's CloudFormation extensions (a change set's own template by
GetTemplate, ChangeSetNotFound as CloudFormation answers it). `prepare` stands in for the CLI's
`cdk deploy --method=prepare-change-set`, which the rehearsal runs for real.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tools.gates.assembly import region_of
from tools.ops import change_sets
from tools.ops.aws import AwsError, RegionalClients
from tools.rehearsal import cloudformation as emulator_cloudformation

REGION = "ap-southeast-1"
COPY_REGION = "ap-southeast-3"  # where prod's BackupCopy stack goes
NAME = "deploy-0123abc"


def _template(*topics: str, imports: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {t: {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": t}} for t in topics}
    if imports:
        resources["Uses"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": imports}}}
    return {"Resources": resources}


def _assembly(
    folder: Path, data: dict[str, Any], compute: dict[str, Any], backup_copy: dict[str, Any] | None = None
) -> Path:
    """A cloud assembly of two stacks, Compute depending on Data (listed first, to be ordered); with
    ``backup_copy``, a third in COPY_REGION that Data depends on, as prod's BackupCopy stack."""
    folder.mkdir(parents=True, exist_ok=True)
    artifacts = {}
    for artifact_id, name, template, needs, region in (
        ("Compute", "anigmaa-prod-lambda", compute, ["Data"], REGION),
        ("Data", "anigmaa-prod-data", data, ["BackupCopy"] if backup_copy else [], REGION),
        *([("BackupCopy", "anigmaa-prod-backup-copy", backup_copy, [], COPY_REGION)] if backup_copy else []),
    ):
        (folder / f"{artifact_id}.template.json").write_text(json.dumps(template))
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://123456789012/{region}",
            "properties": {
                "templateFile": f"{artifact_id}.template.json",
                "stackName": name,
                "terminationProtection": artifact_id in ("Data", "BackupCopy"),
            },
            "dependencies": needs,
            "displayName": artifact_id,
        }
    (folder / "manifest.json").write_text(json.dumps({"version": "40.0.0", "artifacts": artifacts}))
    return folder


@pytest.fixture
def cloudformation() -> Iterator[Any]:
    emulator_cloudformation.install()
    with mock_aws():
        client = boto3.client("cloudformation", region_name=REGION)
        client.create_stack(StackName="anigmaa-prod-data", TemplateBody=json.dumps(_template("A")))
        client.create_stack(StackName="anigmaa-prod-lambda", TemplateBody=json.dumps(_template("B")))
        yield client


@pytest.fixture
def clients(cloudformation: Any) -> RegionalClients:
    """The tools' CloudFormation clients, one per region (on the same moto as ``cloudformation``)."""
    return RegionalClients("cloudformation", REGION)


@pytest.fixture
def copy_region(cloudformation: Any) -> Any:
    """COPY_REGION's CloudFormation, holding the deployed BackupCopy stack."""
    client = boto3.client("cloudformation", region_name=COPY_REGION)
    client.create_stack(StackName="anigmaa-prod-backup-copy", TemplateBody=json.dumps(_template("Vault")))
    return client


class FakeCli:
    """Stands in for the CLI's `--method=prepare-change-set`: a change set of the stack's assembly template,
    left behind even when it changes nothing (CloudFormation then fails it, and the CLI does not delete it
    unless it executes); a template importing an export fails as CloudFormation fails until ``exports_ready``."""

    def __init__(self, clients: RegionalClients) -> None:
        self.clients = clients
        self.exports_ready = False

    def __call__(self, assembly: Path, stack: change_sets.Stack, name: str) -> subprocess.CompletedProcess[str]:
        body = json.dumps(stack.template)
        if "Fn::ImportValue" in body and not self.exports_ready:
            return subprocess.CompletedProcess([], 1, "", "❌ No export named anigmaa-prod-data:New found")
        # In the stack's own region, as the CLI deploys it (its environment's).
        self.clients(stack.region).create_change_set(StackName=stack.stack_name, ChangeSetName=name,
                                                     TemplateBody=body, ChangeSetType="UPDATE")  # fmt: skip
        return subprocess.CompletedProcess([], 0, "", "")


def test_plan_then_execute_runs_exactly_the_planned_change_sets(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    data, compute = content["stacks"]
    assert (data["stack"], data["status"], compute["status"]) == ("anigmaa-prod-data", "prepared", "unchanged")
    assert data["arn"].startswith(f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/{NAME}/")
    assert "Add A2 (AWS::SNS::Topic)" in data["changes"]  # moto lists every resource of the template
    assert "`" + data["arn"] + "`" in change_sets.plan_markdown(content)
    lines: list[str] = []
    assert change_sets.execute(clients, assembly, content, lines.append) == 1
    assert lines[0] == f"anigmaa-prod-data: executing {data['arn']}"
    assert "A2" in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])
    live = cloudformation.describe_stacks(StackName="anigmaa-prod-data")["Stacks"][0]
    assert live["EnableTerminationProtection"] is True  # as the assembly asks
    # Planned again, nothing is left to change (the stack holds the parameters the change set was given).
    again = change_sets.plan(clients, assembly, "deploy-4567def", FakeCli(clients))
    assert [e["status"] for e in again["stacks"]] == ["unchanged", "unchanged"]


def test_a_change_set_swapped_after_the_plan_is_refused(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    """Delete and recreate under the approved name (what a review role could once do): a new ARN."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    cloudformation.delete_change_set(StackName="anigmaa-prod-data", ChangeSetName=NAME)
    cloudformation.create_change_set(StackName="anigmaa-prod-data", ChangeSetName=NAME, ChangeSetType="UPDATE",
                                     TemplateBody=json.dumps(_template("A", "Attacker")))  # fmt: skip
    swapped = r"^anigmaa-prod-data: arn:aws:cloudformation:.* is gone \(deleted after the plan\); nothing from here on"
    with pytest.raises(change_sets.RefusedError, match=swapped):
        change_sets.execute(clients, assembly, content, print)
    assert "Attacker" not in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])


def test_a_swapped_change_set_stops_the_plan_before_any_stack_runs(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    """The second stack's change set is swapped: the first, though intact, does not run either."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B", "B2"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    cloudformation.delete_change_set(ChangeSetName=content["stacks"][1]["arn"])
    with pytest.raises(change_sets.RefusedError, match=r"^anigmaa-prod-lambda: .* is gone"):
        change_sets.execute(clients, assembly, content, print)
    assert "A2" not in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])


def test_an_assembly_or_plan_other_than_the_approved_one_is_refused(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    _assembly(assembly, _template("A", "Other"), _template("B"))  # the artifact changed after the plan
    with pytest.raises(change_sets.RefusedError, match=r"^the assembly is not the planned one \(anigmaa-prod-data\)"):
        change_sets.execute(clients, assembly, content, print)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(content))
    out = io.StringIO()
    assert change_sets.main(["execute", "--app", str(assembly), "--plan", str(plan_file), "--digest", "0" * 64],
                            out=out) == 1  # fmt: skip


def test_a_stack_using_a_new_export_is_prepared_after_the_stack_that_adds_it(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    data = _template("A")
    data["Outputs"] = {"New": {"Value": "new-topic", "Export": {"Name": "anigmaa-prod-data:New"}}}
    compute = _template("B", imports="anigmaa-prod-data:New")
    assembly = _assembly(tmp_path / "cdk.out", data, compute)
    prepare = FakeCli(clients)
    content = change_sets.plan(clients, assembly, NAME, prepare)
    assert [e["status"] for e in content["stacks"]] == ["prepared", "after"]
    assert content["stacks"][1]["after"] == ["anigmaa-prod-data"]
    assert "prepared after anigmaa-prod-data executes" in change_sets.plan_markdown(content)
    prepare.exports_ready = True  # the data stack has executed
    lines: list[str] = []
    assert change_sets.execute(clients, assembly, content, lines.append, prepare) == 2
    assert [line.split(":")[0] for line in lines if "executing" in line] == ["anigmaa-prod-data", "anigmaa-prod-lambda"]


def test_only_change_set_not_found_means_none(tmp_path: Path) -> None:
    class Denied:
        def describe_change_set(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeChangeSet")

    with pytest.raises(ClientError, match="AccessDenied"):
        change_sets.describe(Denied(), NAME, "anigmaa-prod-data")


def test_a_failed_prepare_other_than_a_missing_export_fails_the_plan(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))

    def broken(assembly: Path, stack: change_sets.Stack, name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "❌  anigmaa-prod-data failed: AccessDenied: not authorized")

    with pytest.raises(AwsError, match=r"^anigmaa-prod-data: cdk deploy --method=prepare-change-set failed: .*"
                       "AccessDenied"):  # fmt: skip
        change_sets.plan(clients, assembly, NAME, broken)


def test_the_plan_command_names_only_deploy_change_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert change_sets.main(["plan", "--name", "review-1", "--out", str(tmp_path / "p.json")]) == 1
    assert capsys.readouterr().err == (
        "change sets: --name review-1: accepted: deploy-<commit> (the deploy role executes only those)\n"
    )
    assert hashlib.sha256(b"").hexdigest() == change_sets.file_digest(_empty(tmp_path))


def _empty(folder: Path) -> Path:
    path = folder / "empty"
    path.write_bytes(b"")
    return path


def test_the_emulator_fails_a_change_set_that_changes_nothing_as_cloudformation_does(cloudformation: Any) -> None:
    """What lets the CLI say "no changes" in the rehearsal, and the plan record a stack as unchanged."""
    answer = cloudformation.create_change_set(
        StackName="anigmaa-prod-data",
        ChangeSetName=NAME,
        ChangeSetType="UPDATE",
        TemplateBody=json.dumps(_template("A")),
    )
    described = cloudformation.describe_change_set(ChangeSetName=answer["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert described["StatusReason"].startswith(change_sets.NO_CHANGES)


def test_a_change_set_that_changes_nothing_is_unchanged_and_deleted(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A"), _template("B"))  # both as deployed
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    assert [e["status"] for e in content["stacks"]] == ["unchanged", "unchanged"]
    for stack in ("anigmaa-prod-data", "anigmaa-prod-lambda"):
        assert change_sets.describe(cloudformation, NAME, stack) is None
    assert change_sets.execute(clients, assembly, content, print) == 0


def test_a_missing_export_no_earlier_change_set_adds_fails_the_plan(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    """A typo, or an export removed: not something an earlier stack's change set will add."""
    compute = _template("B", imports="anigmaa-prod-data:New")
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), compute)
    with pytest.raises(AwsError, match=r"^anigmaa-prod-lambda: cdk deploy --method=prepare-change-set failed: .*"
                       "No export named anigmaa-prod-data:New found"):  # fmt: skip
        change_sets.plan(clients, assembly, NAME, FakeCli(clients))


def test_a_rerun_of_a_plan_skips_what_it_already_executed(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B", "B2"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    data = content["stacks"][0]
    cloudformation.execute_change_set(ChangeSetName=data["arn"])  # the first run got this far
    lines: list[str] = []
    assert change_sets.execute(clients, assembly, content, lines.append) == 1
    assert lines[0] == f"anigmaa-prod-data: {data['arn']} already executed (an earlier run of this plan)"


def test_the_live_diff_diffs_a_stack_not_deployed_from_its_template(
    cloudformation: Any, clients: RegionalClients, tmp_path: Path
) -> None:
    """The review role may not delete the empty stack the CLI's change set would create for a new stack."""
    from tools.ops import live_diff

    assembly = _assembly(tmp_path / "cdk.out", _template("A"), _template("B"))
    cloudformation.delete_stack(StackName="anigmaa-prod-lambda")
    commands: list[list[str]] = []
    lines: list[str] = []

    def run(command: Sequence[str]) -> int:
        commands.append(list(command))
        return 0

    status = live_diff.live_diff(clients, assembly, run, lines.append)
    assert status == 0
    assert [c[c.index("--no-color") + 1 :] for c in commands] == [
        ["--method=change-set", "Data"],
        ["--method=template", "Compute"],
    ]
    assert lines == ["not deployed yet, diffed from their templates (--method=template): Compute"]


# ---------------------------------------------------------------------------------------- two regions


def test_each_change_set_is_planned_and_executed_in_its_stacks_region(
    cloudformation: Any, clients: RegionalClients, copy_region: Any, tmp_path: Path
) -> None:
    """prod's BackupCopy stack is in COPY_REGION, the others in REGION: each change set is made, found,
    checked and executed where its stack is."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"), _template("Vault", "Vault2"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    copy, data, _ = content["stacks"]
    assert [(e["stack"], e["region"], e["status"]) for e in content["stacks"]] == [
        ("anigmaa-prod-backup-copy", COPY_REGION, "prepared"),
        ("anigmaa-prod-data", REGION, "prepared"),
        ("anigmaa-prod-lambda", REGION, "unchanged"),
    ]
    assert copy["arn"].startswith(f"arn:aws:cloudformation:{COPY_REGION}:123456789012:changeSet/{NAME}/")
    assert "Add Vault2 (AWS::SNS::Topic)" in copy["changes"]
    assert change_sets.describe(cloudformation, copy["arn"]) is None  # not in the other region
    markdown = change_sets.plan_markdown(content)
    assert f"- **anigmaa-prod-backup-copy** ({COPY_REGION}): `{copy['arn']}`" in markdown
    assert f"- **anigmaa-prod-lambda** ({REGION}): no changes" in markdown
    # Executed as the deploy workflow runs it: the command, in AWS_REGION (the workflows' ap-southeast-1).
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n")
    out = io.StringIO()
    arguments = ["--app", str(assembly), "--plan", str(plan_file), "--digest", change_sets.file_digest(plan_file)]
    assert change_sets.main(["execute", *arguments, "--region", REGION], out=out) == 0
    assert [line for line in out.getvalue().splitlines() if "executing" in line] == [
        f"change sets: anigmaa-prod-backup-copy: executing {copy['arn']}",
        f"change sets: anigmaa-prod-data: executing {data['arn']}",
    ]
    assert out.getvalue().endswith("change sets: 2 change set(s) executed, as approved\n")
    assert "Vault2" in json.dumps(copy_region.get_template(StackName="anigmaa-prod-backup-copy")["TemplateBody"])
    assert "A2" in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])
    live = copy_region.describe_stacks(StackName="anigmaa-prod-backup-copy")["Stacks"][0]
    assert live["EnableTerminationProtection"] is True
    again = change_sets.plan(clients, assembly, "deploy-4567def", FakeCli(clients))
    assert [e["status"] for e in again["stacks"]] == ["unchanged"] * 3


def test_a_plan_in_one_region_reads_as_before(cloudformation: Any, clients: RegionalClients, tmp_path: Path) -> None:
    """The approver's summary names no region, and a plan that records none (an earlier version's) runs."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    assert {e["region"] for e in content["stacks"]} == {REGION}
    assert f"({REGION})" not in change_sets.plan_markdown(content)
    earlier = {**content, "stacks": [{k: v for k, v in e.items() if k != "region"} for e in content["stacks"]]}
    assert change_sets.plan_markdown(earlier) == change_sets.plan_markdown(content)
    assert change_sets.execute(clients, assembly, earlier, print) == 1


@pytest.mark.parametrize("swapped", ["anigmaa-prod-backup-copy", "anigmaa-prod-data"])
def test_a_change_set_swapped_in_either_region_stops_the_plan(
    cloudformation: Any, clients: RegionalClients, copy_region: Any, tmp_path: Path, swapped: str
) -> None:
    """Deleted and made again under the approved name, in its stack's region: a new ARN, refused there,
    before any stack of either region runs."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"), _template("Vault", "Vault2"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    [entry] = [e for e in content["stacks"] if e["stack"] == swapped]
    where = clients(entry["region"])
    where.delete_change_set(StackName=swapped, ChangeSetName=NAME)
    where.create_change_set(StackName=swapped, ChangeSetName=NAME, ChangeSetType="UPDATE",
                            TemplateBody=json.dumps(_template("A", "Vault", "Attacker")))  # fmt: skip
    refused = rf"^{swapped}: arn:aws:cloudformation:{entry['region']}:.* is gone \(deleted after the plan\); nothing"
    with pytest.raises(change_sets.RefusedError, match=refused):
        change_sets.execute(clients, assembly, content, print)
    copy_now = json.dumps(copy_region.get_template(StackName="anigmaa-prod-backup-copy")["TemplateBody"])
    data_now = json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])
    assert "Vault2" not in copy_now
    assert "A2" not in data_now
    assert "Attacker" not in copy_now + data_now


def test_a_plan_whose_regions_are_not_the_assemblys_is_refused(
    cloudformation: Any, clients: RegionalClients, copy_region: Any, tmp_path: Path
) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"), _template("Vault", "Vault2"))
    content = change_sets.plan(clients, assembly, NAME, FakeCli(clients))
    # A plan without regions (an earlier version's) made every change set in --region: not this assembly's.
    earlier = {**content, "stacks": [{k: v for k, v in e.items() if k != "region"} for e in content["stacks"]]}
    with pytest.raises(change_sets.RefusedError, match=(
        rf"^the assembly is not the planned one \(anigmaa-prod-backup-copy is in {COPY_REGION}, but a plan without "
        rf"regions \(an earlier version's\) reads as {REGION}\); nothing was executed: run the plan again$"
    )):  # fmt: skip
        change_sets.execute(clients, assembly, earlier, print)
    moved = {**content, "stacks": [{**e, "region": "eu-west-1"} if e["region"] == COPY_REGION else e
                                   for e in content["stacks"]]}  # fmt: skip
    with pytest.raises(change_sets.RefusedError, match=(
        rf"^the assembly is not the planned one \(anigmaa-prod-backup-copy is in {COPY_REGION}, planned in "
        r"eu-west-1\); nothing was executed"
    )):  # fmt: skip
        change_sets.execute(clients, assembly, moved, print)
    assert "Vault2" not in json.dumps(copy_region.get_template(StackName="anigmaa-prod-backup-copy")["TemplateBody"])


def test_clients_are_made_once_per_region() -> None:
    made: list[tuple[str, str]] = []

    def make(service: str, region: str) -> object:
        made.append((service, region))
        return object()

    clients = RegionalClients("cloudformation", REGION, make)
    assert clients(REGION) is clients("") is clients(REGION)  # "": a stack that names no region
    assert clients(COPY_REGION) is clients(COPY_REGION) is not clients(REGION)
    assert made == [("cloudformation", REGION), ("cloudformation", COPY_REGION)]


def test_the_live_diff_finds_each_stack_in_its_region(
    cloudformation: Any, clients: RegionalClients, copy_region: Any, tmp_path: Path
) -> None:
    from tools.ops import live_diff

    assembly = _assembly(tmp_path / "cdk.out", _template("A"), _template("B"), _template("Vault"))
    commands: list[list[str]] = []

    def run(command: Sequence[str]) -> int:
        commands.append(list(command))
        return 0

    assert live_diff.live_diff(clients, assembly, run, print) == 0
    assert [c[c.index("--no-color") + 1 :] for c in commands] == [
        ["--method=change-set", "BackupCopy", "Data", "Compute"]
    ]
    # Deployed only in the other region (by mistake) is not deployed where the CLI diffs it.
    copy_region.delete_stack(StackName="anigmaa-prod-backup-copy")
    cloudformation.create_stack(StackName="anigmaa-prod-backup-copy", TemplateBody=json.dumps(_template("Vault")))
    commands.clear()
    assert live_diff.live_diff(clients, assembly, run, print) == 0
    assert [c[c.index("--no-color") + 1 :] for c in commands] == [
        ["--method=change-set", "Data", "Compute"],
        ["--method=template", "BackupCopy"],
    ]


@pytest.mark.parametrize(
    ("environment", "region"),
    [
        (f"aws://123456789012/{COPY_REGION}", COPY_REGION),
        (f"aws://unknown-account/{REGION}", REGION),
        ("aws://unknown-account/unknown-region", ""),  # environment-agnostic: the CLI's AWS_REGION
        ("", ""),
    ],
)
def test_a_stack_s_region_is_its_environment_s(environment: str, region: str) -> None:
    assert region_of({"environment": environment}) == region
