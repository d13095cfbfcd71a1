"""Create and check the backend's SSM SecureStrings without ever putting a value on a command line.

Usage:
  python -m tools.ops.ssm_secrets check --env prod           which of the four exist; exit 1 if any is missing
  python -m tools.ops.ssm_secrets put --env prod NAME        read the value from a hidden prompt (or stdin) and
                                                     store it as a SecureString; --overwrite to replace

NAME is one of DB_PASSWORD, JWT_SECRET, REDIS_PASSWORD, MIDTRANS_SERVER_KEY. The value is
checked against what its consumer accepts before anything is written. Errors are one line.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO

from config import SECRET_NAMES
from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors


def _db_password(value: str) -> str | None:
    if not 8 <= len(value) <= 128:
        return "must be 8 to 128 characters (RDS)"
    if any(c in value for c in '/"@ ') or not value.isascii() or not value.isprintable():
        return 'must be printable ASCII without / " @ or spaces (RDS)'
    return None


def _redis_password(value: str) -> str | None:
    if not 16 <= len(value) <= 128:
        return "must be 16 to 128 characters (ElastiCache AUTH token)"
    if not re.fullmatch(r"[A-Za-z0-9!&#$^<>-]+", value):
        return "may hold only letters, digits and ! & # $ ^ < > - (ElastiCache AUTH token)"
    return None


def _jwt_secret(value: str) -> str | None:
    return "must be at least 32 characters (HMAC signing key)" if len(value) < 32 else None


def _midtrans_server_key(value: str) -> str | None:
    return "must be non-empty and without spaces" if not value or re.search(r"\s", value) else None


# Secrets that CloudFormation hands to a service at deploy time: changing them in SSM alone
# leaves the service on the old value.
NEEDS_DEPLOY = {
    "DB_PASSWORD": "RDS keeps the old master password until it is changed there too: run make deploy "
    "(CloudFormation re-reads the parameter when the template changes) or change it in the RDS console, "
    "then restart the compute (new Lambda environments, make deploy for ECS tasks)",
    "REDIS_PASSWORD": "ElastiCache keeps the old AUTH token until it is rotated there (AuthTokenUpdateStrategy "
    "ROTATE, then SET), then restart the compute",
}

VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "DB_PASSWORD": _db_password,
    "REDIS_PASSWORD": _redis_password,
    "JWT_SECRET": _jwt_secret,
    "MIDTRANS_SERVER_KEY": _midtrans_server_key,
}


def check(ssm: Any, names: dict[str, str], out: TextIO) -> int:
    """Print which parameters exist (never their values); 1 when any is missing."""
    answer = ssm.get_parameters(Names=list(names.values()), WithDecryption=False)
    present = {p["Name"]: p for p in answer.get("Parameters", [])}
    missing = 0
    for name in names.values():
        parameter = present.get(name)
        if parameter is None:
            missing += 1
            out.write(f"MISSING  {name}\n")
        else:
            kind = parameter["Type"]
            note = "" if kind == "SecureString" else f"  (type {kind}: must be SecureString)"
            missing += 1 if note else 0
            out.write(f"ok       {name}  version {parameter['Version']}{note}\n")
    out.write(f"{len(names) - missing} of {len(names)} present\n")
    return 1 if missing else 0


def read_value(stdin: TextIO, prompt: Callable[[str], str]) -> str:
    """The value from a hidden prompt on a terminal, else the first line of stdin."""
    if stdin.isatty():
        try:
            first, second = prompt("value (hidden): "), prompt("again: ")
        except (KeyboardInterrupt, EOFError):
            raise AwsError("cancelled; nothing was written") from None
        if first != second:
            raise AwsError("the two entries differ; nothing was written")
        return first
    return stdin.readline().rstrip("\r\n")


def put(ssm: Any, secret: str, name: str, value: str, *, overwrite: bool) -> str:
    """Validate and write ``value`` as a SecureString; returns a line to print."""
    problem = VALIDATORS[secret](value)
    if problem is not None:
        raise AwsError(f"{secret}: the value {problem}; nothing was written")
    try:
        answer = ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=overwrite)
    except ssm.exceptions.ParameterAlreadyExists:
        raise AwsError(f"{name} already exists; add --overwrite to replace it") from None
    written = f"wrote {name} (SecureString, version {answer['Version']})"
    if overwrite and secret in NEEDS_DEPLOY:
        written += f"\nnote: {NEEDS_DEPLOY[secret]}"
    return written


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.ssm_secrets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="list which SecureStrings exist")
    put_parser = commands.add_parser("put", help="write one SecureString from a hidden prompt or stdin")
    for sub in (check_parser, put_parser):
        sub.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    put_parser.add_argument("name", choices=SECRET_NAMES)
    put_parser.add_argument("--overwrite", action="store_true", help="replace an existing value")
    args, extra = parser.parse_known_args(argv)
    if extra:
        print(
            "secrets: a value on the command line would land in shell history and process lists; "
            "it is read from a hidden prompt or from stdin instead",
            file=sys.stderr,
        )
        return 2
    try:
        environment = load_environment(args.env, ROOT)
        names = environment.secret_parameter_names
        with one_line_errors():
            ssm = client("ssm", environment.region)
            if args.command == "check":
                return check(ssm, names, out)
            value = read_value(stdin, getpass.getpass)
            out.write(put(ssm, args.name, names[args.name], value, overwrite=args.overwrite) + "\n")
            return 0
    except AwsError as error:
        print(f"secrets: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
