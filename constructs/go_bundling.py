"""Lambda code built from the Go program with the local Go toolchain (no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from tools.build.go import build_bootstrap


@jsii.implements(ILocalBundling)
class GoLocalBundling:
    """Puts a linux/GOARCH ``bootstrap`` into the asset's output folder (`tools.build.go`).

    The build is reproducible for a given source and toolchain, so the asset hash (taken
    from the output) changes only when the binary does.
    """

    def __init__(self, source_dir: Path, goarch: str, package: str = ".") -> None:
        self.source_dir = source_dir
        self.goarch = goarch
        self.package = package

    def try_bundle(self, output_dir: str, options: Any = None, **_: Any) -> bool:
        build_bootstrap(self.source_dir, self.goarch, Path(output_dir) / "bootstrap", package=self.package)
        return True


def go_bootstrap_code(source_dir: Path, goarch: str, package: str = ".") -> lambda_.Code:
    """Lambda code built from ``package`` (the backend, ``.``, by default) of the Go module in
    ``source_dir`` for ``goarch`` (amd64 or arm64)."""
    # The CDK reuses one bundling of a source folder for every asset with the same options: the
    # package in the environment keeps a second command of the module from getting the first's.
    environment = {"GOARCH": goarch} if package == "." else {"GOARCH": goarch, "GO_PACKAGE": package}
    return lambda_.Code.from_asset(
        str(source_dir),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never used: local bundling always succeeds or raises. CDK requires an image.
            image=DockerImage.from_registry("local-go-toolchain"),
            local=GoLocalBundling(source_dir, goarch, package),
            environment=environment,
        ),
    )


def backend_code(source_dir: Path, goarch: str, prebuilt_zip: Path | None) -> lambda_.Code:
    """The function's code: a prebuilt zip as it is, or a build of ``source_dir``."""
    if prebuilt_zip is not None:
        return lambda_.Code.from_asset(str(prebuilt_zip))
    return go_bootstrap_code(source_dir, goarch)
