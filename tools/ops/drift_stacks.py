"""The stacks nightly drift detection compares: every top-level stack of an assembly but the cdn stack.

Usage: python -m tools.ops.drift_stacks cdk.out      (one CDK id per line, for `cdk drift`)

The drift role is denied reading a CloudFront distribution (its origin header holds the origin
secret: constructs/ci_roles.py DATA_READS), so CloudFormation cannot compare the cdn stack's with
its template; the review's change-set diff still shows what a change does to it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The cdn stack's CDK id (stacks/app_stacks.py build_cdn_stack).
NOT_COMPARED = ("Cdn",)


def drift_stacks(assembly: Path) -> list[str]:
    """The CDK ids of ``assembly``'s top-level stacks, in manifest order, less `NOT_COMPARED`."""
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    return [
        artifact["displayName"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack" and artifact["displayName"] not in NOT_COMPARED
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not (Path(args[0]) / "manifest.json").is_file():
        print(
            "drift_stacks: give the cloud assembly's folder (e.g. cdk.out), which holds manifest.json", file=sys.stderr
        )
        return 2
    print("\n".join(drift_stacks(Path(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
