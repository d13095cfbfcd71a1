"""`make review`: the offline report of what a change does, per environment and compute mode."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import Synth
from tests.fake_http import JsonHandler
from tools import ROOT
from tools.gates import pr_comment, review
from tools.gates.assembly import context_items, synthesize
from tools.gates.review import ConfigReview, Configuration, compare, render
from tools.gates.warm_synth import SYNTH_CONTEXT, Synths, same_assembly
from tools.gates.warm_synth import context as warm_context

PROD = Configuration("prod", "lambda")


def test_the_same_templates_are_no_change(synth: Callable[[str], Synth]) -> None:
    prod = synth("prod").outdir
    result = compare(PROD, prod, prod)
    assert (result.verdict, result.destructive, result.acknowledgements) == ("no change", [], [])
    assert "| prod/lambda | no change | — | — |" in render([result], "abc123")


def test_a_new_binary_is_one_lambda_code_line_and_nothing_else(synth: Callable[[str], Synth]) -> None:
    """The built-from-source bootstrap against a prebuilt zip: the templates differ only in the asset's hash,
    and so in the version it publishes (which the alias, its alarms and the hook name)."""
    result = compare(PROD, synth("prod").outdir, synth("prod-prebuilt").outdir)
    assert result.verdict == "changes"
    [lambda_stack] = [s for s in result.stacks if s.changed]
    assert lambda_stack.name == "Lambda"
    assert [line.split(":")[0] for line in lambda_stack.assets] == ["Lambda code changed", "Lambda version published"]
    assert (lambda_stack.modified, lambda_stack.added, lambda_stack.removed, lambda_stack.replaced) == ([], [], [], [])


def test_a_new_vpc_cidr_is_destructive_and_names_what_forces_it(synth: Callable[[str], Synth]) -> None:
    result = compare(PROD, synth("prod").outdir, synth("prod-custom").outdir)
    assert result.verdict == "**destructive**"
    assert any("AWS::EC2::VPC" in loss and "CidrBlock" in loss for loss in result.destructive), result.destructive
    [network] = [s for s in result.stacks if s.name == "Network"]
    assert any("AWS::EC2::Subnet" in line for line in network.replaced)
    text = render([result], "abc123")
    assert "| prod/lambda | **destructive** |" in text
    assert "**Destructive in prod/lambda:**" in text


def test_an_added_iam_statement_is_called_out_as_widening(synth: Callable[[str], Synth], tmp_path: Path) -> None:
    prod = synth("prod").outdir
    widened = tmp_path / "widened"
    shutil.copytree(prod, widened)
    path = widened / "Lambda.template.json"
    template = json.loads(path.read_text())
    policy = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    policy["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    )
    path.write_text(json.dumps(template))
    result = compare(PROD, prod, widened)
    [stack] = [s for s in result.stacks if s.security]
    assert stack.broadened
    assert "dynamodb:*" in stack.security[0]
    assert "Security changes (**widening**)" in render([result], "abc123")


def test_a_report_over_the_comment_limit_keeps_every_verdict(synth: Callable[[str], Synth]) -> None:
    result = compare(PROD, synth("prod").outdir, synth("prod-custom").outdir)
    many = [
        ConfigReview(Configuration(f"env{i}", "lambda"), result.stacks, result.destructive, [], [], None)
        for i in range(40)
    ]
    text = render(many, "abc123", limit=8_000, full_report=".review/report.md")
    assert len(text) <= 8_000
    assert all(f"| env{i}/lambda | **destructive** |" in text for i in range(40))
    assert text.endswith("_Details cut to fit a comment; the whole report: .review/report.md._")
    assert len(render(many, "abc123", limit=10**9)) > 8_000


def test_destructive_exits_1_unless_allowed(
    synth: Callable[[str], Synth], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = compare(PROD, synth("prod").outdir, synth("prod-custom").outdir)
    monkeypatch.setattr(review, "run", lambda base, work, reuse: [result])
    out = tmp_path / "report.md"
    assert review.main(["--base", "HEAD", "--out", str(out)]) == 1
    assert "review: destructive in prod/lambda; if intended: --allow-destructive" in capsys.readouterr().err
    assert review.main(["--base", "HEAD", "--out", str(out), "--allow-destructive"]) == 0
    assert "<!-- anigmaa-review -->" in out.read_text()


def test_a_commit_that_raises_lambda_memory_is_reviewed_from_git(tmp_path: Path) -> None:
    """End to end: a repository made from the working tree, one commit applied, `--base HEAD~1`."""
    repo = tmp_path / "repo"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    for shared in (".venv", "node_modules", ".cache"):
        (repo / shared).symlink_to(ROOT / shared)
    git = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *command], cwd=repo, env=git, check=True)
    cdk_json = repo / "cdk.json"
    cdk_json.write_text(cdk_json.read_text().replace('"lambda_memory": 512,', '"lambda_memory": 1024,', 1))
    subprocess.run(["git", "commit", "-qam", "prod: 1024 MB"], cwd=repo, env=git, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "tools.gates.review", "--base", "HEAD~1"],
        cwd=repo, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert "| prod/lambda | changes | Lambda | +0.83 USD |" in report
    assert "`MemorySize`: 512 → 1024" in report
    assert "| dev/lambda | no change | — | — |" in report
    assert "`MemorySize`: 512 → 1024" in (repo / ".review" / "report.md").read_text()
    assert (repo / ".review" / "comment.md").read_text().strip() == report.strip()
    assert "review: 8 synths, 0 reused" in result.stderr
    # Again, nothing changed: every synth is the kept one, and the report is the same.
    again = subprocess.run(
        [sys.executable, "-m", "tools.gates.review", "--base", "HEAD~1"],
        cwd=repo, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "review: 0 synths, 8 reused from .review/synths/" in again.stderr
    assert again.stdout == report


def test_a_kept_synth_is_keyed_on_every_file_a_synth_reads(tmp_path: Path) -> None:
    """The working tree's key moves with a file's content and with an untracked file, not with an ignored one;
    a commit's is its git tree."""
    git = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    (tmp_path / ".gitignore").write_text("cdk.out/\n")
    (tmp_path / "cdk.json").write_text('{"context": {}}\n')
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *command], cwd=tmp_path, env=git, check=True)
    keys = [review.tree_key(None, tmp_path)]
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "manifest.json").write_text("{}")
    keys.append(review.tree_key(None, tmp_path))
    assert keys[1] == keys[0]  # ignored
    (tmp_path / "stacks.py").write_text("# new\n")
    keys.append(review.tree_key(None, tmp_path))
    (tmp_path / "cdk.json").write_text('{"context": {"lambda_memory": 1024}}\n')
    keys.append(review.tree_key(None, tmp_path))
    assert len(set(keys[1:])) == 3
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    tree = subprocess.run(["git", "rev-parse", "HEAD^{tree}"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert review.tree_key(head, tmp_path) == f"tree-{tree.strip()}"


class _FakeGitHub(JsonHandler):
    """Issue comments of pull request 7, on loopback."""

    comments: ClassVar[list[dict[str, Any]]] = []
    calls: ClassVar[list[str]] = []

    def _body(self) -> dict[str, Any]:
        return dict(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.calls.append(f"GET {self.path}")
        if self.path == "/repos/anigmaa/infra/pulls/7":
            self.answer(200, {"number": 7, "head": {"sha": "a" * 40}})
            return
        page = int(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["page"][0])
        self.answer(200, self.comments[(page - 1) * 100 : page * 100])

    def do_POST(self) -> None:  # noqa: N802
        self.calls.append(f"POST {self.path}")
        self.comments.append(
            {"id": 1000 + len(self.comments), "user": {"login": "github-actions[bot]"}, **self._body()}
        )
        self.answer(201, self.comments[-1])

    def do_PATCH(self) -> None:  # noqa: N802
        self.calls.append(f"PATCH {self.path}")
        comment_id = int(self.path.rsplit("/", 1)[1])
        [comment] = [c for c in self.comments if c["id"] == comment_id]
        comment.update(self._body())
        self.answer(200, comment)


def test_the_review_comment_is_created_once_then_updated_in_place() -> None:
    # 150 other comments first (one of them a person's, quoting the marker), so the workflow's own
    # comment is found on the second page.
    _FakeGitHub.comments[:] = [{"id": i, "user": {"login": "someone"}, "body": f"comment {i}"} for i in range(150)]
    _FakeGitHub.comments[3]["body"] = f"quoting {pr_comment.MARKER}"
    _FakeGitHub.calls.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        pr_comment.check_head(api, "test-token", "anigmaa/infra", 7, "a" * 40)
        with pytest.raises(pr_comment.CommentError, match="pull request 7's head is not bbbbbbbbbbbb: not commenting"):
            pr_comment.check_head(api, "test-token", "anigmaa/infra", 7, "b" * 40)
        assert pr_comment.upsert(api, "test-token", "anigmaa/infra", 7, "first report") == "created"
        assert pr_comment.upsert(api, "test-token", "anigmaa/infra", 7, "second " + "x" * 70_000) == "updated"
    finally:
        server.shutdown()
    ours = [c for c in _FakeGitHub.comments if c["user"]["login"] == pr_comment.AUTHOR]
    assert len(ours) == 1
    assert ours[0]["body"].startswith(f"{pr_comment.MARKER}\nsecond xxx")
    assert len(ours[0]["body"]) <= pr_comment.LIMIT
    assert _FakeGitHub.comments[3]["body"] == f"quoting {pr_comment.MARKER}"  # a person's comment is left alone
    assert _FakeGitHub.calls[-1] == f"PATCH /repos/anigmaa/infra/issues/comments/{ours[0]['id']}"


def test_a_review_synthesizes_in_a_warm_process_what_the_cli_synthesizes_to_the_byte(tmp_path: Path) -> None:
    """tools/gates/warm_synth.py with `cdk synth`'s context: the same files as the CLI's synth."""
    cli = synthesize(tmp_path / "cli", env="prod", compute="lambda")
    with Synths(os.environ, SYNTH_CONTEXT) as synths:
        assert synths.synthesize(ROOT, context_items("prod", "lambda"), tmp_path / "warm") == []
        # A configuration the app refuses: its problem, in the app's line (the review then asks the CLI).
        problems = synths.synthesize(ROOT, ["env=prod", "compute=split"], tmp_path / "split")
    assert same_assembly(cli, tmp_path / "warm") == []
    [problem] = problems
    assert problem.startswith("anigmaa-infra: configuration error: compute: 'split' has no domain_name to split")


def test_assemblies_differ_in_any_byte_but_the_jsii_kernels_folders(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, kernel in ((a, "jsii-kernel-AbC123"), (b, "jsii-kernel-XyZ789")):
        (folder / "asset.1").mkdir(parents=True)
        (folder / "Data.metadata.json").write_text(f'["at /tmp/{kernel}/node_modules/aws-cdk-lib/x.js:1:2"]')
        (folder / "asset.1" / "bootstrap").write_bytes(b"\x7fELF same")
    assert same_assembly(a, b) == []
    (b / "asset.1" / "bootstrap").write_bytes(b"\x7fELF other")
    (b / "Data.template.json").write_text("{}")
    assert same_assembly(a, b) == ["Data.template.json", "asset.1/bootstrap"]


def test_the_warm_synth_merges_context_as_the_cli_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-c over cdk.json's context over cdk.context.json over ~/.cdk.json's, then the CLI's own keys."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".cdk.json").write_text('{"context": {"a": "user", "d": "user"}}')
    (tmp_path / "cdk.json").write_text('{"app": "x", "context": {"a": "project", "b": "project"}}')
    (tmp_path / "cdk.context.json").write_text('{"a": "lookups", "c": "lookups", "d": "lookups"}')
    merged = warm_context(tmp_path, ["b=command line"], SYNTH_CONTEXT)
    assert merged == {"a": "project", "b": "command line", "c": "lookups", "d": "lookups", **SYNTH_CONTEXT}
