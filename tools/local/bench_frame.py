"""Measure the frame's payload-2.0 adapter against aws-lambda-go-api-proxy and the Lambda Web Adapter.

Usage: python -m tools.local.bench_frame [--count N] [--runs N] [--lwa PATH | --no-lwa]

Every measurement serves the same payload-2.0 events with the same handler (the fixtures of
lambda_src/frame_bench_test.go and lambda_src/bench/fixtures.go):

- per request, in one process: `go test -bench Adapter` in lambda_src/ (the frame's adapter)
  and in lambda_src/bench/ (aws-lambda-go-api-proxy, and the loopback hop that models LWA),
  interleaved --count times; medians of ns/op, B/op and allocs/op;
- per invocation, each adapter a real process answering a stand-in Runtime API on loopback
  (`go test -bench RuntimeAPI` in lambda_src/bench/): the frame's test binary, cmd/proxy, and
  LWA's lambda-adapter with cmd/server behind it; medians of ns/op;
- init: process start to the first Runtime API `next` call (tools.local.bench_lambda's
  method), medians of --runs starts;
- size: each program built as a Lambda bootstrap (linux/amd64, static, -trimpath, stripped).

LWA is the crate lambda_web_adapter, built once with cargo into .bench/lwa/ (about two
minutes) unless --lwa names a built lambda-adapter or --no-lwa leaves it out. The raw
`go test` output is kept in .bench/frame/ for benchstat. Prints Markdown for
docs/benchmarks.md; numbers belong there, never in a test.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from tools import ROOT
from tools.build.go import build_bootstrap, go_build_flags
from tools.local.bench_lambda import SECRET_NAMES, RuntimeApiProbe, base_environment, hello_world
from tools.local.harness import free_port

FRAME = ROOT / "lambda_src"
BENCH = FRAME / "bench"
OUT = ROOT / ".bench" / "frame"
LWA_CRATE, LWA_VERSION = "lambda_web_adapter", "0.9.1"
LWA_ROOT = ROOT / ".bench" / "lwa"
# What Lambda sets for a function's processes; LWA's runtime client refuses to start without them.
LAMBDA_ENVIRONMENT = {
    "AWS_LAMBDA_FUNCTION_NAME": "anigmaa-api",
    "AWS_LAMBDA_FUNCTION_VERSION": "7",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/anigmaa-api",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/03/[7]bench",
}
# How the tables name the benchmarks' adapters: the hop in Go is a model of LWA, never LWA.
LABELS = {"loopback-hop-model": "loopback hop (LWA's model)", "lambda-web-adapter": f"Lambda Web Adapter {LWA_VERSION}"}
ADAPTER_ORDER = ("frame", "frame+withFrame", "aws-lambda-go-api-proxy", "loopback-hop-model", "lambda-web-adapter")
EVENT_ORDER = ("get-small", "post-json-256KiB", "post-binary-64KiB")
BENCH_LINE = re.compile(
    r"^(?P<name>Benchmark\S+)\s+\d+\s+(?P<ns>[\d.]+) ns/op(?:\s+[\d.]+ MB/s)?"
    r"(?:\s+(?P<bytes>\d+) B/op\s+(?P<allocs>\d+) allocs/op)?",
    re.MULTILINE,
)


def _go_environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "GOFLAGS": "", **extra}


def _target() -> dict[str, str]:
    """Lambda's: the settings tools.build.go builds the deployed bootstrap with."""
    return _go_environment(GOOS="linux", GOARCH="amd64", CGO_ENABLED="0", GOAMD64="v1")


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} (in {cwd.relative_to(ROOT)}) failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def build_programs(folder: Path) -> dict[str, Path]:
    """Every program measured, built as a Lambda bootstrap for linux/amd64."""
    programs = {"bootstrap": folder / "bootstrap"}
    build_bootstrap(FRAME, "amd64", programs["bootstrap"])
    programs["hello"] = hello_world(folder)
    flags = list(go_build_flags())
    for name, package, tags in (
        ("proxy", "./cmd/proxy", ()),
        ("proxy-deps", "./cmd/proxy", ("deps",)),
        ("server", "./cmd/server", ()),
    ):
        programs[name] = folder / name
        tagged = list(go_build_flags(tags)) if tags else flags
        _run(["go", "build", *tagged, "-o", str(programs[name]), package], BENCH, _target())
    programs["frame.test"] = folder / "frame.test"
    _run(["go", "test", "-c", *flags, "-o", str(programs["frame.test"]), "."], FRAME, _target())
    return programs


def lambda_web_adapter(given: Path | None, skip: bool) -> Path | None:
    """LWA's lambda-adapter: the one given, the one built before, or a new cargo build; None without cargo."""
    if skip:
        return None
    if given is not None:
        return given
    built = LWA_ROOT / "bin" / "lambda-adapter"
    if built.is_file():
        return built
    if shutil.which("cargo") is None:
        print("cargo not found: the Lambda Web Adapter itself is not measured (--lwa PATH names a build)\n")
        return None
    print(f"Building {LWA_CRATE} {LWA_VERSION} with cargo (once, into {LWA_ROOT.relative_to(ROOT)}/) ...\n")
    subprocess.run(
        ["cargo", "install", LWA_CRATE, "--version", LWA_VERSION, "--locked", "--root", str(LWA_ROOT)],
        check=True,
        capture_output=True,
    )
    return built


def parse(output: str) -> dict[tuple[str, str], list[tuple[float, int | None, int | None]]]:
    """The samples of `go test -bench` output, by (adapter, event)."""
    samples: dict[tuple[str, str], list[tuple[float, int | None, int | None]]] = defaultdict(list)
    for match in BENCH_LINE.finditer(output):
        name = re.sub(r"-\d+$", "", match["name"])  # GOMAXPROCS
        keys = dict(part.split("=", 1) for part in name.split("/")[1:])
        allocated = (int(match["bytes"]), int(match["allocs"])) if match["bytes"] else (None, None)
        samples[keys["adapter"], keys["event"]].append((float(match["ns"]), *allocated))
    return samples


def _rows(samples: dict[tuple[str, str], list[tuple[float, int | None, int | None]]]) -> list[tuple[str, str]]:
    known = [(a, e) for a in ADAPTER_ORDER for e in EVENT_ORDER if (a, e) in samples]
    return known + sorted(set(samples) - set(known))


def _duration(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


def per_request(count: int, lwa: Path | None, programs: dict[str, Path]) -> None:
    """The two `go test -bench` runs, interleaved, then the Runtime API run; medians as Markdown."""
    OUT.mkdir(parents=True, exist_ok=True)
    bench = ["go", "test", "-run", "^$", "-benchmem", "-count", "1"]
    runtime_env = _go_environment(
        BENCH_FRAME_BOOTSTRAP=str(programs["frame.test"]), BENCH_PROXY_BOOTSTRAP=str(programs["proxy"])
    )
    if lwa is not None:
        runtime_env.update(BENCH_LWA=str(lwa), BENCH_APP=str(programs["server"]))
    outputs: dict[str, list[str]] = defaultdict(list)
    for _ in range(count):
        outputs["frame"].append(_run([*bench, "-bench", "^BenchmarkAdapter$", "."], FRAME, _go_environment()))
        outputs["alternatives"].append(_run([*bench, "-bench", "^BenchmarkAdapter$", "."], BENCH, _go_environment()))
        outputs["runtime-api"].append(_run([*bench, "-bench", "^BenchmarkRuntimeAPI$", "."], BENCH, runtime_env))
    for name, texts in outputs.items():
        (OUT / f"{name}.txt").write_text("".join(texts), encoding="utf-8")

    in_process = parse("".join(outputs["frame"] + outputs["alternatives"]))
    print(f"Per request, in one process (median of {count}; `go test -bench Adapter -benchmem`):\n")
    print("| adapter | event | time/op | B/op | allocs/op |\n|---|---|---|---|---|")
    for adapter, event in _rows(in_process):
        samples = in_process[adapter, event]
        ns = statistics.median(s[0] for s in samples)
        allocated = statistics.median(s[1] or 0 for s in samples)
        allocs = statistics.median(s[2] or 0 for s in samples)
        label = LABELS.get(adapter, adapter)
        print(f"| {label} | {event} | {_duration(ns)} | {allocated:,.0f} | {allocs:.0f} |")

    through_api = parse("".join(outputs["runtime-api"]))
    print(f"\nPer invocation through a stand-in Runtime API, each adapter a real process (median of {count}):\n")
    print("| adapter | event | time/op |\n|---|---|---|")
    for adapter, event in _rows(through_api):
        median = statistics.median(r[0] for r in through_api[adapter, event])
        print(f"| {LABELS.get(adapter, adapter)} | {event} | {_duration(median)} |")
    out = OUT.relative_to(ROOT)
    print(f"\nRaw output in {out}/; summarized with confidence intervals by golang.org/x/perf/cmd/benchstat:")
    print(f"  benchstat -ignore pkg -row /event -col /adapter {out}/frame.txt {out}/alternatives.txt")
    print(f"  benchstat -row /event -col /adapter {out}/runtime-api.txt")


def init_ms(programs: list[tuple[Path, dict[str, str]]]) -> float:
    """Milliseconds from starting the first of ``programs`` (all at once) to the first `next` call."""
    server = RuntimeApiProbe()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = {"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}", **LAMBDA_ENVIRONMENT}
    processes: list[subprocess.Popen[bytes]] = []
    start = time.perf_counter()
    try:
        for program, environment in programs:
            processes.append(
                subprocess.Popen(
                    [str(program)], env={**environment, **api}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        if not server.arrived.wait(timeout=30):
            raise RuntimeError(f"{programs[-1][0].name} never called next")
        return (server.at - start) * 1000
    finally:
        for process in processes:
            process.kill()
            process.wait()
        server.stop()
        server.server_close()


def init_and_size(runs: int, lwa: Path | None, programs: dict[str, Path]) -> None:
    bare = base_environment()
    frame_env = {**bare, **{name: secrets.token_hex(8) for name in SECRET_NAMES}}
    cases: list[tuple[str, list[tuple[Path, dict[str, str]]], list[Path]]] = [
        ("aws-lambda-go hello-world (baseline)", [(programs["hello"], bare)], [programs["hello"]]),
        (
            "the frame's bootstrap as deployed (secrets in the environment)",
            [(programs["bootstrap"], frame_env)],
            [programs["bootstrap"]],
        ),
        ("aws-lambda-go-api-proxy, the handler alone", [(programs["proxy"], bare)], [programs["proxy"]]),
        (
            "aws-lambda-go-api-proxy, with the frame's dependencies linked (-tags deps)",
            [(programs["proxy-deps"], bare)],
            [programs["proxy-deps"]],
        ),
    ]
    if lwa is not None:
        port = str(free_port())
        app_env = {**bare, "PORT": port}
        lwa_env = {**bare, "AWS_LWA_PORT": port, "AWS_LWA_READINESS_CHECK_PATH": "/health"}
        cases.append(
            (
                f"Lambda Web Adapter {LWA_VERSION} and cmd/server, started together",
                [(programs["server"], app_env), (lwa, lwa_env)],
                [lwa, programs["server"]],
            )
        )
    print(f"\nInit, process start to the first `next` (amd64; median of {runs}), and size:\n")
    print("| program | median (ms) | min (ms) | max (ms) | vs hello-world | size (MB) |\n|---|---|---|---|---|---|")
    base = 0.0
    for label, started, files in cases:
        init_ms(started)  # warm the page cache
        samples = [init_ms(started) for _ in range(runs)]
        median = statistics.median(samples)
        base = base or median
        size = " + ".join(f"{f.stat().st_size / 1e6:.1f}" for f in files)
        print(f"| {label} | {median:.1f} | {min(samples):.1f} | {max(samples):.1f} | {median / base:.2f}x | {size} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5, help="go test -bench runs of each side (default 5)")
    parser.add_argument("--runs", type=int, default=15, help="starts of each program for init (default 15)")
    parser.add_argument("--lwa", type=Path, help="a built lambda-adapter (default: .bench/lwa/, built with cargo)")
    parser.add_argument("--no-lwa", action="store_true", help="leave the Lambda Web Adapter itself out")
    args = parser.parse_args(argv)

    lwa = lambda_web_adapter(args.lwa, args.no_lwa)
    with tempfile.TemporaryDirectory(prefix="anigmaa-bench-frame-") as work:
        programs = build_programs(Path(work))
        per_request(args.count, lwa, programs)
        init_and_size(args.runs, lwa, programs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
