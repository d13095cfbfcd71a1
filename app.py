#!/usr/bin/env python3
"""anigmaa-infra: read the context once, validate it, build the stacks, synthesize."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import aws_cdk as cdk

from config import ConfigError, load_config
from stacks.app_stacks import build_stacks
from stacks.checks import APP_MODE, failures, register_checks

PROJECT_ROOT = Path(__file__).resolve().parent


def main() -> int:
    return synthesize(cdk.App(context=APP_MODE))


def synthesize(app: cdk.App) -> int:
    """Build and synthesize the stacks of ``app``'s context (``APP_MODE`` in it); 1 with each problem a line."""
    try:
        config = load_config(app.node.get_all_context(), PROJECT_ROOT)
    except ConfigError as error:
        print(f"anigmaa-infra: configuration error: {error}", file=sys.stderr)
        return 1
    # Every synth builds the data stack's database-role provider with Go; the Lambda path builds the
    # backend too, unless lambda_zip names a prebuilt one. The ECS image is built from its Dockerfile at deploy.
    if shutil.which("go") is None:
        needs = ["lambda_src/cmd/dbrole (the data stack's database-role provider)"]
        if "lambda" in config.compute_paths and config.function.code_zip is None:
            needs.append("lambda_src/ (or set lambda_zip to a prebuilt lambda-function.zip)")
        accepted = " and ".join(needs)
        print(f"anigmaa-infra: go: not found on PATH; accepted: install Go to build {accepted}", file=sys.stderr)
        return 1
    try:
        build_stacks(app, config)  # checks what only the stacks can: adopt_import's stack names and logical ids
    except ConfigError as error:
        print(f"anigmaa-infra: configuration error: {error}", file=sys.stderr)
        return 1
    register_checks(app)
    try:
        app.synth()
    except RuntimeError as error:  # jsii's form of the CDK's ValidationFailed, when the app reports it
        if "ValidationFailed" not in str(error):
            raise
        stopped = True
    else:
        stopped = False
    # Under the CDK CLI the app does not throw: the CLI would print the whole report. Say it in one line each.
    lines = failures(Path(app.outdir))
    if stopped or lines:
        for line in lines or ["a check failed"]:
            print(f"anigmaa-infra: synth stopped: {line}", file=sys.stderr)
        print(f"anigmaa-infra: the full report: {Path(app.outdir) / 'validation-report.json'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
