"""Create, check and re-key the backend's SSM SecureStrings without ever putting a value on a command line.

Usage:
  python -m tools.ops.ssm_secrets check --env prod       which exist, their type and key (reads no value,
                                                   decrypts nothing); exit 1 if any is missing or not
                                                   under the environment's key
  python -m tools.ops.ssm_secrets put --env prod NAME    read the value from a hidden prompt (or stdin) and
                                                   store it as a SecureString under the environment's
                                                   key; --overwrite to replace
  python -m tools.ops.ssm_secrets rekey --env prod       move every existing one onto the environment's key
                                                   (same value, a new version); never prints a value

NAME is one of DB_PASSWORD, JWT_SECRET, REDIS_PASSWORD, MIDTRANS_SERVER_KEY. The value is
checked against what its consumer accepts before anything is written. The environment's key
is the customer-managed KMS key the network stack creates, named by its alias
(``alias/anigmaa-<env>-secrets``): deploy the network stack before the first ``put``. A
SecureString under the AWS-managed ``aws/ssm`` key fails ``check`` in every environment,
because that key's policy lets any principal of the account decrypt through SSM, so whoever
may call ssm:GetParameter on it (a read-only role) reads the secret; under the environment's
key only the roles granted kms:Decrypt (the function's, the ECS execution role) can.
Errors are one line.
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
    "(CloudFormation re-reads the parameter when the template changes) or change it in the RDS console; "
    "the backend does not use it (it logs in as anigmaa_app with IAM tokens), so nothing needs a restart",
    "REDIS_PASSWORD": "ElastiCache keeps the old AUTH token until it is rotated there (AuthTokenUpdateStrategy "
    "ROTATE, then SET), then restart the compute",
}

VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "DB_PASSWORD": _db_password,
    "REDIS_PASSWORD": _redis_password,
    "JWT_SECRET": _jwt_secret,
    "MIDTRANS_SERVER_KEY": _midtrans_server_key,
}


def deploy_network_first(env: str) -> str:
    """What to run when the environment's key does not exist yet."""
    return f"deploy the network stack first: npx cdk deploy --exclusively Network -c env={env}"


def environment_key(kms: Any, alias: str) -> set[str] | None:
    """Every way a parameter's KeyId may name the key behind ``alias`` (None when the alias does not exist).

    SSM reports a KeyId as it was given: the alias, its ARN, the key's id or its ARN.
    """
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return None
    key_arn = metadata["Arn"]
    return {alias, f"{key_arn.rsplit(':', 1)[0]}:{alias}", metadata["KeyId"], key_arn}


def describe(ssm: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """The metadata (name, type, KeyId, version; never a value) of those of ``names`` that exist."""
    found: dict[str, dict[str, Any]] = {}
    request: dict[str, Any] = {"ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": names}]}
    while True:
        answer = ssm.describe_parameters(**request)
        found.update({p["Name"]: p for p in answer.get("Parameters", [])})
        if not answer.get("NextToken"):
            return found
        request["NextToken"] = answer["NextToken"]


def names_alias(key_id: str, alias: str) -> bool:
    """Whether a parameter's KeyId is ``alias`` itself or its ARN (what ``put`` and ``rekey`` write)."""
    return key_id == alias or key_id.endswith(f":{alias}")


def check(ssm: Any, kms: Any, names: dict[str, str], *, env: str, alias: str, out: TextIO) -> int:
    """Print each parameter's presence, type and key, never its value; 1 when any is missing, not a
    SecureString, or (once the environment's key exists) not under that key.

    It calls ssm:DescribeParameters only, and kms:DescribeKey on the alias when a parameter's KeyId
    is not the alias: to tell a key that does not exist yet from a parameter to re-key.
    """
    present = describe(ssm, list(names.values()))
    others = [p for p in present.values() if p["Type"] == "SecureString" and not names_alias(p.get("KeyId", ""), alias)]
    key = environment_key(kms, alias) if others else {alias}
    rekey = f".venv/bin/python -m tools.ops.ssm_secrets rekey --env {env}"
    missing = failed = 0
    for name in names.values():
        parameter = present.get(name)
        if parameter is None:
            missing += 1
            out.write(f"MISSING  {name}\n")
            continue
        kind, key_id = parameter["Type"], parameter.get("KeyId", "")
        line = f"{name}  version {parameter['Version']}"
        if kind != "SecureString":
            failed += 1
            out.write(f"WRONG    {line}  (type {kind}: must be SecureString; put --overwrite)\n")
        elif key is not None and not names_alias(key_id, alias) and key_id not in key:
            failed += 1
            out.write(f"REKEY    {line}  (under {key_id}, which any role that may read it can decrypt: {rekey})\n")
        else:
            out.write(f"ok       {line}  (SecureString under {key_id})\n")
    out.write(f"{len(names) - missing} of {len(names)} present\n")
    if key is None:
        out.write(
            f"note: {alias} does not exist yet, so no key is checked: deploy every stack (make deploy env={env}: "
            f"the key, and the compute roles' grant to use it), then {rekey}\n"
        )
    return 1 if missing or failed else 0


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


def require_key(kms: Any, alias: str, env: str) -> set[str]:
    """The environment's key, or an error naming the command that creates it."""
    key = environment_key(kms, alias)
    if key is None:
        raise AwsError(f"{alias} does not exist yet: {deploy_network_first(env)}; nothing was written")
    return key


def put(ssm: Any, kms: Any, secret: str, name: str, value: str, *, env: str, alias: str, overwrite: bool) -> str:
    """Validate and write ``value`` as a SecureString under the environment's key; returns a line to print."""
    problem = VALIDATORS[secret](value)
    if problem is not None:
        raise AwsError(f"{secret}: the value {problem}; nothing was written")
    require_key(kms, alias, env)
    try:
        answer = ssm.put_parameter(Name=name, Value=value, Type="SecureString", KeyId=alias, Overwrite=overwrite)
    except ssm.exceptions.ParameterAlreadyExists:
        raise AwsError(f"{name} already exists; add --overwrite to replace it") from None
    written = f"wrote {name} (SecureString under {alias}, version {answer['Version']})"
    if overwrite and secret in NEEDS_DEPLOY:
        written += f"\nnote: {NEEDS_DEPLOY[secret]}"
    return written


def rekey(ssm: Any, kms: Any, names: dict[str, str], *, env: str, alias: str, out: TextIO) -> int:
    """Move every existing SecureString onto the environment's key: read it decrypted, write the same value
    back under the key (a new version). One line per parameter, never a value; one already on the key is
    skipped, so it can run again. 1 when any could not be moved (missing, or not a SecureString)."""
    key = require_key(kms, alias, env)
    present = describe(ssm, list(names.values()))
    moved = failed = 0
    for name in names.values():
        parameter = present.get(name)
        if parameter is None:
            failed += 1
            out.write(f"MISSING  {name}  (nothing to move: put it)\n")
        elif parameter["Type"] != "SecureString":
            failed += 1
            out.write(f"WRONG    {name}  (type {parameter['Type']}: put --overwrite writes it as a SecureString)\n")
        elif names_alias(parameter.get("KeyId", ""), alias) or parameter.get("KeyId") in key:
            out.write(f"skipped  {name}  (already under {alias})\n")
        else:
            value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            answer = ssm.put_parameter(
                Name=name,
                Value=value,
                Type="SecureString",
                KeyId=alias,
                Overwrite=True,
                Tier=parameter.get("Tier", "Standard"),  # never a downgrade, which SSM refuses
            )
            del value
            moved += 1
            out.write(
                f"rekeyed  {name}  (version {parameter['Version']} → {answer['Version']}, "
                f"from {parameter.get('KeyId')} to {alias})\n"
            )
    out.write(f"{moved} moved, {len(names) - moved - failed} already under {alias}, {failed} not moved\n")
    if moved:
        out.write(
            "note: the values are the same, so nothing needs a deploy or a restart; but the earlier versions stay "
            "in the parameters' history under their old key, where ssm:GetParameter of NAME:VERSION still "
            "decrypts them: give each secret a new value (put --overwrite) to retire them\n"
        )
    return 1 if failed else 0


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.ssm_secrets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="list which SecureStrings exist, their type and key")
    put_parser = commands.add_parser("put", help="write one SecureString from a hidden prompt or stdin")
    rekey_parser = commands.add_parser("rekey", help="move every SecureString onto the environment's key")
    for sub in (check_parser, put_parser, rekey_parser):
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
        names, alias = environment.secret_parameter_names, environment.names.secrets_key_alias
        with one_line_errors():
            ssm, kms = client("ssm", environment.region), client("kms", environment.region)
            if args.command == "check":
                return check(ssm, kms, names, env=args.env, alias=alias, out=out)
            if args.command == "rekey":
                return rekey(ssm, kms, names, env=args.env, alias=alias, out=out)
            require_key(kms, alias, args.env)  # before asking for a value that could not be written
            value = read_value(stdin, getpass.getpass)
            written = put(
                ssm, kms, args.name, names[args.name], value, env=args.env, alias=alias, overwrite=args.overwrite
            )
            out.write(written + "\n")
            return 0
    except AwsError as error:
        print(f"secrets: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
