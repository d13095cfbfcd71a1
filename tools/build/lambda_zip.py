"""Build lambda-function.zip (a single `bootstrap`) from lambda_src/, as the CDK app does.

Usage: python -m tools.build.lambda_zip [--goarch amd64|arm64] [--out PATH]

The zip is reproducible: fixed timestamps and permissions, so the same source and Go
toolchain give the same bytes. Point `lambda_zip` at it, or hand it to anyone who
deploys the function another way.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

from tools import ROOT
from tools.build.go import build_bootstrap

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_zip(bootstrap: Path, out: Path) -> None:
    """Zip ``bootstrap`` alone, executable, with a fixed timestamp."""
    info = zipfile.ZipInfo("bootstrap", date_time=ZIP_EPOCH)
    info.external_attr = (0o100755 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(info, bootstrap.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goarch", choices=("amd64", "arm64"), default="amd64")
    parser.add_argument("--out", type=Path, default=ROOT / "lambda_src" / "lambda-function.zip")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        bootstrap = Path(work) / "bootstrap"
        try:
            build_bootstrap(ROOT / "lambda_src", args.goarch, bootstrap)
        except RuntimeError as error:
            print(f"lambda_zip: {error}", file=sys.stderr)
            return 1
        write_zip(bootstrap, args.out)
        size = bootstrap.stat().st_size
    print(f"{args.out}: bootstrap {size / 1e6:.1f} MB, zip {args.out.stat().st_size / 1e6:.1f} MB ({args.goarch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
