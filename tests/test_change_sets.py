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

from tools.ops import change_sets
from tools.ops.aws import AwsError
from tools.rehearsal import cloudformation as emulator_cloudformation

REGION = "ap-southeast-1"
NAME = "deploy-0123abc"


def _template(*topics: str, imports: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {t: {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": t}} for t in topics}
    if imports:
        resources["Uses"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": imports}}}
    return {"Resources": resources}


def _assembly(folder: Path, data: dict[str, Any], compute: dict[str, Any]) -> Path:
    """A cloud assembly of two stacks, Compute depending on Data (listed first, to be ordered)."""
    folder.mkdir(parents=True, exist_ok=True)
    artifacts = {}
    for artifact_id, name, template, needs in (
        ("Compute", "anigmaa-prod-lambda", compute, ["Data"]),
        ("Data", "anigmaa-prod-data", data, []),
    ):
        (folder / f"{artifact_id}.template.json").write_text(json.dumps(template))
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://123456789012/{REGION}",
            "properties": {
                "templateFile": f"{artifact_id}.template.json",
                "stackName": name,
                "terminationProtection": artifact_id == "Data",
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


class FakeCli:
    """Stands in for the CLI's `--method=prepare-change-set`: a change set of the stack's assembly template,
    left behind even when it changes nothing (CloudFormation then fails it, and the CLI does not delete it
    unless it executes); a template importing an export fails as CloudFormation fails until ``exports_ready``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.exports_ready = False

    def __call__(self, assembly: Path, stack: change_sets.Stack, name: str) -> subprocess.CompletedProcess[str]:
        body = json.dumps(stack.template)
        if "Fn::ImportValue" in body and not self.exports_ready:
            return subprocess.CompletedProcess([], 1, "", "❌ No export named anigmaa-prod-data:New found")
        self.client.create_change_set(StackName=stack.stack_name, ChangeSetName=name, TemplateBody=body,
                                      ChangeSetType="UPDATE")  # fmt: skip
        return subprocess.CompletedProcess([], 0, "", "")


def test_plan_then_execute_runs_exactly_the_planned_change_sets(cloudformation: Any, tmp_path: Path) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    data, compute = content["stacks"]
    assert (data["stack"], data["status"], compute["status"]) == ("anigmaa-prod-data", "prepared", "unchanged")
    assert data["arn"].startswith(f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/{NAME}/")
    assert "Add A2 (AWS::SNS::Topic)" in data["changes"]  # moto lists every resource of the template
    assert "`" + data["arn"] + "`" in change_sets.plan_markdown(content)
    lines: list[str] = []
    assert change_sets.execute(cloudformation, assembly, content, lines.append) == 1
    assert lines[0] == f"anigmaa-prod-data: executing {data['arn']}"
    assert "A2" in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])
    live = cloudformation.describe_stacks(StackName="anigmaa-prod-data")["Stacks"][0]
    assert live["EnableTerminationProtection"] is True  # as the assembly asks
    # Planned again, nothing is left to change (the stack holds the parameters the change set was given).
    again = change_sets.plan(cloudformation, assembly, "deploy-4567def", FakeCli(cloudformation))
    assert [e["status"] for e in again["stacks"]] == ["unchanged", "unchanged"]


def test_a_change_set_swapped_after_the_plan_is_refused(cloudformation: Any, tmp_path: Path) -> None:
    """Delete and recreate under the approved name (what a review role could once do): a new ARN."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    cloudformation.delete_change_set(StackName="anigmaa-prod-data", ChangeSetName=NAME)
    cloudformation.create_change_set(StackName="anigmaa-prod-data", ChangeSetName=NAME, ChangeSetType="UPDATE",
                                     TemplateBody=json.dumps(_template("A", "Attacker")))  # fmt: skip
    swapped = r"^anigmaa-prod-data: arn:aws:cloudformation:.* is gone \(deleted after the plan\); nothing from here on"
    with pytest.raises(change_sets.RefusedError, match=swapped):
        change_sets.execute(cloudformation, assembly, content, print)
    assert "Attacker" not in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])


def test_a_swapped_change_set_stops_the_plan_before_any_stack_runs(cloudformation: Any, tmp_path: Path) -> None:
    """The second stack's change set is swapped: the first, though intact, does not run either."""
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B", "B2"))
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    cloudformation.delete_change_set(ChangeSetName=content["stacks"][1]["arn"])
    with pytest.raises(change_sets.RefusedError, match=r"^anigmaa-prod-lambda: .* is gone"):
        change_sets.execute(cloudformation, assembly, content, print)
    assert "A2" not in json.dumps(cloudformation.get_template(StackName="anigmaa-prod-data")["TemplateBody"])


def test_an_assembly_or_plan_other_than_the_approved_one_is_refused(cloudformation: Any, tmp_path: Path) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    _assembly(assembly, _template("A", "Other"), _template("B"))  # the artifact changed after the plan
    with pytest.raises(change_sets.RefusedError, match=r"^the assembly is not the planned one \(anigmaa-prod-data\)"):
        change_sets.execute(cloudformation, assembly, content, print)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(content))
    out = io.StringIO()
    assert change_sets.main(["execute", "--app", str(assembly), "--plan", str(plan_file), "--digest", "0" * 64],
                            out=out) == 1  # fmt: skip


def test_a_stack_using_a_new_export_is_prepared_after_the_stack_that_adds_it(
    cloudformation: Any, tmp_path: Path
) -> None:
    data = _template("A")
    data["Outputs"] = {"New": {"Value": "new-topic", "Export": {"Name": "anigmaa-prod-data:New"}}}
    compute = _template("B", imports="anigmaa-prod-data:New")
    assembly = _assembly(tmp_path / "cdk.out", data, compute)
    prepare = FakeCli(cloudformation)
    content = change_sets.plan(cloudformation, assembly, NAME, prepare)
    assert [e["status"] for e in content["stacks"]] == ["prepared", "after"]
    assert content["stacks"][1]["after"] == ["anigmaa-prod-data"]
    assert "prepared after anigmaa-prod-data executes" in change_sets.plan_markdown(content)
    prepare.exports_ready = True  # the data stack has executed
    lines: list[str] = []
    assert change_sets.execute(cloudformation, assembly, content, lines.append, prepare) == 2
    assert [line.split(":")[0] for line in lines if "executing" in line] == ["anigmaa-prod-data", "anigmaa-prod-lambda"]


def test_only_change_set_not_found_means_none(tmp_path: Path) -> None:
    class Denied:
        def describe_change_set(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeChangeSet")

    with pytest.raises(ClientError, match="AccessDenied"):
        change_sets.describe(Denied(), NAME, "anigmaa-prod-data")


def test_a_failed_prepare_other_than_a_missing_export_fails_the_plan(cloudformation: Any, tmp_path: Path) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B"))

    def broken(assembly: Path, stack: change_sets.Stack, name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "❌  anigmaa-prod-data failed: AccessDenied: not authorized")

    with pytest.raises(AwsError, match=r"^anigmaa-prod-data: cdk deploy --method=prepare-change-set failed: .*"
                       "AccessDenied"):  # fmt: skip
        change_sets.plan(cloudformation, assembly, NAME, broken)


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


def test_a_change_set_that_changes_nothing_is_unchanged_and_deleted(cloudformation: Any, tmp_path: Path) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A"), _template("B"))  # both as deployed
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    assert [e["status"] for e in content["stacks"]] == ["unchanged", "unchanged"]
    for stack in ("anigmaa-prod-data", "anigmaa-prod-lambda"):
        assert change_sets.describe(cloudformation, NAME, stack) is None
    assert change_sets.execute(cloudformation, assembly, content, print) == 0


def test_a_missing_export_no_earlier_change_set_adds_fails_the_plan(cloudformation: Any, tmp_path: Path) -> None:
    """A typo, or an export removed: not something an earlier stack's change set will add."""
    compute = _template("B", imports="anigmaa-prod-data:New")
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), compute)
    with pytest.raises(AwsError, match=r"^anigmaa-prod-lambda: cdk deploy --method=prepare-change-set failed: .*"
                       "No export named anigmaa-prod-data:New found"):  # fmt: skip
        change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))


def test_a_rerun_of_a_plan_skips_what_it_already_executed(cloudformation: Any, tmp_path: Path) -> None:
    assembly = _assembly(tmp_path / "cdk.out", _template("A", "A2"), _template("B", "B2"))
    content = change_sets.plan(cloudformation, assembly, NAME, FakeCli(cloudformation))
    data = content["stacks"][0]
    cloudformation.execute_change_set(ChangeSetName=data["arn"])  # the first run got this far
    lines: list[str] = []
    assert change_sets.execute(cloudformation, assembly, content, lines.append) == 1
    assert lines[0] == f"anigmaa-prod-data: {data['arn']} already executed (an earlier run of this plan)"


def test_the_live_diff_diffs_a_stack_not_deployed_from_its_template(cloudformation: Any, tmp_path: Path) -> None:
    """The review role may not delete the empty stack the CLI's change set would create for a new stack."""
    from tools.ops import live_diff

    assembly = _assembly(tmp_path / "cdk.out", _template("A"), _template("B"))
    cloudformation.delete_stack(StackName="anigmaa-prod-lambda")
    commands: list[list[str]] = []
    lines: list[str] = []

    def run(command: Sequence[str]) -> int:
        commands.append(list(command))
        return 0

    status = live_diff.live_diff(cloudformation, assembly, run, lines.append)
    assert status == 0
    assert [c[c.index("--no-color") + 1 :] for c in commands] == [
        ["--method=change-set", "Data"],
        ["--method=template", "Compute"],
    ]
    assert lines == ["not deployed yet, diffed from their templates (--method=template): Compute"]
