"""Synthesize the app into a given directory with the pinned CDK CLI, as `cdk synth` would."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tools import ROOT


class SynthError(RuntimeError):
    """The synth failed; the message ends with the CLI's last output."""


def synthesize(outdir: Path, *, env: str, compute: str, context: Sequence[str] = ()) -> Path:
    """Synthesize ``env`` in ``compute`` mode (plus ``-c`` ``context`` items) into ``outdir``."""
    shutil.rmtree(outdir, ignore_errors=True)
    path = f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"
    cli = ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise SynthError(f"{cli} is missing; run make setup (or make synth) first")
    command = [str(cli), "synth", "--quiet", "-c", f"env={env}", "-c", f"compute={compute}", "-o", str(outdir)]
    for item in context:
        command += ["-c", item]
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "PATH": path}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        ours = [line for line in lines if line.startswith("anigmaa-infra:")]
        detail = (ours or lines or ["no output"])[-1]
        raise SynthError(f"synth of env={env} compute={compute} failed: {detail}")
    return outdir
