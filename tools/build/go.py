"""Build the Go program in lambda_src/ into a Lambda `bootstrap`, with the local Go toolchain.

The CDK asset (`constructs/go_bundling.py`) and the prebuilt zip (`tools.build.lambda_zip`)
both build through `build_bootstrap`: the backend (package `.`), or another command of the
same module (`./cmd/dbrole`, the data stack's database-role provider). A build is kept in `.cache/bootstrap/`, outside
`cdk.out` (which `make synth` removes), under a key made of everything that changes the
binary: the Go sources and the files they embed, go.mod and go.sum, the toolchain's version,
GOARCH, the flags and the package.
With unchanged inputs the cached binary is copied instead of running `go build`; it is
the same bytes the build would give (the build is reproducible), so the asset hash, taken
from the binary, does not move.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tools import ROOT

GO_TAGS = ("lambda.norpc",)
GO_BUILD_FLAGS = ("-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=")
CACHE_DIR = ROOT / ".cache" / "bootstrap"
# Builds kept in the cache; older ones are removed after a new one is stored.
CACHE_KEEP = 8


class GoBuildError(RuntimeError):
    """The Go toolchain is missing or the build failed; the message is one line."""


def _go(package: str = ".") -> str:
    go = shutil.which("go")
    if go is None:
        if package != ".":
            raise GoBuildError(f"go: not found on PATH; install Go: {package.removeprefix('./')} is built at synth")
        raise GoBuildError("go: not found on PATH; install Go or set lambda_zip to a prebuilt zip")
    return go


def _environment(goarch: str) -> dict[str, str]:
    # The toolchain needs the caller's environment (HOME, GOPATH, caches); the target and the
    # settings that change the binary are fixed here, so every machine builds the same bytes.
    return {**os.environ, "GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "0", "GOAMD64": "v1", "GOFLAGS": ""}


# Files a Go source embeds (`//go:embed`): the RDS CA bundle, the role provider's SQL.
EMBEDDED = ("*.pem", "*.sql")


def _sources(source_dir: Path) -> list[Path]:
    """What `go build` reads: the module files, every non-test Go file and what they embed, in a stable order."""
    files = [source_dir / "go.mod", source_dir / "go.sum"]
    # A folder with a go.mod of its own is another module (lambda_src/bench/): never in this one's build.
    nested = [p.parent for p in source_dir.rglob("go.mod") if p.parent != source_dir]

    def ours(path: Path) -> bool:
        return not any(path.is_relative_to(module) for module in nested)

    # Files behind a build tag (the parity routes) count too: the key says which tags were set.
    found = {p for p in source_dir.rglob("*.go") if not p.name.endswith("_test.go")}
    found |= {p for pattern in EMBEDDED for p in source_dir.rglob(pattern)}
    files += sorted(p for p in found if ours(p))
    return [p for p in files if p.is_file()]


def go_build_flags(tags: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The flags of `go build`, with the build tags (lambda.norpc, and ``tags``)."""
    return ("-tags", ",".join((*GO_TAGS, *tags)), *GO_BUILD_FLAGS)


def build_key(source_dir: Path, goarch: str, tags: tuple[str, ...] = (), package: str = ".") -> str:
    """A hash of every input that changes the binary of ``package``."""
    go = _go(package)
    # The version of the toolchain that would build (go.mod's toolchain line may select another).
    version = subprocess.run(
        [go, "env", "GOVERSION"], cwd=source_dir, env=_environment(goarch), capture_output=True, text=True, check=True
    ).stdout.strip()
    digest = hashlib.sha256()
    # Another command of the module is another binary from the same sources.
    packages = () if package == "." else (package,)
    for part in (version, goarch, "linux", "CGO_ENABLED=0", "GOAMD64=v1", *go_build_flags(tags), *packages):
        digest.update(part.encode() + b"\0")
    for path in _sources(source_dir):
        digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _compile(source_dir: Path, goarch: str, output: Path, tags: tuple[str, ...], package: str) -> None:
    result = subprocess.run(
        [_go(package), "build", *go_build_flags(tags), "-o", str(output), package],
        cwd=source_dir,
        env=_environment(goarch),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = next((line for line in result.stderr.splitlines() if line.strip()), "no output")
        where = source_dir.name if package == "." else f"{source_dir.name}/{package.removeprefix('./')}"
        raise GoBuildError(f"go build of {where}/ for linux/{goarch} failed: {detail}")


def _prune(cache_dir: Path) -> None:
    builds = sorted(cache_dir.glob("*/bootstrap"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in builds[CACHE_KEEP:]:
        shutil.rmtree(stale.parent, ignore_errors=True)


def build_bootstrap(
    source_dir: Path,
    goarch: str,
    output: Path,
    *,
    cache_dir: Path | None = CACHE_DIR,
    tags: tuple[str, ...] = (),
    package: str = ".",
) -> bool:
    """Put a static linux/``goarch`` build of ``package`` (the backend, ``.``, by default) of the module in
    ``source_dir`` at ``output``; ``tags`` add Go build tags (the tests' `parity` routes), never for a
    deployed binary.

    Returns True when it came from the cache. ``cache_dir=None`` always builds.
    """
    if cache_dir is None:
        _compile(source_dir, goarch, output, tags, package)
        return False
    cached = cache_dir / build_key(source_dir, goarch, tags, package) / "bootstrap"
    hit = cached.is_file()
    if not hit:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Built beside the cache and moved in whole, so an interrupted build leaves no entry.
        with tempfile.TemporaryDirectory(dir=cache_dir) as work:
            built = Path(work) / "bootstrap"
            _compile(source_dir, goarch, built, tags, package)
            cached.parent.mkdir(exist_ok=True)
            os.replace(built, cached)
        _prune(cache_dir)
    shutil.copy2(cached, output)
    cached.touch()  # most recently used: kept by _prune
    return hit
