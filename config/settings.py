"""Typed, validated configuration for the anigmaa infrastructure.

`load_config` turns the CDK context (``cdk.json`` plus ``-c key=value`` overrides)
into frozen dataclasses, one per concern, before any construct exists. Every
rejected value raises `ConfigError` with one line naming the key, the value it got
and what is accepted.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("prod", "dev")
COMPUTE_MODES = ("lambda", "ecs")
# Fargate's valid memory sizes (MiB) for each CPU size (CPU units).
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
LAMBDA_RUNTIMES = ("provided.al2", "provided.al2023")
LAMBDA_ARCHITECTURES = ("x86_64", "arm64")
# How the private subnets reach the internet: managed NAT gateways, or EC2 NAT instances
# (the CDK's NatProvider.instanceV2 on Amazon Linux 2023).
NAT_PROVIDERS = ("gateway", "instance")
POSTGRES_MAJOR_VERSIONS = ("14", "15", "16", "17")
REDIS_ENGINE_VERSIONS = ("6.2", "7.0", "7.1")
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)  # fmt: skip
SECRET_NAMES = ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY")

# The HTTP API's maximum integration timeout; a longer Lambda timeout is never reached.
HTTP_API_MAX_TIMEOUT_SECONDS = 30
MAX_LAYERS = 5  # Lambda's limit of layers per function

# Fixed by the seed: the backend's user, database and ports.
DB_USER = "postgres"
# Database connections one process may hold (the backend's pool reads DB_MAX_CONNS): few
# per Lambda execution environment, because concurrency multiplies them.
LAMBDA_DB_MAX_CONNS = 2
ECS_DB_MAX_CONNS = 10
# Connections PostgreSQL on RDS keeps for the superuser and rdsadmin.
DB_RESERVED_CONNECTIONS = 3
DB_NAME = "anigmaa"
DB_PORT = 5432
REDIS_PORT = 6379
APP_PORT = 8080

_CONTEXT_ROOT_KEYS = ("env", "compute", "environments")
# Memory of common RDS classes (GiB), to estimate PostgreSQL's default max_connections,
# LEAST(DBInstanceClassMemory / 9531392, 5000). DBInstanceClassMemory is what is left after
# the OS; three quarters of the nominal memory is a conservative stand-in.
DB_CLASS_MEMORY_GIB = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.m6g.large": 8, "db.m7g.large": 8, "db.r6g.large": 16, "db.r7g.large": 16,
}  # fmt: skip
VPC_CIDR_ACCEPTED = "a private IPv4 CIDR from /16 to /20"


class ConfigError(ValueError):
    """A configuration value was rejected; the message is one line for the user."""


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class NetworkConfig:
    """The VPC: its address range, availability zones, NAT and private endpoints.

    ``nat_gateways`` counts NAT devices (as the CDK's ``natGateways`` does): gateways, or
    instances of ``nat_instance_type`` when ``nat_provider`` is ``instance``.
    """

    vpc_cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: int
    nat_provider: str
    nat_instance_type: str
    ssm_endpoint: bool


@dataclass(frozen=True)
class DatabaseConfig:
    """RDS PostgreSQL sizing and protection."""

    instance_class: str
    engine_version: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    multi_az: bool
    backup_retention_days: int
    deletion_protection: bool
    max_connections: int


@dataclass(frozen=True)
class CacheConfig:
    """ElastiCache Redis replication group sizing."""

    node_type: str
    engine_version: str
    nodes: int
    snapshot_retention_days: int


@dataclass(frozen=True)
class DomainConfig:
    """A custom domain for the API and the Route 53 zone that validates and serves it."""

    name: str
    hosted_zone_id: str
    hosted_zone_name: str


@dataclass(frozen=True)
class LambdaConfig:
    """The backend function: runtime, size and where its code comes from."""

    function_name: str
    memory_mb: int
    timeout_seconds: int
    runtime: str
    architecture: str
    code_zip: Path | None
    layer_zip: Path | None
    layer_arns: tuple[str, ...]
    reserved_concurrency: int | None

    @property
    def goarch(self) -> str:
        """The Go architecture that matches the Lambda architecture."""
        return "arm64" if self.architecture == "arm64" else "amd64"


@dataclass(frozen=True)
class ApiConfig:
    """The HTTP API: CORS, throttling and the optional custom domain."""

    name: str
    allowed_origins: tuple[str, ...]
    throttle_rate: int
    throttle_burst: int
    domain: DomainConfig | None


@dataclass(frozen=True)
class EcsConfig:
    """The Fargate rollback path: service size and where its image comes from."""

    cluster_name: str
    service_name: str
    desired_count: int
    cpu: int
    memory_mib: int
    image_uri: str | None


@dataclass(frozen=True)
class BackendConfig:
    """Plain (non-secret) settings the Go backend reads from its environment."""

    midtrans_client_key: str
    midtrans_is_production: bool


@dataclass(frozen=True)
class AppConfig:
    """Everything the stacks need, validated."""

    env: str
    compute: str
    account: str | None
    region: str
    ssm_prefix: str
    log_retention_days: int
    termination_protection: bool
    alarm_email: str | None
    network: NetworkConfig
    database: DatabaseConfig
    cache: CacheConfig
    function: LambdaConfig
    api: ApiConfig
    ecs: EcsConfig
    backend: BackendConfig

    def stack_name(self, role: str) -> str:
        """The CloudFormation stack name for a role, e.g. ``anigmaa-prod-network``."""
        return f"anigmaa-{self.env}-{role}"

    @property
    def secret_parameter_names(self) -> dict[str, str]:
        """The SSM SecureString parameter name of each secret, keyed by secret name."""
        return {name: f"{self.ssm_prefix}/{name}" for name in SECRET_NAMES}


# --------------------------------------------------------------------------- parsers

Parser = Callable[[str, Any], Any]


def _fail(key: str, value: Any, problem: str, accepted: str) -> ConfigError:
    return ConfigError(f"{key}: {value!r} {problem}; accepted: {accepted}")


def _integer(low: int, high: int, note: str = "") -> Parser:
    accepted = f"a whole number in {low}..{high}{note}"

    def parse(key: str, value: Any) -> int:
        if isinstance(value, bool):
            raise _fail(key, value, "is not a whole number", accepted)
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value.strip())
        else:
            raise _fail(key, value, "is not a whole number", accepted)
        if not low <= number <= high:
            raise ConfigError(f"{key}: {number} is out of range {low}..{high}{note}")
        return number

    return parse


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _fail(key, value, "is not a boolean", "true or false")


def _choice(*choices: str) -> Parser:
    def parse(key: str, value: Any) -> str:
        # cdk.json may hold a version as a number (17, 7.1); compare it as text.
        text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        if isinstance(text, str) and text in choices:
            return text
        raise _fail(key, value, "is not known", " | ".join(choices))

    return parse


def _pattern(regex: str, accepted: str, *, allow_empty: bool = False) -> Parser:
    compiled = re.compile(regex)

    def parse(key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise _fail(key, value, "is not text", accepted)
        if value == "" and allow_empty:
            return value
        if not compiled.fullmatch(value):
            raise _fail(key, value, "is malformed", accepted)
        return value

    return parse


def _string_list(item: Parser) -> Parser:
    def parse(key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, list) and all(isinstance(part, str) for part in value):
            items = list(value)
        else:
            raise _fail(key, value, "is not a list", "a JSON list or comma-separated text")
        return tuple(item(key, part) for part in items)

    return parse


def _optional_zip(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(key, value, "is not a path", "a path to a .zip file, or empty")
    if value and not value.endswith(".zip"):
        raise _fail(key, value, "is not a .zip file", "a path to a .zip file, or empty")
    return value


def _log_retention(key: str, value: Any) -> int:
    days: int = _integer(1, 3653)(key, value)
    if days not in LOG_RETENTION_DAYS:
        accepted = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ConfigError(f"{key}: {days} is not a CloudWatch Logs retention period; accepted: {accepted}")
    return days


_HOSTNAME = r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
_ORIGIN = r"\*|https://" + _HOSTNAME.replace("(?=.{1,253}$)", "") + r"(:\d{1,5})?|http://localhost(:\d{1,5})?"


@dataclass(frozen=True)
class _Key:
    parse: Parser
    help: str
    accepted: str  # for the README's table; the parser's messages say the same


# Every configuration key the user may set, with its parser. Defaults per environment
# live in cdk.json under "environments"; the README's table is checked against this.
KEYS: dict[str, _Key] = {
    "account": _Key(
        _pattern(r"\d{12}", "a 12-digit AWS account id, or empty", allow_empty=True),
        "AWS account id to deploy to (empty: the CLI's current account)",
        accepted="12 digits, or empty",
    ),
    "region": _Key(
        _pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-1"),
        "AWS region",
        accepted="an AWS region, e.g. ap-southeast-1",
    ),
    "availability_zones": _Key(
        _string_list(_pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]", "zone names such as ap-southeast-1a")),
        "availability zones, given explicitly so synth needs no AWS look-up",
        accepted="2 or 3 zones of the region",
    ),
    "vpc_cidr": _Key(
        _pattern(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", VPC_CIDR_ACCEPTED),
        "the VPC's address range",
        accepted="private IPv4 CIDR, /16 to /20",
    ),
    "nat_gateways": _Key(
        _integer(1, 3), "NAT gateways or instances (one per AZ at most)", accepted="1 .. number of zones"
    ),
    "nat_provider": _Key(
        _choice(*NAT_PROVIDERS),
        "managed NAT gateway, or an EC2 NAT instance (cheaper; yours to size, patched by replacement)",
        accepted="gateway | instance",
    ),
    "nat_instance_type": _Key(
        _pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t4g.nano"),
        "EC2 type of the NAT instances (used when nat_provider is instance)",
        accepted="an EC2 instance type, e.g. t4g.nano",
    ),
    "ssm_endpoint": _Key(
        _boolean,
        "an SSM interface endpoint in each zone, so secrets are read without the NAT",
        accepted="true | false",
    ),
    "db_instance_class": _Key(
        _pattern(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS class such as db.t3.micro"),
        "RDS instance class",
        accepted="db.<family>.<size>",
    ),
    "db_engine_version": _Key(
        _choice(*POSTGRES_MAJOR_VERSIONS), "PostgreSQL major version", accepted="14 | 15 | 16 | 17"
    ),
    "db_allocated_storage": _Key(_integer(20, 65536), "RDS storage in GiB", accepted="20..65536"),
    "db_max_allocated_storage": _Key(
        _integer(20, 65536), "RDS storage autoscaling ceiling in GiB", accepted=">= db_allocated_storage, ..65536"
    ),
    "db_multi_az": _Key(_boolean, "RDS Multi-AZ standby", accepted="true | false"),
    "db_backup_retention_days": _Key(_integer(1, 35), "RDS automated backup retention", accepted="1..35"),
    "db_max_connections": _Key(
        _integer(0, 5000),
        "PostgreSQL's max_connections, for the connections alarm; 0: estimate from the class",
        accepted="0..5000",
    ),
    "alarm_email": _Key(
        _pattern(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", "an e-mail address, or empty", allow_empty=True),
        "where alarms are e-mailed (SNS; the address must confirm once); empty: no subscription",
        accepted="an e-mail address, or empty",
    ),
    "db_deletion_protection": _Key(_boolean, "RDS deletion protection", accepted="true | false"),
    "cache_node_type": _Key(
        _pattern(r"cache\.[a-z0-9]+\.[a-z0-9]+", "an ElastiCache node type such as cache.t3.micro"),
        "ElastiCache node type",
        accepted="cache.<family>.<size>",
    ),
    "cache_engine_version": _Key(_choice(*REDIS_ENGINE_VERSIONS), "Redis engine version", accepted="6.2 | 7.0 | 7.1"),
    "cache_nodes": _Key(
        _integer(1, 6), "Redis nodes (2 or more enables automatic failover and Multi-AZ)", accepted="1..6"
    ),
    "cache_snapshot_retention_days": _Key(
        _integer(0, 35), "Redis daily snapshot retention (0: none)", accepted="0..35"
    ),
    "lambda_memory": _Key(_integer(128, 10240), "Lambda memory in MB", accepted="128..10240"),
    "lambda_timeout": _Key(
        _integer(1, HTTP_API_MAX_TIMEOUT_SECONDS, " (the HTTP API's integration timeout is at most 30 s)"),
        "Lambda timeout in seconds",
        accepted="1..30 (HTTP API limit)",
    ),
    "lambda_runtime": _Key(
        _choice(*LAMBDA_RUNTIMES), "Lambda OS-only runtime", accepted="provided.al2 | provided.al2023"
    ),
    "lambda_architecture": _Key(_choice(*LAMBDA_ARCHITECTURES), "Lambda architecture", accepted="x86_64 | arm64"),
    "lambda_reserved_concurrency": _Key(
        _integer(0, 1000),
        "concurrent executions reserved for (and capped at) the function; 0: none",
        accepted="0..1000",
    ),
    "lambda_zip": _Key(
        _optional_zip,
        "prebuilt zip holding `bootstrap` (empty: build lambda_src/)",
        accepted="path to a .zip, or empty",
    ),
    "lambda_layer_zip": _Key(_optional_zip, "a layer zip to attach (empty: none)", accepted="path to a .zip, or empty"),
    "lambda_layer_arns": _Key(
        _string_list(
            _pattern(
                r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+",
                "layer version ARNs such as arn:aws:lambda:ap-southeast-1:123456789012:layer:name:3",
            )
        ),
        "layer version ARNs to attach",
        accepted="layer version ARNs, at most 5 layers in all",
    ),
    "allowed_origins": _Key(
        _string_list(
            _pattern(_ORIGIN, "https:// origins such as https://app.example.com, http://localhost[:port], or *")
        ),
        "CORS origins (empty: no cross-origin access)",
        accepted="https://host[:port], http://localhost[:port], or * alone",
    ),
    "api_throttle_rate": _Key(_integer(1, 10000), "HTTP API steady-state requests per second", accepted="1..10000"),
    "api_throttle_burst": _Key(_integer(1, 5000), "HTTP API burst", accepted="1..5000"),
    "domain_name": _Key(
        _pattern(_HOSTNAME, "a lower-case host name such as api.example.com, or empty", allow_empty=True),
        "custom domain for the API (empty: none)",
        accepted="lower-case host name inside hosted_zone_name, or empty",
    ),
    "hosted_zone_id": _Key(
        _pattern(r"Z[A-Z0-9]{1,31}", "a Route 53 zone id such as Z0123456789ABCDEFGHIJ, or empty", allow_empty=True),
        "Route 53 hosted zone id of domain_name",
        accepted="Z…, required with domain_name",
    ),
    "hosted_zone_name": _Key(
        _pattern(_HOSTNAME, "the zone's name such as example.com, or empty", allow_empty=True),
        "Route 53 hosted zone name of domain_name",
        accepted="zone name, required with domain_name",
    ),
    "ecs_desired_count": _Key(_integer(1, 20), "Fargate tasks in compute=ecs", accepted="1..20"),
    "ecs_cpu": _Key(
        _choice("256", "512", "1024", "2048", "4096"),
        "Fargate task CPU units",
        accepted="256 | 512 | 1024 | 2048 | 4096",
    ),
    "ecs_memory": _Key(
        _integer(512, 30720), "Fargate task memory in MiB", accepted="a size Fargate allows for ecs_cpu"
    ),
    "ecs_image_uri": _Key(
        _pattern(
            r"[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})",
            "an image such as 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/anigmaa:1.4.2, or empty",
            allow_empty=True,
        ),
        "the ECS image (empty: build lambda_src/Dockerfile as a CDK asset)",
        accepted="registry/repository:tag or @sha256:…, or empty",
    ),
    "midtrans_client_key": _Key(
        _pattern(r"[A-Za-z0-9_-]{0,128}", "letters, digits, - and _ (the public client key)"),
        "Midtrans client key (public; the server key is a secret)",
        accepted="letters, digits, - and _",
    ),
    "midtrans_is_production": _Key(_boolean, "Midtrans production mode", accepted="true | false"),
    "ssm_prefix": _Key(
        _pattern(r"(/[A-Za-z0-9_.-]+)+", "a path such as /anigmaa/prod (no trailing /)"),
        "SSM path prefix of the four SecureStrings",
        accepted="/path without trailing /",
    ),
    "log_retention_days": _Key(
        _log_retention,
        "CloudWatch Logs retention in days",
        accepted="1, 3, 5, 7, 14, 30, 60, 90, …, 3653 (CloudWatch's periods)",
    ),
    "termination_protection": _Key(
        _boolean, "termination protection on the network and data stacks", accepted="true | false"
    ),
}


# --------------------------------------------------------------------------- loading


# Context keys the CDK CLI itself may write into cdk.json; all others without ':' are ours.
_CLI_KEYS = frozenset({"acknowledged-issue-numbers"})


def _is_user_key(key: str) -> bool:
    """CDK's own context keys contain ':' (aws:cdk:…) or start with '@' (feature flags)."""
    return ":" not in key and not key.startswith("@") and key not in _CLI_KEYS


def _unknown_key(key: str, where: str) -> ConfigError:
    known = sorted([*KEYS, *_CONTEXT_ROOT_KEYS])
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{key}: unknown configuration key in {where}{hint}; accepted: see the README's table")


def load_config(context: Mapping[str, Any], project_root: Path) -> AppConfig:
    """Build the validated configuration from the CDK context.

    ``context`` holds cdk.json's context merged with ``-c`` overrides (as
    ``app.node`` sees it). A top-level key overrides the selected environment's
    value from ``environments``.
    """
    for key in context:
        if _is_user_key(key) and key not in KEYS and key not in _CONTEXT_ROOT_KEYS:
            raise _unknown_key(key, "the context (-c or cdk.json)")

    env = context.get("env", "prod")
    if not isinstance(env, str) or env not in ENVIRONMENTS:
        raise _fail("env", env, "is not a known environment", " | ".join(ENVIRONMENTS))

    compute = context.get("compute", "lambda")
    if not isinstance(compute, str):
        raise _fail("compute", compute, "is not a known compute mode", " | ".join(COMPUTE_MODES))
    if compute not in COMPUTE_MODES:
        raise _fail("compute", compute, "is not a known compute mode", " | ".join(COMPUTE_MODES))

    environments = context.get("environments")
    if not isinstance(environments, Mapping) or not isinstance(environments.get(env), Mapping):
        raise ConfigError(
            f"environments: cdk.json has no settings for env {env!r}; accepted: an object per environment"
        )
    values: dict[str, Any] = {}
    for key, value in environments[env].items():
        if key not in KEYS:
            raise _unknown_key(key, f"cdk.json environments.{env}")
        values[key] = value
    for key, value in context.items():
        if key in KEYS:
            values[key] = value

    missing = sorted(set(KEYS) - set(values))
    if missing:
        raise ConfigError(f"{missing[0]}: no value for env {env!r}; accepted: set it in cdk.json environments.{env}")

    parsed = {key: KEYS[key].parse(key, value) for key, value in values.items()}
    return _assemble(env, compute, parsed, project_root)


def _assemble(env: str, compute: str, v: dict[str, Any], root: Path) -> AppConfig:
    """Cross-key checks, then the dataclasses. ``v`` holds each key's parsed value."""
    region: str = v["region"]
    azs: tuple[str, ...] = v["availability_zones"]
    if not 2 <= len(azs) <= 3:
        raise _fail("availability_zones", ",".join(azs), "names the wrong number of zones", "2 or 3 zones")
    for zone in azs:
        if not zone.startswith(region):
            raise _fail("availability_zones", zone, f"is not in region {region}", f"zones such as {region}a")
    if len(set(azs)) != len(azs):
        raise _fail("availability_zones", ",".join(azs), "repeats a zone", "distinct zones")
    if v["nat_gateways"] > len(azs):
        raise ConfigError(
            f"nat_gateways: {v['nat_gateways']} is out of range 1..{len(azs)} (one per availability zone)"
        )

    try:
        cidr = ipaddress.ip_network(v["vpc_cidr"])
    except ValueError:
        raise _fail("vpc_cidr", v["vpc_cidr"], "is not a network address", VPC_CIDR_ACCEPTED) from None
    # Each zone gets a public /(N+6) and a private /(N+4) subnet; below /20 the public ones
    # would be smaller than the /27 a load balancer needs.
    if not (cidr.is_private and 16 <= cidr.prefixlen <= 20):
        raise _fail("vpc_cidr", v["vpc_cidr"], "is not a private /16../20 range", VPC_CIDR_ACCEPTED)

    if v["db_max_allocated_storage"] < v["db_allocated_storage"]:
        raise ConfigError(
            f"db_max_allocated_storage: {v['db_max_allocated_storage']} is below db_allocated_storage "
            f"{v['db_allocated_storage']}; accepted: a value >= db_allocated_storage"
        )

    domain = _domain(v["domain_name"], v["hosted_zone_id"], v["hosted_zone_name"])

    origins: tuple[str, ...] = v["allowed_origins"]
    if "*" in origins and len(origins) > 1:
        raise _fail("allowed_origins", ",".join(origins), "mixes * with named origins", "* alone, or named origins")

    layer_arns: tuple[str, ...] = v["lambda_layer_arns"]
    for arn in layer_arns:
        if arn.split(":")[3] != region:
            raise _fail(
                "lambda_layer_arns", arn, f"is not in region {region}", "layer versions in the function's region"
            )
    layer_zip = _existing_file("lambda_layer_zip", v["lambda_layer_zip"], root)
    layers = len(layer_arns) + (1 if layer_zip else 0)
    if layers > MAX_LAYERS:
        raise ConfigError(
            f"lambda_layer_arns: {layers} layers (with lambda_layer_zip) is more than Lambda's limit; "
            f"accepted: at most {MAX_LAYERS} layers in all"
        )

    if re.match(r"/(aws|ssm)", v["ssm_prefix"], re.IGNORECASE):
        raise _fail("ssm_prefix", v["ssm_prefix"], "starts with a name AWS reserves", "a path not under /aws or /ssm")

    max_connections = v["db_max_connections"]
    if max_connections == 0:
        memory = DB_CLASS_MEMORY_GIB.get(v["db_instance_class"])
        if memory is None:
            raise ConfigError(
                f"db_max_connections: 0 (estimate) is not possible for db_instance_class {v['db_instance_class']!r}; "
                "accepted: the instance's max_connections (SHOW max_connections)"
            )
        max_connections = min(int(memory * 2**30 * 0.75) // 9531392, 5000)

    reserved = v["lambda_reserved_concurrency"]
    if reserved:
        # Both paths run side by side during a switch, so both count.
        needed = reserved * LAMBDA_DB_MAX_CONNS + v["ecs_desired_count"] * ECS_DB_MAX_CONNS
        room = max_connections - DB_RESERVED_CONNECTIONS
        if needed > room:
            most = max((room - v["ecs_desired_count"] * ECS_DB_MAX_CONNS) // LAMBDA_DB_MAX_CONNS, 0)
            raise ConfigError(
                f"lambda_reserved_concurrency: {reserved} x {LAMBDA_DB_MAX_CONNS} connections + "
                f"{v['ecs_desired_count']} tasks x {ECS_DB_MAX_CONNS} = {needed} exceeds the database's "
                f"{max_connections} max_connections less {DB_RESERVED_CONNECTIONS} reserved; accepted: at most {most}, "
                "or a larger db_instance_class"
            )

    cpu = int(v["ecs_cpu"])
    if v["ecs_memory"] not in FARGATE_MEMORY[cpu]:
        sizes = FARGATE_MEMORY[cpu]
        raise ConfigError(
            f"ecs_memory: {v['ecs_memory']} is not a Fargate size for ecs_cpu {cpu}; "
            f"accepted: {sizes[0]}..{sizes[-1]} in steps of {sizes[1] - sizes[0]}"
        )

    suffix = "" if env == "prod" else f"-{env}"
    return AppConfig(
        env=env,
        compute=compute,
        account=v["account"] or None,
        region=region,
        ssm_prefix=v["ssm_prefix"],
        log_retention_days=v["log_retention_days"],
        termination_protection=v["termination_protection"],
        alarm_email=v["alarm_email"] or None,
        network=NetworkConfig(
            vpc_cidr=str(cidr),
            availability_zones=azs,
            nat_gateways=v["nat_gateways"],
            nat_provider=v["nat_provider"],
            nat_instance_type=v["nat_instance_type"],
            ssm_endpoint=v["ssm_endpoint"],
        ),
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
        cache=CacheConfig(
            node_type=v["cache_node_type"],
            engine_version=v["cache_engine_version"],
            nodes=v["cache_nodes"],
            snapshot_retention_days=v["cache_snapshot_retention_days"],
        ),
        function=LambdaConfig(
            function_name=f"anigmaa-backend{suffix}",
            memory_mb=v["lambda_memory"],
            timeout_seconds=v["lambda_timeout"],
            runtime=v["lambda_runtime"],
            architecture=v["lambda_architecture"],
            code_zip=_bootstrap_zip(v["lambda_zip"], root),
            layer_zip=layer_zip,
            layer_arns=layer_arns,
            reserved_concurrency=v["lambda_reserved_concurrency"] or None,
        ),
        api=ApiConfig(
            name=f"anigmaa{suffix}",
            allowed_origins=origins,
            throttle_rate=v["api_throttle_rate"],
            throttle_burst=v["api_throttle_burst"],
            domain=domain,
        ),
        ecs=EcsConfig(
            cluster_name=f"anigmaa{suffix}",
            service_name=f"anigmaa-backend{suffix}",
            desired_count=v["ecs_desired_count"],
            cpu=cpu,
            memory_mib=v["ecs_memory"],
            image_uri=v["ecs_image_uri"] or None,
        ),
        backend=BackendConfig(
            midtrans_client_key=v["midtrans_client_key"],
            midtrans_is_production=v["midtrans_is_production"],
        ),
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
        raise _fail(
            "domain_name", name, f"is not inside hosted_zone_name {zone_name!r}", f"a name ending in .{zone_name}"
        )
    return DomainConfig(name=name, hosted_zone_id=zone_id, hosted_zone_name=zone_name)


def _bootstrap_zip(value: str, root: Path) -> Path | None:
    """A prebuilt function zip must hold an executable ``bootstrap`` at its root."""
    path = _existing_file("lambda_zip", value, root)
    if path is None:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise _fail("lambda_zip", value, "is not a zip archive", "a zip with bootstrap at its root") from None
    if "bootstrap" not in names:
        raise _fail("lambda_zip", value, "has no bootstrap at its root", "a zip with bootstrap at its root")
    return path


def _existing_file(key: str, value: str, root: Path) -> Path | None:
    if not value:
        return None
    path = (root / value).resolve()
    if not path.is_file():
        raise _fail(key, value, "does not exist", "a path (relative to the project) to an existing .zip file")
    return path
