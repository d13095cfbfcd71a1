"""The deploy rehearsal (`make rehearse`) as part of `make test`: the real CDK CLI against moto on loopback."""

from __future__ import annotations

import subprocess
import sys

from tools import ROOT


def test_the_rehearsal_deploys_switches_updates_and_refuses_what_cloudformation_refuses() -> None:
    # Its own process: the emulator's extensions patch moto, and they stay out of this one.
    result = subprocess.run(
        [sys.executable, "-m", "tools.rehearsal"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    lines = result.stdout.splitlines()
    refused = [line.split(" (")[0].removeprefix("ok    ") for line in lines if "refused as it must be" in line]
    assert refused == [
        "refused: delete the ECS stack the record points at",
        "refused: destroy anigmaa-prod-network",
        "refused: destroy anigmaa-prod-data",
        "secrets check with one missing",
        "refused: deploy dev with a SecureString missing",
    ]
    assert "rehearsal: no request left loopback (the proxy every other address goes through saw none)" in lines
    assert any(line.startswith("rehearsal: 26 steps passed in ") for line in lines), result.stdout
