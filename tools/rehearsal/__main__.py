"""Rehearse a deploy: the project's pinned CDK CLI deploys, switches and updates every stack
against moto in server mode on loopback, and each step is checked through boto3 as a user would.

Usage: python -m tools.rehearsal      (or: make rehearse)

The steps follow the README: secrets from stdin, bootstrap, prod on Lambda, the runbook's
switch to ECS and back (without a domain, then with one and its hosted zone), an update,
dev; and the steps that must fail as CloudFormation fails: a missing SecureString, deleting
a protected stack, deleting the compute stack the domain's record still points at. Nothing
is executed: moto runs no Lambda and no ECS task, evaluates no IAM, and a replacement looks
like an update there (the offline drill and the guard cover those).
"""

from __future__ import annotations

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

import boto3

from config import SECRET_NAMES
from tools import ROOT
from tools.ops.aws import load_environment
from tools.ops.smoke import stack_outputs
from tools.rehearsal.server import ACCOUNT, FAKE_CREDENTIALS, REGION, SKIPPED, Emulator, emulator

CDK = ROOT / "node_modules" / ".bin" / "cdk"
PYTHON = ROOT / ".venv" / "bin" / "python"
# The ECS path without Docker: an image that is already in a registry (README, runbook step 2).
ECS_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/anigmaa:rehearsal"
ZONE_NAME, DOMAIN = "anigmaa.example", "api.anigmaa.example"


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

    def environment(self) -> dict[str, str]:
        env = self.emulator.environment()
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["JSII_NODE"] = str(ROOT / ".venv" / "bin" / "node")
        return env

    def client(self, service: str) -> Any:
        return boto3.session.Session(region_name=REGION).client(
            service,
            endpoint_url=self.emulator.url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    # ------------------------------------------------------------------ commands

    def run(self, step: str, command: Sequence[str], *, stdin: str | None = None, fails_with: str = "") -> str:
        """Run ``command``; it must succeed, or, with ``fails_with``, fail with that text in its output."""
        start = time.monotonic()
        result = subprocess.run(
            list(command), cwd=ROOT, env=self.environment(), input=stdin, capture_output=True, text=True, check=False
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
        assembly = self.assemblies.get(key)
        if assembly is not None and (assembly / "manifest.json").exists():
            app = ["--app", str(assembly)]
        else:
            # Its own directory, so a rehearsal leaves the user's cdk.out alone.
            self.assemblies[key] = Path(tempfile.mkdtemp(prefix="cdk.out-", dir=self.workdir))
            app = ["--output", str(self.assemblies[key]), *context]
        return self.run(
            step,
            [str(CDK), "--no-notices", "--no-version-reporting", "--ci", command, *app, *rest],
            fails_with=fails_with,
        )

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
            raise RehearsalError(f"{stack_name} lacks the outputs {missing} the README names")
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


def check_lambda(r: Rehearsal, env: str, *, memory: int, domain: bool = False) -> None:
    config = load_environment(env, ROOT)
    name = config.stack_name("lambda")
    outputs = r.outputs(name, "ApiGatewayEndpoint", "FunctionName", "FunctionArn", "ApiId", "FunctionLogGroup")
    function = r.client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
    if (function["MemorySize"], function["Runtime"]) != (memory, config.function.runtime):
        raise RehearsalError(f"{name}: function {function['MemorySize']} MB {function['Runtime']}, expected {memory}")
    variables = function.get("Environment", {}).get("Variables", {})
    for secret in SECRET_NAMES:
        if secret in variables or f"{secret}_PARAM" not in variables:
            raise RehearsalError(f"{name}: the function must get {secret}_PARAM (a name), never {secret}")
    apis = r.client("apigatewayv2")
    routes = {route["RouteKey"] for route in apis.get_routes(ApiId=outputs["ApiId"])["Items"]}
    if "$default" not in routes:
        raise RehearsalError(f"{name}: the HTTP API has routes {sorted(routes)}, no $default")
    [stage] = apis.get_stages(ApiId=outputs["ApiId"])["Items"]
    throttle = stage.get("DefaultRouteSettings", {})
    expected = (config.api.throttle_rate, config.api.throttle_burst)
    if (throttle.get("ThrottlingRateLimit"), throttle.get("ThrottlingBurstLimit")) != expected:
        raise RehearsalError(f"{name}: stage throttle {throttle}, expected {expected}")
    if domain:
        r.outputs(name, "CustomDomainUrl")
    check_alarms(r)
    # The smoke test's reading part; its invocations and HTTP calls cannot run here (no Lambda execution).
    r.log(f"      {name}: function {memory} MB, $default route, throttle {expected}, alarms, outputs")


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
    """The alarms in CloudWatch are exactly those the live stacks' templates declare."""
    cloudformation = r.client("cloudformation")
    declared = set()
    for stack in r.stacks():
        body = cloudformation.get_template(StackName=stack)["TemplateBody"]
        template = body if isinstance(body, dict) else json.loads(body)
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                declared.add(resource["Properties"]["AlarmName"])
    alarms = r.client("cloudwatch").describe_alarms(MaxRecords=100)
    present = {a["AlarmName"] for a in alarms["MetricAlarms"] + alarms.get("CompositeAlarms", [])}
    if present != declared:
        raise RehearsalError(f"alarms: missing {sorted(declared - present)}, left over {sorted(present - declared)}")


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


def check_record(r: Rehearsal, zone_id: str, target: str) -> None:
    records = r.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    [record] = [x for x in records if x["Name"].rstrip(".") == DOMAIN and x["Type"] == "A"] or [None]
    alias = ((record or {}).get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower()
    if target.rstrip(".").lower() not in alias:
        raise RehearsalError(f"{DOMAIN}: the record points at {alias or 'nothing'}, expected {target}")
    r.log(f"      {DOMAIN} → {alias}")


# ---------------------------------------------------------------------- the steps


def rehearse(r: Rehearsal) -> None:
    prod = load_environment("prod", ROOT)
    network, data = prod.stack_name("network"), prod.stack_name("data")
    on_lambda, on_ecs, edge = prod.stack_name("lambda"), prod.stack_name("ecs"), prod.stack_name("edge")
    ecs = ("-c", "compute=ecs", "-c", f"ecs_image_uri={ECS_IMAGE}")

    for name in SECRET_NAMES:
        r.put_secret("prod", name)
    r.run("secrets check (env=prod)", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "check", "--env", "prod"])
    r.cdk("cdk bootstrap", "bootstrap", f"aws://{ACCOUNT}/{REGION}")

    r.deploy("deploy --all (prod, lambda)", "--all")
    r.expect_stacks("prod on lambda", {network, data, on_lambda})
    check_data(r, "prod")
    check_lambda(r, "prod", memory=prod.function.memory_mb)

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
    domain = ("-c", f"domain_name={DOMAIN}", "-c", f"hosted_zone_id={zone_id}", "-c", f"hosted_zone_name={ZONE_NAME}")
    r.deploy("deploy --all with a domain (lambda)", "--all", *domain)
    r.expect_stacks("prod with a domain", {network, data, on_lambda, edge})
    check_lambda(r, "prod", memory=prod.function.memory_mb, domain=True)
    check_record(r, zone_id, r.client("apigatewayv2").get_domain_names()["Items"][0]["DomainNameConfigurations"][0][
        "ApiGatewayDomainName"])  # fmt: skip
    r.deploy("runbook: Lambda → ECS, step 2 (domain)", *ecs, *domain, "--exclusively", "Ecs")
    r.deploy("runbook: Lambda → ECS, step 3 (move the domain)", *ecs, *domain, "--exclusively", "Edge")
    check_record(r, zone_id, r.outputs(on_ecs, "LoadBalancerDnsName")["LoadBalancerDnsName"])
    r.cdk("refused: delete the ECS stack the record points at", "destroy", "--force", *ecs, *domain, "--exclusively",
          "Ecs", fails_with="is in use by")  # fmt: skip
    r.client("cloudformation").delete_stack(StackName=on_lambda)
    r.deploy("runbook: ECS → Lambda (domain)", *domain, "--exclusively", "Lambda")
    r.deploy("runbook: ECS → Lambda, move the domain", *domain, "--exclusively", "Edge")
    check_record(r, zone_id, r.client("apigatewayv2").get_domain_names()["Items"][0]["DomainNameConfigurations"][0][
        "ApiGatewayDomainName"])  # fmt: skip
    r.client("cloudformation").delete_stack(StackName=on_ecs)
    r.expect_stacks("back on lambda with a domain", {network, data, on_lambda, edge})

    # What code review's second opinion does: a change-set diff against what is deployed.
    diff = r.cdk("cdk diff --method=change-set (lambda_memory=1024)", "diff", "--method=change-set", *domain, "-c",
                 "lambda_memory=1024", "--exclusively", "Lambda")  # fmt: skip
    if "MemorySize" not in diff or "512" not in diff or "1024" not in diff:
        raise RehearsalError(f"cdk diff --method=change-set does not show MemorySize 512 → 1024:\n{_tail(diff)}")
    r.deploy("update: lambda_memory=1024", "--all", *domain, "-c", "lambda_memory=1024")
    check_lambda(r, "prod", memory=1024, domain=True)

    for stack, cdk_id in ((network, "Network"), (data, "Data")):
        r.cdk(f"refused: destroy {stack}", "destroy", "--force", *domain, "--exclusively", cdk_id,
              fails_with="TerminationProtection is enabled")  # fmt: skip
    r.expect_stacks("protected stacks kept", {network, data, on_lambda, edge})
    if not {e for e in r.exports() if e.startswith(network)}:
        raise RehearsalError(f"{network} exports nothing")

    # dev: the NAT instance; first without one SecureString, which must fail naming it.
    dev = load_environment("dev", ROOT)
    missing = "REDIS_PASSWORD"  # the data stack resolves it ({{resolve:ssm-secure:…}}) at deploy
    for name in SECRET_NAMES:
        if name != missing:
            r.put_secret("dev", name)
    r.run("secrets check with one missing (env=dev)", [str(PYTHON), "-m", "tools.ops.ssm_secrets", "check", "--env",
          "dev"], fails_with=missing)  # fmt: skip
    r.deploy("refused: deploy dev with a SecureString missing", "--all", "-c", "env=dev",
             fails_with=f"{dev.ssm_prefix}/{missing}] cannot be found")  # fmt: skip
    r.put_secret("dev", missing)
    r.deploy("deploy --all (dev)", "--all", "-c", "env=dev")
    nat = r.client("ec2").describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    if not [i for res in nat["Reservations"] for i in res["Instances"]]:
        raise RehearsalError("dev: no NAT instance")
    check_lambda(r, "dev", memory=dev.function.memory_mb)


def main(argv: list[str] | None = None) -> int:
    del argv
    started = time.monotonic()

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="anigmaa-rehearsal-") as work, emulator() as emu:
            log(f"rehearsal: moto on {emu.url} (loopback), CDK CLI {CDK.name}, fake credentials")
            rehearsal = Rehearsal(emu, Path(work), log)
            rehearse(rehearsal)
    except RehearsalError as failure:
        print(f"rehearsal: FAILED: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # an answer the checks did not expect (a boto3 error, a missing item): one line
        print(f"rehearsal: FAILED: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print("rehearsal: interrupted; the emulator is stopped", file=sys.stderr)
        return 130
    steps = len(rehearsal.timings)
    if emu.tripwire.connections:
        print(f"rehearsal: FAILED: {emu.tripwire.connections} connection(s) tried to leave loopback", file=sys.stderr)
        return 1
    log("rehearsal: no request left loopback (the proxy every other address goes through saw none)")
    log(
        "rehearsal: not rehearsed: invoking the function or calling the API or load balancer (tools.ops.smoke's "
        "checks): the emulator runs no Lambda, no ECS task and no network"
    )
    if SKIPPED.types:
        log(f"rehearsal: not modelled by the emulator, so not rehearsed: {', '.join(sorted(SKIPPED.types))}")
    log(f"rehearsal: {steps} steps passed in {time.monotonic() - started:.0f} s")
    log(json.dumps({"slowest": sorted(rehearsal.timings, key=lambda t: -t[1])[:3]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
