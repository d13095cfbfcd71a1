"""The stacks nightly drift detection compares (tools/ops/drift_stacks.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Synth
from tools.ops.drift_stacks import drift_stacks, main


def test_every_top_level_stack_but_the_cdn_stack(synth: Callable[[str], Synth]) -> None:
    edge = synth("prod-edge")
    assert drift_stacks(edge.outdir) == ["Network", "Data", "BackupCopy", "Lambda", "Edge"]
    # Without edge protection nothing is left out.
    assert drift_stacks(synth("prod-domain").outdir) == ["Network", "Data", "BackupCopy", "Lambda", "Edge"]
    manifest = json.loads((edge.outdir / "manifest.json").read_text())
    assert "Cdn" in {a.get("displayName") for a in manifest["artifacts"].values()}


def test_a_folder_without_a_manifest_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
