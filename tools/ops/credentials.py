"""Check that AWS credentials work, for the environment's account, before `cdk diff` or `cdk deploy`.

Usage: python -m tools.ops.credentials [--env prod|dev]

Without it the CDK prints "Unable to resolve AWS account" twice and never says "credentials".
This says so in one line, and names the account when the credentials are for another one
than cdk.json's `account`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.credentials", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    args = parser.parse_args(argv)
    try:
        environment = load_environment(args.env, ROOT)
        with one_line_errors():
            identity = client("sts", environment.region).get_caller_identity()
        if environment.account is not None and identity["Account"] != environment.account:
            raise AwsError(
                f"the credentials are for account {identity['Account']}, but env={args.env} deploys to "
                f"{environment.account} (cdk.json account): switch AWS_PROFILE, or correct account"
            )
    except AwsError as error:
        print(f"credentials: {error}", file=sys.stderr)
        return 1
    out.write(f"credentials: {identity['Arn']} (account {identity['Account']}, {environment.region})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
