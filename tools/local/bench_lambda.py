"""Measure the Lambda program: artifact size, init time and server-mode throughput.

Usage: python -m tools.local.bench_lambda [--runs N] [--seconds S]

- size: `bootstrap` and its zip for amd64 and arm64, built as the CDK app builds them;
- init: from process start to the first Runtime API `next` call, measured by a minimal
  Runtime API on loopback that records when `next` arrives; with the secrets already in
  the environment (SSM fetch skipped) and with the SSM fetch from a local SSM endpoint;
- throughput: requests per second and latency percentiles of GET /health in server
  mode, driven by wrk on loopback.

Prints Markdown for docs/benchmarks.md. Numbers belong there, never in a test.
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tools import ROOT
from tools.build.go import build_bootstrap
from tools.build.lambda_zip import write_zip
from tools.local.harness import FAKE_CREDENTIALS, REGION, aws_endpoints, free_port, wait_for_port

SECRET_NAMES = ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY")


def sizes(folder: Path) -> list[tuple[str, int, int]]:
    rows = []
    for goarch in ("amd64", "arm64"):
        binary, archive = folder / f"bootstrap-{goarch}", folder / f"lambda-{goarch}.zip"
        build_bootstrap(ROOT / "lambda_src", goarch, binary)
        write_zip(binary, archive)
        rows.append((goarch, binary.stat().st_size, archive.stat().st_size))
    return rows


class RuntimeApiProbe(ThreadingHTTPServer):
    """A stand-in Runtime API that only notes when the runtime first asks for an event; it also answers the
    Extensions API's register and next calls (the Lambda Web Adapter, tools.local.bench_frame, registers)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _NextRecorder)
        self.arrived = threading.Event()
        self.stopping = threading.Event()
        self.at = 0.0

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()


class _NextRecorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        probe = self.server
        assert isinstance(probe, RuntimeApiProbe)
        if self.path.endswith("/runtime/invocation/next") and not probe.arrived.is_set():
            probe.at = time.perf_counter()
            probe.arrived.set()
        if self.path.endswith("/extension/event/next"):
            probe.stopping.wait(30)  # no event until the measurement ends
        self.send_response(503)
        self.end_headers()

    def do_POST(self) -> None:
        if self.path.endswith("/extension/register"):
            self.send_response(200)
            self.send_header("Lambda-Extension-Identifier", "bench-extension")
            self.end_headers()
            return
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


HELLO_WORLD = """package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(func() (string, error) { return "hello", nil }) }
"""


def hello_world(folder: Path) -> Path:
    """The published cold-start baseline's program: aws-lambda-go answering "hello", built alike."""
    source = folder / "hello"
    source.mkdir()
    (source / "main.go").write_text(HELLO_WORLD, encoding="utf-8")
    version = re.search(r"github.com/aws/aws-lambda-go (v\S+)", (ROOT / "lambda_src" / "go.mod").read_text())
    assert version is not None
    (source / "go.mod").write_text(
        f"module hello\n\ngo 1.26\n\nrequire github.com/aws/aws-lambda-go {version.group(1)}\n", encoding="utf-8"
    )
    shutil.copy(ROOT / "lambda_src" / "go.sum", source / "go.sum")
    binary = folder / "hello-bootstrap"
    build_bootstrap(source, "amd64", binary)
    return binary


def init_ms(bootstrap: Path, environment: dict[str, str]) -> float:
    """Milliseconds from starting ``bootstrap`` to its first `next` call."""
    server = RuntimeApiProbe()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**environment, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}"}
    start = time.perf_counter()
    process = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not server.arrived.wait(timeout=30):
            raise RuntimeError("bootstrap never called next")
        return (server.at - start) * 1000
    finally:
        process.kill()
        process.wait()
        server.stop()
        server.server_close()


def base_environment() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": REGION,
        "DB_HOST": "localhost",
        "REDIS_HOST": "localhost",
        "AWS_BUCKET": "bench",
        **FAKE_CREDENTIALS,
    }


def throughput(bootstrap: Path, seconds: int) -> tuple[float, str, str, str] | None:
    """wrk against /health in server mode: requests/s and p50, p90, p99 latency."""
    if shutil.which("wrk") is None:
        return None
    port = free_port()
    env = {**base_environment(), "PORT": str(port), **{name: secrets.token_hex(8) for name in SECRET_NAMES}}
    process = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 10, "bootstrap (server mode)")
        result = subprocess.run(
            ["wrk", "-t", "1", "-c", "32", "-d", f"{seconds}s", "--latency", f"http://127.0.0.1:{port}/health"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        process.terminate()
        process.wait()
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", result).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", result, re.MULTILINE))
    return rps, percentiles["50"], percentiles["90"], percentiles["99"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="anigmaa-bench-") as work:
        folder = Path(work)
        print("| GOARCH | bootstrap (MB) | zip (MB) |\n|---|---|---|")
        for goarch, binary, archive in sizes(folder):
            print(f"| {goarch} | {binary / 1e6:.1f} | {archive / 1e6:.2f} |")

        bootstrap = folder / "bootstrap-amd64"
        in_environment = {**base_environment(), **{name: secrets.token_hex(8) for name in SECRET_NAMES}}
        hello = hello_world(folder)
        baseline = [init_ms(hello, base_environment()) for _ in range(args.runs)]
        stubbed = [init_ms(bootstrap, in_environment) for _ in range(args.runs)]
        values = {name: secrets.token_hex(8) for name in SECRET_NAMES}
        with aws_endpoints(values) as aws:
            from_ssm_env = {**base_environment(), "AWS_ENDPOINT_URL_SSM": aws.url}
            from_ssm_env.update({f"{name}_PARAM": f"{aws.ssm_prefix}/{name}" for name in SECRET_NAMES})
            init_ms(bootstrap, from_ssm_env)  # warm the local endpoint
            fetched = [init_ms(bootstrap, from_ssm_env) for _ in range(args.runs)]
        print(f"\nInit, process start to first `next` (amd64, median of {args.runs}):\n")
        print("| program | median (ms) | min (ms) | max (ms) | vs hello-world |\n|---|---|---|---|---|")
        cases = (
            ("aws-lambda-go hello-world (baseline)", baseline),
            ("bootstrap, secrets in the environment (SSM fetch skipped)", stubbed),
            ("bootstrap, secrets fetched from a local SSM endpoint", fetched),
        )
        base = statistics.median(baseline)
        for label, samples in cases:
            median = statistics.median(samples)
            print(f"| {label} | {median:.1f} | {min(samples):.1f} | {max(samples):.1f} | {median / base:.2f}x |")

        measured = throughput(bootstrap, args.seconds)
        if measured is None:
            print("\nwrk not found: throughput not measured (apt-get install wrk)")
        else:
            rps, p50, p90, p99 = measured
            print(f"\nServer mode, GET /health, wrk 1 thread x 32 connections, {args.seconds} s:\n")
            print("| requests/s | p50 | p90 | p99 |\n|---|---|---|---|")
            print(f"| {rps:,.0f} | {p50} | {p90} | {p99} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
