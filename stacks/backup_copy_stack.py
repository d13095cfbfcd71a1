"""BackupCopy stack: the vault in backup_copy_region that every recovery point of the data stack is copied to."""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Stack

from config import AppConfig
from config.limits import BACKUP_MIN_RETENTION_DAYS
from constructs import Construct
from constructs.backup_vault import LockedBackupVault


class BackupCopyStack(Stack):
    """The copy vault, ``anigmaa-<env>-backup-copy``, under a key of its own and the same lock as the source.

    Same account, another region: a region lost takes only one of the two vaults. The data stack
    names this vault by its ARN (`copy_vault_arn`), built from the account and the region, so no
    cross-region reference is needed; it deploys after this stack.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        assert config.backup is not None, "the copy stack exists only with backup"
        self.vault = LockedBackupVault(
            self,
            "CopyVault",
            vault_name=config.names.backup_copy_vault,
            key_alias=config.names.backup_copy_key_alias,
            lock=config.backup.lock,
            min_retention_days=BACKUP_MIN_RETENTION_DAYS,
            # No notifications: an SNS topic must be in the vault's region, and the alarm topic is in the data
            # stack's. A copy job is reported by the vault it copies from (COPY_JOB_FAILED on the data stack's).
        )


def copy_vault_arn(stack: Stack, config: AppConfig) -> str:
    """The copy vault's ARN as ``stack`` names it: its partition and account, the copy region, the vault's name."""
    assert config.backup is not None
    assert config.backup.copy_region is not None
    return stack.format_arn(
        service="backup",
        region=config.backup.copy_region,
        resource="backup-vault",
        resource_name=config.names.backup_copy_vault,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
