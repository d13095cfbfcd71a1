"""make adopt: plan the takeover of a Terraform-era production from its state.

Usage:
  python -m tools.adopt --state STATE --env ENV [--pick ROLE=ADDRESS ...] [--cache import|replace]
                        [--out DIR] [--no-secret-check]

Reads STATE (``terraform state pull`` or ``terraform show -json`` output) and writes under
DIR/ENV (default ``.adopt/ENV``): plan.md, settings.json, resource-mapping-Data.json,
import-overrides.json and terraform-removed.tf. The app's SecureStrings for the database password
and the Redis token are read from SSM (the environment's region and credentials) and compared with
the state's secrets by digest; ``--no-secret-check`` skips that, and the plan says so.

Exit status: 0 planned; 1 planned but refused (plan.md says why; nothing to import was written);
2 the state or the arguments cannot be planned (one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config import ConfigError, load_config, read_context
from tools import ROOT
from tools.adopt.plan import DATA, Plan, PlanError, check_secret, make_plan
from tools.adopt.render import plan_markdown, removed_blocks
from tools.adopt.roles import ROLE_TYPES, RoleError, find_roles
from tools.adopt.state import Resource, Sensitive, StateError, read
from tools.ops.aws import AwsError, client, load_environment, one_line_errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make adopt", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", required=True, type=Path, help="terraform state pull's output (or show -json's)")
    parser.add_argument("--env", required=True, help="the environment of cdk.json to take over into")
    parser.add_argument("--pick", action="append", default=[], metavar="ROLE=ADDRESS", help="choose between candidates")
    parser.add_argument("--cache", choices=("import", "replace"), default="import")
    parser.add_argument("--out", type=Path, default=ROOT / ".adopt")
    parser.add_argument("--no-secret-check", action="store_true", help="do not compare the SecureStrings")
    args = parser.parse_args(argv)
    try:
        out, plan = run(args)
    except (StateError, RoleError, PlanError, AwsError) as error:
        print(f"adopt: {error}", file=sys.stderr)
        return 2
    print(f"adopt: {out / 'plan.md'}")
    for refusal in plan.refusals:
        print(f"adopt: refused: {refusal}", file=sys.stderr)
    return 1 if plan.refusals else 0


def run(args: argparse.Namespace) -> tuple[Path, Plan]:
    picks = {}
    for item in args.pick:
        role, equals, address = item.partition("=")
        if not equals or role not in ROLE_TYPES:
            raise PlanError(f"--pick {item}: accepted: ROLE=ADDRESS with ROLE one of {', '.join(ROLE_TYPES)}")
        picks[role] = address
    config = load_environment(args.env, ROOT)
    resources = read(args.state)
    plan = make_plan(find_roles(resources, picks), resources, config, cache_fate=args.cache)
    _validate_settings(args.env, plan)
    if not args.no_secret_check:
        _check_secrets(plan, resources, config.region)
    out = args.out / args.env
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("import-overrides.json", f"resource-mapping-{DATA}.json"):
        (out / stale).unlink(missing_ok=True)
    env_context = json.loads((ROOT / "cdk.json").read_text())["context"]["environments"].get(args.env, {})
    stack_names = {DATA: config.stack_name("data")}
    (out / "plan.md").write_text(
        plan_markdown(plan, state=str(args.state), stack_names=stack_names, today=env_context), encoding="utf-8"
    )
    (out / "settings.json").write_text(json.dumps(plan.settings, indent=2) + "\n", encoding="utf-8")
    (out / "terraform-removed.tf").write_text(removed_blocks(plan), encoding="utf-8")
    if not plan.refusals:
        for stack, mapping in plan.mappings.items():
            _write_json(out / f"resource-mapping-{stack}.json", mapping)
        _write_json(out / "import-overrides.json", {stack_names[s]: o for s, o in plan.overrides.items()})
    return out, plan


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _validate_settings(env: str, plan: Plan) -> None:
    """The settings must be ones the app accepts: a live value it cannot express is refused in one line."""
    context = read_context(ROOT)
    environments = context.get("environments", {})
    merged = {**environments, env: {**environments.get(env, {}), **plan.settings}}
    try:
        load_config({**context, "env": env, "environments": merged}, ROOT)
    except ConfigError as error:
        raise PlanError(f"the live value cannot be expressed in env={env}: {error}") from None


def _check_secrets(plan: Plan, resources: list[Resource], region: str) -> None:
    """Each SecureString the import relies on, compared with the state's secret by digest."""
    by_address = {r.address: r for r in resources}
    ssm = client("ssm", region)
    checked = []
    for check in plan.secrets:
        live = by_address[check.address].attributes.get(check.attribute)
        value = None
        with one_line_errors():
            try:
                value = ssm.get_parameter(Name=check.parameter, WithDecryption=True)["Parameter"]["Value"]
            except ssm.exceptions.ParameterNotFound:
                value = None
        checked.append(check_secret(check, live if isinstance(live, Sensitive) else None, value))
    plan.secrets = checked


if __name__ == "__main__":
    sys.exit(main())
