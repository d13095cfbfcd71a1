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
        "set lambda_runtime to provided.al2023 in cdk.json's environments (or -c lambda_runtime=provided.al2023)."
    )


# Lambda's architectures: configuration value → aws_lambda.Architecture member.
LAMBDA_ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM_64"}
# The HTTP API's maximum integration timeout; a longer Lambda timeout is never reached.
HTTP_API_MAX_TIMEOUT_SECONDS = 30
# What a cold start may spend before the handler runs, on the API's clock: the frame fetches
# the secrets from SSM within 5 s (lambda_src/main.go secretsTimeout) and starts in about 1 s.
LAMBDA_INIT_BUDGET_SECONDS = 6
# Kept back from the function's timeout so the frame answers its own timeout before Lambda stops it.
FRAME_ANSWER_SECONDS = 1
# The frame's /health/ready gives its dependency checks this long (lambda_src/health.go checkTimeout):
# a deadline shorter than it by a second would answer a hanging dependency with 504, not readiness's 503.
READINESS_CHECK_SECONDS = 2
# The shortest function timeout whose deadline still holds a readiness check and a second to spare.
LAMBDA_MIN_TIMEOUT_SECONDS = FRAME_ANSWER_SECONDS + READINESS_CHECK_SECONDS + 1
# The longest function timeout whose answer still reaches the client: init and invoke share the 30 s.
LAMBDA_MAX_TIMEOUT_SECONDS = HTTP_API_MAX_TIMEOUT_SECONDS - LAMBDA_INIT_BUDGET_SECONDS
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

# CloudWatch Synthetics runs a canary at most once a minute; rate(N minutes) takes N up to 60.
PROBE_MAX_INTERVAL_MINUTES = 60
# AWS WAF's rate-based rule: the evaluation windows it offers (seconds) and the lowest limit it takes
# (docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
WAF_RATE_WINDOWS = (60, 120, 300, 600)
WAF_MIN_RATE_LIMIT = 10
WAF_MAX_RATE_LIMIT = 2_000_000_000
# A derived per-client limit lets one client use this share of what the API serves (api_throttle_rate):
# ten clients at the limit fill the stage throttle, one cannot.
WAF_CLIENT_SHARE = 10
# The web ACL capacity units (WCU) each rule costs, from the rule groups' descriptions (DescribeManagedRuleGroup
# answers them; docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html). A web ACL
# takes 1,500 WCU before each further 500 is billed; the app's rules stay under it (a synth test adds them).
WAF_BASE_CAPACITY = 1500
WAF_MANAGED_RULE_GROUP_CAPACITY = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
}
# A rate-based rule costs 2 WCU, plus its scope-down statement (an IP set match: 1; NOT adds nothing), plus 30
# for each custom aggregation key (IP and JA4 as custom keys: 60), by the WCU notes of the rule statements'
# pages (waf-rule-statement-type-rate-based-high-level-settings.html, waf-rule-statement-type-ipset-match.html).
WAF_RATE_RULE_CAPACITY = 2
WAF_IP_SET_CAPACITY = 1
WAF_CUSTOM_KEY_CAPACITY = 30
# Blocked requests in five minutes that the edge's alarm calls a surge: the managed lists block a few
# scanners an hour on any public address; a hundred in five minutes is a client or an attack to look at.
WAF_BLOCK_SURGE_PER_5_MINUTES = 100

# The shortest windows AWS accepts, in minutes: RDS's backup and maintenance windows, ElastiCache's
# snapshot and maintenance windows.
RDS_MIN_WINDOW_MINUTES = 30
ELASTICACHE_MIN_WINDOW_MINUTES = 60
# The vault lock's MinRetentionDays on both backup vaults, and so the shortest retention any backup rule or
# copy may keep (config.rules). Fixed, never derived from the retention keys: a compliance lock is immutable
# after its lock date, and a minimum that followed them would turn a later change of backup_pitr_days,
# backup_retention_days or backup_copy_retention_days into a LockConfiguration change every deploy fails on.
BACKUP_MIN_RETENTION_DAYS = 7

# Each region's availability zone letters (ap-southeast-1 → a, b, c: ap-southeast-1a, …), from AWS's
# list of AZ IDs (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html),
# so synth refuses a zone that does not exist without asking AWS. A letter is an account's name for a
# zone: in the oldest regions AWS maps letters to zones (AZ IDs) per account, and a few zones are
# seen by some accounts only (older ones: use1-az3, usw1-az2, apne1-az3, cac1-az3, euw1-az4). The
# table lists every letter that exists for any account: us-west-1 has three though each account
# sees two, ap-northeast-1 has four though newer accounts see a, c and d; cn-north-1 has no c (its
# third zone, cnn1-az4, is cn-north-1d). Which are yours:
# aws ec2 describe-availability-zones --region <region>. A new region: add it here with its letters.
AWS_ZONES = {
    "us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "abc", "us-west-2": "abcd",
    "us-gov-east-1": "abc", "us-gov-west-1": "abc",
    "ca-central-1": "abcd", "ca-west-1": "abc", "mx-central-1": "abc", "sa-east-1": "abc",
    "eu-central-1": "abc", "eu-central-2": "abc", "eu-north-1": "abc", "eu-south-1": "abc",
    "eu-south-2": "abc", "eu-west-1": "abcd", "eu-west-2": "abc", "eu-west-3": "abc",
    "af-south-1": "abc", "il-central-1": "abc", "me-central-1": "abc", "me-south-1": "abc",
    "ap-east-1": "abc", "ap-east-2": "abc", "ap-northeast-1": "abcd", "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc", "ap-south-1": "abc", "ap-south-2": "abc", "ap-southeast-1": "abc",
    "ap-southeast-2": "abc", "ap-southeast-3": "abc", "ap-southeast-4": "abc", "ap-southeast-5": "abc",
    "ap-southeast-6": "abc", "ap-southeast-7": "abc",
    "cn-north-1": "abd", "cn-northwest-1": "abc",
}  # fmt: skip
