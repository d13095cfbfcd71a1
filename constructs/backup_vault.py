"""An AWS Backup vault under its own customer-managed key, kept when its stack goes, locked on request."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_backup as backup
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct
from constructs.data_key import share_for_copies

# Compliance mode's grace: AWS Backup enforces a 72-hour cooling-off before a lock becomes immutable, so
# ChangeableForDays must be 3 or more. Until then `aws backup delete-backup-vault-lock-configuration` undoes a
# mistake; from then on no one, the account's root included, can lift the lock or delete a recovery point early.
COMPLIANCE_GRACE_DAYS = 3
LOCK_MODES = ("compliance", "governance", "off")
# What the vault tells its topic. AWS Backup no longer sends BACKUP_JOB_FAILED nor RESTORE_JOB_FAILED (deprecated
# events: accepted, never delivered), and the supported BACKUP_JOB_COMPLETED and RESTORE_JOB_COMPLETED come for
# every job, successful or not: backup job failures reach the topic through EventBridge (`BackupFailureAlerts`).
# A copy job is reported by the vault it copies from.
FAILURE_EVENTS = (
    backup.BackupVaultEvents.COPY_JOB_FAILED,
    backup.BackupVaultEvents.S3_BACKUP_OBJECT_FAILED,
    backup.BackupVaultEvents.S3_RESTORE_OBJECT_FAILED,
)


class LockedBackupVault(Construct):
    """A backup vault named ``vault_name``, encrypted with a key of its own (rotated yearly, aliased
    ``key_alias``), both kept when the stack is deleted (a vault with recovery points cannot be deleted,
    and a deleted key would make them unreadable).

    ``lock`` is the Vault Lock mode: ``compliance`` (ChangeableForDays set: immutable after the grace),
    ``governance`` (no ChangeableForDays: a principal allowed ``backup:DeleteBackupVaultLockConfiguration``
    can lift it), or ``off``. ``min_retention_days`` is the shortest retention any rule or copy gives the
    points it puts here: the lock refuses a job that would keep one less, so a deployer who shortens the
    retention later cannot make the vault drop points early. No maximum is set: a compliance lock can never
    be widened, and a longer retention chosen later must still be possible. Pass a fixed value, never one
    derived from the rules' retention: after a compliance lock's date any change of it fails the deploy.

    ``notification_topic`` (None: none) hears of `FAILURE_EVENTS`; it must be in the vault's region.
    ``copy_account`` (None: none) is another account whose vault receives copies of what this one holds:
    it may use the vault's key to copy them (a recovery point of S3 is encrypted with it).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vault_name: str,
        key_alias: str,
        lock: str,
        min_retention_days: int,
        notification_topic: sns.ITopic | None = None,
        copy_account: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if lock not in LOCK_MODES:
            raise ValueError(f"lock: {lock!r} is not one of {', '.join(LOCK_MODES)}")
        self.key = kms.Key(
            self,
            "Key",
            alias=key_alias,
            description=f"AWS Backup vault {vault_name}: encrypts its recovery points",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        """The vault's key. Its policy is the CDK's default (the account root, so IAM decides): AWS Backup uses
        it with the permissions of the role running the job, and ``copy_account`` with its own."""
        if copy_account:
            share_for_copies(self.key, copy_account)
        lock_configuration = None
        if lock != "off":
            lock_configuration = backup.LockConfiguration(
                min_retention=Duration.days(min_retention_days),
                changeable_for=Duration.days(COMPLIANCE_GRACE_DAYS) if lock == "compliance" else None,
            )
        self.vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=vault_name,
            encryption_key=self.key,
            lock_configuration=lock_configuration,
            # The CDK lets backup.amazonaws.com publish to the topic (its policy).
            notification_topic=notification_topic,
            notification_events=list(FAILURE_EVENTS) if notification_topic else None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        """The vault; other stacks name it by its ARN, built from its name."""
