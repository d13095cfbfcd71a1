"""Measure synth wall time: `make synth`, the app's `cdk synth`, and a bare one-stack app,
and where the app's own time goes.

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

from config import read_context
from tools import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"
BARE_APP = """import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Bare", env=cdk.Environment(region="ap-southeast-1"))
s3.Bucket(stack, "Bucket")
app.synth()
"""


# Times the app's phases in one process, as `cdk synth` runs it (the CLI's start-up is the rest).
PHASES = """import json, sys, time
start = time.perf_counter()
marks = {}
import aws_cdk as cdk
import cdk_nag
from config import load_config
from stacks.app_stacks import build_stacks
from stacks.checks import register_checks
marks["imports (aws_cdk, cdk_nag, the app)"] = time.perf_counter()
app = cdk.App(outdir=sys.argv[1], context=json.loads(sys.argv[2]))
config = load_config(app.node.get_all_context(), __import__("pathlib").Path.cwd())
build_stacks(app, config)
marks["constructs (with the Go build or its cache)"] = time.perf_counter()
register_checks(app)
app.synth()
marks["synthesis, cdk-nag and the CDK's CloudFormation validation"] = time.perf_counter()
last, out = start, {}
for name, mark in marks.items():
    out[name], last = mark - last, mark
print(json.dumps(out))
"""


def phases(runs: int) -> dict[str, float]:
    """Median seconds of each phase of the app, in one Python process each run."""
    import json

    context = read_context(ROOT)
    context = {**context, "aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
    samples: list[dict[str, float]] = []
    for run in range(runs + 1):  # the first warms the caches
        outdir = ROOT / ".bench" / "phases"
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "-c", PHASES, str(outdir), json.dumps(context)],
            cwd=ROOT,
            env={**os.environ, "JSII_NODE": str(ROOT / ".venv" / "bin" / "node")},
            capture_output=True,
            text=True,
            check=True,
        )
        if run:
            samples.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {name: statistics.median(s[name] for s in samples) for name in samples[0]}


def go_build(runs: int) -> tuple[float, float]:
    """Median seconds of building the bootstrap with `go build` (its own cache warm), and of a cache hit."""
    import tempfile

    from tools.build.go import build_bootstrap

    built, cached = [], []
    with tempfile.TemporaryDirectory() as work:
        output = Path(work) / "bootstrap"
        build_bootstrap(ROOT / "lambda_src", "amd64", output)  # warm both caches
        for _ in range(runs):
            start = time.perf_counter()
            build_bootstrap(ROOT / "lambda_src", "amd64", output, cache_dir=None)
            built.append(time.perf_counter() - start)
            start = time.perf_counter()
            build_bootstrap(ROOT / "lambda_src", "amd64", output)
            cached.append(time.perf_counter() - start)
    return statistics.median(built), statistics.median(cached)


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

    print("\nWhere the app's own time goes (medians, one process per run):\n")
    print("| phase | median (s) |")
    print("|---|---|")
    for name, seconds in phases(args.runs).items():
        print(f"| {name} | {seconds:.2f} |")
    built, cached = go_build(args.runs)
    print(f"\nThe bootstrap: `go build` (Go's own cache warm) {built:.2f} s; from .cache/bootstrap {cached:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
