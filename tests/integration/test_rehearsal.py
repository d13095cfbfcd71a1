"""The deploy rehearsal (`make rehearse`) as part of `make test`: the real CDK CLI against moto on loopback."""

from __future__ import annotations

import subprocess
import sys

from tools import ROOT


def test_the_rehearsal_deploys_switches_splits_updates_and_refuses_what_cloudformation_refuses() -> None:
    # Its own process: the emulator's extensions patch moto, and they stay out of this one.
    result = subprocess.run(
        [sys.executable, "-m", "tools.rehearsal"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    lines = result.stdout.splitlines()
    refused = [line.split(" (")[0].removeprefix("ok    ") for line in lines if "refused as it must be" in line]
    assert refused == [
        "refused: delete the ECS stack the record points at",
        "refused: compute=split without lambda_weight",
        "refused: destroy anigmaa-prod-network",
        "refused: destroy anigmaa-prod-data",
        "secrets check with one missing",
        "refused: deploy dev with a SecureString missing",
    ]
    split = [line.split(" (")[0].removeprefix("ok    ") for line in lines if line.startswith("ok    split: ")]
    assert split == [
        "split: ECS beside Lambda",
        "split: the domain 5/95",
        "split: the domain 50/50",
        "split: all to Lambda",
        "split: back to 50/50",
        "split: all to ECS",
        "split: all back to Lambda",
    ]
    assert "rehearsal: no request left loopback (the proxy every other address goes through saw none)" in lines
    assert any(line.startswith("rehearsal: 34 steps passed in ") for line in lines), result.stdout
