"""Checks `make deploy` runs before `cdk deploy`, against the account: what synth cannot know.

Usage: python -m tools.ops.preflight [--env prod|dev] [-c key=value ...] [--today YYYY-MM-DD]

The `-c` items are the deploy's own (make passes CONTEXT), so the checks see the configuration
that would be deployed. Each failure is one line naming the setting that fixes it:
- Lambda keeps 100 concurrent executions unreserved per account: a `lambda_reserved_concurrency`
  the account's quota cannot give fails the deploy half-way, so it is refused here.
- AWS blocks creating `provided.al2` functions from 2027-02-01 and updating them from
  2027-03-03. Past those dates a deploy that would create (or update) such a function is
  refused. Synth stays free of the clock; this check is where the date is read.
- Prod's alarms must reach someone: without `alarm_email`, `alarm_https_parameter` or
  `alarm_topic_arns` the deploy is refused, unless `alarms_to_no_one=true` says so on purpose
  (synth only warns). The SSM parameter `alarm_https_parameter` names must exist as a String:
  CloudFormation resolves it mid-deploy, and a missing one fails the data stack there. Its value,
  a credential, is never read here.
- Edge protection moves between off and on through open (docs/edge-protection.md): a deploy updates
  the compute stacks before the domain's records, so `on` while the deployed edge stack still
  points the domain at the paths would have them refuse every viewer until the records move, and
  `off` while a deployed path still checks CloudFront's header would have it refuse every viewer
  once they move. Both are refused, naming the step to deploy first.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any, TextIO

from botocore.exceptions import ClientError

from config import AppConfig
from config.limits import LAMBDA_MIN_UNRESERVED, RUNTIME_DATES
from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors
from tools.ops.smoke import stack_outputs


def _existing_reservation(lambda_client: Any, function_name: str) -> tuple[bool, int]:
    """Whether the function exists, and the concurrency it already reserves (0 when none)."""
    try:
        function = lambda_client.get_function(FunctionName=function_name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False, 0
        raise
    return True, int(function.get("Concurrency", {}).get("ReservedConcurrentExecutions", 0))


def concurrency(config: AppConfig, settings: dict[str, Any], existing: int) -> str | None:
    """What is wrong with the reservation against the account's quota (``get_account_settings``), if anything."""
    wanted = config.function.reserved_concurrency or 0
    limit = int(settings["AccountLimit"]["ConcurrentExecutions"])
    # Unreserved counts this function's current reservation as taken: the deploy hands it back first.
    unreserved = int(settings["AccountLimit"]["UnreservedConcurrentExecutions"]) + existing
    left = unreserved - wanted
    if left >= LAMBDA_MIN_UNRESERVED:
        return None
    return (
        f"lambda_reserved_concurrency: {wanted} would leave {left} of the account's {limit} concurrent executions "
        f"unreserved, and Lambda keeps at least {LAMBDA_MIN_UNRESERVED}; accepted: at most "
        f"{max(unreserved - LAMBDA_MIN_UNRESERVED, 0)} here, or a higher quota (Service Quotas: AWS Lambda, "
        "Concurrent executions)"
    )


def runtime(config: AppConfig, exists: bool, today: datetime.date) -> str | None:
    """Whether AWS would refuse this deploy's function for its runtime on ``today``."""
    dates = RUNTIME_DATES.get(config.function.runtime)
    if dates is None:
        return None
    create, update = (datetime.date.fromisoformat(day) for day in dates[1:])
    if (exists and today < update) or (not exists and today < create):
        return None
    action, since = ("updating", update) if exists else ("creating", create)
    return (
        f"lambda_runtime: AWS has blocked {action} {config.function.runtime} functions since {since}, and this "
        f"deploy would {'update' if exists else 'create'} {config.function.function_name}; accepted: "
        "-c lambda_runtime=provided.al2023 (set it in cdk.json; the same bootstrap runs there)"
    )


def alarm_destination(config: AppConfig) -> str | None:
    """Whether prod's alarms would reach no one without saying so."""
    alarms = config.alarms
    if not config.is_prod or alarms.has_destination or alarms.to_no_one:
        return None
    return (
        f"alarm_email: no alarm destination in env={config.env}, so every alarm would reach no one; accepted: "
        "alarm_email, alarm_https_parameter (an SSM parameter holding a paging service's HTTPS URL) or "
        "alarm_topic_arns in cdk.json's environments.prod, or -c alarms_to_no_one=true to deploy without one"
    )


def https_parameter(config: AppConfig, ssm_client: Any) -> str | None:
    """Whether the SSM parameter alarm_https_parameter names exists as a String.

    Its metadata only (DescribeParameters, which the CI roles may call): the value is a paging
    service's credential, and no role here reads it; CloudFormation does, at deploy.
    """
    name = config.alarms.https_parameter
    if name is None:
        return None
    found = ssm_client.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
    [parameter] = found.get("Parameters") or [None]
    if parameter is None:
        return (
            f"alarm_https_parameter: {name} does not exist in SSM in {config.region}; accepted: an existing String "
            "parameter holding the HTTPS URL (docs/operations.md: Dashboards and alarms)"
        )
    if parameter.get("Type") != "String":
        return (
            f"alarm_https_parameter: {name} is a {parameter.get('Type')} parameter; accepted: a String parameter "
            "(CloudFormation cannot resolve a SecureString into a subscription)"
        )
    return None


def edge_step(config: AppConfig, cloudformation: Any) -> str | None:
    """What is wrong with deploying ``config``'s edge protection over what is deployed, if anything.

    The deployed edge stack says how the domain is served (its ``ServedThrough`` output exists only
    behind CloudFront); a deployed compute stack checks CloudFront's header when its template sets
    ORIGIN_VERIFY_SECRET.
    """
    edge = config.api.edge
    if config.api.domain is None:
        return None
    if edge is not None and edge.enforced:
        served = stack_outputs(cloudformation, config.stack_name("edge"))
        if served is not None and "ServedThrough" not in served:
            return (
                f"edge_protection: 'on' while {config.stack_name('edge')} still points the domain at the compute "
                "paths: the paths would refuse every viewer until the records move to CloudFront; accepted: "
                "deploy with edge_protection=open first, then on (docs/edge-protection.md)"
            )
    if edge is None:
        for path in ("lambda", "ecs"):
            name = config.stack_name(path)
            if stack_outputs(cloudformation, name) is None:
                continue
            template = cloudformation.get_template(StackName=name)["TemplateBody"]
            if "ORIGIN_VERIFY_SECRET" in (template if isinstance(template, str) else json.dumps(template)):
                return (
                    f"edge_protection: 'off' while {name} refuses requests without CloudFront's header: it would "
                    "refuse every viewer once the domain points at it; accepted: deploy with edge_protection=open "
                    "first, then the way out in docs/edge-protection.md"
                )
    return None


def check(
    config: AppConfig,
    lambda_client: Any,
    today: datetime.date,
    ssm_client: Any = None,
    cloudformation_client: Any = None,
) -> list[str]:
    """Every preflight problem of a deploy of ``config``. One of the configuration's own is said before any
    AWS call, so it is said even where the credentials would fail."""
    if (problem := alarm_destination(config)) is not None:
        return [problem]
    problems = []
    if config.api.domain is not None:
        problems.append(edge_step(config, cloudformation_client or client("cloudformation", config.region)))
    if config.alarms.https_parameter is not None:
        problems.append(https_parameter(config, ssm_client or client("ssm", config.region)))
    if "lambda" in config.compute_paths:  # the ECS path alone creates no function
        exists, existing = _existing_reservation(lambda_client, config.function.function_name)
        settings = lambda_client.get_account_settings()
        problems += [concurrency(config, settings, existing), runtime(config, exists, today)]
    return [problem for problem in problems if problem is not None]


def main(
    argv: list[str] | None = None,
    out: TextIO = sys.stdout,
    lambda_client: Any = None,
    ssm_client: Any = None,
    cloudformation_client: Any = None,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.preflight", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    parser.add_argument("-c", "--context", action="append", default=[], help="key=value, as cdk deploy gets it")
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date.today())
    args = parser.parse_args(argv)
    try:
        config = load_environment(args.env, ROOT, context=args.context)
        if config.import_overrides is not None:
            raise AwsError(
                "adopt_import is for cdk import alone: a deploy with it puts Terraform's values back on the imported "
                "resources; accepted: the deploy without -c adopt_import"
            )
        with one_line_errors():
            lambda_client = lambda_client or client("lambda", config.region)
            problems = check(config, lambda_client, args.today, ssm_client, cloudformation_client)
    except AwsError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)
    if problems:
        return 1
    out.write(f"preflight: env={args.env} compute={config.compute}: the account can take this deploy\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
