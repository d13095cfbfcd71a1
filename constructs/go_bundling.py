"""Build a Go program into a Lambda `bootstrap` with the local Go toolchain (no Docker)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

GO_BUILD_FLAGS = ("-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=")


@jsii.implements(ILocalBundling)
class GoLocalBundling:
    """Runs ``go build`` for linux/GOARCH into the asset's output folder.

    The flags make the build reproducible for a given source and toolchain, so the
    asset hash (taken from the output) changes only when the binary does.
    """

    def __init__(self, source_dir: Path, goarch: str) -> None:
        self.source_dir = source_dir
        self.goarch = goarch

    def try_bundle(self, output_dir: str, options: Any = None, **_: Any) -> bool:
        build_bootstrap(self.source_dir, self.goarch, Path(output_dir) / "bootstrap")
        return True


def build_bootstrap(source_dir: Path, goarch: str, output: Path) -> None:
    """``go build`` the module in ``source_dir`` into a static linux/``goarch`` binary at ``output``."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go: not found on PATH; install Go or set lambda_zip to a prebuilt zip")
    # The toolchain needs the caller's environment (HOME, GOPATH, caches); the target and the
    # flags that change the binary are fixed here, so every machine builds the same bytes.
    env = {**os.environ, "GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "0", "GOAMD64": "v1", "GOFLAGS": ""}
    subprocess.run([go, "build", *GO_BUILD_FLAGS, "-o", str(output), "."], cwd=source_dir, env=env, check=True)


def go_bootstrap_code(source_dir: Path, goarch: str) -> lambda_.Code:
    """Lambda code built from the Go module in ``source_dir`` for ``goarch`` (amd64 or arm64)."""
    return lambda_.Code.from_asset(
        str(source_dir),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never used: local bundling always succeeds or raises. CDK requires an image.
            image=DockerImage.from_registry("local-go-toolchain"),
            local=GoLocalBundling(source_dir, goarch),
            environment={"GOARCH": goarch},
        ),
    )
