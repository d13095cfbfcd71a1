"""Small command-line tools: the reproducible Lambda zip and the README's configuration table."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from tests.conftest import CDK_CONTEXT, ROOT
from tools.build.go import go_build_flags
from tools.build.lambda_zip import write_zip
from tools.docs.config_table import render


def test_lambda_zip_holds_one_executable_bootstrap_and_is_reproducible(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_bytes(b"\x7fELF fake binary")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_zip(bootstrap, first)
    write_zip(bootstrap, second)

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        [info] = archive.infolist()
        assert info.filename == "bootstrap"
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert archive.read("bootstrap") == b"\x7fELF fake binary"


def test_readme_configuration_table_matches_the_code_and_cdk_json() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- config-table:start -->\n", "\n<!-- config-table:end -->"
    table = readme[readme.index(start) + len(start) : readme.index(end)]
    assert table == render(CDK_CONTEXT), "regenerate it: python -m tools.docs.config_table"


def test_the_dockerfile_builds_with_the_same_flags_as_the_cdk_bundling() -> None:
    dockerfile = (ROOT / "lambda_src" / "Dockerfile").read_text(encoding="utf-8")
    [build] = [line for line in dockerfile.splitlines() if "go build" in line]
    for flag in go_build_flags():
        assert flag.replace("-ldflags=", '-ldflags="') in build or flag in build, flag
    assert "CGO_ENABLED=0" in dockerfile
    assert 'ENTRYPOINT ["/bootstrap"]' in dockerfile
