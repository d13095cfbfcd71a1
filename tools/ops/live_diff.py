"""The review workflow's live diff: each stack of an assembly against what is deployed.

Usage: python -m tools.ops.live_diff --app cdk.out

A deployed stack is diffed with `cdk diff --method=change-set` (CloudFormation's own view,
replacements included, through a `cdk-diff-change-set-*` change set the CLI deletes). A stack not
deployed yet is diffed from its template (`--method=template`): for it the CLI's change set would
create an empty stack that the CLI then deletes, which the review role may not do (it never
deletes a stack). Each stack is looked up in its own region, the one its artifact's `environment`
names in the assembly (`--region`, AWS_REGION, only for a stack that names none), as the CLI diffs it.
Exit status: the CLI's, the worse of the two.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tools import ROOT
from tools.gates.assembly import AssemblyError
from tools.ops.aws import AwsError, RegionalClients, one_line_errors
from tools.ops.change_sets import CDK, stacks_in_order

Run = Callable[[Sequence[str]], int]


def deployed(cloudformation: Any, stack_name: str) -> bool:
    """Whether the stack exists with resources (one left in REVIEW_IN_PROGRESS has none)."""
    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return str(stack["StackStatus"]) not in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE")


def live_diff(clients: RegionalClients, assembly: Path, run: Run, log: Callable[[str], None]) -> int:
    stacks = stacks_in_order(assembly, clients.default_region)
    existing = [s.display_name for s in stacks if deployed(clients(s.region), s.stack_name)]
    new = [s.display_name for s in stacks if s.display_name not in existing]
    status = 0
    base = [str(CDK), "diff", "--app", str(assembly), "--no-color"]
    if existing:
        status = max(status, run([*base, "--method=change-set", *existing]))
    if new:
        log(f"not deployed yet, diffed from their templates (--method=template): {', '.join(new)}")
        status = max(status, run([*base, "--method=template", *new]))
    return status


def _run(command: Sequence[str]) -> int:
    return subprocess.run(list(command), cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None, run: Run = _run) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.live_diff", description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "cdk.out", help="the cloud assembly (cdk.out)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION", "ap-southeast-1"),
        help="for a stack that names no region (the others: their own)",
    )
    args = parser.parse_args(argv)
    try:
        with one_line_errors():
            clients = RegionalClients("cloudformation", args.region)
            return live_diff(clients, args.app, run, lambda line: print(line, flush=True))
    except (AwsError, AssemblyError) as error:
        print(f"live diff: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
