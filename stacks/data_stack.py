"""Data stack: PostgreSQL and the backend's role on it, Redis, the S3 buckets, the alarm topic, the data alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns

from config import DB_APP_USER, DB_MASTER_USER, DB_NAME, DB_PORT, REDIS_PORT, AppConfig
from config.limits import BACKUP_MIN_RETENTION_DAYS, DB_CLASS_MEMORY_GIB
from config.model import BACKUP_DAILY_HOUR_UTC, BACKUP_START_WINDOW_MINUTES
from constructs import Construct
from constructs.assets_bucket import AccessLogsBucket, AssetsBucket
from constructs.backup_alerts import BackupFailureAlerts, RegionAlarmNotices
from constructs.backup_plan import DataBackupPlan
from constructs.backup_vault import LockedBackupVault
from constructs.data_key import DataKey
from constructs.database_role import DatabaseRole, provider_code, provider_digest
from constructs.findings import accept
from constructs.monitoring import AlarmTopic, DataAlarms, import_topics
from constructs.postgres_database import UNENCRYPTED_FOLLOW_UP, PostgresDatabase
from constructs.redis_cache import RedisCache
from constructs.secret_parameters import SecretParameters
from stacks import LAMBDA_SOURCE_DIR
from stacks.backup_copy_stack import copy_vault_arn
from stacks.configured_zones import ConfiguredZonesStack
from stacks.permanent import DataOutputs, pin_exports

# Statements slower than this (ms) are written to the PostgreSQL log: far above a healthy
# query's time, so the log stays small, and well under the function's 30 s timeout.
SLOW_STATEMENT_MS = 1000


class DataStack(ConfiguredZonesStack):
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
        database_client_sg: ec2.ISecurityGroup,
        secrets_key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        """``database_client_sg`` may reach the database (lambda_sg): the role provider runs in it.
        ``secrets_key`` is the KMS key of the SecureStrings, which the provider decrypts the master password with.
        """
        super().__init__(scope, construct_id, **kwargs)
        db, cache_settings = config.database, config.cache

        secrets = SecretParameters(self, "Secrets", names=config.secret_parameter_names)
        data_key = None
        if db.customer_managed_key:
            backup_settings = config.backup
            data_key = DataKey(
                self,
                "DataKey",
                alias_name=config.names.data_key_alias,
                description=f"anigmaa {config.env}: encrypts the database, the cache and their snapshots",
                copy_account=_account_of(backup_settings.copy_account_vault_arn if backup_settings else None),
            ).key
        database = PostgresDatabase(
            self,
            "Database",
            vpc=vpc,
            security_group=database_sg,
            instance_type=ec2.InstanceType(db.instance_class.removeprefix("db.")),
            # A major version only: RDS applies minor upgrades without drifting from the template.
            engine_version=rds.PostgresEngineVersion.of(db.engine_version, db.engine_version),
            allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb,
            multi_az=db.multi_az,
            backup_retention=Duration.days(db.backup_retention_days),
            backup_window=db.backup_window,
            maintenance_window=db.maintenance_window,
            deletion_protection=db.deletion_protection,
            database_name=DB_NAME,
            master_username=DB_MASTER_USER,
            master_password=secrets.secure_value("DB_PASSWORD"),
            port=DB_PORT,
            log_retention=config.log_retention,
            slow_statement_ms=SLOW_STATEMENT_MS,
            instance_identifier=db.instance_identifier,
            extra_security_groups=_existing_groups(self, "DatabaseExtraSecurityGroup", db.extra_security_group_ids),
            storage_encrypted=db.storage_encrypted,
            storage_encryption_key=data_key,
        )
        app_role = DatabaseRole(
            self,
            "AppRole",
            instance=database.instance,
            database_name=DB_NAME,
            master_username=DB_MASTER_USER,
            master_password=SecretParameters(
                self, "MasterPassword", names={"DB_PASSWORD": secrets.names["DB_PASSWORD"]}, key=secrets_key
            ),
            role_name=DB_APP_USER,
            vpc=vpc,
            security_group=database_client_sg,
            code=provider_code(LAMBDA_SOURCE_DIR),
            revision=provider_digest(LAMBDA_SOURCE_DIR),
            function_name=config.names.of("database-role"),
            log_retention=config.log_retention,
        )
        cache = RedisCache(
            self,
            "Cache",
            vpc=vpc,
            security_group=cache_sg,
            node_type=cache_settings.node_type,
            engine_version=cache_settings.engine_version,
            nodes=cache_settings.nodes,
            snapshot_retention_days=cache_settings.snapshot_retention_days,
            snapshot_window=cache_settings.snapshot_window,
            maintenance_window=cache_settings.maintenance_window,
            auth_token=secrets.secure_value("REDIS_PASSWORD"),
            port=REDIS_PORT,
            description=f"anigmaa {config.env} Redis",
            replication_group_id=cache_settings.replication_group_id,
            extra_security_group_ids=cache_settings.extra_security_group_ids,
            kms_key_id=data_key.key_arn if data_key else None,
        )
        access_logs = AccessLogsBucket(
            self, "AccessLogs", retention_days=config.log_retention_days, region=config.region
        )
        assets = AssetsBucket(self, "Assets", access_logs=access_logs.bucket, bucket_name=config.bucket_name)

        prefix = config.names.prefix
        topic = AlarmTopic(
            self,
            "Alarms",
            topic_name=config.names.alarm_topic,
            email=config.alarms.email,
            https_parameter=config.alarms.https_parameter,
            alarm_name_prefix=prefix,
        )
        if config.backup is not None:
            self._backups(config, database.instance, assets.bucket.bucket_arn, topic.topic)
        if config.edge_region is not None and config.edge_region != config.region:
            RegionAlarmNotices(self, "EdgeAlarmNotices", topic=topic.topic, region=config.edge_region, prefix=prefix)
        data_alarms = DataAlarms(
            self,
            "DataAlarms",
            prefix=prefix,
            topic=topic.topic,
            database=database.instance,
            max_connections=db.max_connections,
            memory_gib=DB_CLASS_MEMORY_GIB.get(db.instance_class),
            cache=cache.replication_group,
            cache_nodes=cache_settings.nodes,
            also_notify=import_topics(self, config.alarms.topic_arns),
        )
        if config.is_prod and not config.alarms.has_destination and not config.alarms.to_no_one:
            Annotations.of(self).add_warning_v2(
                "anigmaa:alarms-reach-no-one",
                f"env={config.env}: the alarms notify a topic no one is subscribed to; set alarm_email, "
                "alarm_https_parameter or alarm_topic_arns, or alarms_to_no_one=true to accept it",
            )
        for arn in config.alarms.topic_arns:
            # Another account's topic (a central operations account's, say) is allowed, never silent: every
            # alarm's name, state and reason go to whoever owns that account.
            owner = arn.split(":")[4]
            if config.account and owner != config.account:
                Annotations.of(self).add_warning_v2(
                    "anigmaa:alarm-topic-in-another-account",
                    f"alarm_topic_arns: {arn} is in account {owner}, not {config.account}: every alarm's name, "
                    "state and reason go to that account; name a topic of this account unless that is meant",
                )

        if not db.storage_encrypted:
            Annotations.of(self).add_warning_v2(
                "anigmaa:db-storage-unencrypted",
                f"db_storage_encrypted: false in env={config.env}: the adopted database's storage, snapshots and "
                f"backups are unencrypted. {UNENCRYPTED_FOLLOW_UP}, then set db_storage_encrypted to true",
            )

        # What the configuration turns off outside prod, and why that is accepted there.
        cheaper = f"off by configuration in env={config.env} to halve its cost; prod keeps it on"
        if not db.multi_az:
            accept(database.instance, f"Multi-AZ is off by configuration in env={config.env}.", checkov=["CKV_AWS_157"])
            accept(database.instance, f"Multi-AZ is {cheaper} (db_multi_az).", nag=["AwsSolutions-RDS3"])
        if not db.deletion_protection:
            accept(
                database.instance,
                f"Deletion protection is off by configuration in env={config.env} so the environment can be torn "
                "down; a final snapshot is still taken on delete (db_deletion_protection).",
                nag=["AwsSolutions-RDS10"],
            )
        if cache_settings.nodes < 2:
            accept(
                cache.replication_group,
                f"A single cache node (no Multi-AZ failover) is {cheaper} (cache_nodes).",
                nag=["AwsSolutions-AEC4"],
            )

        # The CDK types it optional (an imported instance has none); one this stack creates always has it.
        resource_id = database.instance.instance_resource_id
        assert resource_id is not None, "a DatabaseInstance created here has a DbiResourceId"
        self.outputs = DataOutputs(
            database_host=database.instance.instance_endpoint.hostname,
            redis_host=cache.primary_endpoint_address,
            bucket=assets.bucket,
            access_logs_bucket=access_logs.bucket,
            database_id=database.instance.instance_identifier,
            cache_id=cache.replication_group.ref,
            alarm_topic=topic.topic,
            alarm_prefix=prefix,
            data_panels=data_alarms.panels,
            database_resource_id=resource_id,
            database_app_user=app_role.role_name,
        )
        pin_exports(self, self.outputs)

    def _backups(self, config: AppConfig, instance: rds.IDatabaseInstance, bucket_arn: str, topic: sns.ITopic) -> None:
        """The vault, the plan and its selection: the database, and the bucket beside it; failures to ``topic``.

        The bucket is selected although it is versioned: its old versions sit in the same account and
        region as the live objects, and the same credentials that can delete an object can delete its
        versions (or the bucket). The vault's copies, under a lock and in another region, are what outlives
        those credentials.
        """
        settings = config.backup
        assert settings is not None
        vault = LockedBackupVault(
            self,
            "BackupVault",
            vault_name=config.names.backup_vault,
            key_alias=config.names.backup_key_alias,
            lock=settings.lock,
            min_retention_days=BACKUP_MIN_RETENTION_DAYS,
            notification_topic=topic,
            copy_account=_account_of(settings.copy_account_vault_arn),
        )
        BackupFailureAlerts(self, "BackupFailures", topic=topic)
        copy_vaults: list[backup.IBackupVault] = []
        if settings.copy_region:
            copy_vaults.append(
                backup.BackupVault.from_backup_vault_arn(self, "CopyVault", copy_vault_arn(self, config))
            )
        if settings.copy_account_vault_arn:
            copy_vaults.append(
                backup.BackupVault.from_backup_vault_arn(self, "AccountCopyVault", settings.copy_account_vault_arn)
            )
        DataBackupPlan(
            self,
            "Backup",
            plan_name=config.names.backup_plan,
            vault=vault.vault,
            resources=[
                backup.BackupResource.from_rds_database_instance(instance),
                backup.BackupResource.from_arn(bucket_arn),
            ],
            retention_days=settings.retention_days,
            pitr_days=settings.pitr_days,
            copy_vaults=copy_vaults,
            copy_retention_days=settings.copy_retention_days,
            daily_hour_utc=BACKUP_DAILY_HOUR_UTC,
            start_window=Duration.minutes(BACKUP_START_WINDOW_MINUTES),
        )


def _account_of(vault_arn: str | None) -> str | None:
    """The account of another account's vault (backup_copy_account_vault_arn), which may use the keys to copy."""
    return vault_arn.split(":")[4] if vault_arn else None


def _existing_groups(stack: DataStack, construct_id: str, group_ids: tuple[str, ...]) -> list[ec2.ISecurityGroup]:
    """Security groups made outside the app (an adopted resource's), attached as they are: their rules stay theirs."""
    return [
        ec2.SecurityGroup.from_security_group_id(stack, f"{construct_id}{n}", group_id, mutable=False)
        for n, group_id in enumerate(group_ids, start=1)
    ]
