"""Rotate the origin secret (CloudFront's X-Origin-Verify value) one deployed step at a time, and show where it is.

Usage:
  python -m tools.ops.origin_secret status --env prod    the secret's current and previous version ids, the
                                                    origin_secret_version cdk.json configures, and the one the
                                                    deployed cdn stack's distribution references; exit 1 if
                                                    either is a version the backend refuses
  python -m tools.ops.origin_secret rotate --env prod    a new value, generated here and written straight to
                                                    Secrets Manager, once the previous rotation is deployed;
                                                    prints its version id and the next steps

With edge protection (domain_name and edge_protection open or on), CloudFront sends every origin
request the secret's value in X-Origin-Verify. The cdn stack (us-east-1) takes it through a
CloudFormation dynamic reference, to the version cdk.json's ``origin_secret_version`` names (empty:
the version current when the cdn stack was created), which CloudFormation resolves again only when
the reference changes. The backend accepts the secret's AWSCURRENT and AWSPREVIOUS values. So a
rotation is safe only when CloudFront sends the current value: after it, CloudFront's value is
AWSPREVIOUS until origin_secret_version names the new one and the cdn stack is deployed, and one
more rotation before that would leave CloudFront sending a value the backend refuses. ``rotate``
refuses then.

No value is read, printed, logged or taken from a command line: ``status`` reads version ids and the
cdn stack's template (which holds the reference, never the value); ``rotate`` writes a value it
generated and forgets. Errors are one line.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import string
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from config import AppConfig
from tools import ROOT
from tools.ops.aws import AwsError, client, load_environment, one_line_errors

# The header CloudFront sends the value in (constructs/edge_protection.py ORIGIN_VERIFY_HEADER).
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
# As the secret's own generator makes it (constructs/origin_secret.py ORIGIN_SECRET_LENGTH): letters and
# digits, so it is a plain header value. Both are repeated here so the tool loads no CDK (a test holds them).
ORIGIN_SECRET_LENGTH = 48
ALPHABET = string.ascii_letters + string.digits
# {{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}, the last three optional
# together; the secret id may be an ARN, so it ends at the last ":SecretString".
REFERENCE = re.compile(
    r"\{\{resolve:secretsmanager:(?P<secret>.+):SecretString"
    r"(?::(?P<key>[^:}]*):(?P<stage>[^:}]*):(?P<version>[^:}]*))?\}\}"
)
# A stack in one of these has the template it shows and nothing under way.
SETTLED = (
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
)


def new_value() -> str:
    """A new secret value: ORIGIN_SECRET_LENGTH letters and digits from the operating system's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ORIGIN_SECRET_LENGTH))


def reference(secret_name: str, version_id: str | None) -> str:
    """The dynamic reference the cdn stack writes for a version (None: unpinned), as
    constructs/edge_protection.py origin_secret_reference does (a test holds the two equal)."""
    version = f":::{version_id}" if version_id else ""
    return "{{resolve:secretsmanager:" + f"{secret_name}:SecretString{version}" + "}}"


@dataclass(frozen=True)
class Versions:
    """The secret's version ids by stage, and when each version was created (never a value)."""

    current: str
    previous: str | None
    created: dict[str, datetime]
    replicas: dict[str, str]  # region → replication status

    def stage(self, version_id: str | None) -> str | None:
        """AWSCURRENT, AWSPREVIOUS, or None: a version the backend refuses (or no version)."""
        if version_id is None:
            return None
        if version_id == self.current:
            return "AWSCURRENT"
        return "AWSPREVIOUS" if version_id == self.previous else None

    @property
    def rotated(self) -> bool:
        """Whether the secret has had a value other than its first."""
        return self.previous is not None or len(self.created) > 1

    def current_at(self, moment: datetime) -> str | None:
        """The version created last at or before ``moment``: the one current then (None: none was)."""
        earlier = [(created, version) for version, created in self.created.items() if created <= moment]
        return max(earlier)[1] if earlier else None


def read_versions(secretsmanager: Any, name: str, *, env: str, region: str) -> Versions:
    """The secret's versions, from DescribeSecret and ListSecretVersionIds (no value)."""
    try:
        described = secretsmanager.describe_secret(SecretId=name)
    except secretsmanager.exceptions.ResourceNotFoundException:
        raise AwsError(
            f"{name} does not exist in {region}: the network stack creates it with edge protection "
            f"(npx cdk deploy --exclusively Network -c env={env})"
        ) from None
    stages: dict[str, list[str]] = described.get("VersionIdsToStages", {})
    current = [version for version, labels in stages.items() if "AWSCURRENT" in labels]
    previous = [version for version, labels in stages.items() if "AWSPREVIOUS" in labels]
    if len(current) != 1:
        raise AwsError(f"{name} has no AWSCURRENT version: see it in the Secrets Manager console ({region})")
    created: dict[str, datetime] = {}
    request: dict[str, Any] = {"SecretId": name, "IncludeDeprecated": True}
    while True:
        answer = secretsmanager.list_secret_version_ids(**request)
        created.update({v["VersionId"]: v["CreatedDate"] for v in answer.get("Versions", []) if "CreatedDate" in v})
        if not answer.get("NextToken"):
            break
        request["NextToken"] = answer["NextToken"]
    replicas = {r["Region"]: r.get("Status", "?") for r in described.get("ReplicationStatus", [])}
    return Versions(current[0], previous[0] if previous else None, created, replicas)


@dataclass(frozen=True)
class Deployed:
    """What the deployed cdn stack's distribution sends: the reference in its template, never a value."""

    stack: str
    status: str
    created: datetime
    reference: str
    version: str | None  # the pinned version id; None: unpinned (resolved when the reference was last set)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


def origin_references(template: dict[str, Any]) -> set[str]:
    """Every X-Origin-Verify header value of the template's distributions' origins."""
    found: set[str] = set()
    for resource in template.get("Resources", {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::CloudFront::Distribution":
            continue
        config = resource.get("Properties", {}).get("DistributionConfig", {})
        for origin in config.get("Origins", []):
            for header in origin.get("OriginCustomHeaders", []):
                if str(header.get("HeaderName", "")).lower() == ORIGIN_VERIFY_HEADER.lower():
                    value = header.get("HeaderValue")
                    # Anything but a plain string (an intrinsic function) is no reference this tool reads.
                    found.add(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    return found


def parse_reference(text: str, secret_name: str) -> str | None:
    """The version id a reference pins (None: unpinned); AwsError for anything else.

    An error may quote the reference: it names a secret and a version, never a value.
    """
    match = REFERENCE.fullmatch(text)
    if match is None:
        raise AwsError(f"its {ORIGIN_VERIFY_HEADER} header is {text[:120]!r}, not a Secrets Manager dynamic reference")
    secret = match["secret"]
    arn = rf"arn:[^:]+:secretsmanager:[^:]+:\d+:secret:{re.escape(secret_name)}(-\w{{6}})?"
    if secret != secret_name and not re.fullmatch(arn, secret):
        raise AwsError(f"its {ORIGIN_VERIFY_HEADER} header refers to {secret}, not {secret_name}")
    if match["key"] or match["stage"]:
        raise AwsError(
            f"its {ORIGIN_VERIFY_HEADER} header is {text!r}: a JSON key or a version stage, which the app never writes"
        )
    return match["version"] or None


def deployed_reference(cloudformation: Any, stack_name: str, secret_name: str) -> Deployed | None:
    """The deployed cdn stack's reference to the secret, or None when the stack is not deployed."""
    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    status = stack["StackStatus"]
    if status in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE") or status.startswith("DELETE"):
        return None  # no resources: a change set not executed yet, a failed creation, a deletion
    body = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, str):  # botocore decodes a JSON body itself; the CDK writes nothing else
        try:
            body = json.loads(body)
        except ValueError:
            raise AwsError(f"{stack_name}'s template is not JSON: deploy it with this version of the app") from None
    found = origin_references(body)
    if not found:
        raise AwsError(
            f"{stack_name}'s distribution sends no {ORIGIN_VERIFY_HEADER} header: deploy it with this version of "
            "the app"
        )
    if len(found) > 1:
        raise AwsError(
            f"{stack_name}'s origins send different {ORIGIN_VERIFY_HEADER} values: {', '.join(sorted(found))}"
        )
    [text] = found
    try:
        version = parse_reference(text, secret_name)
    except AwsError as error:
        raise AwsError(f"{stack_name}: {error}") from None
    return Deployed(stack_name, status, stack["CreationTime"], text, version)


@dataclass(frozen=True)
class Sent:
    """The version a reference makes CloudFront send, and how that is known."""

    version: str | None  # None: not known
    how: str


def configured_sends(configured: str | None, versions: Versions, deployed: Deployed | None) -> Sent:
    """The version a deploy of the configuration sends: the pinned one, or unpinned the one current when the
    deployed reference was set (the current one when a deploy sets it: a first one, or one from a pinned one)."""
    if configured is not None:
        return Sent(configured, "pinned")
    if deployed is None or deployed.version is not None:
        return Sent(versions.current, "unpinned: the current one, which the deploy that sets the reference resolves")
    return _unpinned(versions, deployed)


def deployed_sends(versions: Versions, deployed: Deployed) -> Sent:
    """The version CloudFront sends now."""
    return Sent(deployed.version, "pinned") if deployed.version is not None else _unpinned(versions, deployed)


def _unpinned(versions: Versions, deployed: Deployed) -> Sent:
    if not versions.rotated:
        return Sent(versions.current, "unpinned, never rotated: the secret's only version")
    at = versions.current_at(deployed.created)
    created = f"{deployed.created:%Y-%m-%d %H:%M:%S %Z}".strip()
    if at is None:
        return Sent(None, f"unpinned: no version of the secret predates {deployed.stack} ({created})")
    return Sent(
        at, f"unpinned: the one current when {deployed.stack} was created ({created}), as far as creation times tell"
    )


def _describe(version: str | None, versions: Versions) -> str:
    if version is None:
        return "unknown"
    stage = versions.stage(version)
    return (
        f"{version} ({stage})" if stage else f"{version} (neither AWSCURRENT nor AWSPREVIOUS: the backend refuses it)"
    )


def status(config: AppConfig, versions: Versions, deployed: Deployed | None, out: TextIO) -> int:
    """Print where the secret, the configuration and the deployed distribution stand; 1 when what the
    configuration or the distribution sends is a version the backend refuses."""
    edge = config.api.edge
    assert edge is not None
    assert config.edge_region is not None
    name, cdn = config.names.origin_secret, config.stack_name("cdn")
    out.write(f"secret      {name} ({config.region})\n")
    out.write(f"current     {versions.current}\n")
    out.write(f"previous    {versions.previous or 'none (never rotated)'}\n")
    if config.edge_region != config.region:
        out.write(f"replica     {config.edge_region} {versions.replicas.get(config.edge_region, 'missing')}\n")
    configured = configured_sends(edge.origin_secret_version, versions, deployed)
    label = edge.origin_secret_version or "empty"
    out.write(
        f"configured  origin_secret_version {label} in cdk.json environments.{config.env}: sends "
        f"{_describe(configured.version, versions)}; {configured.how}\n"
    )
    failed = versions.stage(configured.version) is None
    if configured.version != versions.current:
        out.write(
            f"            not the current version: set origin_secret_version to {versions.current} in cdk.json "
            f"environments.{config.env} and deploy the cdn stack before the next rotation\n"
        )
    if deployed is None:
        out.write(f"deployed    {cdn} is not deployed in {config.edge_region}: nothing sends the secret yet\n")
    else:
        sent = deployed_sends(versions, deployed)
        same = deployed.reference == reference(name, edge.origin_secret_version)
        out.write(
            f"deployed    {cdn} ({config.edge_region}, {deployed.status}) references {deployed.reference}: sends "
            f"{_describe(sent.version, versions)}; {sent.how}\n"
        )
        out.write(
            "            the same reference as the configuration\n"
            if same
            else f"            not the configuration's: deploy the cdn stack ({deploy_command(config)})\n"
        )
        failed = failed or versions.stage(sent.version) is None
    if failed:
        out.write(
            "FAIL: CloudFront would send a value the backend refuses (it accepts AWSCURRENT and AWSPREVIOUS only): "
            f"set origin_secret_version to {versions.current} and deploy the cdn stack\n"
        )
    return 1 if failed else 0


def deploy_command(config: AppConfig) -> str:
    """How the cdn stack alone is reviewed and deployed (the CLI's one-stack convention in the README: by CDK id)."""
    return (
        f"npx cdk diff --exclusively Cdn -c env={config.env}, then npx cdk deploy --exclusively Cdn -c env={config.env}"
    )


def rotation_blocker(config: AppConfig, versions: Versions, deployed: Deployed | None) -> str | None:
    """Why a rotation now would break CloudFront's requests, or None when the last one is deployed."""
    edge = config.api.edge
    assert edge is not None
    name, cdn, configured = config.names.origin_secret, config.stack_name("cdn"), edge.origin_secret_version
    label = configured or "empty"
    if deployed is None:
        return (
            f"{cdn} is not deployed in {config.edge_region}, so which value CloudFront will send is not settled; "
            f"deploy it first ({deploy_command(config)})"
        )
    if not deployed.settled:
        return f"{cdn} is {deployed.status}: wait until it settles, then run status"
    if deployed.reference != reference(name, configured):
        return (
            f"{cdn} references {deployed.reference}, not what origin_secret_version {label} in cdk.json "
            f"environments.{config.env} makes: deploy the cdn stack first ({deploy_command(config)}); a rotation "
            "now could leave CloudFront sending a value the backend no longer accepts"
        )
    if configured is None:
        if versions.rotated:
            return (
                f"origin_secret_version is empty but {name} has been rotated, so the version CloudFront sends is not "
                f"known: set origin_secret_version to {versions.current} in cdk.json environments.{config.env} and "
                f"deploy the cdn stack ({deploy_command(config)}) first"
            )
        return None
    if configured != versions.current:
        stage = versions.stage(configured) or "neither AWSCURRENT nor AWSPREVIOUS"
        return (
            f"origin_secret_version {configured} is {stage}, not the current {versions.current}: the last rotation "
            f"is not deployed; set origin_secret_version to {versions.current} in cdk.json environments.{config.env} "
            f"and deploy the cdn stack ({deploy_command(config)}) first, or a second rotation would drop the value "
            "CloudFront sends"
        )
    return None


def rotate(secretsmanager: Any, config: AppConfig, versions: Versions, deployed: Deployed | None, out: TextIO) -> int:
    """Write a new value (a new version, AWSCURRENT; the old one AWSPREVIOUS) and print the next steps."""
    blocker = rotation_blocker(config, versions, deployed)
    if blocker is not None:
        raise AwsError(f"not rotated: {blocker}")
    name = config.names.origin_secret
    value = new_value()
    answer = secretsmanager.put_secret_value(SecretId=name, SecretString=value, ClientRequestToken=str(uuid.uuid4()))
    del value
    version = answer["VersionId"]
    replica = f"; Secrets Manager replicates it to {config.edge_region}" if config.edge_region != config.region else ""
    out.write(f"rotated {name} in {config.region}{replica}\n")
    out.write(f"new version       {version} (AWSCURRENT)\n")
    out.write(f"previous version  {versions.current} (AWSPREVIOUS: what CloudFront sends until the deploy)\n")
    out.write(f'next: set "origin_secret_version": "{version}" in cdk.json environments.{config.env}\n')
    out.write(
        f"next: review and deploy the cdn stack {config.stack_name('cdn')} ({config.edge_region}): "
        f"{deploy_command(config)}\n"
    )
    out.write(
        "the backend accepts the new value at once (it reads the secret again when a request carries a value it "
        "does not hold, at most every 30 s) and the previous one until the next rotation, which this tool refuses "
        "until that deploy\n"
    )
    return 0


def require_edge(config: AppConfig) -> None:
    if config.api.edge is None or config.edge_region is None:
        raise AwsError(
            f"env={config.env} has no edge protection, so there is no origin secret: it takes domain_name, "
            f"hosted_zone_id, hosted_zone_name and edge_protection open or on in cdk.json environments.{config.env}"
        )


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops.origin_secret", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    status_parser = commands.add_parser(
        "status", help="version ids: the secret's, the configured one, the deployed one"
    )
    rotate_parser = commands.add_parser("rotate", help="a new value, once the last rotation is deployed")
    for sub in (status_parser, rotate_parser):
        sub.add_argument("--env", default="prod", help="environment in cdk.json (prod, dev)")
    args = parser.parse_args(argv)
    try:
        config = load_environment(args.env, root)
        require_edge(config)
        assert config.edge_region is not None
        name = config.names.origin_secret
        with one_line_errors():
            secretsmanager = client("secretsmanager", config.region)
            versions = read_versions(secretsmanager, name, env=args.env, region=config.region)
            cloudformation = client("cloudformation", config.edge_region)
            deployed = deployed_reference(cloudformation, config.stack_name("cdn"), name)
            if args.command == "status":
                return status(config, versions, deployed, out)
            return rotate(secretsmanager, config, versions, deployed, out)
    except AwsError as error:
        print(f"origin-secret: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
