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
from config.keys import ConfigError, fail
from config.limits import (
    DB_CLASS_MEMORY_GIB,
    DB_HEADROOM_SHARE,
    DB_RESERVED_CONNECTIONS,
    FARGATE_MEMORY,
    MAX_LAYERS,
)
from config.model import (
    ApiConfig,
    AppConfig,
    BackendConfig,
    CacheConfig,
    DatabaseConfig,
    DomainConfig,
    EcsConfig,
    LambdaConfig,
    NetworkConfig,
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
    if re.match(r"/(aws|ssm)", v["ssm_prefix"], re.IGNORECASE):
        raise fail("ssm_prefix", v["ssm_prefix"], "starts with a name AWS reserves", "a path not under /aws or /ssm")
    max_connections = database_max_connections(v["db_instance_class"], v["db_max_connections"])
    check_connection_budget(v["lambda_reserved_concurrency"], v["ecs_desired_count"], max_connections)
    _provisioned(v["lambda_provisioned_concurrency"], v["lambda_reserved_concurrency"])
    throttle_rate, throttle_burst = api_throttle(
        v["lambda_reserved_concurrency"],
        v["lambda_average_duration_ms"],
        v["api_throttle_rate"],
        v["api_throttle_burst"],
    )
    _plain_http(compute, env, v)
    cpu = int(v["ecs_cpu"])
    _fargate_size(cpu, v["ecs_memory"])

    names = Names.of_env(env)
    return AppConfig(
        env=env,
        compute=compute,
        account=v["account"] or None,
        region=v["region"],
        ssm_prefix=v["ssm_prefix"],
        log_retention_days=v["log_retention_days"],
        termination_protection=v["termination_protection"],
        alarm_email=v["alarm_email"] or None,
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
        ),
        # Every cache_<field> key is a field of CacheConfig, under the same name.
        cache=CacheConfig(
            **{key.removeprefix("cache_"): value for key, value in v.items() if key.startswith("cache_")}
        ),
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
        ),
        api=ApiConfig(
            name=names.api,
            allowed_origins=origins,
            throttle_rate=throttle_rate,
            throttle_burst=throttle_burst,
            domain=_domain(v["domain_name"], v["hosted_zone_id"], v["hosted_zone_name"]),
        ),
        ecs=EcsConfig(
            cluster_name=names.cluster,
            service_name=names.service,
            desired_count=v["ecs_desired_count"],
            cpu=cpu,
            memory_mib=v["ecs_memory"],
            image_uri=v["ecs_image_uri"] or None,
            allow_plain_http=v["ecs_allow_plain_http"],
        ),
        backend=BackendConfig(
            midtrans_client_key=v["midtrans_client_key"],
            midtrans_is_production=v["midtrans_is_production"],
        ),
    )


def _network(v: dict[str, Any]) -> NetworkConfig:
    region: str = v["region"]
    azs: tuple[str, ...] = v["availability_zones"]
    if not 2 <= len(azs) <= 3:
        raise fail("availability_zones", ",".join(azs), "names the wrong number of zones", "2 or 3 zones")
    for zone in azs:
        if not zone.startswith(region):
            raise fail("availability_zones", zone, f"is not in region {region}", f"zones such as {region}a")
    if len(set(azs)) != len(azs):
        raise fail("availability_zones", ",".join(azs), "repeats a zone", "distinct zones")
    if not 1 <= v["nat_gateways"] <= len(azs):
        raise ConfigError(
            f"nat_gateways: {v['nat_gateways']} is out of range 1..{len(azs)} "
            f"(one per availability zone; {len(azs)} zones are set)"
        )
    try:
        cidr = ipaddress.ip_network(v["vpc_cidr"])
    except ValueError:
        raise fail("vpc_cidr", v["vpc_cidr"], "is not a network address", VPC_CIDR_ACCEPTED) from None
    # Each zone gets a public /(N+6) and a private /(N+4) subnet; below /20 the public ones
    # would be smaller than the /27 a load balancer needs.
    if not (cidr.is_private and 16 <= cidr.prefixlen <= 20):
        raise fail("vpc_cidr", v["vpc_cidr"], "is not a private /16../20 range", VPC_CIDR_ACCEPTED)
    return NetworkConfig(
        vpc_cidr=str(cidr),
        availability_zones=azs,
        nat_gateways=v["nat_gateways"],
        nat_provider=v["nat_provider"],
        nat_instance_type=v["nat_instance_type"],
        ssm_endpoint=v["ssm_endpoint"],
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


def check_connection_budget(reserved: int, ecs_tasks: int, max_connections: int) -> None:
    """Every Lambda environment and every task at its pool size must fit in the database, with room to spare.

    Both paths run side by side during a switch, and an ECS deploy briefly runs its new tasks
    beside the old (ECS_DEPLOY_MAX_PERCENT of the desired count, rounded down as ECS does), so all count.
    """
    peak_tasks = ecs_tasks * ECS_DEPLOY_MAX_PERCENT // 100
    tasks = peak_tasks * ECS_DB_MAX_CONNS
    room = connection_room(max_connections)
    budget = (
        f"the {room} the database can give ({max_connections} max_connections less {DB_RESERVED_CONNECTIONS} "
        f"RDS keeps and {max_connections - DB_RESERVED_CONNECTIONS - room} kept free)"
    )
    ecs = (
        f"{peak_tasks} tasks ({ecs_tasks} desired, {ECS_DEPLOY_MAX_PERCENT}% while a deploy runs) x {ECS_DB_MAX_CONNS}"
    )
    if tasks > room:
        most = room // (ECS_DB_MAX_CONNS * ECS_DEPLOY_MAX_PERCENT // 100)
        raise ConfigError(
            f"ecs_desired_count: {ecs} connections = {tasks} exceeds {budget}; accepted: at most {most}, "
            "or a larger db_instance_class"
        )
    needed = reserved * LAMBDA_DB_MAX_CONNS + tasks
    if reserved and needed > room:
        most = (room - tasks) // LAMBDA_DB_MAX_CONNS
        raise ConfigError(
            f"lambda_reserved_concurrency: {reserved} x {LAMBDA_DB_MAX_CONNS} connections + {ecs} = {needed} "
            f"exceeds {budget}; accepted: at most {most}, or a larger db_instance_class"
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
    internet in clear. Where the stacks are protected (prod) that needs saying so explicitly."""
    if compute != "ecs" or not v["termination_protection"] or v["domain_name"] or v["ecs_allow_plain_http"]:
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
