"""The checks that read more than one key, the connection arithmetic, and the assembly of
the dataclasses from parsed values. Each check raises `ConfigError` with one line."""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from config.backend import ECS_DB_MAX_CONNS, ECS_DEPLOY_MAX_PERCENT, LAMBDA_DB_MAX_CONNS
from config.keys import KEYS, MAX_EXTRA_SECURITY_GROUPS, ConfigError, fail
from config.limits import (
    AWS_ZONES,
    BACKUP_MIN_RETENTION_DAYS,
    DB_CLASS_MEMORY_GIB,
    DB_HEADROOM_SHARE,
    DB_RESERVED_CONNECTIONS,
    ELASTICACHE_MIN_WINDOW_MINUTES,
    FARGATE_MEMORY,
    MAX_LAYERS,
    RDS_MIN_WINDOW_MINUTES,
    WAF_CLIENT_SHARE,
    WAF_MAX_RATE_LIMIT,
    WAF_MIN_RATE_LIMIT,
)
from config.model import (
    BACKUP_DAILY_HOUR_UTC,
    BACKUP_START_WINDOW_MINUTES,
    AlarmConfig,
    ApiConfig,
    AppConfig,
    BackendConfig,
    BackupConfig,
    CacheConfig,
    DatabaseConfig,
    DomainConfig,
    EcsConfig,
    EdgeConfig,
    ExistingVpc,
    ExternalLoadBalancer,
    LambdaConfig,
    NetworkConfig,
    RouteCheck,
)
from config.naming import Names

VPC_CIDR_ACCEPTED = "a private IPv4 CIDR from /16 to /20"


def assemble(env: str, compute: str, v: dict[str, Any], root: Path) -> AppConfig:
    """Check the keys against each other, then build the dataclasses. ``v`` holds each key's parsed value."""
    network = _network(v)
    _storage(v)
    origins = _origins(v["allowed_origins"])
    layer_zip = _existing_file("lambda_layer_zip", v["lambda_layer_zip"], root)
    _layers(v["lambda_layer_arns"], layer_zip, v["region"])
    for key in ("ssm_prefix", "alarm_https_parameter"):
        if re.match(r"/(aws|ssm)", v[key], re.IGNORECASE):
            raise fail(key, v[key], "starts with a name AWS reserves", "a path not under /aws or /ssm")
    alarms = _alarms(env, v)
    _windows(v)
    release_checks = _release_checks(v["lambda_release_checks"])
    max_connections = database_max_connections(v["db_instance_class"], v["db_max_connections"])
    check_connection_budget(
        v["lambda_reserved_concurrency"],
        v["ecs_desired_count"],
        max_connections,
        estimated_from=None if v["db_max_connections"] else v["db_instance_class"],
    )
    _provisioned(v["lambda_provisioned_concurrency"], v["lambda_reserved_concurrency"])
    throttle_rate, throttle_burst = api_throttle(
        v["lambda_reserved_concurrency"],
        v["lambda_average_duration_ms"],
        v["api_throttle_rate"],
        v["api_throttle_burst"],
    )
    _plain_http(compute, env, v)
    domain = _domain(v["domain_name"], v["hosted_zone_id"], v["hosted_zone_name"])
    for key in ("db_extra_security_group_ids", "cache_extra_security_group_ids"):
        _extra_security_groups(key, v[key])
    external_alb = _external_alb(v)
    cpu = int(v["ecs_cpu"])
    _fargate_size(cpu, v["ecs_memory"])
    if v["db_encryption_key"] == "customer-managed" and not v["db_storage_encrypted"]:
        raise fail(
            "db_encryption_key",
            "customer-managed",
            "is given with db_storage_encrypted false (an instance can be given a key only when it is encrypted)",
            "aws-managed while db_storage_encrypted is false",
        )
    backup = _backup(v)

    names = Names.of_env(env)
    return AppConfig(
        env=env,
        compute=compute,
        account=v["account"] or None,
        region=v["region"],
        ssm_prefix=v["ssm_prefix"],
        log_retention_days=v["log_retention_days"],
        termination_protection=v["termination_protection"],
        alarms=alarms,
        network=network,
        database=DatabaseConfig(
            instance_class=v["db_instance_class"],
            engine_version=v["db_engine_version"],
            allocated_storage_gb=v["db_allocated_storage"],
            max_allocated_storage_gb=v["db_max_allocated_storage"],
            multi_az=v["db_multi_az"],
            backup_retention_days=v["db_backup_retention_days"],
            deletion_protection=v["db_deletion_protection"],
            max_connections=max_connections,
            backup_window=v["db_backup_window"],
            maintenance_window=v["db_maintenance_window"],
            instance_identifier=v["db_instance_identifier"] or None,
            extra_security_group_ids=v["db_extra_security_group_ids"],
            storage_encrypted=v["db_storage_encrypted"],
            encryption_key=v["db_encryption_key"],
        ),
        cache=_cache(v),
        function=LambdaConfig(
            function_name=names.function,
            memory_mb=v["lambda_memory"],
            timeout_seconds=v["lambda_timeout"],
            runtime=v["lambda_runtime"],
            architecture=v["lambda_architecture"],
            code_zip=_bootstrap_zip(v["lambda_zip"], root, v["lambda_architecture"]),
            layer_zip=layer_zip,
            layer_arns=v["lambda_layer_arns"],
            reserved_concurrency=v["lambda_reserved_concurrency"] or None,
            average_duration_ms=v["lambda_average_duration_ms"],
            provisioned_concurrency=v["lambda_provisioned_concurrency"],
            deployment=v["lambda_deployment"],
            deployment_alarms=v["lambda_deployment_alarms"],
            release_checks=release_checks,
        ),
        api=ApiConfig(
            name=names.api,
            allowed_origins=origins,
            throttle_rate=throttle_rate,
            throttle_burst=throttle_burst,
            domain=domain,
            edge=_edge(v, domain, throttle_rate),
        ),
        ecs=EcsConfig(
            cluster_name=names.cluster,
            service_name=names.service,
            desired_count=v["ecs_desired_count"],
            cpu=cpu,
            memory_mib=v["ecs_memory"],
            image_uri=v["ecs_image_uri"] or None,
            allow_plain_http=v["ecs_allow_plain_http"],
            external_alb=external_alb,
        ),
        backend=BackendConfig(
            midtrans_client_key=v["midtrans_client_key"],
            midtrans_is_production=v["midtrans_is_production"],
        ),
        bucket_name=v["bucket_name"] or None,
        backup=backup,
    )


def _cache(v: dict[str, Any]) -> CacheConfig:
    # Every cache_<field> key is a field of CacheConfig, under the same name.
    fields: dict[str, Any] = {key.removeprefix("cache_"): value for key, value in v.items() if key.startswith("cache_")}
    fields["replication_group_id"] = fields["replication_group_id"] or None  # "": CloudFormation names it
    return CacheConfig(**fields)


def _network(v: dict[str, Any]) -> NetworkConfig:
    region: str = v["region"]
    azs: tuple[str, ...] = v["availability_zones"]
    if region not in AWS_ZONES:
        near = difflib.get_close_matches(region, list(AWS_ZONES), n=3, cutoff=0.6)
        hint = f" (near it: {', '.join(near)})" if near else ""
        raise ConfigError(
            f"region: {region!r} is not a region whose zones the app knows{hint}; accepted: a region of AWS_ZONES "
            "in config/limits.py, or add it there with its zone letters"
        )
    if not 2 <= len(azs) <= 3:
        raise fail("availability_zones", ",".join(azs), "names the wrong number of zones", "2 or 3 zones")
    zones = [f"{region}{letter}" for letter in AWS_ZONES[region]]
    for zone in azs:
        if not zone.startswith(region):
            raise fail("availability_zones", zone, f"is not in region {region}", f"zones such as {region}a")
        if zone not in zones:
            raise fail(
                "availability_zones",
                zone,
                f"is not a zone of {region}",
                f"{', '.join(zones)} (AWS_ZONES in config/limits.py)",
            )
    if len(set(azs)) != len(azs):
        raise fail("availability_zones", ",".join(azs), "repeats a zone", "distinct zones")
    if not 1 <= v["nat_gateways"] <= len(azs):
        raise ConfigError(
            f"nat_gateways: {v['nat_gateways']} is out of range 1..{len(azs)} "
            f"(one per availability zone; {len(azs)} zones are set)"
        )
    existing = _existing_vpc(v)
    try:
        cidr = ipaddress.ip_network(v["vpc_cidr"])
    except ValueError:
        raise fail("vpc_cidr", v["vpc_cidr"], "is not a network address", VPC_CIDR_ACCEPTED) from None
    # Each zone gets a public /(N+6) and a private /(N+4) subnet; below /20 the public ones
    # would be smaller than the /27 a load balancer needs. An existing VPC is carved already:
    # its range is whatever AWS allowed it (/16 to /28).
    if existing is not None:
        if not (cidr.is_private and 16 <= cidr.prefixlen <= 28):
            raise fail("vpc_cidr", v["vpc_cidr"], "is not a private /16../28 range", EXISTING_VPC_CIDR_ACCEPTED)
    elif not (cidr.is_private and 16 <= cidr.prefixlen <= 20):
        raise fail("vpc_cidr", v["vpc_cidr"], "is not a private /16../20 range", VPC_CIDR_ACCEPTED)
    return NetworkConfig(
        vpc_cidr=str(cidr),
        availability_zones=azs,
        nat_gateways=v["nat_gateways"],
        nat_provider=v["nat_provider"],
        nat_instance_type=v["nat_instance_type"],
        ssm_endpoint=v["ssm_endpoint"],
        existing=existing,
    )


EXISTING_VPC_CIDR_ACCEPTED = "the existing VPC's own range (vpc_id), a private IPv4 CIDR from /16 to /28"
_EXISTING_VPC_KEYS = ("public_subnet_ids", "private_subnet_ids", "private_route_table_ids")


def _existing_vpc(v: dict[str, Any]) -> ExistingVpc | None:
    """vpc_id names a VPC to reference: then its subnets, one per zone, and their route tables are required."""
    azs: tuple[str, ...] = v["availability_zones"]
    if not v["vpc_id"]:
        for key in _EXISTING_VPC_KEYS:
            if v[key]:
                raise fail(
                    key, ",".join(v[key]), "is set without vpc_id", "empty, unless vpc_id names the VPC they are in"
                )
        return None
    if v["nat_provider"] != "gateway":
        raise ConfigError(
            f"nat_provider: {v['nat_provider']!r} with vpc_id {v['vpc_id']!r}: the app builds no NAT in a VPC it "
            "references; accepted: gateway (nat_gateways then counts the existing VPC's NAT gateways)"
        )
    seen: set[str] = set()
    for key, wanted, per in (
        ("public_subnet_ids", len(azs), "availability zone, in availability_zones order"),
        ("private_subnet_ids", len(azs), "availability zone, in availability_zones order"),
        ("private_route_table_ids", len(v["private_subnet_ids"]), "private subnet, in private_subnet_ids order"),
    ):
        ids: tuple[str, ...] = v[key]
        if len(ids) != wanted:
            raise ConfigError(
                f"{key}: {len(ids)} ids with vpc_id {v['vpc_id']!r} for {wanted} {per.split(',')[0]}s; "
                f"accepted: one per {per}"
            )
        for item in ids:
            # A route table may serve several subnets; a subnet is either public or private, once.
            if item in seen and key != "private_route_table_ids":
                raise fail(key, item, "is named twice", "each subnet once")
            seen.add(item)
    return ExistingVpc(
        vpc_id=v["vpc_id"],
        public_subnet_ids=v["public_subnet_ids"],
        private_subnet_ids=v["private_subnet_ids"],
        private_route_table_ids=v["private_route_table_ids"],
    )


def _extra_security_groups(key: str, ids: tuple[str, ...]) -> None:
    """RDS and ElastiCache take 5 groups by default: the app's own and MAX_EXTRA_SECURITY_GROUPS more."""
    if len(ids) > MAX_EXTRA_SECURITY_GROUPS:
        raise ConfigError(
            f"{key}: {len(ids)} groups, and the resource takes 5 (the app's own and {MAX_EXTRA_SECURITY_GROUPS} "
            f"more); accepted: at most {MAX_EXTRA_SECURITY_GROUPS}"
        )
    for n, group in enumerate(ids):
        if group in ids[:n]:
            raise fail(key, group, "is named twice", "each group once")


def _external_alb(v: dict[str, Any]) -> ExternalLoadBalancer | None:
    """A load balancer outside the app serves the ECS path through the domain's ecs record: no domain, no record."""
    given: dict[str, str] | None = v["external_alb"]
    if given is None:
        return None
    if not v["domain_name"]:
        raise ConfigError(
            f"external_alb: {given['dns_name']!r} has no domain_name whose ecs record could point at it; accepted: "
            "set domain_name, hosted_zone_id and hosted_zone_name, or no external_alb"
        )
    region = given["dns_name"].split(".")[-4]
    if region != v["region"]:
        raise fail(
            "external_alb", given["dns_name"], f"is not in region {v['region']}", "a load balancer of the region"
        )
    return ExternalLoadBalancer(dns_name=given["dns_name"], hosted_zone_id=given["hosted_zone_id"])


# CloudWatch takes 5 actions per alarm state: the environment's own topic and 4 more.
MAX_ALARM_TOPICS = 4


# SSM's limits on a parameter name: 1011 characters, 15 levels below the root.
SSM_NAME_MAX_LENGTH = 1011
SSM_NAME_MAX_LEVELS = 15


def _alarms(env: str, v: dict[str, Any]) -> AlarmConfig:
    arns: tuple[str, ...] = v["alarm_topic_arns"]
    if len(arns) > MAX_ALARM_TOPICS:
        raise ConfigError(
            f"alarm_topic_arns: {len(arns)} topics, and an alarm notifies at most 5 (the environment's own and "
            f"{MAX_ALARM_TOPICS} more); accepted: at most {MAX_ALARM_TOPICS}, or one topic that fans out to the rest"
        )
    own = Names.of_env(env).alarm_topic
    for n, arn in enumerate(arns):
        if arn.split(":")[3] != v["region"]:
            raise fail("alarm_topic_arns", arn, f"is not in region {v['region']}", "topics in the region of the alarms")
        if arn.rsplit(":", 1)[1] == own:
            raise fail("alarm_topic_arns", arn, "is the environment's own topic, which every alarm notifies", "others")
        if arn in arns[:n]:
            raise fail("alarm_topic_arns", arn, "is named twice", "each topic once")
    parameter = v["alarm_https_parameter"]
    if len(parameter) > SSM_NAME_MAX_LENGTH or parameter.count("/") > SSM_NAME_MAX_LEVELS:
        raise ConfigError(
            f"alarm_https_parameter: a name of {len(parameter)} characters and {parameter.count('/')} levels is "
            f"longer than SSM takes; accepted: at most {SSM_NAME_MAX_LENGTH} characters and "
            f"{SSM_NAME_MAX_LEVELS} levels"
        )
    alarms = AlarmConfig(
        email=v["alarm_email"] or None,
        https_parameter=parameter or None,
        topic_arns=arns,
        to_no_one=v["alarms_to_no_one"],
        probe_interval_minutes=v["probe_interval_minutes"],
    )
    if alarms.to_no_one and alarms.has_destination:
        raise ConfigError(
            "alarms_to_no_one: true while alarm_email, alarm_https_parameter or alarm_topic_arns is set, so the "
            "alarms do reach someone; accepted: false with a destination, true without one"
        )
    return alarms


MAX_RELEASE_CHECKS = 10


# A route check's longest path: ten of them stay far inside Lambda's 4 KB of environment.
MAX_RELEASE_CHECK_PATH = 200
# Query parameters that carry credentials: the template and the hook's log would show them.
_CREDENTIAL_PARAMETER = re.compile(r"[?&](access_?token|token|api_?key|key|secret|password|signature|sig)=", re.I)


def _release_checks(texts: tuple[str, ...]) -> tuple[RouteCheck, ...]:
    if len(texts) > MAX_RELEASE_CHECKS:
        raise ConfigError(
            f"lambda_release_checks: {len(texts)} requests make the pre-traffic hook too slow to report; "
            f"accepted: at most {MAX_RELEASE_CHECKS}"
        )
    checks = tuple(RouteCheck.parse(text) for text in texts)
    for check in checks:
        if len(check.path) > MAX_RELEASE_CHECK_PATH:
            raise fail(
                "lambda_release_checks",
                f"{check.path[:40]}…",
                f"is a path of {len(check.path)} characters",
                f"paths of at most {MAX_RELEASE_CHECK_PATH}",
            )
        if _CREDENTIAL_PARAMETER.search(check.path):
            raise fail(
                "lambda_release_checks",
                check.path,
                "carries a credential in its query, which the template and the hook's log would show",
                "read-only requests that need none (the hook sends no credentials)",
            )
    return checks


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def _minute_of_week(day: str, clock: str) -> int:
    hours, minutes = clock.split(":")
    return _DAYS.index(day) * 24 * 60 + int(hours) * 60 + int(minutes)


def window_minutes(window: str) -> set[int]:
    """The minutes of the week a window covers (a daily one, every day), for the overlap checks."""
    start, end = window.split("-")
    if start.count(":") == 1:  # daily hh:mm-hh:mm
        spans = [(_minute_of_week(day, start), _minute_of_week(day, end)) for day in _DAYS]
    else:
        spans = [(_minute_of_week(*start.split(":", 1)), _minute_of_week(*end.split(":", 1)))]
    covered: set[int] = set()
    for first, last in spans:
        length = (last - first) % (_WEEK if start.count(":") == 2 else 24 * 60)
        covered.update((first + minute) % _WEEK for minute in range(length))
    return covered


def _windows(v: dict[str, Any]) -> None:
    """Long enough for AWS, and apart where AWS or a second failover at once would hurt."""
    lengths = {
        "db_backup_window": RDS_MIN_WINDOW_MINUTES,
        "db_maintenance_window": RDS_MIN_WINDOW_MINUTES,
        "cache_snapshot_window": ELASTICACHE_MIN_WINDOW_MINUTES,
        "cache_maintenance_window": ELASTICACHE_MIN_WINDOW_MINUTES,
    }
    covered = {key: window_minutes(v[key]) for key in lengths}
    for key, shortest in lengths.items():
        length = len(covered[key]) // (7 if key.endswith(("backup_window", "snapshot_window")) else 1)
        if length < shortest:
            raise fail(key, v[key], f"lasts {length} minutes", f"a window of {shortest} minutes or more (UTC)")
    for first, second, why in (
        ("db_backup_window", "db_maintenance_window", "RDS refuses a backup window that overlaps maintenance"),
        ("cache_snapshot_window", "cache_maintenance_window", "a snapshot during maintenance may be skipped"),
        ("db_maintenance_window", "cache_maintenance_window", "the database and the cache would fail over at once"),
    ):
        if covered[first] & covered[second]:
            raise ConfigError(
                f"{second}: {v[second]!r} overlaps {first} {v[first]!r} ({why}); accepted: windows apart (UTC)"
            )


def _backup(v: dict[str, Any]) -> BackupConfig | None:
    """AWS Backup's plan: copies elsewhere than the source, and a daily rule clear of RDS's own windows."""
    region, copy_region, arn = v["region"], v["backup_copy_region"], v["backup_copy_account_vault_arn"]
    if copy_region == region:
        raise fail(
            "backup_copy_region",
            copy_region,
            "is region itself, where the copy would share the source's blast radius",
            "another region, or empty",
        )
    if copy_region and copy_region not in AWS_ZONES:
        near = difflib.get_close_matches(copy_region, list(AWS_ZONES), n=3, cutoff=0.6)
        hint = f" (near it: {', '.join(near)})" if near else ""
        raise fail("backup_copy_region", copy_region, f"is not a region the app knows{hint}", "a region of AWS_ZONES")
    if arn:
        _, _, _, vault_region, vault_account, _ = arn.split(":", 5)
        if vault_account == v["account"]:
            raise fail(
                "backup_copy_account_vault_arn",
                arn,
                f"is in this account ({vault_account}), whose credentials could delete it",
                "a vault in another account (a copy within this one goes to backup_copy_region)",
            )
        if vault_region != region:
            raise fail(
                "backup_copy_account_vault_arn",
                arn,
                f"is in {vault_region}, and AWS Backup copies RDS to another account or another region, not both at "
                "once",
                f"a vault of the other account in {region}",
            )
        if v["db_encryption_key"] != "customer-managed":
            raise fail(
                "backup_copy_account_vault_arn",
                arn,
                "needs the database on a customer-managed key: snapshots under aws/rds cannot be shared with another "
                "account",
                "db_encryption_key customer-managed (a new environment), or no account vault",
            )
    if not v["backup"]:
        return None
    if v["backup_vault_lock"] != "off":
        for key in ("backup_retention_days", "backup_pitr_days", "backup_copy_retention_days"):
            if v[key] < BACKUP_MIN_RETENTION_DAYS:
                raise ConfigError(
                    f"{key}: {v[key]} is below the vault lock's fixed minimum of {BACKUP_MIN_RETENTION_DAYS} days "
                    "(the lock refuses a recovery point kept less, and its minimum cannot follow the retention: "
                    f"a compliance lock is immutable); accepted: {BACKUP_MIN_RETENTION_DAYS} or more, or "
                    "backup_vault_lock off"
                )
    # Continuous backup takes over the instance's BackupRetentionPeriod, and RDS then refuses any other value.
    if v["db_backup_retention_days"] != v["backup_pitr_days"]:
        raise ConfigError(
            f"db_backup_retention_days: {v['db_backup_retention_days']} differs from backup_pitr_days "
            f"{v['backup_pitr_days']}: AWS Backup's continuous backup sets the instance's retention to its own, and "
            f"RDS then refuses any other (CloudFormation would drift, a deploy fail); accepted: "
            f"{v['backup_pitr_days']}, as backup_pitr_days"
        )
    # The daily rule's start window and an hour either side must miss RDS's backup and maintenance windows.
    start, end = (BACKUP_DAILY_HOUR_UTC - 1) % 24, (BACKUP_DAILY_HOUR_UTC + 1 + BACKUP_START_WINDOW_MINUTES // 60) % 24
    kept_clear = window_minutes(f"{start:02d}:00-{end:02d}:00")
    for key in ("db_backup_window", "db_maintenance_window"):
        if window_minutes(v[key]) & kept_clear:
            raise ConfigError(
                f"{key}: {v[key]!r} is within an hour of AWS Backup's daily start at {BACKUP_DAILY_HOUR_UTC:02d}:00 "
                "UTC (RDS runs one backup or maintenance at a time); accepted: a window outside "
                f"{start:02d}:00-{end:02d}:00 UTC"
            )
    return BackupConfig(
        retention_days=v["backup_retention_days"],
        pitr_days=v["backup_pitr_days"],
        copy_region=copy_region or None,
        copy_retention_days=v["backup_copy_retention_days"],
        copy_account_vault_arn=arn or None,
        lock=v["backup_vault_lock"],
    )


def _storage(v: dict[str, Any]) -> None:
    if v["db_max_allocated_storage"] < v["db_allocated_storage"]:
        raise ConfigError(
            f"db_max_allocated_storage: {v['db_max_allocated_storage']} is below db_allocated_storage "
            f"{v['db_allocated_storage']}; accepted: a value >= db_allocated_storage"
        )


def _origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    if "*" in origins and len(origins) > 1:
        raise fail("allowed_origins", ",".join(origins), "mixes * with named origins", "* alone, or named origins")
    return origins


def _layers(layer_arns: tuple[str, ...], layer_zip: Path | None, region: str) -> None:
    for arn in layer_arns:
        if arn.split(":")[3] != region:
            raise fail(
                "lambda_layer_arns", arn, f"is not in region {region}", "layer versions in the function's region"
            )
    layers = len(layer_arns) + (1 if layer_zip else 0)
    if layers > MAX_LAYERS:
        raise ConfigError(
            f"lambda_layer_arns: {layers} layers (with lambda_layer_zip) is more than Lambda's limit; "
            f"accepted: at most {MAX_LAYERS} layers in all"
        )


def database_max_connections(instance_class: str, configured: int) -> int:
    """PostgreSQL's max_connections: as configured, or (0) estimated from the class's memory."""
    if configured:
        return configured
    memory = DB_CLASS_MEMORY_GIB.get(instance_class)
    if memory is None:
        # Not a list of every RDS class: a real one (db.m6i.large) may be missing, so name the nearest, never "unknown".
        close = difflib.get_close_matches(instance_class, list(DB_CLASS_MEMORY_GIB), n=1, cutoff=0.8)
        nearest = f" (the nearest it knows: {close[0]!r})" if close else ""
        raise ConfigError(
            f"db_instance_class: {instance_class!r} is not a class whose memory the app knows{nearest}, so "
            "db_max_connections (0: estimate) cannot be estimated; accepted: a class of DB_CLASS_MEMORY_GIB in "
            "config/limits.py, or -c db_max_connections=<the instance's max_connections> (SHOW max_connections)"
        )
    return min(int(memory * 2**30 * 0.75) // 9531392, 5000)


def connection_room(max_connections: int) -> int:
    """The connections the backend's pools may hold: max_connections less RDS's own and a share kept free."""
    return max_connections - DB_RESERVED_CONNECTIONS - math.ceil(max_connections * DB_HEADROOM_SHARE)


def _peak_tasks(desired: int) -> int:
    """The tasks an ECS deploy runs at once: ECS_DEPLOY_MAX_PERCENT of the desired count, rounded down as ECS does."""
    return desired * ECS_DEPLOY_MAX_PERCENT // 100


def _accepts(key: str, value: int) -> bool:
    """Whether ``key`` accepts ``value``: a suggestion never leaves the key's own range."""
    try:
        KEYS[key].parse(key, value)
    except ConfigError:
        return False
    return True


def check_connection_budget(
    reserved: int, ecs_tasks: int, max_connections: int, *, estimated_from: str | None = None
) -> None:
    """Every Lambda environment and every task at its pool size must fit in the database, with room to spare.

    Both paths run side by side during a switch, and an ECS deploy briefly runs its new tasks
    beside the old, so all count. ``estimated_from`` names the class max_connections was estimated
    from (db_max_connections 0). When not even one task or one environment fits, the count is not
    what to change: the database is, and the line names the smallest max_connections that holds both.
    """
    peak_tasks = _peak_tasks(ecs_tasks)
    tasks = peak_tasks * ECS_DB_MAX_CONNS
    room = connection_room(max_connections)
    budget = (
        f"the {room} the database can give ({max_connections} max_connections less {DB_RESERVED_CONNECTIONS} "
        f"RDS keeps and {max_connections - DB_RESERVED_CONNECTIONS - room} kept free)"
    )
    ecs = (
        f"{peak_tasks} tasks ({ecs_tasks} desired, {ECS_DEPLOY_MAX_PERCENT}% while a deploy runs) x {ECS_DB_MAX_CONNS}"
    )
    larger = "a larger db_instance_class" if estimated_from else "a larger db_instance_class and its db_max_connections"
    needed = reserved * LAMBDA_DB_MAX_CONNS + tasks
    # The least a configuration holds: one task at a deploy's peak, and one environment with a reservation
    # (0 is no reservation, so no cap at all: never the way to fit).
    one_environment = LAMBDA_DB_MAX_CONNS if reserved else 0
    least = one_environment + _peak_tasks(1) * ECS_DB_MAX_CONNS
    if least > room:
        one = f"{_peak_tasks(1)} tasks (1 desired, {ECS_DEPLOY_MAX_PERCENT}% while a deploy runs) x {ECS_DB_MAX_CONNS}"
        problem = (
            f"cannot hold even one Lambda environment and one ECS task: 1 x {LAMBDA_DB_MAX_CONNS} connections + {one}"
            if reserved
            else f"cannot hold even one ECS task: {one} connections"
        )
        raise _database_too_small(
            f"{problem} = {least} exceeds {budget}", reserved, ecs_tasks, needed, max_connections, estimated_from
        )
    if tasks + one_environment > room:
        most = max(d for d in range(1, ecs_tasks) if _peak_tasks(d) * ECS_DB_MAX_CONNS + one_environment <= room)
        beside = f" + 1 Lambda environment x {LAMBDA_DB_MAX_CONNS} = {tasks + one_environment}" if reserved else ""
        raise ConfigError(
            f"ecs_desired_count: {ecs} connections = {tasks}{beside} exceeds {budget}; accepted: at most {most}, "
            f"or {larger}"
        )
    if needed > room:
        most = (room - tasks) // LAMBDA_DB_MAX_CONNS
        raise ConfigError(
            f"lambda_reserved_concurrency: {reserved} x {LAMBDA_DB_MAX_CONNS} connections + {ecs} = {needed} "
            f"exceeds {budget}; accepted: at most {most}, or {larger}"
        )


def _database_too_small(
    problem: str, reserved: int, ecs_tasks: int, needed: int, max_connections: int, estimated_from: str | None
) -> ConfigError:
    """The database is what to change: the smallest max_connections that holds the configured counts."""
    least = needed
    while connection_room(least) < needed:
        least += 1
    counts = f"lambda_reserved_concurrency {reserved} and " if reserved else ""
    holds = f"{counts}ecs_desired_count {ecs_tasks} ({needed} connections)"
    if not _accepts("db_max_connections", least):
        return ConfigError(
            f"db_max_connections: {max_connections} {problem}; accepted: a smaller lambda_reserved_concurrency or "
            f"ecs_desired_count, as no max_connections in {KEYS['db_max_connections'].parse.accepted} holds {holds}"
        )
    if estimated_from is None:
        return ConfigError(
            f"db_max_connections: {max_connections} {problem}; accepted: at least {least}, which holds {holds}, "
            "if the instance has that many (SHOW max_connections; a larger db_instance_class has more)"
        )
    classes = sorted(
        (database_max_connections(name, 0), name)
        for name in DB_CLASS_MEMORY_GIB
        if database_max_connections(name, 0) >= least
    )
    example = f", such as {classes[0][1]} ({classes[0][0]})" if classes else ""
    return ConfigError(
        f"db_instance_class: {estimated_from!r} (max_connections {max_connections}, estimated) {problem}; "
        f"accepted: a class with at least {least} max_connections, which holds {holds}{example}, or "
        "-c db_max_connections=<the instance's max_connections> if it has that many"
    )


def _provisioned(provisioned: int, reserved: int) -> None:
    """Lambda refuses more provisioned concurrency than the function's reservation."""
    if reserved and provisioned > reserved:
        raise ConfigError(
            f"lambda_provisioned_concurrency: {provisioned} exceeds lambda_reserved_concurrency {reserved} "
            f"(Lambda refuses more); accepted: at most {reserved}"
        )


def lambda_capacity_rps(reserved: int, average_duration_ms: int) -> int:
    """Requests per second ``reserved`` environments serve at ``average_duration_ms`` each (Little's law)."""
    return max(reserved * 1000 // average_duration_ms, 1)


def api_throttle(reserved: int, average_duration_ms: int, rate: int, burst: int) -> tuple[int, int]:
    """The stage's rate and burst: as set, or (0) what the reserved environments can serve.

    Past the reservation Lambda throttles, and the HTTP API answers those requests with 500, not
    429: a burst above it is refused. A rate above it rests on the assumed duration, so it only warns.
    """
    if not reserved:
        for key, value in (("api_throttle_rate", rate), ("api_throttle_burst", burst)):
            if not value:
                raise ConfigError(
                    f"{key}: 0 (derive it from the reservation) needs lambda_reserved_concurrency above 0; "
                    "accepted: a value of its own, or a reservation"
                )
        return rate, burst
    if burst > reserved:
        raise ConfigError(
            f"api_throttle_burst: {burst} exceeds lambda_reserved_concurrency {reserved}: past {reserved} requests "
            "in flight Lambda throttles, and the HTTP API answers them with 500 instead of 429; "
            f"accepted: at most {reserved}, or 0 to derive it"
        )
    return rate or lambda_capacity_rps(reserved, average_duration_ms), burst or reserved


def _plain_http(compute: str, env: str, v: dict[str, Any]) -> None:
    """Without a domain the load balancer has no certificate: JWTs and payment calls would cross the
    internet in clear. In prod that needs saying so explicitly: keyed off the environment, never off
    termination_protection, so `-c termination_protection=false` cannot switch this check off too."""
    if compute != "ecs" or env != "prod" or v["domain_name"] or v["ecs_allow_plain_http"]:
        return
    raise ConfigError(
        f"compute: 'ecs' in env={env} has no domain_name, so the load balancer would serve JWTs and payment "
        "calls over plain HTTP; accepted: set domain_name (HTTPS with its certificate), or -c "
        "ecs_allow_plain_http=true to accept plain HTTP"
    )


def _fargate_size(cpu: int, memory: int) -> None:
    if memory not in FARGATE_MEMORY[cpu]:
        sizes = FARGATE_MEMORY[cpu]
        raise ConfigError(
            f"ecs_memory: {memory} is not a Fargate size for ecs_cpu {cpu}; "
            f"accepted: {sizes[0]}..{sizes[-1]} in steps of {sizes[1] - sizes[0]}"
        )


def _domain(name: str, zone_id: str, zone_name: str) -> DomainConfig | None:
    if not name:
        if zone_id or zone_name:
            raise ConfigError(
                "domain_name: '' is empty while a hosted zone is set; accepted: a domain_name inside "
                "hosted_zone_name, or no hosted zone"
            )
        return None
    if not (zone_id and zone_name):
        raise ConfigError(
            f"domain_name: {name!r} has no hosted zone; accepted: set both hosted_zone_id and "
            "hosted_zone_name (the zone validates the certificate and holds the alias record)"
        )
    if name != zone_name and not name.endswith("." + zone_name):
        raise fail(
            "domain_name", name, f"is not inside hosted_zone_name {zone_name!r}", f"a name ending in .{zone_name}"
        )
    return DomainConfig(name=name, hosted_zone_id=zone_id, hosted_zone_name=zone_name)


def _edge(v: dict[str, Any], domain: DomainConfig | None, throttle_rate: int) -> EdgeConfig | None:
    """CloudFront and WAF in front of the domain: only with one (without a domain nothing changes).

    A derived rate limit lets one client send a tenth (WAF_CLIENT_SHARE) of what the API serves in the
    window: ten clients at their limit fill the stage throttle, one alone cannot.
    """
    if domain is None or v["edge_protection"] == "off":
        return None
    if v["external_alb"]:
        raise fail(
            "edge_protection",
            v["edge_protection"],
            "is given with external_alb (CloudFront reaches each path at its own origin name, which a load "
            "balancer outside the app does not answer to)",
            "off until external_alb is removed, then open, then on",
        )
    window, limit = v["waf_rate_window_seconds"], v["waf_rate_limit"]
    if limit == 0:
        limit = max(WAF_MIN_RATE_LIMIT, throttle_rate * window // WAF_CLIENT_SHARE)
    elif limit < WAF_MIN_RATE_LIMIT:
        raise ConfigError(
            f"waf_rate_limit: {limit} is below AWS WAF's minimum; accepted: 0 (derived), or "
            f"{WAF_MIN_RATE_LIMIT}..{WAF_MAX_RATE_LIMIT:,} requests per waf_rate_window_seconds"
        )
    return EdgeConfig(
        enforced=v["edge_protection"] == "on",
        rate_limit=limit,
        rate_window_seconds=window,
        rate_key=v["waf_rate_key"],
        rate_exempt_cidrs=tuple(dict.fromkeys(v["waf_rate_exempt_cidrs"])),
        origin_secret_version=v["origin_secret_version"] or None,
    )


# ELF e_machine → the Lambda architecture that runs it.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}


def _bootstrap_zip(value: str, root: Path, architecture: str) -> Path | None:
    """A prebuilt function zip must hold, at its root, a ``bootstrap`` that Lambda can run."""
    path = _existing_file("lambda_zip", value, root)
    if path is None:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            if "bootstrap" not in archive.namelist():
                raise fail("lambda_zip", value, "has no bootstrap at its root", "a zip with bootstrap at its root")
            with archive.open("bootstrap") as bootstrap:
                head = bootstrap.read(20)
    except zipfile.BadZipFile:
        raise fail("lambda_zip", value, "is not a zip archive", "a zip with bootstrap at its root") from None
    _check_bootstrap(value, head, architecture)
    return path


def _check_bootstrap(value: str, head: bytes, architecture: str) -> None:
    """The ELF header: a 64-bit little-endian Linux executable for ``architecture``.

    Anything else passes synth and deploy and fails only when the function is invoked.
    """
    goarch = "arm64" if architecture == "arm64" else "amd64"
    accepted = f"a Linux executable for lambda_architecture {architecture} (GOOS=linux GOARCH={goarch})"
    linux_executable = (
        len(head) == 20
        and head[:4] == b"\x7fELF"
        and head[4] == 2  # 64-bit
        and head[5] == 1  # little-endian
        and head[7] in (0, 3)  # System V or Linux ABI (Go writes 0)
        and int.from_bytes(head[16:18], "little") in (2, 3)  # an executable, or a position-independent one
    )
    if not linux_executable:
        raise fail("lambda_zip", value, "holds a bootstrap that is not a 64-bit Linux executable", accepted)
    built_for = ELF_MACHINES.get(int.from_bytes(head[18:20], "little"))
    if built_for != architecture:
        problem = f"holds a bootstrap built for {built_for or 'another processor'}, not for {architecture}"
        raise fail(
            "lambda_zip",
            value,
            problem,
            f"{accepted}, or set lambda_architecture to {built_for}" if built_for else accepted,
        )


def _existing_file(key: str, value: str, root: Path) -> Path | None:
    if not value:
        return None
    path = (root / value).resolve()
    if not path.is_file():
        raise fail(key, value, "does not exist", "a path (relative to the project) to an existing .zip file")
    return path
