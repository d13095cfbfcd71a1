"""cdk-nag (AwsSolutions and Serverless packs) on every configuration: nothing left unacknowledged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.checks import condensed, failures
from tests.conftest import Synth

CONFIGURATIONS = ["prod", "dev", "prod-custom", "prod-prebuilt", "prod-ecs", "dev-ecs", "prod-custom-ecs"]


def _report(synth: Synth) -> dict[str, dict[str, Any]]:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    return {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_every_nag_finding_is_fixed_or_acknowledged(synth: Callable[[str], Synth], name: str) -> None:
    result = synth(name)
    report = _report(result)
    # Serverless reports only where it has something to check (a function): not in ECS mode.
    expected = ("AwsSolutions", "Serverless") if result.config.compute == "lambda" else ("AwsSolutions",)
    for pack in expected:
        assert pack in report, f"{pack} did not run"
    for pack in ("AwsSolutions", "Serverless"):
        if pack in report:
            assert report[pack]["violations"] == [], json.dumps(report[pack]["violations"], indent=1)[:2000]
            assert report[pack]["conclusion"] == "success"
    assert not [f for f in result.findings if f.severity == "error"]


@pytest.mark.parametrize("name", ["prod", "prod-ecs"])
def test_every_acknowledgement_carries_a_reason_at_one_construct(synth: Callable[[str], Synth], name: str) -> None:
    suppressed = _report(synth(name))["AwsSolutions"].get("suppressedViolations", [])
    assert suppressed, "expected the documented acknowledgements"
    for entry in suppressed:
        assert len(entry["violatingConstructs"]) == 1
        assert len(entry.get("reason", entry.get("suppressionReason", ""))) > 30, entry


def test_a_new_finding_fails_the_synth(tmp_path: Path) -> None:
    """The gate is live: an unacknowledged finding (a public bucket) is reported as an error."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from stacks.checks import register_checks

    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Probe"), "Unlogged")
    register_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed") as failed:
        app.synth()
    assert "AwsSolutions-S1" in str(failed.value)
    assert "Probe/Unlogged/Resource" in str(failed.value)
    # What app.py prints of it: one line per finding, with what to do.
    [line] = [line for line in failures(tmp_path) if line.startswith("AwsSolutions-S1 ")]
    assert line == (
        "AwsSolutions-S1 at Probe/Unlogged/Resource: The S3 Bucket has server access logs disabled.; "
        "fix it, or accept it with a reason (constructs/findings.py)"
    )


def test_a_long_description_is_cut_to_one_line() -> None:
    description = "Line one\n  continues " + "word " * 100
    line = condensed(description)
    assert "\n" not in line
    assert len(line) == 200
    assert line.startswith("Line one continues word")
    assert line.endswith("…")
