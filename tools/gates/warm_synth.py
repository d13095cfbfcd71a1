"""Synths in one warm process: each configuration's cloud assembly as the CDK CLI's synth makes it, for
the CLI to deploy (``--app <assembly>``: the rehearsal) or for a review to compare.

A synth through the CLI starts Node.js twice and Python once and loads the CDK for each configuration,
about 5 s of CPU; here the CDK is loaded once, and each later configuration takes about a second. The
app is the same (``app.synthesize``) and so is its context: cdk.json's, then ``-c``'s items as strings,
then the keys the CLI adds for the command (``DEPLOY_CONTEXT``, ``SYNTH_CONTEXT``). The rehearsal
synthesizes its first configuration both ways and stops unless every file of the two assemblies is the
same (``same_assembly``), and tests/test_review.py holds a review's synth to the CLI's the same way. A
synth that must fail is left to the CLI, whose message it is.

Protocol (``python -m tools.gates.warm_synth``, run in the checkout whose app it synthesizes): a JSON
line per request on stdin, ``{"root": …, "items": ["key=value", …], "cli": {…}, "outdir": …}``; a JSON
line per answer on stdout, ``{"problems": [one line each]}`` (none when the assembly is complete).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tools import ROOT

# What the CLI adds to an app's context, measured with an app that prints its CDK_CONTEXT_JSON (CLI
# 2.1148.1): for the rehearsal's commands (--no-version-reporting, every stack bundled), and for
# `cdk synth` (a review's, tools.gates.assembly.synthesize).
DEPLOY_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:disable-version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}
SYNTH_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}
# Files the CLI writes into an assembly beside the app's, which say nothing of what is deployed (and .cache/,
# the zips of folder assets it publishes).
CLI_ONLY = frozenset({"performance-counters.json"})
# The jsii kernel's temporary folders, in the stack traces of warnings (metadata, validation report): they
# differ between any two synths.
_TRACE_FOLDERS = re.compile(rb"[^\s\"'(]*/(?:jsii-kernel-[A-Za-z0-9]+|tmp[a-z0-9_]{8}/lib/program\.js)")


class SynthError(RuntimeError):
    """The warm process stopped answering; the message is one line."""


def context(root: Path, items: Sequence[str], cli: Mapping[str, Any]) -> dict[str, Any]:
    """The context the CLI gives the app in ``root`` for ``-c`` ``items``, ``cli`` its own keys: as the CLI
    merges its sources, ``-c`` over cdk.json's over cdk.context.json over ~/.cdk.json's."""

    def read(path: Path) -> dict[str, Any]:
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    merged: dict[str, Any] = read(Path.home() / ".cdk.json").get("context", {})
    merged.update(read(root / "cdk.context.json"))
    merged.update(read(root / "cdk.json").get("context", {}))
    for item in items:
        key, _, value = item.partition("=")
        merged[key] = value
    return {**merged, **cli}


def synthesize(root: Path, items: Sequence[str], cli: Mapping[str, Any], outdir: Path) -> list[str]:
    """The app of this checkout, synthesized into ``outdir``; its problems, a line each (none: complete)."""
    import aws_cdk as cdk

    import app
    from stacks.checks import APP_MODE

    said = io.StringIO()
    os.chdir(root)  # where the CLI runs the app
    with contextlib.redirect_stderr(said):
        status = app.synthesize(cdk.App(context={**APP_MODE, **context(root, items, cli)}, outdir=str(outdir)))
    if status == 0:
        return []
    return [line for line in said.getvalue().splitlines() if line.strip()] or [f"the app exited {status}"]


def same_assembly(cli: Path, warm: Path) -> list[str]:
    """The files in which two assemblies differ (none: the same bytes, but for the folders in stack traces)."""

    def files(folder: Path) -> dict[str, bytes]:
        found = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        kept = {name: data for name, data in found.items() if name not in CLI_ONLY and not name.startswith(".cache/")}
        return {name: _TRACE_FOLDERS.sub(b"<tmp>", data) if name.endswith(".json") else data
                for name, data in kept.items()}  # fmt: skip

    a, b = files(cli), files(warm)
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


class Synths:
    """The warm process of the checkout ``code`` (its app), started on the first request, stopped on close
    (or at the end of a ``with`` block). It runs in ``environment`` with the project's toolchain first on
    PATH and the jsii kernel on its Node.js, as cdk.json's app command does."""

    def __init__(self, environment: Mapping[str, str], cli: Mapping[str, Any], code: Path = ROOT) -> None:
        self._environment = {
            **environment,
            "PATH": f"{ROOT / '.venv' / 'bin'}:{environment.get('PATH', '/usr/bin:/bin')}",
            "JSII_NODE": str(ROOT / ".venv" / "bin" / "node"),
        }
        self._cli = dict(cli)
        self._code = code
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Synths:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def synthesize(self, root: Path, items: Sequence[str], outdir: Path) -> list[str]:
        process = self._started()
        assert process.stdin is not None
        assert process.stdout is not None
        request = {"root": str(root), "items": list(items), "cli": self._cli, "outdir": str(outdir)}
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:  # it exited: a checkout without this module, or a crash
            raise SynthError(f"the warm synth process exited ({process.poll()})") from None
        try:
            answer = process.stdout.readline()
        except OSError:
            answer = ""
        if not answer:
            raise SynthError(f"the warm synth process exited ({process.poll()}) on {' '.join(items) or 'no -c'}")
        return list(json.loads(answer)["problems"])

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tools.gates.warm_synth"],
                cwd=self._code,
                env=self._environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        return self._process

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def serve(requests: IO[str], answers: IO[str]) -> None:
    for line in requests:
        request = json.loads(line)
        try:
            problems = synthesize(Path(request["root"]), request["items"], request["cli"], Path(request["outdir"]))
        except Exception as error:  # the CLI's synth of it will say what, in its words
            problems = [f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"]
        answers.write(json.dumps({"problems": problems}) + "\n")
        answers.flush()


if __name__ == "__main__":
    # The answers on the standard output the process was given; whatever else writes to it (the app, the
    # CDK's Node.js process) goes to the standard error instead.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    serve(sys.stdin, answers)
