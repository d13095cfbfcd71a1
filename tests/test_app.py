"""The app as a whole: stack wiring, independence of the permanent stacks, determinism, errors."""

from __future__ import annotations

import filecmp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from config import load_config
from stacks.app_stacks import build_permanent_stacks, build_stacks
from tests.conftest import CDK_CONTEXT, ROOT, Synth, new_app, synthesize
from tools.gates.synth_summary import render


def test_stack_names_show_the_environment(prod: Synth, dev: Synth) -> None:
    assert [s.stack_name for s in (prod.stacks.network, prod.stacks.data, prod.stacks.compute)] == [
        "anigmaa-prod-network",
        "anigmaa-prod-data",
        "anigmaa-prod-lambda",
    ]
    assert dev.stacks.compute.stack_name == "anigmaa-dev-lambda"


def test_permanent_stacks_are_termination_protected_in_prod_only(prod: Synth, dev: Synth) -> None:
    assert prod.stacks.network.termination_protection
    assert prod.stacks.data.termination_protection
    assert not prod.stacks.compute.termination_protection
    assert not dev.stacks.network.termination_protection
    assert not dev.stacks.data.termination_protection


def test_dependencies_point_from_compute_to_the_permanent_stacks_only(prod: Synth) -> None:
    stacks = prod.stacks
    assert set(stacks.compute.dependencies) == {stacks.network, stacks.data}
    # The backup copy vault's stack deploys first (the plan copies into it), and depends on nothing.
    assert stacks.backup_copy is not None
    assert set(stacks.data.dependencies) == {stacks.network, stacks.backup_copy}
    assert stacks.network.dependencies == stacks.backup_copy.dependencies == []


@pytest.mark.parametrize("name", ["prod", "prod-custom"])
def test_permanent_stacks_do_not_change_with_the_compute_stack(
    name: str, synth: object, configurations: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    """Network and data templates are the same with or without a compute stack in the app.

    So a compute stack can be added, changed or removed without touching (or un-exporting
    anything from) the long-lived stacks.
    """
    full = synth(name)  # type: ignore[operator]
    app = new_app(configurations[name], tmp_path)
    network, data = build_permanent_stacks(app, load_config(app.node.get_all_context(), ROOT))
    assert Template.from_stack(network).to_json() == full.json("network")
    assert Template.from_stack(data).to_json() == full.json("data")


def test_two_synths_write_byte_identical_templates(prod: Synth, tmp_path: Path) -> None:
    again = synthesize({}, tmp_path)
    templates = sorted(p.name for p in prod.outdir.glob("*.template.json"))
    assert templates == [
        "BackupCopy.template.json",
        "Data.template.json",
        "Lambda.template.json",
        "Network.template.json",
    ]
    match, mismatch, errors = filecmp.cmpfiles(prod.outdir, again.outdir, templates, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert match == templates


def test_synth_summary_lists_stacks_outputs_and_warnings(prod: Synth) -> None:
    text = render(prod.outdir)
    for stack_name in ("anigmaa-prod-network", "anigmaa-prod-data", "anigmaa-prod-lambda"):
        assert stack_name in text
    assert "ApiGatewayEndpoint" in text
    assert "anigmaa:runtime-provided-al2-deprecated" in text


def _run_app(context: dict[str, object], outdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run app.py the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, **context})}
    if outdir is not None:
        env["CDK_OUTDIR"] = str(outdir)
    return subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_app_reports_bad_input_in_one_line_without_a_traceback() -> None:
    result = _run_app({"lambda_memory": "64"})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("anigmaa-infra:")]
    assert errors == ["anigmaa-infra: configuration error: lambda_memory: 64 is out of range 128..10240"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("reported_by", ["app", "cli"])
def test_a_failed_template_check_is_one_line_naming_the_key_and_the_nearest_values(
    reported_by: str, tmp_path: Path
) -> None:
    """CloudFormation's schema check lists all 183 RDS classes in one message: the user gets the nearest three.

    Under the CDK CLI the app is told not to throw (the CLI would print the whole report): both ways say the same.
    """
    context: dict[str, object] = {"db_instance_class": "db.t3.mirco", "db_max_connections": 100}
    if reported_by == "cli":
        context["@aws-cdk/core:failSynthOnValidationErrors"] = False
    result = _run_app(context, tmp_path)
    assert result.returncode == 1
    said = [line for line in result.stderr.splitlines() if line.startswith("anigmaa-infra:")]
    assert len(said) == 2, result.stderr
    assert "is not one of" not in result.stderr
    stopped, pointer = said
    assert stopped.startswith("anigmaa-infra: synth stopped: E3025 at Data/Database/Instance/Resource: ")
    assert "DBInstanceClass (set by db_instance_class): 'db.t3.mirco' is not a value CloudFormation accepts" in stopped
    assert "did you mean 'db.t3.micro'" in stopped
    assert "is not one of" not in stopped
    assert len(stopped) < 400
    assert pointer == f"anigmaa-infra: the full report: {tmp_path / 'validation-report.json'}"


def test_app_reports_a_missing_go_toolchain_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # A PATH that keeps the venv's node (for jsii) but has no `go`.
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    result = _run_app({})
    assert result.returncode == 1
    assert "anigmaa-infra: go: not found on PATH" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path", ["ecs", "prebuilt"])
def test_paths_that_build_no_backend_still_need_go_for_the_database_role_provider(
    path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixture_zips: dict[str, Path]
) -> None:
    """The data stack's role provider (lambda_src/cmd/dbrole) is built at every synth: without Go, the
    ECS path and a prebuilt lambda_zip stop in one line that names it, not lambda_zip."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    context: dict[str, object] = (
        {"env": "dev", "compute": "ecs"}
        if path == "ecs"
        else {"env": "dev", "lambda_zip": str(fixture_zips["function-arm64"])}
    )
    result = _run_app(context, tmp_path)
    assert result.returncode == 1
    said = "anigmaa-infra: go: not found on PATH; accepted: install Go to build lambda_src/cmd/dbrole (the data stack's"
    assert result.stderr.startswith(said), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "lambda_zip" not in result.stderr


def test_make_refuses_an_upper_case_env_in_one_line() -> None:
    """`make synth ENV=dev` would build prod silently; it names the spelling that works instead."""
    result = subprocess.run(
        ["make", "-n", "synth", "ENV=dev"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert re.fullmatch(
        r"Makefile:\d+: \*\*\* ENV=dev is not read here; accepted: env=dev \(lower case, as in -c env=\)\.  Stop\.",
        line,
    )
    assert (
        subprocess.run(["make", "-n", "synth", "env=dev"], cwd=ROOT, capture_output=True, check=False).returncode == 0
    )


@pytest.mark.parametrize(("env", "warned"), [("prod", True), ("dev", False)])
def test_any_origin_is_allowed_but_said_in_prod(env: str, warned: bool, tmp_path: Path) -> None:
    app = new_app({"env": env, "compute": "ecs", "allowed_origins": "*", "ecs_allow_plain_http": "true"}, tmp_path)
    stacks = build_stacks(app, load_config(app.node.get_all_context(), ROOT))
    warnings = [entry.data for entry in stacks.compute.node.metadata if entry.type == "aws:cdk:warning"]
    assert any("allowed_origins=* in env=prod: a script on any web site" in str(w) for w in warnings) is warned


@pytest.mark.parametrize(("rate", "warned"), [(1000, True), (160, False), (0, False)])
def test_a_rate_beyond_what_the_reservation_serves_is_warned_with_the_arithmetic(
    rate: int, warned: bool, tmp_path: Path, fixture_zips: dict[str, Path]
) -> None:
    overrides = {
        "env": "prod",
        "compute": "lambda",
        "api_throttle_rate": rate,
        "lambda_zip": str(fixture_zips["function"]),
    }
    app = new_app(overrides, tmp_path)
    stacks = build_stacks(app, load_config(app.node.get_all_context(), ROOT))
    function = stacks.compute.node.find_child("Backend").node.find_child("Function")
    warnings = [str(entry.data) for entry in function.node.metadata if entry.type == "aws:cdk:warning"]
    expected = (
        "api_throttle_rate: 1000/s is more than 16 reserved environments serve at lambda_average_duration_ms 100 "
        "(16 x 1000 / 100 = 160/s): past it Lambda throttles and the HTTP API answers 500, not 429"
    )
    assert any(expected in w for w in warnings) is warned, warnings


def test_with_accounts_set_the_app_synthesizes_offline_and_looks_nothing_up(
    configurations: dict[str, dict[str, object]], fixture_zips: dict[str, Path], tmp_path: Path
) -> None:
    """Accounts in cdk.json (as the CI stack requires), no credentials anywhere: every stack's zones are the
    configured ones, so the manifest asks the CLI for no lookup ("Need to perform AWS calls for account …")."""
    context = {
        **configurations["prod-split5"],  # every stack of the app: network, data, both computes, edge
        "environments": configurations["prod-ci"]["environments"],  # with accounts
        "github_repository": "anigmaa/anigmaa-infra",  # and the CI stack's own assembly
        "github_repository_ids": "1/2",
        "lambda_zip": str(fixture_zips["function"]),
    }
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(
        CDK_CONTEXT_JSON=json.dumps({**CDK_CONTEXT, **context}),
        CDK_OUTDIR=str(tmp_path),
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifests = [tmp_path / "manifest.json", tmp_path / "assembly-Ci" / "manifest.json"]
    for manifest in manifests:
        assert "missing" not in json.loads(manifest.read_text()), f"{manifest}: the CLI would look something up"
    stacks = json.loads(manifests[0].read_text())["artifacts"]
    assert {"Network", "Data", "Lambda", "Ecs", "Edge"} <= set(stacks)
    assert stacks["Network"]["environment"] == "aws://111111111111/ap-southeast-1"
    network = json.loads((tmp_path / "Network.template.json").read_text())
    zones = {
        r["Properties"]["AvailabilityZone"] for r in network["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"
    }
    assert zones == {"ap-southeast-1a", "ap-southeast-1b"}
