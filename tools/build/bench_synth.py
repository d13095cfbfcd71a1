"""Measure synth wall time: `make synth`, the app's `cdk synth`, and a bare one-stack app.

Usage: python -m tools.build.bench_synth [--runs N]

Prints a Markdown table for docs/benchmarks.md. Timings are wall-clock medians on the
machine it runs on; they belong in that document, never in a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"
BARE_APP = """import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Bare", env=cdk.Environment(region="ap-southeast-1"))
s3.Bucket(stack, "Bucket")
app.synth()
"""


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _median(command: list[str], cwd: Path, runs: int) -> tuple[float, float, float]:
    samples = [_time(command, cwd) for _ in range(runs)]
    return statistics.median(samples), min(samples), max(samples)


def _bare_app(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(BARE_APP, encoding="utf-8")
    python = ROOT / ".venv" / "bin" / "python"
    (folder / "cdk.json").write_text(f'{{"app": "{python} app.py"}}\n', encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    bare = _bare_app(ROOT / ".bench" / "bare")
    cases = [
        ("make synth (set-up already done)", ["make", "synth"], ROOT),
        ("cdk synth --quiet (this app, 3 stacks)", [str(CDK), "synth", "--quiet"], ROOT),
        ("cdk synth --quiet (bare app: 1 stack, 1 bucket)", [str(CDK), "synth", "--quiet"], bare),
    ]
    for _, command, cwd in cases:  # warm caches (Go build cache, Python bytecode)
        _time(command, cwd)
    results = [(label, *_median(command, cwd, args.runs)) for label, command, cwd in cases]

    print(f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    print(f"Runs per case: {args.runs} (after one warm-up)\n")
    print("| case | median (s) | min (s) | max (s) |")
    print("|---|---|---|---|")
    for label, median, low, high in results:
        print(f"| {label} | {median:.2f} | {low:.2f} | {high:.2f} |")
    ratio = results[1][1] / results[2][1]
    print(f"\nThis app's synth / bare app's synth: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
