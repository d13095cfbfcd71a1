"""Data stack: PostgreSQL, Redis, the S3 bucket and the references to the secrets."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Fn, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from config import DB_NAME, DB_PORT, DB_USER, REDIS_PORT, AppConfig
from constructs import Construct
from constructs.assets_bucket import AccessLogsBucket, AssetsBucket
from constructs.monitoring import Alarms, AlarmSpec, AlarmTopic, data_metrics
from constructs.postgres_database import PostgresDatabase
from constructs.redis_cache import RedisCache
from constructs.secret_parameters import SecretParameters
from stacks.checks import acknowledge, skip_checkov

# The export of the assets bucket's ARN, as CDK names it; fixed by the bucket's pinned logical ID.
BUCKET_ARN_EXPORT = "ExportsOutputFnGetAttAssetsBucket252B3DF7ArnCAD0E1B6"


def bucket_objects(config: AppConfig) -> str:
    """How cdk-nag prints a compute stack's grant on the bucket's objects (an imported ARN + /*)."""
    return f"{config.stack_name('data')}:{BUCKET_ARN_EXPORT}/*"


class DataStack(Stack):
    """The stateful resources. Their logical IDs are pinned by tests: never rename them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        vpc: ec2.IVpc,
        database_sg: ec2.ISecurityGroup,
        cache_sg: ec2.ISecurityGroup,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        secrets = SecretParameters(self, "Secrets", names=config.secret_parameter_names)

        database = PostgresDatabase(
            self,
            "Database",
            vpc=vpc,
            security_group=database_sg,
            instance_type=ec2.InstanceType(config.database.instance_class.removeprefix("db.")),
            # A major version only: RDS applies minor upgrades without drifting from the template.
            engine_version=rds.PostgresEngineVersion.of(config.database.engine_version, config.database.engine_version),
            allocated_storage_gb=config.database.allocated_storage_gb,
            max_allocated_storage_gb=config.database.max_allocated_storage_gb,
            multi_az=config.database.multi_az,
            backup_retention=Duration.days(config.database.backup_retention_days),
            deletion_protection=config.database.deletion_protection,
            database_name=DB_NAME,
            master_username=DB_USER,
            master_password=secrets.secure_value("DB_PASSWORD"),
            port=DB_PORT,
        )
        cache = RedisCache(
            self,
            "Cache",
            vpc=vpc,
            security_group=cache_sg,
            node_type=config.cache.node_type,
            engine_version=config.cache.engine_version,
            nodes=config.cache.nodes,
            snapshot_retention_days=config.cache.snapshot_retention_days,
            auth_token=secrets.secure_value("REDIS_PASSWORD"),
            port=REDIS_PORT,
            description=f"anigmaa {config.env} Redis",
        )
        access_logs = AccessLogsBucket(
            self, "AccessLogs", retention_days=config.log_retention_days, region=config.region
        )
        assets = AssetsBucket(self, "Assets", access_logs=access_logs.bucket)

        alarm_topic = AlarmTopic(
            self,
            "Alarms",
            topic_name=f"anigmaa-{config.env}-alarms",
            email=config.alarm_email,
            alarm_name_prefix=f"anigmaa-{config.env}",
        )
        # Node metrics of a replication group are per member cluster: <group id>-001, -002, …
        cache_node_ids = [
            Fn.join("-", [cache.replication_group.ref, f"{n:03d}"]) for n in range(1, config.cache.nodes + 1)
        ]
        panels = data_metrics(database.instance.instance_identifier, cache_node_ids)
        max_connections = config.database.max_connections
        Alarms(
            self,
            "DataAlarms",
            prefix=f"anigmaa-{config.env}",
            topic=alarm_topic.topic,
            specs=[
                AlarmSpec("rds-cpu", panels["RDS CPU (%)"][0], 80, "RDS CPU above 80% for 15 minutes", 3),
                AlarmSpec(
                    "rds-connections",
                    panels["RDS connections"][0],
                    int(max_connections * 0.8),
                    f"RDS connections above 80% of max_connections ({max_connections}): cap Lambda concurrency "
                    "or the pools before new connections are refused",
                ),
                AlarmSpec(
                    "rds-free-storage",
                    panels["RDS free storage (bytes)"][0],
                    2 * 2**30,
                    "RDS free storage below 2 GiB (storage autoscaling may be at its ceiling)",
                    comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                ),
                *[
                    AlarmSpec(f"redis-cpu-{n + 1}", m, 75, "Redis engine CPU above 75% for 15 minutes", 3)
                    for n, m in enumerate(panels["Redis engine CPU (%)"])
                ],
                *[
                    AlarmSpec(f"redis-evictions-{n + 1}", m, 0, "Redis is evicting keys: it is out of memory")
                    for n, m in enumerate(panels["Redis evictions"])
                ],
            ],
        )

        self.database_host: str = database.instance.instance_endpoint.hostname
        self.database_id: str = database.instance.instance_identifier
        self.cache_node_ids: list[str] = cache_node_ids
        self.alarm_topic: sns.ITopic = alarm_topic.topic
        self.redis_host: str = cache.primary_endpoint_address
        self.bucket: s3.IBucket = assets.bucket
        self.access_logs_bucket: s3.IBucket = access_logs.bucket

        self._acknowledge(config, database, cache, access_logs, alarm_topic.topic)

        # The exports a compute stack may import, declared whoever uses them (see NetworkStack).
        for value in (
            self.database_host,
            self.redis_host,
            self.bucket.bucket_name,
            self.bucket.bucket_arn,
            self.access_logs_bucket.bucket_name,
            self.database_id,
            cache.replication_group.ref,
            self.alarm_topic.topic_arn,
        ):
            self.export_value(value)

    @staticmethod
    def _acknowledge(
        config: AppConfig,
        database: PostgresDatabase,
        cache: RedisCache,
        access_logs: AccessLogsBucket,
        topic: sns.Topic,
    ) -> None:
        """cdk-nag and checkov findings accepted in this stack, each with its reason."""
        skip_checkov(
            access_logs.bucket,
            "CKV_AWS_18",
            "This bucket receives the access logs; logging its own access into itself would loop.",
        )
        if not config.database.multi_az:
            skip_checkov(database.instance, "CKV_AWS_157", f"Multi-AZ is off by configuration in env={config.env}.")
        isolated = "it is private, reachable only from lambda_sg and ecs_sg, and accepts TLS only"
        acknowledge(
            database.instance,
            "AwsSolutions::AwsSolutions-RDS11",
            f"DB_PORT=5432 is part of the backend's configuration; {isolated}. Another port would add no protection.",
        )
        acknowledge(
            cache.replication_group,
            "AwsSolutions::AwsSolutions-AEC5",
            f"REDIS_PORT=6379 is part of the backend's configuration; {isolated}, with AUTH.",
        )
        encrypted_topic = (
            "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the "
            "messages carry alarm states only; publishing requires TLS."
        )
        for subscription in (c for c in topic.node.children if isinstance(c, sns.Subscription)):
            acknowledge(
                subscription,
                "Serverless::Serverless-SNSRedrivePolicy",
                "An e-mail subscription (alarm_email) has no queue to redrive to; SNS retries e-mail delivery itself.",
            )
        skip_checkov(topic, "CKV_AWS_26", encrypted_topic)
        acknowledge(
            access_logs.bucket,
            "AwsSolutions::AwsSolutions-S1",
            "This bucket receives the access logs; logging its own access into itself would loop.",
        )
        monitoring_role = database.instance.node.find_child("MonitoringRole")
        acknowledge(
            monitoring_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonRDSEnhancedMonitoringRole]",
            "The AWS-managed policy RDS documents for enhanced monitoring (publishing OS metrics to CloudWatch Logs).",
        )
        cheaper = f"off by configuration in env={config.env} to halve its cost; prod keeps it on"
        if not config.database.multi_az:
            acknowledge(database.instance, "AwsSolutions::AwsSolutions-RDS3", f"Multi-AZ is {cheaper} (db_multi_az).")
        if not config.database.deletion_protection:
            acknowledge(
                database.instance,
                "AwsSolutions::AwsSolutions-RDS10",
                f"Deletion protection is off by configuration in env={config.env} so the environment can be torn "
                "down; a final snapshot is still taken on delete (db_deletion_protection).",
            )
        if config.cache.nodes < 2:
            acknowledge(
                cache.replication_group,
                "AwsSolutions::AwsSolutions-AEC4",
                f"A single cache node (no Multi-AZ failover) is {cheaper} (cache_nodes).",
            )
