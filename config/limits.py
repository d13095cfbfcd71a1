"""AWS's own tables and limits, each written once, that the configuration is checked against.

Where the stacks need a CDK enum, the table maps the accepted value to the enum member's
name, and `config.model` hands out the enum itself; this module never imports the CDK,
so the operations tools read the configuration without starting it.
"""

from __future__ import annotations

# Lambda's OS-only runtimes: configuration value → aws_lambda.Runtime member.
LAMBDA_RUNTIMES = {"provided.al2": "PROVIDED_AL2", "provided.al2023": "PROVIDED_AL2023"}
# AWS's dates for a runtime: deprecated, no new functions on it, no updates to them. The synth
# warns with them (never reading the clock); `make deploy`'s preflight compares them with today.
RUNTIME_DATES = {"provided.al2": ("2026-07-31", "2027-02-01", "2027-03-03")}


def runtime_deprecation(runtime: str) -> str | None:
    """What every synth says of a deprecated runtime, or None."""
    if runtime not in RUNTIME_DATES:
        return None
    deprecated, no_create, no_update = RUNTIME_DATES[runtime]
    return (
        f"lambda_runtime: {runtime} was deprecated on {deprecated}; AWS blocks creating functions on it "
        f"from {no_create} and updating them from {no_update}. The same bootstrap runs on provided.al2023: "
        "set lambda_runtime to provided.al2023 in cdk.json (or -c lambda_runtime=provided.al2023)."
    )


# Lambda's architectures: configuration value → aws_lambda.Architecture member.
LAMBDA_ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM_64"}
# The HTTP API's maximum integration timeout; a longer Lambda timeout is never reached.
HTTP_API_MAX_TIMEOUT_SECONDS = 30
MAX_LAYERS = 5  # Lambda's limit of layers per function

# CloudWatch Logs' retention periods: days → aws_logs.RetentionDays member.
LOG_RETENTION = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip

# Lambda keeps this many concurrent executions unreserved in every account and region.
LAMBDA_MIN_UNRESERVED = 100

# Fargate's valid memory sizes (MiB) for each CPU size (CPU units).
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}


def _sizes(family: str, *sizes: str) -> tuple[str, ...]:
    return tuple(f"cache.{family}.{size}" for size in sizes)


_LARGE_TO_16X = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
# The ElastiCache node types this app can create, from the ElastiCache API reference (CacheNode):
# the current generation of general-purpose, memory- and network-optimized types. Not here: the
# previous generation (no new clusters), T2 (moved to it), and R6gd, which needs data tiering.
# The cost report's price files may price only these (tools/cost/prices.py checks).
ELASTICACHE_NODE_TYPES = (
    *_sizes("t3", "micro", "small", "medium"),
    *_sizes("t4g", "micro", "small", "medium"),
    *_sizes("m4", "large", "xlarge", "2xlarge", "4xlarge", "10xlarge"),
    *_sizes("m5", "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    *_sizes("m6g", *_LARGE_TO_16X),
    *_sizes("m7g", *_LARGE_TO_16X),
    *_sizes("r4", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    *_sizes("r5", "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    *_sizes("r6g", *_LARGE_TO_16X),
    *_sizes("r7g", *_LARGE_TO_16X),
    *_sizes("c7gn", *_LARGE_TO_16X),
)

POSTGRES_MAJOR_VERSIONS = ("14", "15", "16", "17")
REDIS_ENGINE_VERSIONS = ("6.2", "7.0", "7.1")

# Connections PostgreSQL on RDS keeps for the superuser and rdsadmin.
DB_RESERVED_CONNECTIONS = 3
# Kept free beyond the backend's pools, for a psql session, a migration and the monitoring.
DB_HEADROOM_SHARE = 0.10
# Memory of common RDS classes (GiB), to estimate PostgreSQL's default max_connections,
# LEAST(DBInstanceClassMemory / 9531392, 5000). DBInstanceClassMemory is what is left after
# the OS; three quarters of the nominal memory is a conservative stand-in.
DB_CLASS_MEMORY_GIB = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.m6g.large": 8, "db.m7g.large": 8, "db.r6g.large": 16, "db.r7g.large": 16,
}  # fmt: skip

# CodeDeploy's predefined Lambda deployment configurations, by the name lambda_deployment takes:
# all at once, a canary (10 % for N minutes, then the rest) or linear (10 % more every N minutes).
LAMBDA_DEPLOYMENTS = {
    "all-at-once": "ALL_AT_ONCE",
    "canary-10-5m": "CANARY_10_PERCENT_5_MINUTES",
    "canary-10-10m": "CANARY_10_PERCENT_10_MINUTES",
    "canary-10-15m": "CANARY_10_PERCENT_15_MINUTES",
    "canary-10-30m": "CANARY_10_PERCENT_30_MINUTES",
    "linear-10-1m": "LINEAR_10_PERCENT_EVERY_1_MINUTE",
    "linear-10-2m": "LINEAR_10_PERCENT_EVERY_2_MINUTES",
    "linear-10-3m": "LINEAR_10_PERCENT_EVERY_3_MINUTES",
    "linear-10-10m": "LINEAR_10_PERCENT_EVERY_10_MINUTES",
}
