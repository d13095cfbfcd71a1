"""Rehearse a deploy: the project's pinned CDK CLI deploys, switches and updates every stack
against moto in server mode on loopback, and each step is checked through boto3 as a user would.

Usage: python -m tools.rehearsal      (or: make rehearse)

The CLI synthesizes the first configuration of each checkout it runs in; the later ones come from one
warm process (tools/gates/warm_synth.py) once that process made the CLI's assembly again to the byte,
and the CLI deploys them (--app). Only an assembly with every stack's assets bundled is reused.

The steps follow the guides (docs/deploying.md, docs/runbooks.md): bootstrap, the network stack
(the secrets' KMS key), the secrets from stdin under that key, prod on Lambda, the runbook's switch
to ECS and back (without a domain, then with one and its hosted zone), the domain split between
both paths by weight (compute=split) and moved whole to either, edge protection (edge.py:
CloudFront and its AWS WAF web ACL in us-east-1 put in front of the domain, open then on, the
rollback and the split behind them as the CloudFront function's weights, the origin secret rotated,
and the way back out to the records on Lambda), an update that publishes a new version of the
function, dev; and the steps that must fail as CloudFormation (or the app) fails: a secret put
before its key exists, a missing SecureString, deleting a protected stack, deleting the compute
stack the domain's record (or CloudFront's origin) still points at, compute=split without a weight,
a second origin secret rotation before the cdn stack carries the first. Nothing is executed: moto
runs no Lambda and no ECS task, evaluates no IAM, runs no CodeDeploy deployment (CloudFormation
moves the live alias itself: no canary, no pre-traffic hook, no rollback on alarm), serves nothing
through CloudFront or WAF, answers no DNS query, and a replacement looks like an update there (the
offline drill, the hook's tests and the guard cover those)."""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import BACKEND_SECRET_NAMES, SECRET_NAMES
from config.backend import LIVE_ALIAS
from tools import ROOT
from tools.gates.warm_synth import DEPLOY_CONTEXT, Synths, same_assembly
from tools.ops.aws import load_environment
from tools.ops.smoke import stack_outputs
from tools.rehearsal import iam, pipeline, server
from tools.rehearsal.edge import EdgeError, rehearse_edge
from tools.rehearsal.recovery import RecoveryError, rehearse_recovery
from tools.rehearsal.server import ACCOUNT, REGION, SKIPPED, Emulator, emulator
from tools.rehearsal.takeover import TakeoverError, rehearse_takeover

CDK = ROOT / "node_modules" / ".bin" / "cdk"
PYTHON = ROOT / ".venv" / "bin" / "python"
# The ECS path without Docker: an image that is already in a registry (docs/runbooks.md, runbook step 2).
ECS_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/anigmaa:rehearsal"
ZONE_NAME, DOMAIN = "anigmaa.example", "api.anigmaa.example"
# CodeDeploy's names for lambda_deployment's choices (CDK's LambdaDeploymentConfig constants).
# How CodeDeploy moves a Lambda alias: to a new version, by the weights of the alias's routing.
TRAFFIC_CONTROL = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}


class RehearsalError(Exception):
    """A step did not do what it should; the message names the step and what differed."""


@dataclass
class Rehearsal:
    """One run: the emulator, the environment every command gets, and what each step took."""

    emulator: Emulator
    workdir: Path
    log: Callable[[str], None]
    timings: list[tuple[str, float]] = field(default_factory=list)
    assemblies: dict[tuple[str, ...], Path] = field(default_factory=dict)
    root: Path = ROOT
    """Where every command runs: the checkout, or a copy of it with another cdk.json."""
    synths: Synths | None = None
    """The warm synth process (tools/gates/warm_synth.py); without it, the CLI synthesizes each one."""
    verified: set[Path] = field(default_factory=set)
    """The roots whose first configuration the CLI and the warm process synthesized alike."""

    def environment(self) -> dict[str, str]:
        env = self.emulator.environment()
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["JSII_NODE"] = str(ROOT / ".venv" / "bin" / "node")
        env["CHECKPOINT_DISABLE"] = "1"  # terraform's version check (checkpoint.hashicorp.com)
        return env

    def client(self, service: str) -> Any:
        return server.client(self.emulator.url, service)

    # ------------------------------------------------------------------ commands

    def run(
        self, step: str, command: Sequence[str], *, stdin: str | None = None, fails_with: str = "", spent: float = 0.0
    ) -> str:
        """Run ``command``; it must succeed, or, with ``fails_with``, fail with that text in its output.
        ``spent``: seconds the step took before the command (its synth), counted in its time."""
        start = time.monotonic() - spent
        result = subprocess.run(
            list(command),
            cwd=self.root,
            env=self.environment(),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - start
        self.timings.append((step, elapsed))
        output = result.stdout + result.stderr
        if fails_with:
            if result.returncode == 0:
                raise RehearsalError(f"{step}: succeeded, but must fail with {fails_with!r}")
            if fails_with not in output:
                raise RehearsalError(
                    f"{step}: failed (exit {result.returncode}) without {fails_with!r}:\n{_tail(output)}"
                )
            self.log(f"ok    {step} ({elapsed:.1f} s): refused as it must be, exit {result.returncode}")
        else:
            if result.returncode != 0:
                raise RehearsalError(f"{step}: exit {result.returncode}: {_headline(output)}\n{_tail(output)}")
            self.log(f"ok    {step} ({elapsed:.1f} s)")
        return output

    def cdk(self, step: str, command: str, *args: str, fails_with: str = "") -> str:
        """The CLI, synthesizing each configuration (its -c items) once: later steps deploy that assembly."""
        context: list[str] = []
        rest: list[str] = []
        items = iter(args)
        for arg in items:
            if arg == "-c":
                context += [arg, next(items)]
            else:
                rest.append(arg)
        key = tuple(context)
        # The CLI bundles every stack's assets for these commands, unless --exclusively names the stacks
        # (and none for the others: bootstrap, destroy): only such an assembly is a deploy's, and reused.
        whole = command in ("deploy", "diff", "synth", "import") and "--exclusively" not in rest
        assembly = self.assemblies.get(key)
        start = time.monotonic()
        if assembly is None and not fails_with and self.synths is not None and self.root in self.verified:
            # Synthesized in the warm process as the CLI would, every stack bundled (warm_synth.py); a problem there,
            # and a synth that must fail, are left to the CLI's synth below, which says it in its words.
            folder = Path(tempfile.mkdtemp(prefix="cdk.out-", dir=self.workdir))
            if not self.synths.synthesize(self.root, context[1::2], folder):
                self.assemblies[key] = assembly = folder
        if assembly is not None:
            app = ["--app", str(assembly)]
        else:
            # Its own directory, so a rehearsal leaves the user's cdk.out alone.
            folder = Path(tempfile.mkdtemp(prefix="cdk.out-", dir=self.workdir))
            app = ["--output", str(folder), *context]
        output = self.run(
            step,
            [str(CDK), "--no-notices", "--no-version-reporting", "--ci", command, *app, *rest],
            fails_with=fails_with,
            spent=time.monotonic() - start,
        )
        if assembly is None and whole and not fails_with and (folder / "manifest.json").exists():
            self.assemblies[key] = folder
            if self.root not in self.verified:
                self.verify_synths(context)
        return output

    def verify_synths(self, context: Sequence[str]) -> None:
        """The warm process's synth of the configuration the CLI just synthesized: every file the same."""
        cli = self.assemblies[tuple(context)]
        if self.synths is None or not (cli / "manifest.json").exists():
            return
        warm = Path(tempfile.mkdtemp(prefix="cdk.out-warm-", dir=self.workdir))
        problems = self.synths.synthesize(self.root, context[1::2], warm)
        if problems:
            raise RehearsalError(f"the warm synth of {' '.join(context) or 'cdk.json alone'}: {problems[-1]}")
        differ = same_assembly(cli, warm)
        if differ:
            raise RehearsalError(f"the warm synth differs from the CLI's in {', '.join(differ[:5])}")
        files = sum(1 for p in cli.rglob("*") if p.is_file())
        self.log(f"      the warm synth process: the CLI's assembly of {' '.join(context) or 'cdk.json alone'}, "
                 f"{files} files, to the byte; it synthesizes the later configurations here")  # fmt: skip
        self.verified.add(self.root)

    def deploy(self, step: str, *args: str, fails_with: str = "") -> str:
        return self.cdk(step, "deploy", "--require-approval", "never", *args, fails_with=fails_with)

    def put_secret(self, env: str, name: str) -> None:
        # As a user would: the value on stdin, never on the command line.
        value = secrets.token_hex(16)
        self.run(f"secrets put {name} (env={env})", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "put", "--env", env,
                                                      name], stdin=value + "\n")  # fmt: skip

    # ------------------------------------------------------------------ what a user would check

    def stacks(self) -> dict[str, str]:
        found = self.client("cloudformation").describe_stacks()["Stacks"]
        return {
            s["StackName"]: s["StackStatus"]
            for s in found
            if not s["StackStatus"].startswith("DELETE") and s["StackName"] != "CDKToolkit"
        }

    def expect_stacks(self, step: str, names: set[str]) -> None:
        stacks = self.stacks()
        if set(stacks) != names:
            raise RehearsalError(f"{step}: stacks {sorted(stacks)}, expected {sorted(names)}")
        bad = {n: s for n, s in stacks.items() if not s.endswith("_COMPLETE") or "ROLLBACK" in s}
        if bad:
            raise RehearsalError(f"{step}: stacks not complete: {bad}")

    def outputs(self, stack_name: str, *keys: str) -> dict[str, str]:
        outputs = stack_outputs(self.client("cloudformation"), stack_name)
        if outputs is None:
            raise RehearsalError(f"{stack_name} is not deployed")
        missing = [k for k in keys if not outputs.get(k)]
        if missing:
            raise RehearsalError(f"{stack_name} lacks the outputs {missing} docs/deploying.md names")
        return outputs

    def exports(self) -> set[str]:
        return {e["Name"] for e in self.client("cloudformation").list_exports()["Exports"]}


_TELLING = ("error", "cannot", "missing", "failed", "not found", "does not exist", "in use")


def _headline(text: str) -> str:
    """The last line that says what went wrong (the CLI ends with it, the tools print MISSING …)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    telling = [line for line in lines if any(word in line.lower() for word in _TELLING)]
    return (telling or lines or ["no output"])[-1]


def _tail(text: str, lines: int = 25) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


# ---------------------------------------------------------------------- checks of one environment


def check_lambda(r: Rehearsal, env: str, *, memory: int, domain: bool = False) -> str:
    """The function, its live alias and release, the HTTP API in front; the alias's version."""
    config = load_environment(env, ROOT)
    name = config.stack_name("lambda")
    outputs = r.outputs(
        name,
        "ApiGatewayEndpoint",
        "FunctionName",
        "FunctionArn",
        "AliasArn",
        "DeploymentApplication",
        "DeploymentGroup",
        "ApiId",
        "FunctionLogGroup",
        "ApiAccessLogGroup",
    )
    functions = r.client("lambda")
    function = functions.get_function_configuration(FunctionName=outputs["FunctionName"])
    if (function["MemorySize"], function["Runtime"]) != (memory, config.function.runtime):
        raise RehearsalError(f"{name}: function {function['MemorySize']} MB {function['Runtime']}, expected {memory}")
    variables = function.get("Environment", {}).get("Variables", {})
    for secret in BACKEND_SECRET_NAMES:
        if secret in variables or f"{secret}_PARAM" not in variables:
            raise RehearsalError(f"{name}: the function must get {secret}_PARAM (a name), never {secret}")
    # The master password is not the backend's: it logs in as its own role with IAM tokens.
    if {"DB_PASSWORD", "DB_PASSWORD_PARAM"} & set(variables) or variables.get("DB_IAM_AUTH") != "true":
        raise RehearsalError(f"{name}: the function must log in with IAM (DB_IAM_AUTH=true), never get DB_PASSWORD")
    version = check_live_alias(r, name, outputs, memory)
    apis = r.client("apigatewayv2")
    routes = {route["RouteKey"]: route for route in apis.get_routes(ApiId=outputs["ApiId"])["Items"]}
    if "$default" not in routes:
        raise RehearsalError(f"{name}: the HTTP API has routes {sorted(routes)}, no $default")
    integration_id = routes["$default"].get("Target", "").removeprefix("integrations/")
    integration = apis.get_integration(ApiId=outputs["ApiId"], IntegrationId=integration_id)
    if (uri := integration.get("IntegrationUri")) != outputs["AliasArn"]:
        raise RehearsalError(f"{name}: the $default route invokes {uri}, not the alias {outputs['AliasArn']}")
    [stage] = apis.get_stages(ApiId=outputs["ApiId"])["Items"]
    throttle = stage.get("DefaultRouteSettings", {})
    expected = (config.api.throttle_rate, config.api.throttle_burst)
    if (throttle.get("ThrottlingRateLimit"), throttle.get("ThrottlingBurstLimit")) != expected:
        raise RehearsalError(f"{name}: stage throttle {throttle}, expected {expected}")
    # The API's own 429s, counted from its access log (the HTTP API publishes no 429 metric).
    filters = r.client("logs").describe_metric_filters(logGroupName=outputs["ApiAccessLogGroup"])["metricFilters"]
    counted = [f for f in filters for t in f["metricTransformations"] if t["metricName"] == "ThrottledRequests"]
    if len(counted) != 1 or "429" not in counted[0]["filterPattern"]:
        raise RehearsalError(f"{name}: no metric filter counting the access log's 429s: {filters}")
    deployment = check_release(r, env, outputs, version)
    if domain:
        r.outputs(name, "CustomDomainUrl")
    check_alarms(r)
    # The smoke test's reading part; its invocations and HTTP calls cannot run here (no Lambda execution).
    r.log(
        f"      {name}: function {memory} MB, {LIVE_ALIAS} → version {version} (the $default route's target, the "
        f"hook's), deployment group {outputs['DeploymentGroup']} ({deployment}, alarms, auto-rollback), "
        f"throttle {expected}, alarms, outputs"
    )
    return version


def check_live_alias(r: Rehearsal, name: str, outputs: dict[str, str], memory: int) -> str:
    """The live alias serves a published version that holds the function's configuration; its number."""
    functions = r.client("lambda")
    alias = functions.get_alias(FunctionName=outputs["FunctionName"], Name=LIVE_ALIAS)
    version = str(alias["FunctionVersion"])
    if alias["AliasArn"] != outputs["AliasArn"] or not version.isdigit():
        raise RehearsalError(
            f"{name}: alias {alias['AliasArn']} on version {version}; expected {outputs['AliasArn']} on a published "
            "version, not $LATEST"
        )
    published = functions.get_function_configuration(FunctionName=outputs["FunctionName"], Qualifier=version)
    if published["MemorySize"] != memory:
        raise RehearsalError(f"{name}: version {version} has {published['MemorySize']} MB, the function {memory}")
    return version


def check_release(r: Rehearsal, env: str, outputs: dict[str, str], version: str) -> str:
    """CodeDeploy's group for the alias, as the environment configures it, and the pre-traffic hook
    aimed at the alias's version; the group's deployment config."""
    config = load_environment(env, ROOT)
    name = config.stack_name("lambda")
    codedeploy = r.client("codedeploy")
    application = codedeploy.get_application(applicationName=outputs["DeploymentApplication"])["application"]
    group = codedeploy.get_deployment_group(
        applicationName=outputs["DeploymentApplication"], deploymentGroupName=outputs["DeploymentGroup"]
    )["deploymentGroupInfo"]
    expected = config.function.cdk_deployment_config.deployment_config_name  # what the stack was given
    found = (application["computePlatform"], group["deploymentConfigName"], group.get("deploymentStyle"))
    if found != ("Lambda", expected, TRAFFIC_CONTROL):
        raise RehearsalError(
            f"{name}: deployment group {group['deploymentGroupName']}: platform, config, style {found}; expected "
            f"Lambda, {expected}, {TRAFFIC_CONTROL}"
        )
    watched = group.get("alarmConfiguration", {})
    release = r.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{config.names.prefix}-release-")
    alarms = release["MetricAlarms"]
    names = {alarm["AlarmName"] for alarm in alarms}
    if not names or not watched.get("enabled") or {a["name"] for a in watched.get("alarms", [])} != names:
        raise RehearsalError(f"{name}: the deployment group watches {watched}, expected the alarms {sorted(names)}")
    executed = {
        dimension["Value"]
        for alarm in alarms
        for metric in [alarm, *(query.get("MetricStat", {}).get("Metric", {}) for query in alarm.get("Metrics", []))]
        for dimension in metric.get("Dimensions", [])
        # Lambda's own metrics by the alias's ExecutedVersion; the frame's per-version 5XX by its Version.
        if dimension["Name"] in ("ExecutedVersion", "Version")
    }
    if executed != {version}:
        raise RehearsalError(f"{name}: the release alarms watch version(s) {sorted(executed)}, not {version}")
    # Errors, p99 duration, 5XX rate and 5XX count (constructs/monitoring.py LambdaAlarms).
    if len(names) != 4 or not all(n.endswith(f"-v{version}") for n in names):
        raise RehearsalError(f"{name}: the version's release alarms are {sorted(names)}, not four named for v{version}")
    rollback = group.get("autoRollbackConfiguration", {})
    if not rollback.get("enabled") or "DEPLOYMENT_STOP_ON_ALARM" not in rollback.get("events", []):
        raise RehearsalError(f"{name}: auto-rollback {rollback}, expected enabled, on alarm among its events")
    functions = r.client("lambda")
    target = functions.get_function_configuration(FunctionName=outputs["FunctionName"], Qualifier=version)
    hook = functions.get_function_configuration(FunctionName=config.names.of("pre-traffic"))
    aimed = hook.get("Environment", {}).get("Variables", {}).get("TARGET_FUNCTION_ARN")
    if aimed != target["FunctionArn"]:
        raise RehearsalError(f"{name}: the pre-traffic hook checks {aimed}, not the alias's {target['FunctionArn']}")
    return expected.removeprefix("CodeDeployDefault.")


def check_new_version(r: Rehearsal, env: str, before: str, after: str) -> None:
    """An update published a new version, the alias serves it, and the one it replaced is kept, so going
    back is one update-alias (docs/runbooks.md: Going back to the previous version), which is tried here."""
    config = load_environment(env, ROOT)
    name = config.stack_name("lambda")
    function = r.outputs(name, "FunctionName")["FunctionName"]
    lambda_client = r.client("lambda")
    versions = {v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=function)["Versions"]}
    if not after.isdigit() or int(after) <= int(before) or not {"$LATEST", before, after} <= versions:
        raise RehearsalError(
            f"{name}: {LIVE_ALIAS} moved from version {before} to {after}, versions {sorted(versions)} left; expected "
            f"a newer version, and the one it replaced kept"
        )
    # No CodeDeploy deployment here: CloudFormation moved the alias itself (on AWS, the canary does).
    # The runbook's one command back, and forward again so the stack and the alias agree.
    for version in (before, after):
        lambda_client.update_alias(FunctionName=function, Name=LIVE_ALIAS, FunctionVersion=version)
        if lambda_client.get_alias(FunctionName=function, Name=LIVE_ALIAS)["FunctionVersion"] != version:
            raise RehearsalError(f"{name}: update-alias to version {version} did not move {LIVE_ALIAS}")
    r.log(
        f"      {name}: {LIVE_ALIAS} moved from version {before} to {after}; version {before} kept, and "
        f"update-alias moved {LIVE_ALIAS} back to it and forward again"
    )


def check_ecs(r: Rehearsal, env: str) -> None:
    config = load_environment(env, ROOT)
    name = config.stack_name("ecs")
    outputs = r.outputs(name, "LoadBalancerDnsName", "ServiceName", "ClusterName", "Url")
    [service] = r.client("ecs").describe_services(cluster=outputs["ClusterName"], services=[outputs["ServiceName"]])[
        "services"
    ]
    if service["desiredCount"] != config.ecs.desired_count:
        raise RehearsalError(f"{name}: {service['desiredCount']} tasks desired, expected {config.ecs.desired_count}")
    balancers = r.client("elbv2").describe_load_balancers()["LoadBalancers"]
    if outputs["LoadBalancerDnsName"] not in {b["DNSName"] for b in balancers}:
        raise RehearsalError(f"{name}: no load balancer answers to {outputs['LoadBalancerDnsName']}")
    check_alarms(r)
    r.log(f"      {name}: service of {config.ecs.desired_count}, load balancer, alarms, outputs")


def check_alarms(r: Rehearsal) -> None:
    """The alarms in CloudWatch are exactly those the live stacks' templates declare (by the names
    CloudFormation gave them: a release alarm's name carries its version)."""
    cloudformation = r.client("cloudformation")
    declared = set()
    for stack in r.stacks():
        body = cloudformation.get_template(StackName=stack)["TemplateBody"]
        template = body if isinstance(body, dict) else json.loads(body)
        ids = {
            k for k, resource in template.get("Resources", {}).items() if resource["Type"] == "AWS::CloudWatch::Alarm"
        }
        made = {
            resource["LogicalResourceId"]: resource["PhysicalResourceId"]
            for resource in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
            if resource.get("LogicalResourceId") in ids
        }
        if set(made) != ids:
            raise RehearsalError(f"{stack}: alarms {sorted(ids - set(made))} declared but not made")
        declared |= set(made.values())
    alarms = r.client("cloudwatch").describe_alarms(MaxRecords=100)
    present = {a["AlarmName"] for a in alarms["MetricAlarms"] + alarms.get("CompositeAlarms", [])}
    if present != declared:
        raise RehearsalError(f"alarms: missing {sorted(declared - present)}, left over {sorted(present - declared)}")


def check_secrets_key(r: Rehearsal, env: str) -> None:
    """Every SecureString of ``env`` is under the environment's key (the network stack's alias); the key rotates."""
    config = load_environment(env, ROOT)
    alias = config.names.secrets_key_alias
    kms = r.client("kms")
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    if not kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]:
        raise RehearsalError(f"{config.stack_name('network')}: the key behind {alias} does not rotate")
    names = list(config.secret_parameter_names.values())
    described = r.client("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": names}]
    )["Parameters"]
    on_key = {alias, key["KeyId"], key["Arn"]}
    found = {p["Name"]: (p["Type"], p.get("KeyId")) for p in described}
    wrong = {name: found.get(name) for name in names if found.get(name, ("", ""))[0] != "SecureString"
             or found[name][1] not in on_key}  # fmt: skip
    if wrong:
        raise RehearsalError(f"SecureStrings of env={env} not under {alias} ({key['KeyId']}): {wrong}")
    r.log(f"      {env}: {len(names)} SecureStrings under {alias} (key {key['KeyId']}, rotation on)")


def check_probe(r: Rehearsal, env: str, role: str) -> None:
    """The outside-in probe of the stack of ``role`` (lambda without a domain, edge with one): its canary on
    the configured schedule, its artifacts under the access-logs bucket, and its alarm on that canary."""
    config = load_environment(env, ROOT)
    name = config.stack_name(role)
    canary = r.client("synthetics").get_canary(Name=name)["Canary"]
    expected = f"rate({config.alarms.probe_interval_minutes} minutes)"
    if canary["Schedule"]["Expression"] != expected or "/synthetics/" not in canary["ArtifactS3Location"]:
        raise RehearsalError(
            f"{name}: probe canary on {canary['Schedule']['Expression']}, artifacts {canary['ArtifactS3Location']}; "
            f"expected {expected}, under synthetics/"
        )
    alarm_name = config.names.of("probe" if role == "edge" else f"probe-{role}")
    [alarm] = r.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"] or [None]
    watched = {d["Value"] for d in (alarm or {}).get("Dimensions", []) if d["Name"] == "CanaryName"}
    if alarm is None or watched != {name} or alarm["TreatMissingData"] != "breaching":
        raise RehearsalError(f"{name}: no alarm {alarm_name} on the canary's runs that breaches when they stop")
    r.log(f"      {name}: probe {expected}, alarm {alarm_name} (missing runs breach)")


def check_data(r: Rehearsal, env: str) -> None:
    config = load_environment(env, ROOT)
    [db] = r.client("rds").describe_db_instances()["DBInstances"][:1] or [None]
    if db is None or db["DBInstanceClass"] != config.database.instance_class:
        raise RehearsalError(f"{config.stack_name('data')}: no {config.database.instance_class} database")
    groups = r.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    if not groups:
        raise RehearsalError(f"{config.stack_name('data')}: no Redis replication group")
    buckets = [b["Name"] for b in r.client("s3").list_buckets()["Buckets"] if "assets" in b["Name"].lower()]
    if not buckets:
        raise RehearsalError(f"{config.stack_name('data')}: no assets bucket")
    r.log(f"      {config.stack_name('data')}: {db['DBInstanceClass']}, {len(groups)} replication group(s), bucket")


def check_edge(r: Rehearsal, zone_id: str, weights: dict[str, int]) -> None:
    """The domain's A records are exactly ``weights`` (set identifier → weight), each an alias of its
    path's endpoint that inherits its health, and the edge stack's outputs name the same split."""
    prod = load_environment("prod", ROOT)
    records = [
        record
        for record in r.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        if record["Name"].rstrip(".") == DOMAIN and record["Type"] == "A"
    ]
    found = {record.get("SetIdentifier", ""): record.get("Weight") for record in records}
    if found != weights or len(records) != len(weights):
        raise RehearsalError(f"{DOMAIN}: A records {found}, expected {weights}")
    shown = []
    for record in records:
        path = record["SetIdentifier"]
        target = (_api_domain_target(r) if path == "lambda" else _load_balancer(r, prod.stack_name("ecs"))).lower()
        alias = record.get("AliasTarget") or {}
        points_at = alias.get("DNSName", "").rstrip(".").lower()
        if target.rstrip(".") not in points_at or alias.get("EvaluateTargetHealth") is not True:
            raise RehearsalError(
                f"{DOMAIN} ({path}): an alias of {points_at or 'nothing'} (EvaluateTargetHealth "
                f"{alias.get('EvaluateTargetHealth')}), expected {target} with its health"
            )
        shown.append(f"{path} {record['Weight']} → {points_at}")
    served = "split" if len(weights) > 1 else next(iter(weights))
    outputs = r.outputs(prod.stack_name("edge"), "Url", "ServedBy")
    said = (outputs["ServedBy"], outputs.get("LambdaWeight"))
    if said != (served, str(weights["lambda"]) if served == "split" else None):
        raise RehearsalError(f"{prod.stack_name('edge')}: outputs ServedBy, LambdaWeight {said}, expected {served}")
    r.log(f"      {DOMAIN}: {', '.join(sorted(shown))} (ServedBy {served})")


def _api_domain_target(r: Rehearsal) -> str:
    """The API custom domain's regional endpoint, which the lambda record aliases."""
    for domain in r.client("apigatewayv2").get_domain_names()["Items"]:
        if domain["DomainName"] == DOMAIN:
            return str(domain["DomainNameConfigurations"][0]["ApiGatewayDomainName"])
    raise RehearsalError(f"no API custom domain {DOMAIN}")


def _load_balancer(r: Rehearsal, ecs_stack: str) -> str:
    return r.outputs(ecs_stack, "LoadBalancerDnsName")["LoadBalancerDnsName"]


# ---------------------------------------------------------------------- the steps


def rehearse(r: Rehearsal) -> None:
    prod = load_environment("prod", ROOT)
    network, data = prod.stack_name("network"), prod.stack_name("data")
    on_lambda, on_ecs, edge = prod.stack_name("lambda"), prod.stack_name("ecs"), prod.stack_name("edge")
    ecs = ("-c", "compute=ecs", "-c", f"ecs_image_uri={ECS_IMAGE}")

    # Both regions prod deploys to: its own and the backup copies'
    # (docs/operations.md: Backups outside the blast radius).
    r.cdk("cdk bootstrap", "bootstrap", *(f"aws://{ACCOUNT}/{region}" for region in prod.deploy_regions))
    # The secrets' key comes with the network stack: deployed first, then the secrets are put under it.
    r.deploy("deploy the network stack (prod): the secrets' key", "--exclusively", "Network")
    for name in SECRET_NAMES:
        r.put_secret("prod", name)
    r.run("secrets check (env=prod)", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "check", "--env", "prod"])
    check_secrets_key(r, "prod")

    r.deploy("deploy --all (prod, lambda)", "--all")
    r.expect_stacks("prod on lambda", {network, data, on_lambda})
    check_data(r, "prod")
    check_lambda(r, "prod", memory=prod.function.memory_mb)
    check_probe(r, "prod", "lambda")
    rehearse_recovery(r)  # docs/recovery.md: the bucket and the database back as they were, on the live names

    # The runbook, Lambda → ECS → Lambda, without a domain (prod then needs the acknowledgement).
    plain = ("-c", "ecs_allow_plain_http=true")
    r.deploy("runbook: Lambda → ECS, step 2 (no domain)", *ecs, *plain, "--exclusively", "Ecs")
    r.expect_stacks("ECS beside Lambda", {network, data, on_lambda, on_ecs})
    check_ecs(r, "prod")
    r.client("cloudformation").delete_stack(StackName=on_lambda)  # runbook step 5
    r.expect_stacks("Lambda stack removed", {network, data, on_ecs})
    r.deploy("runbook: ECS → Lambda (no domain)", "-c", "compute=lambda", "--exclusively", "Lambda")
    r.client("cloudformation").delete_stack(StackName=on_ecs)
    r.expect_stacks("back on lambda", {network, data, on_lambda})
    check_alarms(r)  # the load balancer's alarms went with the ECS stack
    check_lambda(r, "prod", memory=prod.function.memory_mb)

    # With a domain: the zone exists in the account, the certificate and the edge record follow.
    zone_id = r.client("route53").create_hosted_zone(Name=ZONE_NAME, CallerReference="rehearsal")["HostedZone"]["Id"]
    zone_id = zone_id.split("/")[-1]
    # The domain's records on the compute paths (edge protection, prod's default, puts CloudFront in front:
    # rehearse_edge below).
    domain = ("-c", f"domain_name={DOMAIN}", "-c", f"hosted_zone_id={zone_id}", "-c", f"hosted_zone_name={ZONE_NAME}",
              "-c", "edge_protection=off")  # fmt: skip
    r.deploy("deploy --all with a domain (lambda)", "--all", *domain)
    r.expect_stacks("prod with a domain", {network, data, on_lambda, edge})
    check_lambda(r, "prod", memory=prod.function.memory_mb, domain=True)
    check_edge(r, zone_id, {"lambda": 100})
    check_probe(r, "prod", "edge")
    r.deploy("runbook: Lambda → ECS, step 2 (domain)", *ecs, *domain, "--exclusively", "Ecs")
    r.deploy("runbook: Lambda → ECS, step 3 (move the domain)", *ecs, *domain, "--exclusively", "Edge")
    check_edge(r, zone_id, {"ecs": 100})
    r.cdk("refused: delete the ECS stack the record points at", "destroy", "--force", *ecs, *domain, "--exclusively",
          "Ecs", fails_with="is in use by")  # fmt: skip
    r.client("cloudformation").delete_stack(StackName=on_lambda)
    r.deploy("runbook: ECS → Lambda (domain)", *domain, "--exclusively", "Lambda")
    r.deploy("runbook: ECS → Lambda, move the domain", *domain, "--exclusively", "Edge")
    check_edge(r, zone_id, {"lambda": 100})
    r.client("cloudformation").delete_stack(StackName=on_ecs)
    r.expect_stacks("back on lambda with a domain", {network, data, on_lambda, edge})

    # compute=split: both paths serve the domain by weight; each step re-weights, adds or removes a record.
    # The -c sets of compute=lambda and compute=ecs are the ones above (one synth each).
    def split(weight: int) -> tuple[str, ...]:
        return ("-c", "compute=split", "-c", f"lambda_weight={weight}", "-c", f"ecs_image_uri={ECS_IMAGE}", *domain)

    r.deploy("refused: compute=split without lambda_weight", "--all", "-c", "compute=split", *domain,
             fails_with="lambda_weight: no value with compute=split")  # fmt: skip
    r.deploy("split: ECS beside Lambda (lambda_weight=5)", *split(5), "--exclusively", "Ecs")
    r.expect_stacks("both compute stacks", {network, data, on_lambda, on_ecs, edge})
    check_ecs(r, "prod")
    for step, context, weights in (
        ("split: the domain 5/95 (lambda_weight=5)", split(5), {"lambda": 5, "ecs": 95}),
        ("split: the domain 50/50 (lambda_weight=50)", split(50), {"lambda": 50, "ecs": 50}),
        ("split: all to Lambda (compute=lambda)", domain, {"lambda": 100}),
        ("split: back to 50/50 (lambda_weight=50)", split(50), {"lambda": 50, "ecs": 50}),
        ("split: all to ECS (compute=ecs)", (*ecs, *domain), {"ecs": 100}),
        ("split: all back to Lambda (compute=lambda)", domain, {"lambda": 100}),
    ):
        r.deploy(step, *context, "--exclusively", "Edge")
        check_edge(r, zone_id, weights)
    r.client("cloudformation").delete_stack(StackName=on_ecs)
    r.expect_stacks("back on lambda after the split", {network, data, on_lambda, edge})

    # Edge protection (prod's default with a domain): CloudFront and its web ACL come and go (edge.py).
    rehearse_edge(r, zone_id, domain, ECS_IMAGE)
    r.expect_stacks("back on lambda after edge protection", {network, data, on_lambda, edge})
    check_edge(r, zone_id, {"lambda": 100})

    # What code review's second opinion does: a change-set diff against what is deployed.
    diff = r.cdk("cdk diff --method=change-set (lambda_memory=1024)", "diff", "--method=change-set", *domain, "-c",
                 "lambda_memory=1024", "--exclusively", "Lambda")  # fmt: skip
    if "MemorySize" not in diff or "512" not in diff or "1024" not in diff:
        raise RehearsalError(f"cdk diff --method=change-set does not show MemorySize 512 → 1024:\n{_tail(diff)}")
    before = check_lambda(r, "prod", memory=prod.function.memory_mb, domain=True)
    r.deploy("update: lambda_memory=1024", "--all", *domain, "-c", "lambda_memory=1024")
    after = check_lambda(r, "prod", memory=1024, domain=True)
    check_new_version(r, "prod", before, after)

    rehearse_delivery(r, domain)

    for stack, cdk_id in ((network, "Network"), (data, "Data")):
        r.cdk(f"refused: destroy {stack}", "destroy", "--force", *domain, "--exclusively", cdk_id,
              fails_with="TerminationProtection is enabled")  # fmt: skip
    r.expect_stacks("protected stacks kept", {network, data, on_lambda, edge, pipeline.CI_STACK})
    if not {e for e in r.exports() if e.startswith(network)}:
        raise RehearsalError(f"{network} exports nothing")

    # dev: the NAT instance; first without one SecureString, which must fail naming it.
    dev = load_environment("dev", ROOT)
    r.run("refused: put a secret before the network stack made its key (env=dev)", [str(PYTHON), "-m",
          "tools.ops.ssm_secrets", "put", "--env", "dev", "JWT_SECRET"], stdin=secrets.token_hex(16) + "\n",
          fails_with="deploy the network stack first: npx cdk deploy --exclusively Network -c env=dev")  # fmt: skip
    r.deploy("deploy the network stack (dev): the secrets' key", "--exclusively", "Network", "-c", "env=dev")
    missing = "REDIS_PASSWORD"  # the data stack resolves it ({{resolve:ssm-secure:…}}) at deploy
    for name in SECRET_NAMES:
        if name != missing:
            r.put_secret("dev", name)
    r.run("secrets check with one missing (env=dev)", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "check", "--env",
          "dev"], fails_with=missing)  # fmt: skip
    r.deploy("refused: deploy dev with a SecureString missing", "--all", "-c", "env=dev",
             fails_with=f"{dev.ssm_prefix}/{missing}] cannot be found")  # fmt: skip
    # The missing one as an earlier version of the tool wrote it, under aws/ssm: check names rekey, which moves it.
    r.client("ssm").put_parameter(Name=f"{dev.ssm_prefix}/{missing}", Value=secrets.token_hex(16), Type="SecureString")
    r.run("refused: secrets check with one under aws/ssm (env=dev)", [str(PYTHON), "-m", "tools.ops.ssm_secrets",
          "check", "--env", "dev"], fails_with="ssm_secrets rekey --env dev")  # fmt: skip
    r.run("secrets rekey (env=dev)", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "rekey", "--env", "dev"])
    check_secrets_key(r, "dev")
    r.deploy("deploy --all (dev)", "--all", "-c", "env=dev")
    nat = r.client("ec2").describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    if not [i for res in nat["Reservations"] for i in res["Instances"]]:
        raise RehearsalError("dev: no NAT instance")
    check_lambda(r, "dev", memory=dev.function.memory_mb)


def rehearse_delivery(r: Rehearsal, domain: Sequence[str]) -> None:
    """The delivery path under IAM (docs/delivery.md: the pipeline's threat model): the CI stack, deployed by hand,
    then each workflow job's AWS steps under its role with IAM enforced, and what each role must not do."""
    ci = ("-c", f"account={ACCOUNT}", "-c", f"github_repository={pipeline.REPOSITORY}")
    # Where prod's alarms go: a topic the team already has (its chat or paging integration subscribes),
    # committed to cdk.json before prod is deployed through the pipeline, whose preflight refuses it without.
    # And a paging service's HTTPS URL, kept in an SSM String parameter the plan's preflight checks under its role
    # (loopback and a closed port: nothing is ever posted to it here).
    oncall = r.client("sns").create_topic(Name="oncall")["TopicArn"]
    paging = "/anigmaa/prod/ALARM_HTTPS_URL"
    r.client("ssm").put_parameter(Name=paging, Type="String", Value="https://127.0.0.1:9/rehearsal-only")
    committed = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    committed["context"]["environments"]["prod"].update(alarm_topic_arns=[oncall], alarm_https_parameter=paging)
    destinations = ("-c", f"alarm_topic_arns={oncall}", "-c", f"alarm_https_parameter={paging}")
    # A change for the pipeline to carry through plan, approval and execution.
    context = (*domain, *ci, "-c", "lambda_memory=2048", *destinations)
    r.cdk("CI stack (deployed by hand, once per account)", "deploy", "--require-approval", "never", *context, "Ci/*")
    assembly = r.assemblies[context]
    arns = pipeline.ci_role_arns(["review", "plan-prod", "deploy-prod", "drift"])
    runner = pipeline.JobRun(
        r.emulator.url, pipeline.environment_without_credentials(r.environment()), r.workdir, r.log, r.timings
    )
    url, lambda_stack = r.emulator.url, load_environment("prod", ROOT).stack_name("lambda")
    first, second = "1" * 40, "2" * 40
    with iam.enforced() as record:
        runner.run(pipeline.read_job("review.yml", "live-diff"), arns["review"], assembly, {})
        assert runner.folder is not None
        live_diff = (runner.folder / "live-diff" / "live-diff.md").read_text()
        if "MemorySize" not in live_diff or "2048" not in live_diff:
            raise RehearsalError(f"the review's live diff does not show MemorySize → 2048:\n{_tail(live_diff)}")
        plan = pipeline.read_job("deploy.yml", "prod-plan")
        runner.run(plan, arns["plan-prod"], assembly, {"github.event.workflow_run.head_sha": first},
                   fails_with="alarm_email: no alarm destination in env=prod")  # fmt: skip
        runner.cdk_json = json.dumps(committed, indent=2) + "\n"
        outputs = runner.run(plan, arns["plan-prod"], assembly, {"github.event.workflow_run.head_sha": first})
        # moto lists every resource of a change set as a change, so each stack gets one here.
        planned = [e for e in pipeline.plan_of(assembly)["stacks"] if e["stack"] == lambda_stack]
        if not planned or planned[0]["status"] != "prepared":
            raise RehearsalError(f"the plan prepared no change set for {lambda_stack}: {planned}")
        arn = planned[0]["arn"]

        # A pull request's role cannot touch the deploy's change sets, nor execute any.
        admin = r.client("cloudformation")
        template = admin.get_template(StackName=lambda_stack, ChangeSetName=arn)["TemplateBody"]
        review = server.client(url, "cloudformation", pipeline.role_credentials(url, arns["review"], "pull_request"))
        explicit = "with an explicit deny in an identity-based policy"
        for step, call in (
            ("refused: the review role executes a change set",
             lambda: review.execute_change_set(ChangeSetName=arn)),
            ("refused: the review role deletes the deploy's change set",
             lambda: review.delete_change_set(ChangeSetName=arn)),
            ("refused: the review role creates a change set with the deploy's name",
             lambda: review.create_change_set(StackName=lambda_stack, ChangeSetName=f"deploy-{second}",
                                              TemplateBody=json.dumps(template), ChangeSetType="UPDATE")),
        ):  # fmt: skip
            pipeline.expect_denied(step, call, explicit, r.log)

        # Swapped after the plan (by whoever could): prod refuses, executes nothing.
        admin.delete_change_set(ChangeSetName=arn)
        admin.create_change_set(StackName=lambda_stack, ChangeSetName=f"deploy-{first}", ChangeSetType="UPDATE",
                                TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
                                Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                            for k, v in planned[0].get("parameters", {}).items()])  # fmt: skip
        prod = pipeline.read_job("deploy.yml", "prod")
        runner.run(prod, arns["deploy-prod"], assembly, {"needs.prod-plan.outputs.plan-digest": outputs["plan-digest"]},
                   fails_with="is gone (deleted after the plan); nothing from here on was executed")  # fmt: skip
        check_memory(r, unchanged_from=2048)

        # The next run of the workflow: a plan, approved, executed exactly.
        outputs = runner.run(plan, arns["plan-prod"], assembly, {"github.event.workflow_run.head_sha": second})
        runner.run(prod, arns["deploy-prod"], assembly, {"needs.prod-plan.outputs.plan-digest": outputs["plan-digest"]})
        check_memory(r, equals=2048)
        check_paging(r, paging)

        # Once more with nothing left to change: CloudFormation fails each change set as changing nothing,
        # the CLI leaves it, the plan records "unchanged" and deletes it, and the execution runs none.
        outputs = runner.run(plan, arns["plan-prod"], assembly, {"github.event.workflow_run.head_sha": "3" * 40})
        statuses = {e["stack"]: e["status"] for e in pipeline.plan_of(assembly)["stacks"]}
        if set(statuses.values()) != {"unchanged"}:
            raise RehearsalError(f"a plan with nothing to change: {statuses}")
        runner.run(prod, arns["deploy-prod"], assembly, {"needs.prod-plan.outputs.plan-digest": outputs["plan-digest"]})

        # The drift role reads configuration, never a secret.
        drift = pipeline.role_credentials(url, arns["drift"], "environment:drift")
        ssm = server.client(url, "ssm", drift)
        secret = load_environment("prod", ROOT).secret_parameter_names["DB_PASSWORD"]
        read = lambda: ssm.get_parameter(Name=secret, WithDecryption=True)  # noqa: E731
        pipeline.expect_denied("refused: the drift role reads a SecureString's value", read, explicit, r.log)
        runner.run(pipeline.read_job("drift.yml", "drift"), arns["drift"], assembly, {})
    tolerated = sorted({str(d) for d in record.denied()})
    r.log(f"delivery: {len(record.decisions)} requests evaluated under IAM, {len(tolerated)} distinct denials "
          "(the negatives above, and what the CLI tries and falls back from)")  # fmt: skip
    for line in tolerated:
        r.log(f"      {line}")
    if record.unresolved:
        r.log(f"delivery: evaluated on * (no resource model): {', '.join(sorted(record.unresolved))}")


def check_paging(r: Rehearsal, parameter: str) -> None:
    """The alarm topic's HTTPS subscription posts to the URL the parameter holds, which no template names."""
    config = load_environment("prod", ROOT)
    sns = r.client("sns")
    [topic] = [
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{config.names.alarm_topic}")
    ]
    url = r.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    if [(s["Protocol"], s["Endpoint"]) for s in subscriptions if s["Protocol"] == "https"] != [("https", url)]:
        raise RehearsalError(f"{topic}: no https subscription to the URL in {parameter}: {subscriptions}")
    data = r.client("cloudformation").get_template(StackName=config.stack_name("data"))["TemplateBody"]
    if url in (data if isinstance(data, str) else json.dumps(data)):
        raise RehearsalError(f"{config.stack_name('data')}: the paging URL is in the template")
    r.log(f"      {topic}: https subscription to the URL in {parameter} (resolved at deploy; not in the template)")


def check_memory(r: Rehearsal, *, equals: int | None = None, unchanged_from: int | None = None) -> None:
    """The live function's memory: what the executed change set set, or not the value a refused one carries."""
    function = r.client("lambda").get_function_configuration(
        FunctionName=load_environment("prod", ROOT).function.function_name
    )
    memory = int(function["MemorySize"])
    if equals is not None and memory != equals:
        raise RehearsalError(f"the function has {memory} MB after the approved change set, expected {equals}")
    if unchanged_from is not None and memory == unchanged_from:
        raise RehearsalError(f"the function has {memory} MB: a refused change set ran")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearsal", description="The deploy rehearsal on moto.")
    parser.add_argument("--only", choices=("deploys", "takeover"), help="one part only (default: every part)")
    only = parser.parse_args(argv).only
    started = time.monotonic()

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="anigmaa-rehearsal-") as work:
            timings: list[tuple[str, float]] = []
            tripped = 0
            if only != "takeover":
                with emulator() as emu, Synths(emu.environment(), DEPLOY_CONTEXT) as synths:
                    log(f"rehearsal: moto on {emu.url} (loopback), CDK CLI {CDK.name}, fake credentials")
                    rehearse(Rehearsal(emu, Path(work), log, timings, synths=synths))
                    tripped += emu.tripwire.connections
            if only != "deploys":
                # A fresh account: the Terraform-era production the team runs before the app has any stack.
                with emulator() as emu, Synths(emu.environment(), DEPLOY_CONTEXT) as synths:
                    log(f"rehearsal: the takeover from Terraform, on a fresh emulator at {emu.url}")
                    rehearse_takeover(Rehearsal(emu, Path(work), log, timings, synths=synths))
                    tripped += emu.tripwire.connections
    except (RehearsalError, pipeline.PipelineError, TakeoverError, RecoveryError, EdgeError) as failure:
        print(f"rehearsal: FAILED: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # an answer the checks did not expect (a boto3 error, a missing item): one line
        print(f"rehearsal: FAILED: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print("rehearsal: interrupted; the emulator is stopped", file=sys.stderr)
        return 130
    steps = len(timings)
    if tripped:
        print(f"rehearsal: FAILED: {tripped} connection(s) tried to leave loopback", file=sys.stderr)
        return 1
    log("rehearsal: no request left loopback (the proxy every other address goes through saw none)")
    log(
        "rehearsal: not rehearsed: invoking the function or calling the API or load balancer (tools.ops.smoke's "
        "checks): the emulator runs no Lambda, no ECS task and no network"
    )
    log(
        "rehearsal: not rehearsed: a release through CodeDeploy: the emulator runs no deployment (the alias's "
        "CodeDeployLambdaAliasUpdate policy), so no pre-traffic hook runs, no traffic shifts by the canary or "
        "rolls back on an alarm: CloudFormation moves the live alias to the new version itself; nor provisioned "
        "concurrency (moto keeps none), nor Route 53 answering by weight or health (the records are checked, "
        "not resolved)"
    )
    if only != "takeover":
        log(
            "rehearsal: not rehearsed: a request through CloudFront: no web ACL rule or rate limit is evaluated, the "
            "origin selector and the backend's origin check run nowhere (their njs and Go tests cover them), nothing "
            "propagates, no certificate is validated, and CloudFront's prefix list is moto's"
        )
    if SKIPPED.types:
        log(f"rehearsal: not modelled by the emulator, so not rehearsed: {', '.join(sorted(SKIPPED.types))}")
    log(f"rehearsal: {steps} steps passed in {time.monotonic() - started:.0f} s")
    log(json.dumps({"slowest": sorted(timings, key=lambda t: -t[1])[:3]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
