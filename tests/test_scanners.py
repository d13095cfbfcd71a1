"""cfn-lint and checkov on every synthesized template of the compute modes (a split too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Synth
from tools.gates.scan import ALLOWED_WARNINGS, CheckovResult, LintFinding, cfn_lint, checkov, problems, templates_in

SCANNED = ["prod", "dev", "prod-custom", "prod-ecs", "dev-ecs", "prod-custom-ecs", "prod-ecs-image", "prod-split5"]


@pytest.fixture(scope="module")
def scanned(synth: Callable[[str], Synth]) -> tuple[list[LintFinding], CheckovResult, dict[str, list[str]]]:
    folders = {name: synth(name).outdir for name in SCANNED}
    folders["ci"] = synth("prod-ci").outdir / "assembly-Ci"  # the CI stack, in its Stage's own assembly
    templates = templates_in(list(folders.values()))
    assert any(path.parent.name == "assembly-Ci" for path in templates), "the CI stack's template was not found"
    lint = cfn_lint(templates)
    by_config = {name: [f.rule for f in lint if f.file.startswith(str(folder))] for name, folder in folders.items()}
    return lint, checkov(templates), by_config


def test_no_lint_error_no_unexplained_warning_and_no_failed_check(
    scanned: tuple[list[LintFinding], CheckovResult, dict[str, list[str]]],
) -> None:
    lint, scan, _ = scanned
    assert problems(lint, scan) == []
    assert scan.passed > 500  # the scanners really ran over every template


def test_every_checkov_skip_says_why(scanned: tuple[list[LintFinding], CheckovResult, dict[str, list[str]]]) -> None:
    _, scan, _ = scanned
    assert scan.skipped
    for check, resource, reason in scan.skipped:
        assert len(reason) > 30, f"{check} on {resource} has no real reason: {reason!r}"


def test_the_runtime_warning_appears_only_while_provided_al2_is_chosen(
    scanned: tuple[list[LintFinding], CheckovResult, dict[str, list[str]]],
) -> None:
    _, _, by_config = scanned
    assert "W2531" in by_config["prod"]
    assert "W2531" not in by_config["prod-custom"]  # provided.al2023
    assert "W2531" not in by_config["prod-ecs"]
    assert set(ALLOWED_WARNINGS) >= {rule for rules in by_config.values() for rule in rules if rule.startswith("W")}


def test_a_template_checkov_cannot_read_is_a_problem_not_a_pass(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.template.json"
    broken.write_text('{"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"', encoding="utf-8")
    scan = checkov([broken])
    assert scan.passed == 0
    found = problems([], scan)
    assert f"checkov produced no result for {broken}" in found
