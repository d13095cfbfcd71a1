"""AWS Backup vaults, plans and selections as CloudFormation resources, on moto 5.2.5's backup backend.

moto has the Backup API (vaults, vault lock, plans) but no CloudFormation model for any of it, so a stack
skipped them. The models here create, update in place and delete through that backend, with the shapes the
CDK's `aws_backup` synthesizes, and the return values of the CloudFormation reference
(aws-resource-backup-backupvault.html, -backupplan.html, -backupselection.html):

- `AWS::Backup::BackupVault`: Ref is its name, GetAtt `BackupVaultName` and `BackupVaultArn`; the name
  and `EncryptionKeyArn` are create-only; `LockConfiguration` (`MinRetentionDays`, `MaxRetentionDays`,
  `ChangeableForDays`) is put, changed or removed through moto's vault-lock calls, which refuse once the
  lock date has passed ("On and after the lock date, the Vault Lock becomes immutable", AWS Backup API
  reference, PutBackupVaultLockConfiguration); `BackupVaultTags` update in place; `AccessPolicy` and
  `Notifications` are kept on the model only (moto has neither API);
- `AWS::Backup::BackupPlan`: Ref is its id, GetAtt `BackupPlanId`, `BackupPlanArn` and `VersionId`; every
  property updates in place, each update a new `VersionId` (UpdateBackupPlan; moto has none, so the plan's
  record is rewritten). CloudFormation's rule shape (`BackupPlanRule`, `TargetBackupVault`) becomes the
  API's (`Rules`, `TargetBackupVaultName`): continuous backup, lifecycles and copy actions' destination
  ARNs reach GetBackupPlan as given. A continuous-backup rule must keep its points 1 to 35 days ("The minimum
  retention period is 1 day. The maximum retention period is 35 days.", AWS Backup Developer Guide,
  point-in-time-recovery-retention-period.html);
- `AWS::Backup::BackupSelection`: Ref and GetAtt `Id`/`SelectionId` its id, GetAtt `BackupPlanId`; both
  properties are create-only. moto has no selections: the selection is kept on the model and in
  `selections()`, so the rehearsal can check what a plan selects and with which role. Nothing runs a
  backup: no job starts, no recovery point appears by itself (`add_recovery_point` stands in for one, and
  `end_grace_time` for the days before a lock date). A plan that still has selections is not deleted (AWS
  Backup refuses DeleteBackupPlan until they are gone), so CloudFormation deletes the selections first.

The backend itself is corrected where the rehearsal leans on it: DeleteBackupVault refuses a vault that
holds recovery points ("A vault can be deleted only if it is empty", AWS Backup API reference), which is
what keeps a vault locked in compliance mode once its grace time is over ("Vaults locked in compliance
mode cannot be deleted once the cooling-off period ("grace time") expires if any recovery points are in
the vault", AWS Backup Developer Guide, vault-lock.html: the lock forbids deleting the recovery points);
a deleted plan's name may be used again (moto counted deleted plans); and DescribeBackupVault answers
`NumberOfRecoveryPoints` (moto answered it in ListBackupVaults only). A stack whose vault cannot be
deleted ends DELETE_FAILED with the vault still in it (cloudformation.py); with `DeletionPolicy: Retain`
the vault is left and forgotten, as CloudFormation does. A refusal during a stack operation reaches the
caller as CloudFormation's ValidationError naming Backup's error code; the refusals' wording is the
emulator's, their codes AWS's.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any, ClassVar, Self

from moto.backup.exceptions import InvalidParameterValueException, InvalidRequestException
from moto.backup.models import BackupBackend, Plan, Vault, backup_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random

from tools.rehearsal import cloudformation
from tools.rehearsal.models import Props, _Model

# Point-in-time recovery keeps 1 to 35 days (AWS Backup Developer Guide, point-in-time-recovery-retention-period).
_CONTINUOUS_DAYS = range(1, 36)
_LOCK_SETTINGS = ("MinRetentionDays", "MaxRetentionDays", "ChangeableForDays")


@functools.cache
def install() -> None:
    """Register the three models and correct the backend (idempotent)."""
    cloudformation._wrap(BackupBackend, "delete_backup_vault", _delete_backup_vault)
    cloudformation._wrap(BackupBackend, "create_backup_plan", _create_backup_plan)
    # DescribeBackupVault answers its attributes by the API's names; moto keeps the count under another one.
    setattr(Vault, "number_of_recovery_points", property(lambda vault: vault.num_of_recovery_points))  # noqa: B010
    # Registered models are found through these caches, filled on first use.
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()


def _backup_backend(account_id: str, region_name: str) -> BackupBackend:
    return backup_backends[account_id][region_name]


def selections(account_id: str, region_name: str, backup_plan_id: str) -> list[Props]:
    """What the plan selects, as GetBackupSelection would answer: `SelectionId`, `BackupPlanId` and the
    `BackupSelection` (`SelectionName`, `IamRoleArn`, `Resources`, `ListOfTags`, …)."""
    return [
        {
            "SelectionId": selection.physical_resource_id,
            "BackupPlanId": backup_plan_id,
            "BackupSelection": selection.selection,
        }
        for selection in _selections(_backup_backend(account_id, region_name)).values()
        if selection.backup_plan_id == backup_plan_id
    ]


def add_recovery_point(account_id: str, region_name: str, vault_name: str) -> int:
    """Count one more recovery point in the vault, as a finished backup or copy job would (none runs here);
    returns how many it holds."""
    vault = _backup_backend(account_id, region_name).describe_backup_vault(vault_name)
    vault.num_of_recovery_points += 1
    return vault.num_of_recovery_points


def end_grace_time(account_id: str, region_name: str, vault_name: str) -> None:
    """Move the vault's lock date to now, as if its `ChangeableForDays` had passed: the lock is immutable."""
    vault = _backup_backend(account_id, region_name).describe_backup_vault(vault_name)
    if vault.changeable_for_days is None:
        raise ValueError(f"{vault_name}: its lock has no ChangeableForDays (governance mode), so no lock date")
    vault.lock_date = unix_time()


def _selections(backend: BackupBackend) -> dict[str, BackupSelection]:
    found: dict[str, BackupSelection] = backend.__dict__.setdefault("rehearsal_selections", {})
    return found


# --------------------------------------------------------------------------- corrections to the backend


def _delete_backup_vault(original: Any, self: BackupBackend, backup_vault_name: str) -> None:
    vault = self.vaults.get(backup_vault_name)
    if vault is not None and vault.num_of_recovery_points:
        raise InvalidRequestException(
            msg=f"Backup vault cannot be deleted (contains {vault.num_of_recovery_points} recovery points)"
        )
    original(self, backup_vault_name)


def _create_backup_plan(original: Any, self: BackupBackend, *args: Any, **kwargs: Any) -> Plan:
    # moto refuses the name of any plan it ever had; a deleted plan is only listed (IncludeDeleted).
    deleted = {plan_id: plan for plan_id, plan in self.plans.items() if plan.deletion_date is not None}
    for plan_id in deleted:
        del self.plans[plan_id]
    try:
        created: Plan = original(self, *args, **kwargs)
        return created
    finally:
        self.plans.update(deleted)


# --------------------------------------------------------------------------- the models


@contextlib.contextmanager
def _as_a_stack_failure() -> Iterator[None]:
    """Backup's refusal, in a stack operation, as CloudFormation reports a resource handler's (moto would answer
    the CloudFormation call with Backup's JSON error, which no CloudFormation client can read)."""
    try:
        yield
    except JsonRESTError as error:
        raise ValidationError(
            message=f'Resource handler returned message: "{error.message} (Service: Backup, Status Code: 400)" '
            f"(HandlerErrorCode: {error.error_type})"
        ) from error


class _BackupModel(_Model):
    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Props, account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        with _as_a_stack_failure():
            return super().create_from_cloudformation_json(
                resource_name, cloudformation_json, account_id, region_name, **kwargs
            )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Self,
        new_resource_name: str,
        cloudformation_json: Props,
        account_id: str,
        region_name: str,
    ) -> Self:
        with _as_a_stack_failure():
            return super().update_from_cloudformation_json(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )

    def _backend(self) -> BackupBackend:
        return _backup_backend(self.account_id, self.region_name)

    def _retag(self, arn: str, tags: dict[str, str] | None) -> None:
        backend = self._backend()
        backend.tagger.delete_all_tags_for_resource(arn)
        backend.tag_resource(arn, tags or {})


class BackupVault(_BackupModel, CloudFormationModel):
    """`AWS::Backup::BackupVault` with its KMS key and vault lock; Ref is its name."""

    TYPE = "AWS::Backup::BackupVault"
    NAME = "BackupVaultName"
    ATTRIBUTES = ("BackupVaultName", "BackupVaultArn")
    CREATE_ONLY = frozenset({NAME, "EncryptionKeyArn"})

    def _vault(self) -> Vault:
        return self._backend().describe_backup_vault(self.physical_resource_id)

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props[self.NAME]
        self._backend().create_backup_vault(
            backup_vault_name=self.physical_resource_id,
            backup_vault_tags=props.get("BackupVaultTags") or {},
            encryption_key_arn=props.get("EncryptionKeyArn"),  # type: ignore[arg-type]
            creator_request_id=None,  # type: ignore[arg-type]
        )
        if "LockConfiguration" in props:
            self._lock(props["LockConfiguration"])

    def _lock(self, lock: Props) -> None:
        days = {name: None if lock.get(name) is None else int(lock[name]) for name in _LOCK_SETTINGS}
        self._backend().put_backup_vault_lock_configuration(
            self.physical_resource_id,
            min_retention_days=days["MinRetentionDays"],
            max_retention_days=days["MaxRetentionDays"],
            changeable_for_days=days["ChangeableForDays"],
        )

    def _update(self, props: Props) -> None:
        lock, was = props.get("LockConfiguration"), self.props.get("LockConfiguration")
        if lock != was:
            if lock is None:
                self._backend().delete_backup_vault_lock_configuration(self.physical_resource_id)
            else:
                self._lock(lock)
        self._retag(self._vault().backup_vault_arn, props.get("BackupVaultTags"))

    def _delete(self) -> None:
        backend = self._backend()
        vault = backend.vaults.get(self.physical_resource_id)
        backend.delete_backup_vault(self.physical_resource_id)
        if vault is not None:
            backend.tagger.delete_all_tags_for_resource(vault.backup_vault_arn)

    def _attribute(self, name: str) -> Any:
        return self._vault().backup_vault_arn if name == "BackupVaultArn" else self.physical_resource_id


# CloudFormation's BackupRuleResourceType keys, and the API's (BackupRuleInput) where they differ.
_RULE_KEYS = {"TargetBackupVault": "TargetBackupVaultName"}


def _plan_as_the_api_takes_it(document: Props) -> Props:
    rules = [{_RULE_KEYS.get(key, key): value for key, value in rule.items()} for rule in document["BackupPlanRule"]]
    for rule in rules:
        days = (rule.get("Lifecycle") or {}).get("DeleteAfterDays")
        continuous = rule.get("EnableContinuousBackup") in (True, "true")
        if continuous and days is not None and int(days) not in _CONTINUOUS_DAYS:
            raise InvalidParameterValueException(
                msg=f"Rule {rule['RuleName']}: a continuous backup is kept 1 to 35 days, not {days}"
            )
    plan: Props = {"BackupPlanName": document["BackupPlanName"], "Rules": rules}
    if "AdvancedBackupSettings" in document:
        plan["AdvancedBackupSettings"] = document["AdvancedBackupSettings"]
    return plan


class BackupPlan(_BackupModel, CloudFormationModel):
    """`AWS::Backup::BackupPlan`, its rules with their continuous-backup flag, lifecycles and copy actions;
    Ref is its id."""

    TYPE = "AWS::Backup::BackupPlan"
    ATTRIBUTES = ("BackupPlanId", "BackupPlanArn", "VersionId")

    def _plan(self) -> Plan:
        return self._backend().get_backup_plan(self.physical_resource_id, None)

    def _create(self, props: Props) -> None:
        plan = self._backend().create_backup_plan(
            backup_plan=_plan_as_the_api_takes_it(props["BackupPlan"]),
            backup_plan_tags=props.get("BackupPlanTags") or {},
            creator_request_id=None,  # type: ignore[arg-type]
        )
        self.physical_resource_id = plan.backup_plan_id

    def _update(self, props: Props) -> None:
        # As UpdateBackupPlan: the same id and ARN, the new document (moto's defaults and rule ids), a new version.
        backend = self._backend()
        plan = self._plan()
        revised = Plan(_plan_as_the_api_takes_it(props["BackupPlan"]), plan.creator_request_id, backend)
        plan.backup_plan = revised.backup_plan
        plan.advanced_backup_settings = revised.advanced_backup_settings
        plan.version_id = revised.version_id
        self._retag(plan.backup_plan_arn, props.get("BackupPlanTags"))

    def _delete(self) -> None:
        backend = self._backend()
        if any(s.backup_plan_id == self.physical_resource_id for s in _selections(backend).values()):
            raise InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        plan = backend.plans.get(self.physical_resource_id)
        backend.delete_backup_plan(self.physical_resource_id)
        if plan is not None:
            backend.tagger.delete_all_tags_for_resource(plan.backup_plan_arn)

    def _attribute(self, name: str) -> Any:
        plan = self._plan()
        return {"BackupPlanArn": plan.backup_plan_arn, "VersionId": plan.version_id}.get(name, plan.backup_plan_id)


class BackupSelection(_BackupModel, CloudFormationModel):
    """`AWS::Backup::BackupSelection`: what a plan backs up, with which role; Ref is its id. Kept here (moto
    has no selections) and listed by `selections()`; nothing backs anything up."""

    TYPE = "AWS::Backup::BackupSelection"
    ATTRIBUTES = ("Id", "SelectionId", "BackupPlanId")
    CREATE_ONLY = frozenset({"BackupPlanId", "BackupSelection"})
    REQUIRED: ClassVar[tuple[str, ...]] = ("SelectionName", "IamRoleArn")

    def _create(self, props: Props) -> None:
        plan = self._backend().get_backup_plan(props["BackupPlanId"], None)  # ResourceNotFoundException if absent
        if plan.deletion_date is not None:
            raise InvalidRequestException(msg=f"Backup plan {plan.backup_plan_id} is deleted")
        missing = [name for name in self.REQUIRED if not props["BackupSelection"].get(name)]
        if missing:
            raise InvalidParameterValueException(msg=f"BackupSelection needs {', '.join(missing)}")
        self.backup_plan_id: str = plan.backup_plan_id
        self.selection: Props = props["BackupSelection"]
        self.physical_resource_id = str(mock_random.uuid4())
        _selections(self._backend())[self.physical_resource_id] = self

    def _update(self, props: Props) -> None:
        pass  # both properties are create-only: any change replaces it, and nothing else remains

    def _delete(self) -> None:
        _selections(self._backend()).pop(self.physical_resource_id, None)

    def _attribute(self, name: str) -> Any:
        return self.backup_plan_id if name == "BackupPlanId" else self.physical_resource_id
