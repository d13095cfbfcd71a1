"""The validated configuration: frozen dataclasses, one per concern, that the stacks read.

Values are checked before these exist (`config.keys`, `config.rules`). Where a stack needs
a CDK enum, a property hands it out from the one table in `config.limits`; the CDK is
imported only then, so the operations tools load the configuration without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.backend import BACKEND_SECRET_NAMES, SECRET_NAMES
from config.ci import CiConfig
from config.limits import (
    FRAME_ANSWER_SECONDS,
    LAMBDA_ARCHITECTURES,
    LAMBDA_DEPLOYMENTS,
    LAMBDA_RUNTIMES,
    LOG_RETENTION,
)
from config.naming import Names

# CloudFront takes its certificate from ACM in us-east-1 and a web ACL of CLOUDFRONT scope, which exists there only.
EDGE_REGION = "us-east-1"

if TYPE_CHECKING:
    from aws_cdk import aws_codedeploy as codedeploy
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs


@dataclass(frozen=True)
class ExistingVpc:
    """A VPC built outside the app (an adopted one), which the network stack references instead of building.

    Its subnets are one per availability zone, in the zones' order; ``private_route_table_ids``
    one per private subnet, in theirs.
    """

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    private_route_table_ids: tuple[str, ...]


@dataclass(frozen=True)
class NetworkConfig:
    """The VPC: its address range, availability zones, NAT and private endpoints.

    ``nat_gateways`` counts NAT devices (as the CDK's ``natGateways`` does): gateways, or
    instances of ``nat_instance_type`` when ``nat_provider`` is ``instance``. With ``existing``
    the VPC is referenced, not built: ``vpc_cidr`` is its range and ``nat_gateways`` counts its
    NAT gateways (for the cost report and the one-NAT-per-zone warning).
    """

    vpc_cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: int
    nat_provider: str
    nat_instance_type: str
    ssm_endpoint: bool
    existing: ExistingVpc | None = None


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
    # UTC: hh:mm-hh:mm daily, ddd:hh:mm-ddd:hh:mm weekly (the form RDS takes).
    backup_window: str
    maintenance_window: str
    # An adopted instance's: its live name (None: CloudFormation names it), the groups it keeps
    # beside the app's own, and whether its storage is encrypted (false only for one adopted so).
    instance_identifier: str | None = None
    extra_security_group_ids: tuple[str, ...] = ()
    storage_encrypted: bool = True
    # aws-managed (aws/rds, aws/elasticache) or customer-managed (the environment's data key, the cache's too).
    encryption_key: str = "aws-managed"

    @property
    def customer_managed_key(self) -> bool:
        """Whether the database and the cache are encrypted with the environment's own data key."""
        return self.encryption_key == "customer-managed"


@dataclass(frozen=True)
class CacheConfig:
    """ElastiCache Redis replication group sizing."""

    node_type: str
    engine_version: str
    nodes: int
    snapshot_retention_days: int
    # UTC, in the form ElastiCache takes (daily snapshot, weekly maintenance).
    snapshot_window: str
    maintenance_window: str
    # An adopted group's: its live name (None: CloudFormation names it) and the groups it keeps beside the app's own.
    replication_group_id: str | None = None
    extra_security_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackupConfig:
    """AWS Backup of the database and the assets bucket, and where the copies go.

    ``copy_region`` holds the copy vault (the BackupCopy stack, same account; None: no copy in
    another region), ``copy_account_vault_arn`` a vault in another account (None: none). ``lock`` is
    the Vault Lock mode of both vaults: compliance, governance or off.
    """

    retention_days: int
    pitr_days: int
    copy_region: str | None
    copy_retention_days: int
    copy_account_vault_arn: str | None
    lock: str


# The daily rule starts at this hour (UTC) and may start within the hour after. It stays an hour clear of
# db_backup_window and db_maintenance_window (config.rules): RDS runs one backup or maintenance action at a
# time, and a snapshot job that meets another waits or fails. 22:00 UTC is 05:00 in Jakarta, 06:00 in Singapore.
BACKUP_DAILY_HOUR_UTC = 22
BACKUP_START_WINDOW_MINUTES = 60


@dataclass(frozen=True)
class DomainConfig:
    """A custom domain for the API and the Route 53 zone that validates and serves it."""

    name: str
    hosted_zone_id: str
    hosted_zone_name: str

    def origin_name(self, path: str) -> str:
        """Where CloudFront reaches a compute path (edge protection): ``lambda-origin.<domain>``, ``ecs-origin.…``.

        Its own name, not the domain's: the domain resolves to CloudFront, and CloudFront sends the
        origin's name as Host and SNI (the viewer's Host is not forwarded: API Gateway answers 403 to
        a Host it has no custom domain for).
        """
        return f"{path}-origin.{self.name}"


@dataclass(frozen=True)
class EdgeConfig:
    """CloudFront and its AWS WAF web ACL in front of both compute paths (edge_protection, with a domain).

    ``rate_limit`` is the requests one client (``rate_key``) may send per ``rate_window_seconds``
    before it is blocked; ``rate_exempt_cidrs`` are never counted by it (Midtrans's notifications).
    ``origin_secret_version`` pins the origin secret's version CloudFront sends (None: the one current
    when the distribution was created). ``enforced`` (edge_protection on): the origins refuse requests
    without the secret, and the load balancer takes CloudFront's addresses only; without (open), they
    still take direct ones.
    """

    enforced: bool
    rate_limit: int
    rate_window_seconds: int
    rate_key: str
    rate_exempt_cidrs: tuple[str, ...]
    origin_secret_version: str | None


@dataclass(frozen=True)
class RouteCheck:
    """A read-only request the pre-traffic hook sends a new version, and the status it must answer."""

    method: str
    path: str
    status: int

    @classmethod
    def parse(cls, text: str) -> RouteCheck:
        """``GET /events?limit=1 200`` (checked by `config.keys` before it gets here)."""
        method, path, status = text.split()
        return cls(method, path, int(status))


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
    # The average duration assumed when the API's throttle is derived from the reservation.
    average_duration_ms: int
    # Environments kept initialised on the live alias (0: none).
    provisioned_concurrency: int
    # How CodeDeploy shifts the live alias to a new version (a LAMBDA_DEPLOYMENTS name).
    deployment: str
    # Whether CodeDeploy rolls a release back on its alarms (false: a fix shipped past a firing alarm).
    deployment_alarms: bool
    # What the pre-traffic hook asks a new version besides /health and /health/ready.
    release_checks: tuple[RouteCheck, ...] = ()

    @property
    def request_deadline_ms(self) -> int:
        """Each request's deadline in the frame (REQUEST_DEADLINE_MS): the timeout less the time to answer."""
        return (self.timeout_seconds - FRAME_ANSWER_SECONDS) * 1000

    @property
    def goarch(self) -> str:
        """The Go architecture that matches the Lambda architecture."""
        return "arm64" if self.architecture == "arm64" else "amd64"

    @property
    def cdk_deployment_config(self) -> codedeploy.ILambdaDeploymentConfig:
        from aws_cdk import aws_codedeploy

        return getattr(aws_codedeploy.LambdaDeploymentConfig, LAMBDA_DEPLOYMENTS[self.deployment])  # type: ignore[no-any-return]

    @property
    def cdk_runtime(self) -> lambda_.Runtime:
        from aws_cdk import aws_lambda

        return getattr(aws_lambda.Runtime, LAMBDA_RUNTIMES[self.runtime])  # type: ignore[no-any-return]

    @property
    def cdk_architecture(self) -> lambda_.Architecture:
        from aws_cdk import aws_lambda

        return getattr(aws_lambda.Architecture, LAMBDA_ARCHITECTURES[self.architecture])  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ApiConfig:
    """The HTTP API: CORS, throttling and the optional custom domain."""

    name: str
    allowed_origins: tuple[str, ...]
    throttle_rate: int
    throttle_burst: int
    domain: DomainConfig | None
    # CloudFront and WAF in front of the domain (None: without a domain, or edge_protection false).
    edge: EdgeConfig | None = None


@dataclass(frozen=True)
class ExternalLoadBalancer:
    """A load balancer outside the app (an adopted one) that serves the ECS path: its DNS name and Route 53 zone."""

    dns_name: str
    hosted_zone_id: str


@dataclass(frozen=True)
class EcsConfig:
    """The Fargate rollback path: service size and where its image comes from."""

    cluster_name: str
    service_name: str
    desired_count: int
    cpu: int
    memory_mib: int
    image_uri: str | None
    # Plain HTTP accepted without a domain in prod (ecs_allow_plain_http).
    allow_plain_http: bool
    # The ECS path served by a load balancer outside the app: then no Ecs stack is built.
    external_alb: ExternalLoadBalancer | None = None


@dataclass(frozen=True)
class AlarmConfig:
    """Where the alarms go, and the outside-in probe whose alarm says the API cannot be reached."""

    email: str | None
    # An SSM String parameter holding the HTTPS URL SNS posts to (resolved at deploy).
    https_parameter: str | None
    # Existing SNS topics every alarm notifies besides the environment's own.
    topic_arns: tuple[str, ...]
    # No destination accepted on purpose (alarms_to_no_one).
    to_no_one: bool
    # Minutes between two probe runs; 0: no probe.
    probe_interval_minutes: int

    @property
    def has_destination(self) -> bool:
        """Whether an alarm reaches anyone at all."""
        return bool(self.email or self.https_parameter or self.topic_arns)


@dataclass(frozen=True)
class BackendConfig:
    """Plain (non-secret) settings the Go backend reads from its environment."""

    midtrans_client_key: str
    midtrans_is_production: bool


# {stack name: {logical id: {CloudFormation property: value, or None to delete it}}}
ImportOverrides = Mapping[str, Mapping[str, Mapping[str, Any]]]


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
    alarms: AlarmConfig
    network: NetworkConfig
    database: DatabaseConfig
    cache: CacheConfig
    function: LambdaConfig
    api: ApiConfig
    ecs: EcsConfig
    backend: BackendConfig
    # compute=split: the share of the domain's DNS answers that point at Lambda (0..100); None otherwise.
    lambda_weight: int | None = None
    # The account-wide CI settings, when a GitHub repository is named (config/ci.py).
    ci: CiConfig | None = None
    # The assets bucket's name, for an adopted bucket (None: CloudFormation names it).
    bucket_name: str | None = None
    # -c adopt_import: CloudFormation property overrides for one `cdk import`, by stack, then logical id.
    import_overrides: ImportOverrides | None = None
    # AWS Backup of the database and the bucket (backup=true); None: no plan, no vault.
    backup: BackupConfig | None = None

    @property
    def built_compute_paths(self) -> tuple[str, ...]:
        """The compute paths whose stacks the app builds: `compute_paths` less ecs when external_alb serves it."""
        return tuple(path for path in self.compute_paths if path != "ecs" or self.ecs.external_alb is None)

    @property
    def is_prod(self) -> bool:
        """Whether this environment serves users: the safety checks key off this, never off another setting."""
        return self.env == "prod"

    @property
    def compute_paths(self) -> tuple[str, ...]:
        """The compute stacks this mode builds: one, or both in compute=split."""
        return ("lambda", "ecs") if self.compute == "split" else (self.compute,)

    @property
    def names(self) -> Names:
        """Every physical name of this environment (`config.naming`)."""
        return Names.of_env(self.env)

    def stack_name(self, role: str) -> str:
        """The CloudFormation stack name for a role, e.g. ``anigmaa-prod-network``."""
        return self.names.of(role)

    @property
    def log_retention(self) -> logs.RetentionDays:
        """``log_retention_days`` as the CDK's enum."""
        from aws_cdk import aws_logs

        return getattr(aws_logs.RetentionDays, LOG_RETENTION[self.log_retention_days])  # type: ignore[no-any-return]

    @property
    def backup_copy_region(self) -> str | None:
        """Where the BackupCopy stack and its vault are (None: no copy in another region)."""
        return self.backup.copy_region if self.backup is not None else None

    @property
    def edge_region(self) -> str | None:
        """Where the edge stack is (CloudFront's certificate and web ACL must be in us-east-1); None without one."""
        return EDGE_REGION if self.api.edge is not None else None

    @property
    def deploy_regions(self) -> tuple[str, ...]:
        """The regions the environment's stacks deploy to: its own, then the backup copy region and the edge
        stack's, each once."""
        regions = [self.region]
        for region in (self.backup_copy_region, self.edge_region):
            if region is not None and region not in regions:
                regions.append(region)
        return tuple(regions)

    @property
    def secret_parameter_names(self) -> dict[str, str]:
        """The SSM SecureString parameter name of each secret, keyed by secret name."""
        return {name: f"{self.ssm_prefix}/{name}" for name in SECRET_NAMES}

    @property
    def backend_secret_parameter_names(self) -> dict[str, str]:
        """Those of `secret_parameter_names` the backend reads (all but the master's DB_PASSWORD)."""
        return {name: f"{self.ssm_prefix}/{name}" for name in BACKEND_SECRET_NAMES}
