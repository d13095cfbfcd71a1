"""The takeover of a Terraform-era production, rehearsed as docs/takeover.md tells it.

boto3 stands in for `terraform apply` (`terraform_seed.create`) and writes the state `terraform
state pull` would print; then the runbook's steps run through the project's own commands and the
pinned CDK CLI against the emulator, in a copy of the checkout whose cdk.json holds the plan's
settings (the commit a team would make): `make adopt`, refused until the app's SecureStrings hold
the live secrets (and refused again for a wrong password); the network stack in the live VPC;
`cdk import` of the data stack with the plan's mapping and overrides (and a mapping to a bucket
that does not exist, refused with CloudFormation's message); the deploy that converges the
imported resources in place; Terraform's `removed` blocks validated; the Lambda path beside
Terraform's ALB and the record moved to it a slice at a time. After each step the imported
resources keep their identity: the same database, cache and bucket (endpoints, ids, counts) and
every object the bucket held.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools import ROOT
from tools.ops.aws import load_environment
from tools.rehearsal.pipeline import checkout_copy
from tools.rehearsal.server import REGION
from tools.rehearsal.terraform_seed import SeedProduction, SeedSecrets, create, write_state

if TYPE_CHECKING:
    from tools.rehearsal.__main__ import Rehearsal

PYTHON = ROOT / ".venv" / "bin" / "python"


class TakeoverError(Exception):
    """A takeover step did not do what the runbook says; the message names it."""


def rehearse_takeover(r: Rehearsal) -> None:
    """The runbook, steps 3 to 13, against a seed-shaped production made in the emulator."""
    secrets = SeedSecrets.generate()
    live = create(r.emulator.url, REGION, secrets=secrets)
    state = r.workdir / "prod.tfstate"
    write_state(live, state, secrets=secrets)
    identity = _identity(r, live)
    out = r.workdir / "adopt"
    adopt = [str(PYTHON), "-m", "tools.adopt", "--state", str(state), "--env", "prod", "--out", str(out)]

    r.run("takeover: make adopt before the app's secrets (refused)", adopt, fails_with="does not yet hold")
    settings = json.loads((out / "prod" / "settings.json").read_text(encoding="utf-8"))
    # The zone is a data source of the seed's Terraform, so the plan names the domain's keys as a follow-up.
    settings |= {
        "domain_name": live.record_name,
        "hosted_zone_id": live.hosted_zone_id,
        "hosted_zone_name": live.zone_name,
        "external_alb": {"dns_name": live.alb_dns_name, "hosted_zone_id": live.alb_zone_id},
        "edge_protection": "off",
    }
    cdk_json = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    cdk_json["context"]["environments"]["prod"].update(settings)
    t = replace(r, assemblies={}, root=checkout_copy(r.workdir, json.dumps(cdk_json, indent=2)))
    vpcs = len(r.client("ec2").describe_vpcs()["Vpcs"])

    t.cdk("takeover: cdk bootstrap", "bootstrap", f"aws://{live.account}/{REGION}")
    t.deploy("takeover: the network stack in the live VPC", "--exclusively", "Network")
    if len(r.client("ec2").describe_vpcs()["Vpcs"]) != vpcs:
        raise TakeoverError("takeover: the network stack made a VPC; it must run in the live one")

    def put(name: str, value: str, step: str, *flags: str) -> None:
        command = [str(PYTHON), "-m", "tools.ops.ssm_secrets", "put", "--env", "prod", *flags, name]
        t.run(step, command, stdin=value + "\n")

    put("DB_PASSWORD", secrets.db_password + "-not-it", "takeover: secrets put DB_PASSWORD (a wrong value)")
    put("REDIS_PASSWORD", _terraform_parameter(r, live, "redis_auth_token"), "takeover: secrets put REDIS_PASSWORD")
    t.run("takeover: make adopt with a wrong database password (refused)", adopt, fails_with="differs from")
    put("DB_PASSWORD", _terraform_parameter(r, live, "db_password"), "takeover: secrets put DB_PASSWORD", "--overwrite")
    put("JWT_SECRET", _terraform_parameter(r, live, "jwt_secret"), "takeover: secrets put JWT_SECRET")
    put("MIDTRANS_SERVER_KEY", _terraform_parameter(r, live, "midtrans_server_key"), "takeover: secrets put MIDTRANS")
    t.run("takeover: make adopt (planned)", adopt)
    mapping, overrides = out / "prod" / "resource-mapping-Data.json", out / "prod" / "import-overrides.json"

    wrong = json.loads(mapping.read_text(encoding="utf-8"))
    wrong["AssetsBucket252B3DF7"] = {"BucketName": f"{live.bucket_name}-missing"}
    wrong_mapping = r.workdir / "wrong-mapping.json"
    wrong_mapping.write_text(json.dumps(wrong), encoding="utf-8")
    importing = ("-c", f"adopt_import={overrides}")
    t.cdk("takeover: cdk import with a bucket that does not exist (refused)", "import", *importing,
          "--resource-mapping", str(wrong_mapping), "Data", fails_with="Bucket not found")  # fmt: skip
    data = _stack_name(t, "data")
    _delete_if_under_review(r, data)
    _check(identity, _identity(r, live), "after the refused import")

    import_data = ("import", *importing, "--resource-mapping", str(mapping), "Data")
    t.cdk("takeover: cdk import of the data stack", *import_data)
    # The way back from the import (runbook, step 6): deleting the stack deletes nothing it imported.
    cloudformation = r.client("cloudformation")
    cloudformation.update_termination_protection(StackName=data, EnableTerminationProtection=False)
    cloudformation.delete_stack(StackName=data)
    _check(identity, _identity(r, live), "after deleting the stack that imported them")
    r.log("ok    takeover: the way back: the imported data stack deleted, the database, cache and bucket kept")
    t.cdk("takeover: cdk import of the data stack, again", *import_data)
    status = r.client("cloudformation").describe_stacks(StackName=data)["Stacks"][0]["StackStatus"]
    if status != "IMPORT_COMPLETE":
        raise TakeoverError(f"takeover: {data} is {status} after cdk import, expected IMPORT_COMPLETE")
    _check_held(r, data, json.loads(mapping.read_text(encoding="utf-8")))
    _check(identity, _identity(r, live), "after cdk import")

    imported = set(json.loads(mapping.read_text(encoding="utf-8")))
    same = t.cdk("takeover: cdk diff of the data stack as imported", "diff", *importing, "--exclusively", "Data")
    _check_diff(same, imported, changes_allowed=False)
    converge = t.cdk("takeover: cdk diff of the data stack (the plan's in-place list)", "diff", "--exclusively", "Data")
    _check_diff(converge, imported, changes_allowed=True)
    t.deploy("takeover: deploy the data stack (in place)", "--exclusively", "Data")
    _check(identity, _identity(r, live), "after the data stack's deploy")
    _check_converged(r, live)
    _validate_removed_blocks(t, out / "prod" / "terraform-removed.tf")

    # The cutover: the Lambda path beside Terraform's ALB, then the name a slice at a time.
    def split(weight: int) -> tuple[str, ...]:
        return ("-c", "compute=split", "-c", f"lambda_weight={weight}")

    t.deploy("takeover: the Lambda path at weight 0", *split(0), "--exclusively", "Lambda")
    _make_record_weighted(r, live)
    t.deploy("takeover: the edge stack beside Terraform's record", *split(0), "--exclusively", "Edge")
    _check_weights(r, live, {"terraform": 100, "ecs": 100, "lambda": 0})
    _delete_terraform_record(r, live)
    _check_weights(r, live, {"ecs": 100, "lambda": 0})
    t.deploy("takeover: a slice to Lambda (lambda_weight=50)", *split(50), "--exclusively", "Edge")
    _check_weights(r, live, {"ecs": 50, "lambda": 50})
    t.deploy("takeover: all on Lambda (compute=lambda)", "-c", "compute=lambda", "--exclusively", "Edge")
    _check_weights(r, live, {"lambda": 100})
    _check(identity, _identity(r, live), "after the cutover")
    r.log(
        f"ok    takeover: {len(json.loads(mapping.read_text()))} resources imported, none replaced, "
        f"{len(live.bucket_objects)} objects kept, the record moved to Lambda"
    )


def _stack_name(t: Rehearsal, role: str) -> str:
    return load_environment("prod", t.root).stack_name(role)


def _terraform_parameter(r: Rehearsal, live: SeedProduction, name: str) -> str:
    """A value as the runbook reads it: from Terraform's SSM parameter, never from the state."""
    parameter = r.client("ssm").get_parameter(Name=live.ssm_parameter_names[name], WithDecryption=True)
    return str(parameter["Parameter"]["Value"])


def _identity(r: Rehearsal, live: SeedProduction) -> dict[str, Any]:
    """What must never change: the database, the cache, the bucket's objects, how many of each there are."""
    rds, cache, s3 = r.client("rds"), r.client("elasticache"), r.client("s3")
    db = rds.describe_db_instances(DBInstanceIdentifier=live.db_instance_identifier)["DBInstances"][0]
    group = cache.describe_replication_groups(ReplicationGroupId=live.replication_group_id)["ReplicationGroups"][0]
    objects = s3.list_objects_v2(Bucket=live.bucket_name).get("Contents", [])
    return {
        "database": (db["DBInstanceIdentifier"], db["Endpoint"]["Address"], db["InstanceCreateTime"].isoformat()),
        "its groups": (db["DBSubnetGroup"]["DBSubnetGroupName"], db["DBParameterGroups"][0]["DBParameterGroupName"]),
        "databases": len(rds.describe_db_instances()["DBInstances"]),
        "cache": (group["ReplicationGroupId"], group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]),
        "caches": len(cache.describe_replication_groups()["ReplicationGroups"]),
        "objects": {o["Key"]: o["ETag"] for o in objects},
        "buckets with the name": sum(b["Name"] == live.bucket_name for b in s3.list_buckets()["Buckets"]),
    }


def _check(before: dict[str, Any], after: dict[str, Any], when: str) -> None:
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    if changed:
        raise TakeoverError(f"takeover: {when}, changed: {changed}")


def _check_held(r: Rehearsal, stack: str, mapping: dict[str, dict[str, str]]) -> None:
    """Each mapped resource is in the stack under its logical ID, as the live object's id."""
    resources = r.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    held = {res["LogicalResourceId"]: res.get("PhysicalResourceId") for res in resources}
    for logical_id, identifier in mapping.items():
        if logical_id not in held:
            raise TakeoverError(f"takeover: {stack} does not hold {logical_id} after the import")
        physical = held[logical_id]
        if physical and physical not in identifier.values():
            raise TakeoverError(f"takeover: {stack} holds {logical_id} as {physical}, mapped {identifier}")


def _check_diff(output: str, imported: set[str], *, changes_allowed: bool) -> None:
    """cdk diff of the data stack. With the overrides, no imported resource changes (the others are to be added);
    without them, each changes in place at most, never by replacement."""
    for line in output.splitlines():
        if not line.startswith("["):
            continue
        logical_id = line.rstrip().removesuffix(" replace").rsplit(" ", 1)[-1]
        if line.rstrip().endswith(" replace") or (logical_id in imported and line.startswith("[-]")):
            raise TakeoverError(f"takeover: cdk diff: {line.strip()}\n{output[-3000:]}")
        if logical_id in imported and line.startswith("[~]") and not changes_allowed:
            raise TakeoverError(f"takeover: cdk diff of the import: {line.strip()}\n{output[-3000:]}")


def _check_converged(r: Rehearsal, live: SeedProduction) -> None:
    """The deploy after the import: the app's group beside Terraform's on the database, nothing replaced."""
    db = r.client("rds").describe_db_instances(DBInstanceIdentifier=live.db_instance_identifier)["DBInstances"][0]
    groups = {g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]}
    if live.security_group_ids["rds_sg"] not in groups or len(groups) != 2:
        raise TakeoverError(f"takeover: the database's groups are {sorted(groups)}: the app's and rds_sg expected")
    if not db.get("IAMDatabaseAuthenticationEnabled"):
        raise TakeoverError("takeover: the deploy after the import left IAM authentication off")


def _validate_removed_blocks(t: Rehearsal, removed: Path) -> None:
    """terraform-removed.tf is valid Terraform (offline: removed blocks need no provider)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        t.log("skip  takeover: terraform validate of terraform-removed.tf (no terraform CLI here)")
        return
    with tempfile.TemporaryDirectory(prefix="removed-", dir=t.workdir) as folder:
        shutil.copy(removed, Path(folder) / "removed.tf")
        t.run("takeover: terraform init (no backend, no provider)", [terraform, f"-chdir={folder}", "init",
              "-backend=false", "-input=false"])  # fmt: skip
        t.run("takeover: terraform validate terraform-removed.tf", [terraform, f"-chdir={folder}", "validate"])


def _alias(live: SeedProduction) -> dict[str, Any]:
    return {"DNSName": live.alb_dns_name, "HostedZoneId": live.alb_zone_id, "EvaluateTargetHealth": True}


def _record(live: SeedProduction, **extra: Any) -> dict[str, Any]:
    return {"Name": live.record_name, "Type": "A", "AliasTarget": _alias(live), **extra}


def _change(r: Rehearsal, live: SeedProduction, *changes: tuple[str, dict[str, Any]]) -> None:
    batch = {"Changes": [{"Action": action, "ResourceRecordSet": record} for action, record in changes]}
    r.client("route53").change_resource_record_sets(HostedZoneId=live.hosted_zone_id, ChangeBatch=batch)


def _make_record_weighted(r: Rehearsal, live: SeedProduction) -> None:
    """Runbook step 10: Terraform's simple alias becomes a weighted one in one atomic batch."""
    _change(r, live, ("DELETE", _record(live)), ("CREATE", _record(live, SetIdentifier="terraform", Weight=100)))
    r.log("ok    takeover: the simple record made weighted (set terraform) in one change batch")


def _delete_terraform_record(r: Rehearsal, live: SeedProduction) -> None:
    _change(r, live, ("DELETE", _record(live, SetIdentifier="terraform", Weight=100)))
    r.log("ok    takeover: the hand-made terraform record deleted; the edge stack's records answer")


def _check_weights(r: Rehearsal, live: SeedProduction, expected: dict[str, int]) -> None:
    records = r.client("route53").list_resource_record_sets(HostedZoneId=live.hosted_zone_id)["ResourceRecordSets"]
    name = live.record_name.rstrip(".") + "."
    found = {
        rec.get("SetIdentifier", ""): rec.get("Weight") for rec in records if rec["Name"] == name and rec["Type"] == "A"
    }
    if found != expected:
        raise TakeoverError(f"takeover: {live.record_name}'s A records are {found}, expected {expected}")
    external = [rec for rec in records if rec.get("SetIdentifier") == "ecs"]
    if external and external[0]["AliasTarget"]["DNSName"].rstrip(".") != live.alb_dns_name.rstrip("."):
        raise TakeoverError(f"takeover: the ecs record points at {external[0]['AliasTarget']['DNSName']}")


def _delete_if_under_review(r: Rehearsal, stack: str) -> None:
    """A refused import of a new stack leaves it REVIEW_IN_PROGRESS with no resources: deleted, as after a mistake."""
    cloudformation = r.client("cloudformation")
    stacks = cloudformation.describe_stacks()["Stacks"]
    if any(s["StackName"] == stack and s["StackStatus"] == "REVIEW_IN_PROGRESS" for s in stacks):
        cloudformation.delete_stack(StackName=stack)
