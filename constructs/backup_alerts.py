"""The alarm topic hears of every AWS Backup job of the region that fails."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns

from constructs import Construct
from constructs.findings import accept

# The end states of a backup job that leave no recovery point (AWS Backup's BackupJob State).
FAILED_STATES = ("FAILED", "ABORTED", "EXPIRED")


class BackupFailureAlerts(Construct):
    """An EventBridge rule that sends ``topic`` each backup job of the account and region ending in `FAILED_STATES`.

    The vault's own notifications cannot say this: AWS Backup no longer delivers BACKUP_JOB_FAILED, and its
    BACKUP_JOB_COMPLETED comes for every job, successful ones too. The account holds one environment, so
    every job of the region is this one's.
    """

    def __init__(self, scope: Construct, construct_id: str, *, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description="AWS Backup: a backup job that ended without a recovery point",
            event_pattern=events.EventPattern(
                source=["aws.backup"],
                detail_type=["Backup Job State Change"],
                detail={"state": list(FAILED_STATES)},
            ),
            # The CDK lets events.amazonaws.com publish to the topic (its policy).
            targets=[targets.SnsTopic(topic)],
        )
        """The rule; its target is ``topic``."""
        accept(
            self.rule,
            "EventBridge retries delivery to the topic for 24 hours; a notice still undelivered after that would "
            "sit unread in a queue, and the failed job stays listed in AWS Backup (list-backup-jobs --by-state).",
            nag=["Serverless-EventBusDLQ"],
        )
