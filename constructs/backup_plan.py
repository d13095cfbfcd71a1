"""The AWS Backup plan of the data stack: daily and continuous recovery points, each copied out of the region."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.findings import accept

# The AWS-managed policies AWS Backup documents for its service role: backups and restores of RDS (and the
# other services), and the separate pair S3 needs (read every version of a bucket, write a restore back).
SERVICE_ROLE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


class DataBackupPlan(Construct):
    """A plan named ``plan_name`` with two rules into ``vault``, and a selection of ``resources``.

    - ``Daily``: a snapshot a day, starting at ``daily_hour_utc`` (within ``start_window``), kept
      ``retention_days``;
    - ``Continuous``: point-in-time recovery over the last ``pitr_days`` (AWS Backup allows 1 to 35).

    Each rule copies its recovery point to every vault of ``copy_vaults``, kept ``copy_retention_days``
    there. A copy of a continuous recovery point is a snapshot: point-in-time restore stays in the source
    region, the copies are the daily fallback outside it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan_name: str,
        vault: backup.IBackupVault,
        resources: Sequence[backup.BackupResource],
        retention_days: int,
        pitr_days: int,
        copy_vaults: Sequence[backup.IBackupVault],
        copy_retention_days: int,
        daily_hour_utc: int,
        start_window: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        daily = events.Schedule.cron(minute="0", hour=str(daily_hour_utc))
        copies = [
            backup.BackupPlanCopyActionProps(
                destination_backup_vault=copy_vault, delete_after=Duration.days(copy_retention_days)
            )
            for copy_vault in copy_vaults
        ]
        # A job that cannot finish within hours of its start is a problem to hear about, not to let run for days.
        completion_window = start_window.plus(Duration.hours(7))
        self.plan = backup.BackupPlan(
            self,
            "Plan",
            backup_plan_name=plan_name,
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily",
                    schedule_expression=daily,
                    start_window=start_window,
                    completion_window=completion_window,
                    delete_after=Duration.days(retention_days),
                    copy_actions=copies,
                ),
                # Its schedule is when AWS Backup checks the continuous recovery point and makes the copies.
                backup.BackupPlanRule(
                    rule_name="Continuous",
                    enable_continuous_backup=True,
                    schedule_expression=daily,
                    start_window=start_window,
                    completion_window=completion_window,
                    delete_after=Duration.days(pitr_days),
                    copy_actions=copies,
                ),
            ],
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description=f"AWS Backup: backs up and restores what {plan_name} selects",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in SERVICE_ROLE_POLICIES],
        )
        """The role AWS Backup runs the plan's jobs with, and a restore may be started with."""
        self.selection = backup.BackupSelection(
            self,
            "Selection",
            backup_plan=self.plan,
            backup_selection_name="DatabaseAndAssets",
            resources=list(resources),
            role=self.role,
        )
        accept(
            self.role,
            "The AWS-managed policies AWS Backup documents for its service role (RDS and S3 backups and restores); "
            "they follow the services' own changes, and this role is assumable by AWS Backup only.",
            nag=[
                f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]"
                for name in SERVICE_ROLE_POLICIES
            ],
        )
