"""The GitHub workflows: actionlint (with shellcheck on every run: block) finds nothing, and the
rules the project holds them to: actions pinned by commit, least permissions, no AWS keys."""

from __future__ import annotations

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
