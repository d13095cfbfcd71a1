"""The takeover plan: each resource's fate, each live difference and what the next deploy does to it.

From the roles of a Terraform state (`tools.adopt.roles`) and the environment's configuration:
- **settings**: the cdk.json keys that make the app's resources match the live ones wherever the
  app can express it (names, versions, sizes, windows, the network by id, the groups kept attached);
- **mappings**: per stack, logical ID → primary identifier, the format of ``cdk import --resource-mapping``;
- **overrides**: per stack, logical ID → the live value of each property the app will change in
  place after the import. ``cdk import -c adopt_import=FILE`` imports with them, so the import's
  template is the live resource and references nothing the import does not create; the deploy that
  follows, without them, makes exactly the changes the plan lists as "in place";
- **differences**: what stays live (a property the app never sends), what changes in place, and what
  would need a replacement, which the plan refuses to do and names as a follow-up instead;
- **removed**: the Terraform addresses to forget with ``removed { lifecycle { destroy = false } }``.

CloudFormation does not compare an imported resource with its template; it compares the next
template with this one. A live value the template leaves out therefore stays as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from config import DB_MASTER_USER, DB_NAME, DB_PORT, REDIS_PORT, AppConfig
from config.limits import POSTGRES_MAJOR_VERSIONS, REDIS_ENGINE_VERSIONS
from tools.adopt.roles import BUCKET_SETTINGS, COMPUTE_PREFIXES, NETWORK_TYPES, Roles
from tools.adopt.state import Resource, Sensitive

DATA = "Data"  # the data stack's construct id (the CLI selects stacks by it)
# The data stack's stateful resources, by role: logical ID and the primary identifier CloudFormation imports by.
LOGICAL_IDS = {
    "database": ("DatabaseInstanceAA8A5FDE", "AWS::RDS::DBInstance", "DBInstanceIdentifier"),
    "db_subnet_group": ("DatabaseInstanceSubnetGroupDE121BB6", "AWS::RDS::DBSubnetGroup", "DBSubnetGroupName"),
    "db_parameter_group": (
        "DatabaseInstanceParameterGroup047E0DCB",
        "AWS::RDS::DBParameterGroup",
        "DBParameterGroupName",
    ),
    "cache": ("CacheReplicationGroupBFE59FF3", "AWS::ElastiCache::ReplicationGroup", "ReplicationGroupId"),
    "cache_subnet_group": ("CacheSubnetGroup355C216D", "AWS::ElastiCache::SubnetGroup", "CacheSubnetGroupName"),
    "bucket": ("AssetsBucket252B3DF7", "AWS::S3::Bucket", "BucketName"),
    "bucket_policy": ("AssetsBucketPolicy75E1DDEC", "AWS::S3::BucketPolicy", "Bucket"),
}

# What the app's constructs always deploy (tests compare these with a synthesized template).
APP_DATABASE: dict[str, Any] = {
    "StorageType": "gp3",
    "PubliclyAccessible": False,
    "EnableIAMDatabaseAuthentication": True,
    "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
    "CopyTagsToSnapshot": True,
    "DeleteAutomatedBackups": False,
    "AutoMinorVersionUpgrade": True,
    "MonitoringInterval": 60,
}
APP_DB_PARAMETERS = {
    "rds.force_ssl": "1",
    "log_min_duration_statement": "1000",
    "log_connections": "1",
    "log_disconnections": "1",
}
APP_DB_SUBNET_GROUP_DESCRIPTION = "Subnet group for Instance database"  # the CDK's, from the construct's id
APP_BUCKET_LIFECYCLE = "noncurrent versions expire after 90 days, incomplete uploads after 7 (rule ExpireOldVersions)"

NONE = "none"
IN_PLACE = "in place, no interruption"
REBOOT = "in place, may reboot the instance (an outage while it reboots)"
REPLACEMENT = "replacement"


class PlanError(Exception):
    """The takeover cannot be planned; the message is one line."""


@dataclass(frozen=True)
class Fate:
    """What happens to one Terraform resource."""

    kind: str  # imported | referenced | replaced at cutover | left to Terraform
    why: str
    stack: str = ""
    logical_id: str = ""


@dataclass(frozen=True)
class Difference:
    """A property where the live resource and the app differ, what the next deploy does, and the decision."""

    address: str
    property: str
    live: str
    app: str
    effect: str  # NONE | IN_PLACE | REBOOT | REPLACEMENT
    decision: str


@dataclass(frozen=True)
class SecretCheck:
    """Whether the app's SecureString holds the live secret (compared by digest; neither is shown)."""

    parameter: str
    address: str  # the Terraform resource whose secret it must hold
    attribute: str  # that secret's attribute
    result: str = "not checked"  # matches | differs | missing | not in the state | not checked (--no-secret-check)

    @property
    def holds(self) -> str:
        return f"{self.attribute} of {self.address}"


@dataclass
class Plan:
    env: str
    fates: dict[str, Fate] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    overrides: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    secrets: list[SecretCheck] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # Terraform expression → its literal value
    follow_ups: list[str] = field(default_factory=list)

    @property
    def refusals(self) -> list[str]:
        """Why the import must not run as planned: a replacement, a secret that differs or is missing."""
        lines = [
            f"{d.address}: {d.property} would need a replacement ({d.decision})"
            for d in self.differences
            if d.effect == REPLACEMENT
        ]
        lines += [
            f"{s.parameter} {'differs from' if s.result == 'differs' else 'does not yet hold'} the live {s.holds}: "
            + (
                "the import's next deploy would change the live secret; put the live value there first"
                if s.result == "differs"
                else "put the live value there (tools.ops.ssm_secrets put) before the import"
            )
            for s in self.secrets
            if s.result in ("differs", "missing")
        ]
        lines += [
            f"the state holds no {s.holds}, so the plan cannot tell whether {s.parameter} holds it: a wrong value "
            "would change the live secret at the deploy after the import; check it by hand, then plan with "
            "--no-secret-check"
            for s in self.secrets
            if s.result == "not in the state"
        ]
        return lines


def make_plan(roles: Roles, resources: list[Resource], config: AppConfig, *, cache_fate: str = "import") -> Plan:
    """The plan for taking over ``resources`` into ``config``'s environment."""
    plan = Plan(env=config.env)
    _check_region_and_account(resources, config)
    _network(plan, roles, config)
    _database(plan, roles, config)
    if roles.cache is not None:
        _cache(plan, roles, config, cache_fate)
    _bucket(plan, roles)
    _cutover(plan, roles)
    kept_groups = {*plan.settings["db_extra_security_group_ids"], *plan.settings["cache_extra_security_group_ids"]}
    for resource in resources:
        plan.fates.setdefault(resource.address, _other_fate(resource, roles, kept_groups))
    taken = {_removed_address(r) for r in resources if plan.fates[r.address].kind == "imported"}
    for resource in resources:
        if _removed_address(resource) in taken and plan.fates[resource.address].kind != "imported":
            raise PlanError(
                f"{resource.address} is not taken over, but a removed block for {_removed_address(resource)} "
                "would make Terraform forget it too (removed blocks take no instance keys); accepted: each taken-over "
                "resource alone under its address: move it out with a moved block in Terraform first"
            )
    plan.removed = sorted(taken)
    return plan


def _check_region_and_account(resources: list[Resource], config: AppConfig) -> None:
    for resource in resources:
        arn = resource.attributes.get("arn")
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            continue
        parts = arn.split(":")
        region, account = parts[3], parts[4]
        if region and region != config.region:
            raise PlanError(
                f"{resource.address} is in region {region}, env={config.env} deploys to {config.region}; "
                f"accepted: a state of {config.region} (or set region in cdk.json)"
            )
        if account and config.account and account != config.account:
            raise PlanError(
                f"{resource.address} is in account {account}, env={config.env} deploys to {config.account}; "
                "accepted: the environment's own account"
            )


def _import(plan: Plan, role: str, resource: Resource, identifier: str, why: str) -> None:
    logical_id, _, key = LOGICAL_IDS[role]
    plan.fates[resource.address] = Fate("imported", why, DATA, logical_id)
    plan.mappings.setdefault(DATA, {})[logical_id] = {key: identifier}
    # Kept, never deleted (nor snapshot-and-deleted), while the stack is only an import: deleting it is the way back.
    _override(plan, role, {"DeletionPolicy": "Retain"})


def _override(plan: Plan, role: str, values: Mapping[str, Any]) -> None:
    plan.overrides.setdefault(DATA, {}).setdefault(LOGICAL_IDS[role][0], {}).update(values)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value, sort_keys=True)


def _network(plan: Plan, roles: Roles, config: AppConfig) -> None:
    private, public = roles.private_subnets, roles.public_subnets
    if not private:
        raise PlanError(
            f"{roles.database.address}: its subnet group's subnets are not in the state; accepted: a state that "
            "holds the network the database runs in"
        )
    zones = [s.zone for s in private]
    if len(set(zones)) != len(zones):
        raise PlanError(
            f"{roles.database.address}: its subnet group has two subnets in one zone ({', '.join(zones)}); "
            "accepted: one private subnet per zone"
        )
    public_by_zone = {s.zone: s for s in public}
    missing = [z for z in zones if z not in public_by_zone]
    if missing:
        raise PlanError(
            f"no public subnet (routed to an internet gateway) in {', '.join(missing)}; accepted: a public and a "
            "private subnet in each of the database's zones"
        )
    if any(not s.route_table for s in private):
        raise PlanError(
            "a private subnet without an explicit route table association in the state; accepted: each private "
            "subnet associated with its route table (aws_route_table_association)"
        )
    vpc = roles.vpc
    vpc_id = vpc.attributes["id"] if vpc else ""
    if not vpc_id:
        raise PlanError("no aws_vpc in the state; accepted: a state that holds the network the database runs in")
    plan.settings.update(
        {
            "availability_zones": zones,
            "vpc_id": vpc_id,
            "vpc_cidr": vpc.attributes.get("cidr_block", config.network.vpc_cidr) if vpc else config.network.vpc_cidr,
            "public_subnet_ids": [public_by_zone[z].id for z in zones],
            "private_subnet_ids": [s.id for s in private],
            "private_route_table_ids": [s.route_table for s in private],
            "nat_gateways": len(roles.nat_gateways),
        }
    )
    if config.is_prod and len(roles.nat_gateways) < len(zones):
        plan.follow_ups.append(
            f"The network has {len(roles.nat_gateways)} NAT gateway(s) for {len(zones)} zones: losing that zone "
            "cuts the others off the internet; add one per zone in Terraform (it keeps the network)."
        )
    for endpoint in roles.s3_gateway_endpoints:
        plan.follow_ups.append(
            f"{endpoint.address} is an S3 gateway endpoint on the live route tables; the network stack adds its own "
            "on the private ones, and a route table takes one route per endpoint service: delete Terraform's "
            "(or move it to other route tables) before deploying the network stack."
        )
    plan.settings["db_extra_security_group_ids"] = roles.db_security_groups
    plan.settings["cache_extra_security_group_ids"] = roles.cache_security_groups


def _database(plan: Plan, roles: Roles, config: AppConfig) -> None:
    db = roles.database
    a = db.attributes
    address = db.address
    major = str(a.get("engine_version", "")).split(".")[0]
    if major not in POSTGRES_MAJOR_VERSIONS:
        raise PlanError(
            f"{address}: engine_version {a.get('engine_version')!r}; accepted: PostgreSQL "
            f"{', '.join(POSTGRES_MAJOR_VERSIONS)} (upgrade it before the takeover)"
        )
    for what, live, app in (
        ("username (MasterUsername)", a.get("username"), DB_MASTER_USER),
        ("db_name (DBName)", a.get("db_name"), DB_NAME),
        ("port (Port)", a.get("port"), DB_PORT),
    ):
        if live is not None and str(live) != str(app):
            raise PlanError(
                f"{address}: {what} is {live!r}, the app's is {app!r} and fixed (the backend and its role provider "
                "use it; a different one would replace the instance); accepted: a database created with the app's"
            )
    if a.get("manage_master_user_password") or a.get("password_wo"):
        raise PlanError(
            f"{address}: its password is managed by Secrets Manager or write-only, so the plan cannot check that "
            "the app's SecureString holds it; accepted: a password set with `password` (move it back first)"
        )
    identifier = a["identifier"]
    _import(plan, "database", db, identifier, "the app's PostgreSQL instance, with its data, in place")
    encrypted = bool(a.get("storage_encrypted"))
    plan.settings.update(
        {
            "db_instance_identifier": identifier,
            "db_engine_version": major,
            "db_instance_class": a.get("instance_class"),
            "db_allocated_storage": a.get("allocated_storage"),
            "db_multi_az": bool(a.get("multi_az")),
            "db_backup_window": a.get("backup_window"),
            "db_maintenance_window": str(a.get("maintenance_window", "")).lower(),
        }
    )
    if not a.get("multi_az") and config.is_prod:
        plan.follow_ups.append(
            f"{identifier} runs in one zone (db_multi_az=false keeps it so): turn Multi-AZ on when the takeover is "
            "done; RDS does it in place, without downtime, with higher write latency while it copies."
        )
    if int(major) < int(config.database.engine_version):
        plan.follow_ups.append(
            f"{identifier} runs PostgreSQL {major}, env={config.env} had {config.database.engine_version}: "
            f"db_engine_version={major} keeps it; a major upgrade later is in place, with minutes of downtime."
        )
    # Each property the deploy after the import changes in place is imported with its live value: otherwise the
    # import's template would already hold the app's, and that deploy, which compares templates, would change nothing.
    overrides: dict[str, Any] = {}
    if a.get("max_allocated_storage"):
        plan.settings["db_max_allocated_storage"] = a["max_allocated_storage"]
    else:
        overrides["MaxAllocatedStorage"] = None
        _differ(
            plan,
            address,
            "MaxAllocatedStorage",
            "off",
            str(config.database.max_allocated_storage_gb),
            IN_PLACE,
            "the app turns storage autoscaling on, up to db_max_allocated_storage",
        )
    # Protection is kept where the app is stricter: the deploy turns it on in place.
    live_retention = int(a.get("backup_retention_period") or 0)
    plan.settings["db_backup_retention_days"] = max(live_retention, config.database.backup_retention_days)
    if live_retention < config.database.backup_retention_days:
        overrides["BackupRetentionPeriod"] = live_retention
        _differ(
            plan,
            address,
            "BackupRetentionPeriod",
            str(live_retention),
            str(config.database.backup_retention_days),
            IN_PLACE,
            "kept the app's longer retention",
        )
    plan.settings["db_deletion_protection"] = bool(a.get("deletion_protection")) or config.database.deletion_protection
    if plan.settings["db_deletion_protection"] and not a.get("deletion_protection"):
        overrides["DeletionProtection"] = False
        _differ(plan, address, "DeletionProtection", "false", "true", IN_PLACE,
                "on: the instance cannot be deleted, by a stack or by hand, until it is turned off")  # fmt: skip
    if not encrypted:
        plan.settings["db_storage_encrypted"] = False
        _differ(
            plan,
            address,
            "StorageEncrypted",
            "false",
            "true",
            NONE,
            "kept unencrypted (db_storage_encrypted=false): turning encryption on would replace the instance, "
            "which the guard refuses; see the follow-ups",
        )
        plan.follow_ups.append(
            f"{identifier} is unencrypted: in a maintenance window, snapshot it, copy the snapshot encrypted, "
            "restore it under the same identifier, then set db_storage_encrypted=true (the guard refuses it before)."
        )
    elif a.get("kms_key_id") and "alias/aws/rds" not in str(a["kms_key_id"]):
        _differ(
            plan,
            address,
            "KmsKeyId",
            str(a["kms_key_id"]),
            "(RDS's default key)",
            NONE,
            "kept: the template names no key, so CloudFormation never sends one",
        )
    if encrypted:
        plan.follow_ups.append(
            f"{identifier} keeps its key: a copy of its backups to another account (backup_copy_account_vault_arn) "
            "needs a customer-managed one, and a key is fixed at creation: move it with a snapshot copied under "
            "the key, restored and taken over (docs/recovery.md, moving an existing database onto a "
            "customer-managed key)."
        )
    if a.get("performance_insights_enabled"):
        _differ(
            plan,
            address,
            "EnablePerformanceInsights",
            "true",
            "(not set)",
            NONE,
            "kept on: the app does not set it, so the deploy leaves it as it is",
        )
    live_values: dict[str, Any] = {
        "StorageType": a.get("storage_type"),
        "PubliclyAccessible": a.get("publicly_accessible"),
        "EnableIAMDatabaseAuthentication": a.get("iam_database_authentication_enabled"),
        "EnableCloudwatchLogsExports": sorted(a.get("enabled_cloudwatch_logs_exports") or []),
        "CopyTagsToSnapshot": a.get("copy_tags_to_snapshot"),
        "DeleteAutomatedBackups": a.get("delete_automated_backups"),
        "AutoMinorVersionUpgrade": a.get("auto_minor_version_upgrade"),
        "MonitoringInterval": a.get("monitoring_interval") or 0,
    }
    for prop, app_value in APP_DATABASE.items():
        live, app = live_values[prop], app_value
        if live is None or live == app or (isinstance(app, list) and sorted(app) == live):
            continue
        overrides[prop] = live
        _differ(plan, address, prop, _shown(live), _shown(app), IN_PLACE, _DB_DECISIONS.get(prop, "the app's value"))
    # The monitoring role: Terraform's until the deploy after the import moves the instance to the app's own.
    if a.get("monitoring_role_arn"):
        overrides["MonitoringRoleArn"] = a["monitoring_role_arn"]
    else:
        overrides["MonitoringRoleArn"] = None
    _differ(
        plan,
        address,
        "MonitoringRoleArn",
        a.get("monitoring_role_arn") or "(none)",
        "the app's monitoring role",
        IN_PLACE,
        "the app's role; Terraform's is left to it and goes with the ECS setup",
    )
    overrides["VPCSecurityGroups"] = list(roles.db_security_groups)
    _differ(
        plan,
        address,
        "VPCSecurityGroups",
        _shown(roles.db_security_groups),
        "the app's database group + " + _shown(roles.db_security_groups),
        IN_PLACE,
        "the app's group added; the live ones kept attached (db_extra_security_group_ids) until the ECS "
        "service that reaches the database through them retires",
    )
    _db_subnet_group(plan, roles)
    _db_parameter_group(plan, roles, major, overrides)
    _override(plan, "database", overrides)
    plan.secrets.append(SecretCheck(config.secret_parameter_names["DB_PASSWORD"], address, "password"))
    plan.references.update(
        {
            f"{address}.address": str(a.get("address", "")),
            f"{address}.endpoint": str(a.get("endpoint", "")),
            f"{address}.identifier": identifier,
            f"{address}.arn": str(a.get("arn", "")),
        }
    )


_DB_DECISIONS = {
    "StorageType": "gp3 (no interruption; RDS optimizes the storage for a few hours)",
    "PubliclyAccessible": "closed: the database is private",
    "EnableIAMDatabaseAuthentication": "on, beside the password (no cost when unused)",
    "EnableCloudwatchLogsExports": "the PostgreSQL and upgrade logs exported to CloudWatch Logs",
    "CopyTagsToSnapshot": "on",
    "DeleteAutomatedBackups": "kept after the instance",
    "AutoMinorVersionUpgrade": "on: minor versions in the maintenance window",
    "MonitoringInterval": "enhanced monitoring every 60 s",
}


def _db_subnet_group(plan: Plan, roles: Roles) -> None:
    group = roles.db_subnet_group
    # `_network` has refused a database whose subnet group is not in the state (its subnets are unknown).
    assert group is not None, "the network step refuses a database without its subnet group"
    _import(plan, "db_subnet_group", group, group.attributes["name"], "the database's subnet group")
    live = group.attributes.get("description") or "Managed by Terraform"
    if live != APP_DB_SUBNET_GROUP_DESCRIPTION:
        _override(plan, "db_subnet_group", {"DBSubnetGroupDescription": live})
        _differ(plan, group.address, "DBSubnetGroupDescription", live, APP_DB_SUBNET_GROUP_DESCRIPTION, IN_PLACE,
                "the app's description")  # fmt: skip


def _db_parameter_group(plan: Plan, roles: Roles, major: str, overrides: dict[str, Any]) -> None:
    group = roles.db_parameter_group
    address = roles.database.address
    live_name = roles.database.attributes.get("parameter_group_name")
    if group is None or group.attributes.get("family") != f"postgres{major}":
        # A default group (or one of another family): the instance moves to the app's group after the import.
        overrides["DBParameterGroupName"] = live_name
        _differ(
            plan,
            address,
            "DBParameterGroupName",
            str(live_name),
            "the app's parameter group",
            REBOOT,
            "the app's group (rds.force_ssl and the logging parameters); CloudFormation documents that applying "
            "a parameter group may reboot the instance: deploy the data stack in a maintenance window",
        )
        return
    _import(plan, "db_parameter_group", group, group.attributes["name"], "the database's parameter group")
    live = {p["name"]: str(p["value"]) for p in group.attributes.get("parameter") or []}
    if live != APP_DB_PARAMETERS:
        # A property override merges into the app's object, so each app parameter the live group lacks is
        # deleted by its path (a literal dot escaped, CDK's override syntax): the import holds the live ones alone.
        gone = {"Parameters." + name.replace(".", "\\."): None for name in APP_DB_PARAMETERS if name not in live}
        _override(plan, "db_parameter_group", {"Parameters": live, **gone})
        _differ(
            plan,
            group.address,
            "Parameters",
            _shown(live),
            _shown(APP_DB_PARAMETERS),
            IN_PLACE,
            "the app's: TLS required (rds.force_ssl=1; Terraform's ECS must connect with sslmode=require), "
            "slow statements, connections and disconnections logged"
            + (
                ", every statement no longer logged (log_statement=all logs the values too)"
                if live.get("log_statement") == "all"
                else ""
            ),
        )
    if group.attributes.get("description") not in (None, f"Parameter group for postgres{major}"):
        _differ(
            plan,
            group.address,
            "Description",
            str(group.attributes.get("description")),
            f"Parameter group for postgres{major}",
            NONE,
            "kept: it is fixed at creation and the app never changes it without a new major version",
        )


def _cache(plan: Plan, roles: Roles, config: AppConfig, cache_fate: str) -> None:
    rg = roles.cache
    assert rg is not None
    a, address = rg.attributes, rg.address
    if cache_fate == "replace":
        plan.fates[address] = Fate(
            "replaced at cutover",
            "--cache replace: the app's own, new replication group (empty) serves the Lambda path; keep this only "
            "while ElastiCache import is not available in the region, and only if Redis holds nothing that must "
            "survive (caches, counters)",
        )
        if roles.cache_subnet_group is not None:
            plan.fates[roles.cache_subnet_group.address] = Fate("replaced at cutover", "goes with its cache")
        plan.settings["cache_extra_security_group_ids"] = []
        return
    version = str(a.get("engine_version", ""))
    if version not in REDIS_ENGINE_VERSIONS:
        raise PlanError(
            f"{address}: engine_version {version!r}; accepted: {', '.join(REDIS_ENGINE_VERSIONS)} (upgrade it "
            "first, or --cache replace)"
        )
    if str(a.get("transit_encryption_enabled")).lower() != "true" or not a.get("auth_token"):
        raise PlanError(
            f"{address}: without TLS and an AUTH token; accepted: a group with both (ElastiCache turns TLS on in "
            "place with TransitEncryptionMode preferred, then required), or --cache replace"
        )
    if str(a.get("at_rest_encryption_enabled")).lower() != "true":
        raise PlanError(
            f"{address}: not encrypted at rest, which is fixed at creation; accepted: an encrypted group, or "
            "--cache replace"
        )
    if int(a.get("port") or REDIS_PORT) != REDIS_PORT:
        raise PlanError(f"{address}: port {a.get('port')}, the app's is {REDIS_PORT} and fixed at creation")
    group_id = a["replication_group_id"]
    _import(plan, "cache", rg, group_id, "the app's Redis replication group, in place")
    nodes = int(a.get("num_cache_clusters") or 1)
    plan.settings.update(
        {
            "cache_replication_group_id": group_id,
            "cache_engine_version": version,
            "cache_node_type": a.get("node_type"),
            "cache_nodes": nodes,
            "cache_snapshot_retention_days": int(a.get("snapshot_retention_limit") or 0),
            "cache_snapshot_window": a.get("snapshot_window"),
            "cache_maintenance_window": str(a.get("maintenance_window", "")).lower(),
        }
    )
    overrides: dict[str, Any] = {"SecurityGroupIds": list(roles.cache_security_groups)}
    _differ(
        plan,
        address,
        "SecurityGroupIds",
        _shown(roles.cache_security_groups),
        "the app's cache group + " + _shown(roles.cache_security_groups),
        IN_PLACE,
        "the app's group added; the live ones kept attached (cache_extra_security_group_ids) until ECS retires",
    )
    description = f"anigmaa {config.env} Redis"
    if a.get("description") and a["description"] != description:
        overrides["ReplicationGroupDescription"] = a["description"]
        _differ(plan, address, "ReplicationGroupDescription", a["description"], description, IN_PLACE, "the app's")
    failover = nodes > 1
    if bool(a.get("automatic_failover_enabled")) != failover or bool(a.get("multi_az_enabled")) != failover:
        overrides["AutomaticFailoverEnabled"] = bool(a.get("automatic_failover_enabled"))
        overrides["MultiAZEnabled"] = bool(a.get("multi_az_enabled"))
        _differ(
            plan,
            address,
            "AutomaticFailoverEnabled/MultiAZEnabled",
            str(a.get("automatic_failover_enabled")),
            str(failover),
            IN_PLACE,
            "failover across zones whenever there are two or more nodes",
        )
    if a.get("parameter_group_name") and not str(a["parameter_group_name"]).startswith("default."):
        _differ(
            plan,
            address,
            "CacheParameterGroupName",
            a["parameter_group_name"],
            "(not set)",
            NONE,
            "kept: the app does not set a parameter group, so the deploy leaves it",
        )
    _override(plan, "cache", overrides)
    group = roles.cache_subnet_group
    if group is not None:
        _import(plan, "cache_subnet_group", group, group.attributes["name"], "the cache's subnet group")
        live = group.attributes.get("description") or "Managed by Terraform"
        if live != description:
            _override(plan, "cache_subnet_group", {"Description": live})
            _differ(plan, group.address, "Description", live, description, IN_PLACE, "the app's")
    else:
        raise PlanError(
            f"{address}: its subnet group {a.get('subnet_group_name')!r} is not in the state; accepted: a state "
            "that holds it (moving a group to another subnet group replaces it), or --cache replace"
        )
    plan.secrets.append(SecretCheck(config.secret_parameter_names["REDIS_PASSWORD"], address, "auth_token"))
    plan.references[f"{address}.primary_endpoint_address"] = str(a.get("primary_endpoint_address", ""))


def _bucket(plan: Plan, roles: Roles) -> None:
    bucket = roles.bucket
    name = bucket.attributes["bucket"]
    _import(plan, "bucket", bucket, name, "the uploads bucket, with every object and version in it")
    plan.settings["bucket_name"] = name
    settings = {r.type: r.attributes for r in roles.bucket_settings}
    overrides: dict[str, Any] = {}
    for resource in roles.bucket_settings:
        plan.fates[resource.address] = Fate("imported", "a property of the bucket", DATA, LOGICAL_IDS["bucket"][0])
    versioning = (settings.get("aws_s3_bucket_versioning", {}).get("versioning_configuration") or [{}])[0]
    if versioning.get("status") != "Enabled":
        overrides["VersioningConfiguration"] = None
        _differ(
            plan,
            bucket.address,
            "VersioningConfiguration",
            str(versioning.get("status", "off")),
            "Enabled",
            IN_PLACE,
            "versioning on: every overwrite and delete stays recoverable for 90 days",
        )
    encryption = settings.get("aws_s3_bucket_server_side_encryption_configuration", {}).get("rule") or []
    algorithm = ((encryption[0].get("apply_server_side_encryption_by_default") or [{}])[0] if encryption else {}).get(
        "sse_algorithm", "AES256"
    )
    if algorithm != "AES256":
        _differ(
            plan,
            bucket.address,
            "BucketEncryption",
            algorithm,
            "AES256",
            IN_PLACE,
            "SSE-S3 for new objects; existing objects keep their encryption",
        )
        overrides["BucketEncryption"] = None
    block = settings.get("aws_s3_bucket_public_access_block")
    if block is None or not all(
        block.get(k)
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    ):
        overrides["PublicAccessBlockConfiguration"] = None
        _differ(
            plan,
            bucket.address,
            "PublicAccessBlockConfiguration",
            "not all on" if block else "(none)",
            "all on",
            IN_PLACE,
            "no public access: a public object or policy stops working",
        )
    ownership = (settings.get("aws_s3_bucket_ownership_controls", {}).get("rule") or [{}])[0].get("object_ownership")
    if ownership != "BucketOwnerEnforced":
        overrides["OwnershipControls"] = None
        _differ(
            plan,
            bucket.address,
            "OwnershipControls",
            ownership or "(not in the state)",
            "BucketOwnerEnforced",
            IN_PLACE,
            "ACLs off: access only through policies (a request that sets an ACL fails)",
        )
    # Both reference or replace what the import cannot hold: the access-logs bucket is created by the
    # deploy after the import, and the lifecycle is written whole by it.
    overrides["LoggingConfiguration"] = None
    _differ(
        plan,
        bucket.address,
        "LoggingConfiguration",
        "(none)" if "aws_s3_bucket_logging" not in settings else "Terraform's",
        "the app's access-logs bucket",
        IN_PLACE,
        "server access logs to the app's bucket",
    )
    lifecycle = settings.get("aws_s3_bucket_lifecycle_configuration")
    overrides["LifecycleConfiguration"] = None
    _differ(
        plan,
        bucket.address,
        "LifecycleConfiguration",
        _rules(lifecycle),
        APP_BUCKET_LIFECYCLE,
        IN_PLACE,
        "the app's rule replaces the live rules whole; agree it before the deploy (a noncurrent version "
        "older than 90 days is deleted)",
    )
    cors = settings.get("aws_s3_bucket_cors_configuration")
    if cors:
        _differ(
            plan,
            bucket.address,
            "CorsConfiguration",
            f"{len(cors.get('cors_rule') or [])} rule(s)",
            "(not set)",
            NONE,
            "kept: the app does not set CORS on the bucket, so the deploy leaves the browsers' uploads working",
        )
    _override(plan, "bucket", overrides)
    if roles.bucket_policy is not None:
        policy = roles.bucket_policy
        _import(plan, "bucket_policy", policy, name, "the bucket's policy")
        live = json.loads(policy.attributes.get("policy") or "{}")
        _override(plan, "bucket_policy", {"PolicyDocument": live})
        _differ(
            plan,
            policy.address,
            "PolicyDocument",
            f"{len(live.get('Statement', []))} statement(s)",
            "the app's: TLS 1.2+ only",
            IN_PLACE,
            "the app's; a grant to Terraform's ECS task role goes (its own identity policy still allows it)",
        )
    plan.references.update(
        {
            f"{bucket.address}.id": name,
            f"{bucket.address}.bucket": name,
            f"{bucket.address}.arn": str(bucket.attributes.get("arn", f"arn:aws:s3:::{name}")),
        }
    )


def _rules(lifecycle: Mapping[str, Any] | None) -> str:
    if not lifecycle:
        return "(none)"
    return ", ".join(str(rule.get("id", "?")) for rule in lifecycle.get("rule") or []) or "(none)"


def _cutover(plan: Plan, roles: Roles) -> None:
    record, balancer = roles.record, roles.load_balancer
    if record is None or balancer is None:
        plan.follow_ups.append(
            "No alias record to a load balancer in the state: the cutover's DNS steps do not apply; point your "
            "clients at the app's API once the Lambda path passes its checks."
        )
        return
    alias = (record.attributes.get("alias") or [{}])[0]
    domain = {
        "domain_name": str(record.attributes["name"]).rstrip("."),
        "hosted_zone_id": record.attributes["zone_id"],
        "external_alb": {"dns_name": balancer.attributes["dns_name"], "hosted_zone_id": balancer.attributes["zone_id"]},
        # CloudFront reaches each path at its own origin name, which the Terraform load balancer does not answer
        # to: edge protection waits until external_alb is removed (docs/edge-protection.md).
        "edge_protection": "off",
    }
    if roles.zone is not None:
        plan.settings.update({**domain, "hosted_zone_name": str(roles.zone.attributes["name"]).rstrip(".")})
    else:
        plan.follow_ups.append(
            f"The hosted zone {record.attributes['zone_id']} is not in the state, so the domain's settings are not "
            f"in settings.json: before the cutover, add {json.dumps(domain)} and hosted_zone_name (the zone's name)."
        )
    plan.fates[record.address] = Fate(
        "replaced at cutover",
        "Route 53 records cannot be imported: the edge stack's weighted records take the name over a slice at "
        f"a time (alias to {alias.get('name')} first), see the runbook",
    )


def _other_fate(resource: Resource, roles: Roles, kept_groups: set[str]) -> Fate:
    """The fate of a resource no role took; ``kept_groups``: the security groups the settings keep attached."""
    kind = resource.type
    used, network_why = roles_network(roles)
    rid = str(resource.attributes.get("id", ""))
    if kind in NETWORK_TYPES:
        if rid in used or kind in (
            "aws_nat_gateway",
            "aws_eip",
            "aws_internet_gateway",
            "aws_route",
            "aws_route_table_association",
        ):
            return Fate("referenced", network_why)
        return Fate("left to Terraform", "part of the network Terraform keeps; the app does not use it")
    if kind == "aws_security_group":
        if rid in kept_groups:
            return Fate("referenced", "kept attached beside the app's group until Terraform's ECS retires")
        if rid in roles.cache_security_groups:
            return Fate("left to Terraform", "on Terraform's cache, which the app's own replaces (--cache replace)")
        return Fate("left to Terraform", "not on the database or cache: goes with the Terraform compute it serves")
    if kind.startswith("aws_security_group_rule") or kind.startswith("aws_vpc_security_group_"):
        return Fate("left to Terraform", "a rule of a group Terraform keeps")
    if kind in BUCKET_SETTINGS or kind == "aws_s3_bucket_policy" or kind == "aws_s3_bucket":
        return Fate("left to Terraform", "another bucket's; the app takes over the uploads bucket only")
    if kind == "aws_ssm_parameter":
        return Fate(
            "left to Terraform",
            "Terraform's ECS reads it; the app reads its own SecureStrings under its ssm_prefix, put with "
            "tools.ops.ssm_secrets from these values (never from the state)",
        )
    if kind.startswith("random_"):
        return Fate("left to Terraform", "no cloud resource: it only feeds Terraform's own values")
    if kind in ("aws_iam_role", "aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_iam_policy"):
        if str(resource.attributes.get("arn", "")) == roles.database.attributes.get("monitoring_role_arn") or (
            kind != "aws_iam_role" and "rds" in resource.name.lower()
        ):
            return Fate(
                "left to Terraform",
                "the database moves to the app's own monitoring role at the deploy after the import",
            )
        return Fate("replaced at cutover", "serves Terraform's ECS, which the app's compute replaces")
    if kind in ("aws_route53_zone",):
        return Fate("referenced", "the app adds its records to the zone by id and never owns it")
    if kind == "aws_route53_record":
        return Fate("left to Terraform", "a record the app does not serve")
    if kind.startswith(COMPUTE_PREFIXES):
        return Fate("replaced at cutover", "the app's Lambda path takes its traffic; Terraform destroys it after")
    if kind.startswith(("aws_db_", "aws_elasticache_")):
        return Fate("left to Terraform", "not used by the database or cache the app takes over")
    return Fate("left to Terraform", "the app has no counterpart for it")


def roles_network(roles: Roles) -> tuple[set[str], str]:
    """The network ids the app uses, and why."""
    private = {s.id for s in roles.private_subnets} | {s.route_table for s in roles.private_subnets}
    zones = {s.zone for s in roles.private_subnets}
    public = {s.id for s in roles.public_subnets if s.zone in zones} | {
        s.route_table for s in roles.public_subnets if s.zone in zones
    }
    vpc = {roles.vpc.attributes["id"]} if roles.vpc else set()
    why = "the network the app runs in, by id (vpc_id, the subnet and route table ids); Terraform keeps it"
    return vpc | private | public, why


def _removed_address(resource: Resource) -> str:
    """What a ``removed`` block names: the resource without its instance key, in its module without the module's
    (``module.db["main"]`` is ``module.db`` there: Terraform takes no instance key in ``from``)."""
    module = re.sub(r"\[[^\]]*\]", "", resource.module)
    return f"{module + '.' if module else ''}{resource.type}.{resource.name}"


def _differ(plan: Plan, address: str, prop: str, live: str, app: str, effect: str, decision: str) -> None:
    plan.differences.append(Difference(address, prop, live, app, effect, decision))


def check_secret(check: SecretCheck, live: Sensitive | None, value: str | None) -> SecretCheck:
    """``check`` with its result: whether the SecureString's ``value`` is the live secret (digests only)."""
    if value is None:
        result = "missing"
    elif live is None:
        result = "not in the state"
    else:
        result = "matches" if live.matches(value) else "differs"
    return replace(check, result=result)
