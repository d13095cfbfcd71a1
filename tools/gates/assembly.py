"""The cloud assembly (a cdk.out folder): synthesize one with the pinned CDK CLI, as `cdk synth`
would, and read its stacks and templates. Every tool that reads an assembly reads it here:
the synth summary, the scanners, the guard and the cost report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import ROOT

# The ECS path of an environment without a domain synthesizes only with plain HTTP acknowledged;
# the permanent stacks it is compared or priced by are the same either way.
ECS_PLAIN_HTTP = ("ecs_allow_plain_http=true",)


class SynthError(RuntimeError):
    """The synth failed; the message ends with the CLI's last output."""


def synthesize(outdir: Path, *, env: str, compute: str, context: Sequence[str] = (), root: Path = ROOT) -> Path:
    """Synthesize ``env`` in ``compute`` mode (plus ``-c`` ``context`` items) into ``outdir``; ``root`` is the
    checkout whose app and cdk.json are synthesized (another worktree, for a review).

    The ECS path is synthesized with plain HTTP acknowledged (ECS_PLAIN_HTTP): these synths are
    compared, scanned or priced, never deployed."""
    shutil.rmtree(outdir, ignore_errors=True)
    path = f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"
    cli = ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise SynthError(f"{cli} is missing; run make setup (or make synth) first")
    command = [str(cli), "synth", "--quiet", "-o", str(outdir)]
    for item in context_items(env, compute, context):
        command += ["-c", item]
    result = subprocess.run(
        command, cwd=root, env={**os.environ, "PATH": path}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        ours = [line for line in lines if line.startswith("anigmaa-infra:")]
        detail = (ours or lines or ["no output"])[-1]
        raise SynthError(f"synth of env={env} compute={compute} failed: {detail}")
    return outdir


def context_items(env: str, compute: str, context: Sequence[str] = ()) -> list[str]:
    """The ``-c`` items of a synth of ``env`` in ``compute`` mode (see ``synthesize``)."""
    return [f"env={env}", f"compute={compute}", *context, *(ECS_PLAIN_HTTP if compute == "ecs" else ())]


class AssemblyError(RuntimeError):
    """The folder is not a readable cloud assembly; the message is one line."""


Template = dict[str, Any]


@dataclass(frozen=True)
class StackArtifact:
    """One stack of an assembly, as its manifest describes it."""

    construct_id: str
    stack_name: str
    region: str
    template_file: Path
    template: Template

    @property
    def resources(self) -> int:
        return len(self.template.get("Resources", {}))

    @property
    def outputs(self) -> tuple[str, ...]:
        """The stack's own outputs, without the exports the CDK adds for other stacks."""
        return tuple(name for name in self.template.get("Outputs", {}) if not name.startswith("ExportsOutput"))


def load_json(path: Path) -> Any:
    """A JSON file of the assembly, or one line saying why it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(
            f"{path}: missing from the assembly; accepted: a complete cdk.out (synthesize again)"
        ) from None
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None


def region_of(artifact: dict[str, Any]) -> str:
    """The region a stack artifact deploys to, from its ``environment`` (aws://ACCOUNT/REGION), or "" when it
    names none (an environment-agnostic stack: the CLI deploys it to AWS_REGION)."""
    environment = str(artifact.get("environment", ""))
    region = environment.removeprefix("aws://").partition("/")[2]
    return "" if region in ("", "unknown-region") else region


def read_stacks(assembly: Path) -> list[StackArtifact]:
    """The stacks of ``assembly``, in manifest order."""
    manifest_path = assembly / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{assembly}: no manifest.json; accepted: a cloud assembly (run make synth first)")
    stacks = []
    for construct_id, artifact in load_json(manifest_path).get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        template_file = assembly / properties["templateFile"]
        stacks.append(
            StackArtifact(
                construct_id=construct_id,
                stack_name=properties.get("stackName", construct_id),
                region=region_of(artifact),
                template_file=template_file,
                template=load_json(template_file),
            )
        )
    return stacks


def templates(folder: Path) -> dict[str, Template]:
    """Every template in ``folder`` (an assembly, or the baseline), by file name."""
    return {path.name: load_json(path) for path in template_files([folder])}


def template_files(folders: Sequence[Path]) -> list[Path]:
    """The template files of ``folders``, in a stable order."""
    return sorted(path for folder in folders for path in folder.glob("*.template.json"))
