"""The delivery path, rehearsed under IAM: each workflow job's AWS steps, read from the workflow file
as it is, run under the credentials its OIDC token gets for the CI stack's role, with IAM enforced
by the emulator (tools/rehearsal/iam.py), so an AccessDenied fails the rehearsal.

What a job does before its credentials (set-up, `make synth`) is the rehearsal's own synth of the
same configuration: ASSEMBLY, the workflows' one variable for the cloud assembly, points at it.
`uses:` steps after the credentials (artifacts) are GitHub's, and the smoke test invokes the
function, which the emulator cannot run: those are listed, not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from tools import ROOT
from tools.rehearsal import iam
from tools.rehearsal.server import ACCOUNT

WORKFLOWS = ROOT / ".github" / "workflows"
REPOSITORY = "anigmaa/anigmaa-infra"
CI_STACK = "anigmaa-ci"
ISSUER = "token.actions.githubusercontent.com"
CREDENTIALS = "aws-actions/configure-aws-credentials"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
# Steps after the credentials that the emulator cannot run: the function and the API do not run here.
NOT_HERE = {"tools.ops.smoke": "the smoke test invokes the function and calls the API, which the emulator cannot run"}


class PipelineError(Exception):
    """A job's step failed, or did not fail where it must; the message names the job and the step."""


@dataclass(frozen=True)
class Step:
    name: str
    run: str
    env: dict[str, str]
    step_id: str | None
    condition: str | None  # its `if:`, of the form steps.ID.outputs.KEY == or != 'VALUE'


@dataclass(frozen=True)
class Job:
    """One job of a workflow file: the role variable its credentials step names, its subject claim,
    its environment variables (the workflow's and its own) and its `run:` steps after the credentials."""

    workflow: str
    name: str
    role_variable: str
    claim: str
    env: dict[str, str]
    steps: tuple[Step, ...]
    skipped: tuple[str, ...]
    outputs: dict[str, str]


def read_job(workflow: str, name: str) -> Job:
    document = yaml.safe_load((WORKFLOWS / workflow).read_text(encoding="utf-8"))
    job = document["jobs"][name]
    steps = job["steps"]
    [at] = [i for i, step in enumerate(steps) if CREDENTIALS in str(step.get("uses", ""))]
    role = str(steps[at]["with"]["role-to-assume"])
    environment = job.get("environment")
    claim = f"environment:{environment}" if environment else "pull_request"
    runs, skipped = [], []
    for index, step in enumerate(steps[at + 1 :], start=at + 1):
        label = str(step.get("name") or step.get("run") or step.get("uses"))
        if "run" not in step:
            skipped.append(f"{label.split('@')[0]} (GitHub's)")
            continue
        reason = next((why for marker, why in NOT_HERE.items() if marker in step["run"]), None)
        if reason:
            skipped.append(f"{label}: {reason}")
            continue
        runs.append(
            Step(label, step["run"], dict(step.get("env", {})), step.get("id") or f"step{index}", step.get("if"))
        )
    return Job(
        workflow=workflow,
        name=name,
        role_variable=EXPRESSION.sub(lambda m: m.group(1), role),
        claim=claim,
        env={**document.get("env", {}), **job.get("env", {})},
        steps=tuple(runs),
        skipped=tuple(skipped),
        outputs=dict(job.get("outputs", {})),
    )


def substitute(value: Any, context: Mapping[str, str], where: str) -> str:
    """``value`` with each `${{ … }}` replaced from ``context``; an unknown expression is an error."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression not in context:
            raise PipelineError(f"{where}: the rehearsal does not know the expression ${{{{ {expression} }}}}")
        return context[expression]

    return EXPRESSION.sub(one, str(value))


CONDITION = re.compile(r"^(\S+)\s*(==|!=)\s*'([^']*)'$")


def _holds(condition: str, known: Mapping[str, str], where: str) -> bool:
    """A step's `if:` of the one form the workflows use after their credentials: an output against a literal."""
    match = CONDITION.match(condition.strip())
    if match is None or match.group(1) not in known:
        raise PipelineError(f"{where}: the rehearsal cannot evaluate if: {condition}")
    equal = known[match.group(1)] == match.group(3)
    return equal if match.group(2) == "==" else not equal


def claims(claim: str) -> dict[str, str]:
    """The claims of GitHub's OIDC token for a job of this repository with that subject."""
    return {"iss": f"https://{ISSUER}", "aud": "sts.amazonaws.com", "sub": f"repo:{REPOSITORY}:{claim}"}


def role_credentials(url: str, role_arn: str, claim: str) -> dict[str, str]:
    """What configure-aws-credentials gets: AssumeRoleWithWebIdentity with the job's token."""
    return iam.assume_with_web_identity(url, role_arn, claims(claim), session_name="GitHubActions")


# Copied into a job's folder rather than linked: a tool finds the project (tools.ROOT) from where its
# own files are, so with these copied it reads the folder's cdk.json, which a job may be given.
_COPIED = ("tools", "config")


def checkout_copy(parent: Path, cdk_json: str | None) -> Path:
    """A folder that looks like the checkout (links to its entries) so a step's files land outside it;
    with ``cdk_json``, the checkout as a commit that changed cdk.json would leave it."""
    folder = Path(tempfile.mkdtemp(prefix="job-", dir=parent))
    for entry in ROOT.iterdir():
        if entry.name in _COPIED:
            shutil.copytree(entry, folder / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif entry.name == "cdk.json" and cdk_json is not None:
            (folder / entry.name).write_text(cdk_json, encoding="utf-8")
        elif entry.name not in ("cdk.out", ".git"):
            (folder / entry.name).symlink_to(entry)
    return folder


@dataclass
class JobRun:
    """Runs a job's steps; ``log`` and ``timings`` are the rehearsal's."""

    url: str
    base_env: Mapping[str, str]
    workdir: Path
    log: Any
    timings: list[tuple[str, float]]
    folder: Path | None = None
    """The last job's folder: what its steps wrote."""
    cdk_json: str | None = None
    """The cdk.json the jobs see, when not the checkout's (a setting the team commits first)."""

    def run(
        self,
        job: Job,
        role_arn: str,
        assembly: Path,
        context: Mapping[str, str],
        *,
        fails_with: str = "",
    ) -> dict[str, str]:
        """The job's steps after its credentials, in order; returns the job's outputs. With
        ``fails_with`` the job must stop at a step whose output holds that text."""
        credentials = role_credentials(self.url, role_arn, job.claim)
        folder = self.folder = checkout_copy(self.workdir, self.cdk_json)
        step_outputs: dict[str, dict[str, str]] = {}
        label = f"{job.workflow} {job.name} as {role_arn.rsplit('/', 1)[-1]}"
        for step in job.steps:
            known = {**context, **_outputs(step_outputs)}
            if step.condition and not _holds(step.condition, known, f"{label}: {step.name}"):
                self.log(f"skip  {label}: {step.name} (its if: is false)")
                continue
            variables = {k: substitute(v, known, f"{label}: {step.name}") for k, v in {**job.env, **step.env}.items()}
            output_file, summary_file = folder / "github_output", folder / "step_summary"
            output_file.write_text("")
            env = {
                **self.base_env,
                **variables,
                **credentials,
                "ASSEMBLY": str(assembly),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary_file),
                "CI": "true",
            }
            start = time.monotonic()
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.run],
                cwd=folder, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            elapsed = time.monotonic() - start
            self.timings.append((f"{label}: {step.name}", elapsed))
            output = result.stdout + result.stderr
            if result.returncode != 0:
                if fails_with and fails_with in output:
                    self.log(f"ok    {label}: {step.name} ({elapsed:.1f} s): refused as it must be: {fails_with}")
                    return {}
                written = "".join(f"\n--- {path.relative_to(folder)}:\n{_tail(path.read_text(errors='replace'))}"
                                  for path in _written(folder))  # fmt: skip
                raise PipelineError(f"{label}: {step.name}: exit {result.returncode}:\n{_tail(output)}{written}")
            self.log(f"ok    {label}: {step.name} ({elapsed:.1f} s)")
            for line in output.splitlines():
                if line.startswith("change sets: "):  # what the plan and the execution say, stack by stack
                    self.log(f"      {line.removeprefix('change sets: ')}")
            if step.step_id:
                step_outputs[step.step_id] = dict(
                    line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
                )
        if fails_with:
            raise PipelineError(f"{label}: succeeded, but must fail with {fails_with!r}")
        for skipped in job.skipped:
            self.log(f"skip  {label}: {skipped}")
        return {
            name: substitute(value, _outputs(step_outputs), f"{label} outputs") for name, value in job.outputs.items()
        }


def _outputs(step_outputs: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The steps' outputs as their expressions name them (`steps.ID.outputs.KEY`)."""
    return {f"steps.{step}.outputs.{key}": value for step, out in step_outputs.items() for key, value in out.items()}


def _written(folder: Path) -> list[Path]:
    """The files a step wrote into its folder (its output, when it redirects it)."""
    found = []
    for directory, names, files in os.walk(folder):  # does not follow the links to the checkout
        found += [Path(directory) / name for name in files if not (Path(directory) / name).is_symlink()]
        copied = _COPIED if Path(directory) == folder else ()
        names[:] = [n for n in names if not (Path(directory) / n).is_symlink() and n not in copied]
    return sorted(p for p in found if p.name not in ("github_output", "step_summary"))


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def expect_denied(step: str, call: Any, message: str, log: Any) -> None:
    """``call`` must be refused by IAM with ``message`` in AWS's words."""
    try:
        call()
    except Exception as error:  # botocore's ClientError, as a caller sees it
        text = str(error)
        if "AccessDenied" not in text or message not in text:
            raise PipelineError(f"{step}: failed, but not with AccessDenied and {message!r}: {text}") from None
        log(f"ok    {step}: refused as it must be: {text.split(': ', 1)[-1]}")
        return
    raise PipelineError(f"{step}: succeeded, but IAM must refuse it ({message})")


def ci_role_arns(names: Sequence[str]) -> dict[str, str]:
    return {name: f"arn:aws:iam::{ACCOUNT}:role/anigmaa-ci-{name}" for name in names}


def plan_of(assembly: Path) -> dict[str, Any]:
    return dict(json.loads((assembly / "plan.json").read_text(encoding="utf-8")))


def environment_without_credentials(environment: Mapping[str, str]) -> dict[str, str]:
    """The emulator's environment less the administrator's key: a job gets only its role's."""
    return {k: v for k, v in environment.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
