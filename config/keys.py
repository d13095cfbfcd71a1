"""Every configuration key the user may set: its parser, its help, and what it accepts.

A `Parser` turns one raw context value (from cdk.json, or ``-c key=value`` text) into a
typed value or raises `ConfigError` with one line. Its ``accepted`` text is the one the
error prints and docs/configuration.md's table shows (`tools.docs.config_table`), so they cannot
differ. A key whose value is checked against other keys (`config.rules`) says so in its
``rule``, which the table adds after what the parser accepts.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from config.limits import (
    BACKUP_MIN_RETENTION_DAYS,
    ELASTICACHE_NODE_TYPES,
    FRAME_ANSWER_SECONDS,
    HTTP_API_MAX_TIMEOUT_SECONDS,
    LAMBDA_ARCHITECTURES,
    LAMBDA_DEPLOYMENTS,
    LAMBDA_INIT_BUDGET_SECONDS,
    LAMBDA_MAX_TIMEOUT_SECONDS,
    LAMBDA_MIN_TIMEOUT_SECONDS,
    LAMBDA_RUNTIMES,
    LOG_RETENTION,
    MAX_LAYERS,
    POSTGRES_MAJOR_VERSIONS,
    PROBE_MAX_INTERVAL_MINUTES,
    REDIS_ENGINE_VERSIONS,
    WAF_MAX_RATE_LIMIT,
    WAF_MIN_RATE_LIMIT,
    WAF_RATE_WINDOWS,
)

ENVIRONMENTS = ("prod", "dev")
# split: both compute paths at once, the domain's answers shared between them by weight (lambda_weight).
COMPUTE_MODES = ("lambda", "ecs", "split")
# The keys that choose what to build rather than how; they live at the context's root.
# lambda_weight belongs to compute=split alone, adopt_import to one `cdk import`; the last three
# are account-wide, for the CI stack only (config/ci.py).
ROOT_KEYS = (
    "env",
    "compute",
    "lambda_weight",
    # A JSON file of property overrides applied during `cdk import` only (config.adopt_import).
    "adopt_import",
    "environments",
    "github_repository",
    "github_repository_ids",
    "github_oidc_provider_arn",
)

# RDS and ElastiCache take 5 security groups by default: the app's own and 4 more.
MAX_EXTRA_SECURITY_GROUPS = 4

# How the private subnets reach the internet: managed NAT gateways, or EC2 NAT instances
# (the CDK's NatProvider.instanceV2 on Amazon Linux 2023).
NAT_PROVIDERS = ("gateway", "instance")

# What one client is, for the edge's rate-based rule: its address, or its address and its TLS client's JA4
# fingerprint (so the many users behind one carrier-grade NAT address are counted apart by their app's TLS stack).
WAF_RATE_KEYS = ("ip", "ip-and-ja4")

# CloudFront and WAF in front of the domain: off; open (CloudFront serves the domain, the origins still take
# direct requests); on (the origins take CloudFront's only). A deploy moves the origins before the domain's
# records, so each way between off and on goes through open (docs/edge-protection.md).
EDGE_PROTECTION_MODES = ("off", "open", "on")

# The database's and the cache's storage key: the services' own AWS-managed keys, or the environment's one.
DATA_ENCRYPTION_KEYS = ("aws-managed", "customer-managed")
# AWS Backup Vault Lock: compliance (immutable after its grace period), governance (removable with permission), none.
VAULT_LOCK_MODES = ("compliance", "governance", "off")
# The rule of each backup retention key: the lock's minimum is fixed (config/limits.py says why).
_LOCKED_RETENTION = (
    f"with backup and backup_vault_lock not off: at least {BACKUP_MIN_RETENTION_DAYS}, the lock's minimum"
)


class ConfigError(ValueError):
    """A configuration value was rejected; the message is one line for the user."""


def fail(key: str, value: Any, problem: str, accepted: str) -> ConfigError:
    """The one-line error: the key, the value it got, what is wrong and what is accepted."""
    return ConfigError(f"{key}: {value!r} {problem}; accepted: {accepted}")


@dataclass(frozen=True)
class Parser:
    """Checks and converts one value; ``accepted`` says, for people, what it takes."""

    accepted: str
    convert: Callable[[str, Any], Any]

    def __call__(self, key: str, value: Any) -> Any:
        return self.convert(key, value)


def integer(low: int, high: int, note: str = "", *, accepted: str = "") -> Parser:
    """A whole number in low..high; ``accepted`` replaces the range in the text where another key sets it."""
    accepted = accepted or f"{low}..{high}{note}"

    def convert(key: str, value: Any) -> int:
        if isinstance(value, bool):
            raise fail(key, value, "is not a whole number", f"a whole number in {accepted}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value.strip())
        else:
            raise fail(key, value, "is not a whole number", f"a whole number in {accepted}")
        if not low <= number <= high:
            raise ConfigError(f"{key}: {number} is out of range {accepted}")
        return number

    return Parser(accepted, convert)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise fail(key, value, "is not a boolean", BOOLEAN.accepted)


BOOLEAN = Parser("true | false", _boolean)
# The share of the domain's answers that go to Lambda in compute=split (a Route 53 weight).
LAMBDA_WEIGHT = integer(0, 100)


def choice(choices: Sequence[str]) -> Parser:
    accepted = " | ".join(choices)

    def convert(key: str, value: Any) -> str:
        # cdk.json may hold a version as a number (17, 7.1); compare it as text.
        text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        if isinstance(text, str) and text in choices:
            return text
        raise fail(key, value, "is not known", accepted)

    return Parser(accepted, convert)


def known(names: Sequence[str], example: str, where: str) -> Parser:
    """One of ``names``; a near miss gets "did you mean", anything else the example and where the list is."""
    accepted = f"a known type such as {example} (the list: {where})"

    def convert(key: str, value: Any) -> str:
        if isinstance(value, str) and value in names:
            return value
        close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.7)
        problem = f"is not known (did you mean {close[0]!r}?)" if close else "is not known"
        raise fail(key, value, problem, accepted)

    return Parser(accepted, convert)


def pattern(regex: str, accepted: str, *, allow_empty: bool = False) -> Parser:
    compiled = re.compile(regex)
    if allow_empty:
        accepted = f"{accepted}, or empty"

    def convert(key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise fail(key, value, "is not text", accepted)
        if value == "" and allow_empty:
            return value
        if not compiled.fullmatch(value):
            raise fail(key, value, "is malformed", accepted)
        return value

    return Parser(accepted, convert)


def string_list(item: Parser) -> Parser:
    def convert(key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, list) and all(isinstance(part, str) for part in value):
            items = list(value)
        else:
            raise fail(key, value, "is not a list", "a JSON list or comma-separated text")
        return tuple(item(key, part) for part in items)

    return Parser(f"{item.accepted} (a list, or comma-separated)", convert)


def _zip_path(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise fail(key, value, "is not a path", ZIP_PATH.accepted)
    if value and not value.endswith(".zip"):
        raise fail(key, value, "is not a .zip file", ZIP_PATH.accepted)
    return value


ZIP_PATH = Parser("a path to a .zip file, or empty", _zip_path)


def _ipv4_cidr(key: str, value: Any) -> str:
    accepted = IPV4_CIDR.accepted
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", value):
        raise fail(key, value, "is not an IPv4 CIDR", accepted)
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        raise fail(key, value, "is not a network address (host bits set, or out of range)", accepted) from None
    if not network.is_global:
        raise fail(key, value, "is not a public address range", accepted)
    if network.prefixlen < MIN_EXEMPT_PREFIX:
        raise fail(key, value, f"is wider than a /{MIN_EXEMPT_PREFIX} (it would exempt much of the internet)", accepted)
    return str(network)


# The widest range an exemption may name: a sender's published addresses, never a provider's whole block.
MIN_EXEMPT_PREFIX = 24
IPV4_CIDR = Parser(f"public IPv4 CIDRs of /{MIN_EXEMPT_PREFIX} to /32 such as 203.0.113.7/32", _ipv4_cidr)


def _rate_window(key: str, value: Any) -> int:
    seconds: int = integer(min(WAF_RATE_WINDOWS), max(WAF_RATE_WINDOWS))(key, value)
    if seconds not in WAF_RATE_WINDOWS:
        raise ConfigError(f"{key}: {seconds} is not a window AWS WAF offers; accepted: {RATE_WINDOW.accepted}")
    return seconds


RATE_WINDOW = Parser(" | ".join(str(seconds) for seconds in WAF_RATE_WINDOWS), _rate_window)
# A Secrets Manager version id (a UUID), as PutSecretValue answers it.
_VERSION_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _log_retention(key: str, value: Any) -> int:
    days: int = integer(1, 3653)(key, value)
    if days not in LOG_RETENTION:
        raise ConfigError(f"{key}: {days} is not a CloudWatch Logs retention period; accepted: {LOG_RETENTION_DAYS}")
    return days


# AWS resource ids: the prefix, then 8 or 17 hexadecimal digits.
def aws_id(prefix: str, example: str) -> Parser:
    return pattern(rf"{prefix}-([0-9a-f]{{8}}|[0-9a-f]{{17}})", f"ids such as {example}")


# What RDS and ElastiCache take as an identifier (stored lower-case; so accepted lower-case only, so the
# names built from it, such as the exported logs' /aws/rds/instance/<id>/…, are the ones AWS uses).
def identifier(longest: int, what: str, example: str) -> Parser:
    return pattern(
        rf"(?=.{{1,{longest}}}$)[a-z][a-z0-9]*(-[a-z0-9]+)*",
        f"{what}: 1 to {longest} lower-case letters, digits and single hyphens, from a letter to a letter or "
        f"digit, such as {example}",
        allow_empty=True,
    )


_BUCKET_NAME = re.compile(r"(?=.{3,63}$)[a-z0-9]([a-z0-9.-]*[a-z0-9])?")
# S3's general purpose bucket naming rules besides the characters: prefixes and suffixes S3 reserves.
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(key: str, value: Any) -> str:
    accepted = BUCKET_NAME.accepted
    if not isinstance(value, str):
        raise fail(key, value, "is not text", accepted)
    if value == "":
        return value
    if not _BUCKET_NAME.fullmatch(value):
        raise fail(key, value, "is not an S3 bucket name", accepted)
    if ".." in value or ".-" in value or "-." in value:
        raise fail(key, value, "has a dot beside a dot or a hyphen", accepted)
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", value):
        raise fail(key, value, "is formatted as an IP address", accepted)
    if value.startswith(_BUCKET_RESERVED_PREFIXES) or value.endswith(_BUCKET_RESERVED_SUFFIXES):
        raise fail(key, value, "starts or ends with a part S3 reserves", accepted)
    return value


BUCKET_NAME = Parser(
    "an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, from a letter or digit to a letter "
    "or digit, not an IP address, no xn--, sthree- or amzn-s3-demo- prefix nor -s3alias, --ol-s3, .mrap, --x-s3 "
    "or --table-s3 suffix; or empty",
    _bucket_name,
)

# A load balancer's DNS name (an ALB's or an NLB's, dualstack. or not) and its Route 53 zone id.
_ELB_DNS_NAME = re.compile(r"(dualstack\.)?[A-Za-z0-9][A-Za-z0-9-]*\.[a-z]{2}(-gov)?-[a-z]+-\d\.elb\.amazonaws\.com")
_ZONE_ID = re.compile(r"Z[A-Z0-9]{12,31}")


def _external_alb(key: str, value: Any) -> dict[str, str] | None:
    """None for ``{}`` (or empty text, or null), or ``{"dns_name": …, "hosted_zone_id": …}``; from -c, JSON text.

    cdk.json holds ``{}`` for none: a null there never reaches the app (the CDK drops null context values).
    """
    accepted = EXTERNAL_ALB.accepted
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(key, value, "is not a JSON object", accepted) from None
    if not isinstance(value, dict) or set(value) != {"dns_name", "hosted_zone_id"}:
        raise fail(key, value, "is not an object of dns_name and hosted_zone_id", accepted)
    dns_name, zone_id = value["dns_name"], value["hosted_zone_id"]
    if not isinstance(dns_name, str) or not _ELB_DNS_NAME.fullmatch(dns_name):
        raise fail(key, dns_name, "is not a load balancer's DNS name", accepted)
    if not isinstance(zone_id, str) or not _ZONE_ID.fullmatch(zone_id):
        raise fail(key, zone_id, "is not a Route 53 zone id", accepted)
    return {"dns_name": dns_name, "hosted_zone_id": zone_id}


EXTERNAL_ALB = Parser(
    '{"dns_name": "<name>.<region>.elb.amazonaws.com", "hosted_zone_id": "<the load balancer\'s canonical '
    'zone id, such as Z1LMS91P8CMLE5>"} (JSON text from -c), or {} for none',
    _external_alb,
)


LOG_RETENTION_DAYS = ", ".join(str(days) for days in LOG_RETENTION)
_TIME = r"([01]\d|2[0-3]):[0-5]\d"
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_DAILY_WINDOW = f"{_TIME}-{_TIME}"
_WEEKLY_WINDOW = f"{_DAY}:{_TIME}-{_DAY}:{_TIME}"
_HOSTNAME = r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
_ORIGIN = r"\*|https://" + _HOSTNAME.replace("(?=.{1,253}$)", "") + r"(:\d{1,5})?|http://localhost(:\d{1,5})?"


@dataclass(frozen=True)
class Key:
    """One configuration key. ``rule`` names the check against other keys, if any (`config.rules`)."""

    parse: Parser
    help: str
    rule: str = ""

    @property
    def accepted(self) -> str:
        return f"{self.parse.accepted}; {self.rule}" if self.rule else self.parse.accepted


# Every configuration key the user may set. Defaults per environment live in cdk.json under
# "environments"; docs/configuration.md's table is generated from this and checked by a test.
KEYS: dict[str, Key] = {
    "account": Key(
        pattern(r"\d{12}", "a 12-digit AWS account id", allow_empty=True),
        "AWS account id to deploy to (empty: the CLI's current account)",
    ),
    "region": Key(
        pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-1"),
        "AWS region",
        rule="one of AWS_ZONES in config/limits.py",
    ),
    "availability_zones": Key(
        string_list(pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]", "zone names such as ap-southeast-1a")),
        "availability zones, given explicitly so synth needs no AWS look-up",
        rule="2 or 3 distinct zones of the region (its letters: AWS_ZONES in config/limits.py)",
    ),
    "vpc_cidr": Key(
        pattern(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", "a private IPv4 CIDR from /16 to /20"), "the VPC's address range"
    ),
    # Checked against the zones in config.rules: the real range is 1..2 with two zones.
    "nat_gateways": Key(
        integer(0, 99, accepted="1 .. the number of availability_zones"),
        "NAT gateways or instances (one per zone at most)",
    ),
    "nat_provider": Key(
        choice(NAT_PROVIDERS),
        "managed NAT gateway, or an EC2 NAT instance (cheaper; yours to size, patched by replacement)",
    ),
    "nat_instance_type": Key(
        pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t4g.nano"),
        "EC2 type of the NAT instances (used when nat_provider is instance)",
    ),
    "ssm_endpoint": Key(BOOLEAN, "an SSM interface endpoint in each zone, so secrets are read without the NAT"),
    "vpc_id": Key(
        pattern(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})", "a VPC id such as vpc-0123456789abcdef0", allow_empty=True),
        "an existing VPC the app references instead of building its own (a takeover with cdk import): it "
        "then adds only the flow log, the S3 gateway endpoint on the private route tables, the SSM endpoint "
        "(ssm_endpoint) and the security groups; vpc_cidr is its range and nat_gateways counts its NAT gateways "
        "(for the cost report and the one-NAT-per-zone warning); empty: the app builds the VPC",
        rule="with public_subnet_ids, private_subnet_ids and private_route_table_ids; vpc_cidr the VPC's own "
        "range (a private /16 to /28); nat_provider gateway",
    ),
    "public_subnet_ids": Key(
        string_list(aws_id("subnet", "subnet-0123456789abcdef0")),
        "the existing VPC's public subnets (where a load balancer goes)",
        rule="with vpc_id only: one per availability zone, in availability_zones order",
    ),
    "private_subnet_ids": Key(
        string_list(aws_id("subnet", "subnet-0123456789abcdef0")),
        "the existing VPC's private subnets with a route out (Lambda, ECS, RDS, Redis)",
        rule="with vpc_id only: one per availability zone, in availability_zones order",
    ),
    "private_route_table_ids": Key(
        string_list(aws_id("rtb", "rtb-0123456789abcdef0")),
        "the route table of each of private_subnet_ids (the S3 gateway endpoint is added to them)",
        rule="with vpc_id only: one per private subnet, in the same order",
    ),
    "db_instance_class": Key(
        pattern(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS class such as db.t3.micro"), "RDS instance class"
    ),
    "db_engine_version": Key(choice(POSTGRES_MAJOR_VERSIONS), "PostgreSQL major version"),
    "db_allocated_storage": Key(integer(20, 65536), "RDS storage in GiB"),
    "db_max_allocated_storage": Key(
        integer(20, 65536), "RDS storage autoscaling ceiling in GiB", rule="at least db_allocated_storage"
    ),
    "db_multi_az": Key(BOOLEAN, "RDS Multi-AZ standby"),
    "db_backup_retention_days": Key(
        integer(1, 35),
        "RDS automated backup retention",
        rule="with backup: equal to backup_pitr_days (AWS Backup's continuous backup sets it, and RDS refuses another)",
    ),
    "db_max_connections": Key(
        integer(0, 5000),
        "PostgreSQL's max_connections, for the connections alarm; 0: estimate from the class",
        rule="0 only for a class whose memory is known",
    ),
    "alarm_email": Key(
        pattern(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", "an e-mail address", allow_empty=True),
        "where alarms are e-mailed (SNS; the address must confirm once); empty: no subscription",
    ),
    "alarm_https_parameter": Key(
        pattern(
            r"(/[A-Za-z0-9_.-]+)+", "an SSM parameter name such as /anigmaa/prod/ALARM_HTTPS_URL", allow_empty=True
        ),
        "an SSM String parameter holding the HTTPS URL alarms are posted to (a paging service's, e.g. "
        "PagerDuty's CloudWatch integration): resolved at deploy, so the URL, a credential, stays out of the "
        "template; empty: none",
        rule="not under /aws or /ssm",
    ),
    "alarm_topic_arns": Key(
        string_list(
            pattern(
                r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}",
                "SNS topic ARNs such as arn:aws:sns:ap-southeast-1:123456789012:oncall",
            )
        ),
        "existing SNS topics every alarm also notifies, such as one a chat integration (Amazon Q Developer in "
        "chat applications) or a paging service already subscribes to",
        rule="at most 4, in the region; each topic's policy must let cloudwatch.amazonaws.com publish",
    ),
    "alarms_to_no_one": Key(
        BOOLEAN,
        "accept that the alarms notify no one: prod without alarm_email, alarm_https_parameter or "
        "alarm_topic_arns is warned at every synth and refused by the deploy preflight unless this is true",
    ),
    "probe_interval_minutes": Key(
        integer(0, PROBE_MAX_INTERVAL_MINUTES),
        "minutes between two runs of the outside-in probe (a CloudWatch Synthetics canary that asks the public "
        "address for /health/ready, billed per run); 0: no probe",
    ),
    "db_deletion_protection": Key(BOOLEAN, "RDS deletion protection"),
    "db_instance_identifier": Key(
        identifier(63, "an RDS instance identifier", "anigmaa-postgres"),
        "the RDS instance's name, for an adopted instance (its live name); empty: CloudFormation names it. "
        "Changing it on a deployed instance replaces the instance",
    ),
    "db_extra_security_group_ids": Key(
        string_list(aws_id("sg", "sg-0123456789abcdef0")),
        "existing security groups kept on the RDS instance beside the app's own (an adopted instance's, while "
        "the clients they admit retire)",
        rule=f"at most {MAX_EXTRA_SECURITY_GROUPS}, each once",
    ),
    "db_storage_encrypted": Key(
        BOOLEAN,
        "RDS storage encryption; false only to hold an adopted unencrypted instance, which cannot be encrypted "
        "in place (warned at every synth, until it is moved to an encrypted copy)",
    ),
    "db_encryption_key": Key(
        choice(DATA_ENCRYPTION_KEYS),
        "the KMS key of the database's and the cache's storage: RDS's and ElastiCache's AWS-managed keys, or one "
        "customer-managed key of the environment (alias/anigmaa-<env>-data), which a copy to another account "
        "needs (snapshots under aws/rds cannot be shared). Choose customer-managed before a new environment's "
        "first deploy: changing it on a deployed database or cache replaces them, which the guard refuses",
    ),
    "backup": Key(
        BOOLEAN,
        "AWS Backup of the database and the assets bucket: daily and continuous (point-in-time) recovery points "
        "in the vault anigmaa-<env>-backup, copied to backup_copy_region and backup_copy_account_vault_arn",
    ),
    "backup_retention_days": Key(
        integer(1, 3650),
        "days AWS Backup keeps each daily recovery point in the environment's own vault",
        rule=_LOCKED_RETENTION,
    ),
    "backup_pitr_days": Key(
        integer(1, 35),
        "days of continuous backup: the window a point-in-time restore reaches back (AWS: 1 to 35)",
        rule=_LOCKED_RETENTION,
    ),
    "backup_copy_region": Key(
        pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-3", allow_empty=True),
        "the region of the copy vault anigmaa-<env>-backup-copy (the BackupCopy stack, same account) each recovery "
        "point is copied to; empty: no copy in another region",
        rule="not region; one of AWS_ZONES in config/limits.py",
    ),
    "backup_copy_retention_days": Key(
        integer(1, 3650),
        "days the copies in backup_copy_region (and in backup_copy_account_vault_arn) are kept",
        rule=_LOCKED_RETENTION,
    ),
    "backup_copy_account_vault_arn": Key(
        pattern(
            r"arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}",
            "a backup vault ARN such as arn:aws:backup:ap-southeast-1:210987654321:backup-vault:anigmaa-prod",
            allow_empty=True,
        ),
        "a vault in another account each recovery point is also copied to (its access policy must allow this "
        "account backup:CopyIntoBackupVault); empty: none",
        rule="another account than account, in region (RDS copies go to another account or another region, not "
        "both at once); db_encryption_key customer-managed",
    ),
    "backup_vault_lock": Key(
        choice(VAULT_LOCK_MODES),
        "AWS Backup Vault Lock on both vaults: compliance (immutable once its 3-day grace ends: no one, root "
        "included, can delete a recovery point or shorten retention), governance (only principals allowed "
        "backup:DeleteBackupVaultLockConfiguration can lift it), or off",
    ),
    "db_backup_window": Key(
        pattern(_DAILY_WINDOW, "a daily UTC window hh:mm-hh:mm such as 18:00-18:30"),
        "when RDS takes its daily backup (UTC)",
        rule="30 minutes or more, apart from db_maintenance_window",
    ),
    "db_maintenance_window": Key(
        pattern(_WEEKLY_WINDOW, "a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:20:00-sun:20:30"),
        "when RDS may patch or fail over the instance (UTC)",
        rule="30 minutes or more, apart from db_backup_window and cache_maintenance_window",
    ),
    "cache_node_type": Key(
        known(ELASTICACHE_NODE_TYPES, "cache.t4g.micro", "ELASTICACHE_NODE_TYPES in config/limits.py"),
        "ElastiCache node type",
    ),
    "cache_engine_version": Key(choice(REDIS_ENGINE_VERSIONS), "Redis engine version"),
    "cache_nodes": Key(integer(1, 6), "Redis nodes (2 or more enables automatic failover and Multi-AZ)"),
    "cache_snapshot_retention_days": Key(integer(0, 35), "Redis daily snapshot retention (0: none)"),
    "cache_snapshot_window": Key(
        pattern(_DAILY_WINDOW, "a daily UTC window hh:mm-hh:mm such as 17:00-18:00"),
        "when ElastiCache takes its daily snapshot (UTC; with cache_snapshot_retention_days above 0)",
        rule="60 minutes or more, apart from cache_maintenance_window",
    ),
    "cache_maintenance_window": Key(
        pattern(_WEEKLY_WINDOW, "a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:18:30-sun:19:30"),
        "when ElastiCache may patch or fail over the nodes (UTC)",
        rule="60 minutes or more, apart from cache_snapshot_window and db_maintenance_window",
    ),
    "cache_replication_group_id": Key(
        identifier(40, "an ElastiCache replication group id", "anigmaa-redis"),
        "the ElastiCache replication group's name, for an adopted group (its live name); empty: CloudFormation "
        "names it. Changing it on a deployed group replaces the group",
    ),
    "cache_extra_security_group_ids": Key(
        string_list(aws_id("sg", "sg-0123456789abcdef0")),
        "existing security groups kept on the replication group beside the app's own (an adopted group's, "
        "while the clients they admit retire)",
        rule=f"at most {MAX_EXTRA_SECURITY_GROUPS}, each once",
    ),
    "bucket_name": Key(
        BUCKET_NAME,
        "the assets bucket's name, for an adopted bucket (its live name); empty: CloudFormation names it. "
        "Changing it on a deployed bucket makes a new, empty bucket",
    ),
    "lambda_memory": Key(integer(128, 10240), "Lambda memory in MB"),
    "lambda_timeout": Key(
        integer(
            LAMBDA_MIN_TIMEOUT_SECONDS,
            LAMBDA_MAX_TIMEOUT_SECONDS,
            f" (the HTTP API waits {HTTP_API_MAX_TIMEOUT_SECONDS} s at most, a cold start's "
            f"{LAMBDA_INIT_BUDGET_SECONDS} s included; a deadline holds /health/ready's checks)",
        ),
        f"Lambda timeout in seconds; each request's deadline is {FRAME_ANSWER_SECONDS} s less "
        "(REQUEST_DEADLINE_MS, and PostgreSQL's statement_timeout)",
    ),
    "lambda_release_checks": Key(
        string_list(
            pattern(
                r"(GET|HEAD) /[^\s?#]*(\?\S*)? [1-5]\d\d",
                "read-only requests with the status they must answer, such as GET /events?limit=1 200",
            )
        ),
        "what the pre-traffic hook asks a new version besides /health and /health/ready (empty: nothing more)",
        rule="at most 10",
    ),
    "lambda_runtime": Key(choice(tuple(LAMBDA_RUNTIMES)), "Lambda OS-only runtime"),
    "lambda_architecture": Key(choice(tuple(LAMBDA_ARCHITECTURES)), "Lambda architecture"),
    "lambda_reserved_concurrency": Key(
        integer(0, 1000),
        "concurrent executions reserved for (and capped at) the function; 0: none",
        rule="within the database's connection budget",
    ),
    "lambda_average_duration_ms": Key(
        integer(1, 30000),
        "the function's average duration in ms (its Duration metric), for a throttle derived from the reservation",
    ),
    "lambda_provisioned_concurrency": Key(
        integer(0, 1000),
        "environments kept initialised on the live alias (billed while idle); 0: none",
        rule="at most lambda_reserved_concurrency",
    ),
    "lambda_deployment": Key(
        choice(tuple(LAMBDA_DEPLOYMENTS)),
        "how CodeDeploy moves the live alias to a new version: all at once, canary-10-Nm (10 % for N minutes, "
        "then all) or linear-10-Nm (10 % more every N minutes); rolled back on its alarms",
    ),
    "lambda_deployment_alarms": Key(
        BOOLEAN,
        "roll a release back when a release alarm fires; false, for one deploy: ship past a release alarm that "
        "fires for a reason outside the new version (the pre-traffic hook still checks it)",
    ),
    "lambda_zip": Key(
        ZIP_PATH, "prebuilt zip holding `bootstrap` (empty: build lambda_src/)", rule="bootstrap at the zip's root"
    ),
    "lambda_layer_zip": Key(ZIP_PATH, "a layer zip to attach (empty: none)"),
    "lambda_layer_arns": Key(
        string_list(
            pattern(
                r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+",
                "layer version ARNs such as arn:aws:lambda:ap-southeast-1:123456789012:layer:name:3",
            )
        ),
        "layer version ARNs to attach",
        rule=f"in the function's region, at most {MAX_LAYERS} layers in all",
    ),
    "allowed_origins": Key(
        string_list(
            pattern(_ORIGIN, "https:// origins such as https://app.example.com, http://localhost[:port], or *")
        ),
        "CORS origins (empty: no cross-origin access)",
        rule="* alone, or named origins",
    ),
    "api_throttle_rate": Key(
        integer(0, 10000),
        "HTTP API steady-state requests per second; 0: what the reservation serves "
        "(lambda_reserved_concurrency x 1000 / lambda_average_duration_ms)",
        rule="0 only with a reservation; warned above what it serves",
    ),
    "api_throttle_burst": Key(
        integer(0, 5000),
        "HTTP API burst (requests at once); 0: lambda_reserved_concurrency",
        rule="at most lambda_reserved_concurrency (past it Lambda throttles: 500, not 429)",
    ),
    "domain_name": Key(
        pattern(_HOSTNAME, "a lower-case host name such as api.example.com", allow_empty=True),
        "custom domain for the API (empty: none)",
        rule="inside hosted_zone_name",
    ),
    "hosted_zone_id": Key(
        # Route 53 ids: Z and 12 to 31 upper-case letters and digits (up to 32 characters in all).
        pattern(r"Z[A-Z0-9]{12,31}", "a Route 53 zone id such as Z0123456789ABCDEFGHIJ", allow_empty=True),
        "Route 53 hosted zone id of domain_name",
        rule="required with domain_name",
    ),
    "hosted_zone_name": Key(
        pattern(_HOSTNAME, "the zone's name such as example.com", allow_empty=True),
        "Route 53 hosted zone name of domain_name",
        rule="required with domain_name",
    ),
    "edge_protection": Key(
        choice(EDGE_PROTECTION_MODES),
        "with domain_name: on, the domain points at a CloudFront distribution behind an AWS WAF web ACL (per-client "
        "rate limit, AWS managed rules), and the compute paths refuse requests that did not come through it; open, "
        "the same but the paths still take direct requests (the step between off and on, both ways: "
        "docs/edge-protection.md); off, the domain points at the compute paths",
        rule="needs domain_name to take effect (without one nothing changes)",
    ),
    "waf_rate_limit": Key(
        integer(0, WAF_MAX_RATE_LIMIT, accepted=f"0, or {WAF_MIN_RATE_LIMIT}..{WAF_MAX_RATE_LIMIT:,}"),
        "requests one client may send per waf_rate_window_seconds before the web ACL blocks it (429); 0: a "
        "tenth of what the API serves in that window (api_throttle_rate x window / 10); AWS WAF's minimum is 10",
    ),
    "waf_rate_window_seconds": Key(RATE_WINDOW, "the rate limit's evaluation window, in seconds"),
    "waf_rate_key": Key(
        choice(WAF_RATE_KEYS),
        "what one client is for the rate limit: its IP address, or its address and TLS (JA4) fingerprint",
    ),
    "waf_rate_exempt_cidrs": Key(
        string_list(IPV4_CIDR),
        "addresses the rate limit never counts: Midtrans's published notification addresses "
        "(docs.midtrans.com/docs/ip-address); the managed rules still apply to them",
    ),
    "origin_secret_version": Key(
        pattern(
            _VERSION_ID, "a Secrets Manager version id such as 0123abcd-0123-4567-89ab-0123456789ab", allow_empty=True
        ),
        "the version of the origin secret CloudFront sends (empty: the current one when the cdn stack was "
        "created); set to the id tools.ops.origin_secret rotate prints, then deploy",
    ),
    "ecs_desired_count": Key(integer(1, 20), "Fargate tasks in compute=ecs"),
    "ecs_cpu": Key(choice(("256", "512", "1024", "2048", "4096")), "Fargate task CPU units"),
    "ecs_memory": Key(integer(512, 30720), "Fargate task memory in MiB", rule="a size Fargate allows for ecs_cpu"),
    "ecs_image_uri": Key(
        pattern(
            r"[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})",
            "an image such as 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/anigmaa:1.4.2",
            allow_empty=True,
        ),
        "the ECS image (empty: build lambda_src/Dockerfile as a CDK asset)",
    ),
    "ecs_allow_plain_http": Key(
        BOOLEAN,
        "accept plain HTTP on the ECS path without a domain in prod (warned at every synth)",
        rule="needed for compute=ecs without domain_name in prod, whatever termination_protection says",
    ),
    "external_alb": Key(
        EXTERNAL_ALB,
        "a load balancer outside the app that serves the ECS path (the one in place during a takeover): with "
        "compute=ecs or split the domain's ecs record points at it, and the app builds no Ecs stack",
        rule="with domain_name",
    ),
    "midtrans_client_key": Key(
        pattern(r"[A-Za-z0-9_-]{0,128}", "letters, digits, - and _ (the public client key)"),
        "Midtrans client key (public; the server key is a secret)",
    ),
    "midtrans_is_production": Key(BOOLEAN, "Midtrans production mode"),
    "ssm_prefix": Key(
        pattern(r"(/[A-Za-z0-9_.-]+)+", "a path such as /anigmaa/prod (no trailing /)"),
        "SSM path prefix of the four SecureStrings",
        rule="not under /aws or /ssm",
    ),
    "log_retention_days": Key(Parser(LOG_RETENTION_DAYS, _log_retention), "CloudWatch Logs retention in days"),
    "termination_protection": Key(BOOLEAN, "termination protection on the network and data stacks"),
}
