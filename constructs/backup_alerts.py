"""What reaches the alarm topic through EventBridge: every AWS Backup job of the region that fails, and the
alarms of the environment's stacks in another region (an alarm notifies only a topic of its own region)."""

from __future__ import annotations

from aws_cdk import Stack
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


class RegionAlarmNotices(Construct):
    """An EventBridge rule that sends ``topic`` each state change of the environment's alarms in ``region``.

    The cdn stack's alarms (us-east-1, where CloudFront and WAF publish their metrics) cannot notify a
    topic here: their stack forwards their state changes to this region's default event bus, and this
    rule publishes each, as one line, to the topic every other alarm notifies. Only alarms named with
    ``prefix`` in this account match.
    """

    def __init__(self, scope: Construct, construct_id: str, *, topic: sns.ITopic, region: str, prefix: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        alarm = events.EventField.from_path("$.detail.alarmName")
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"The environment's alarms in {region}, to its alarm topic",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                region=[region],
                resources=events.Match.prefix(
                    f"arn:{stack.partition}:cloudwatch:{region}:{stack.account}:alarm:{prefix}-"
                ),
            ),
            targets=[
                targets.SnsTopic(
                    topic,
                    message=events.RuleTargetInput.from_text(
                        f"{alarm} is {events.EventField.from_path('$.detail.state.value')} in {region}: "
                        f"{events.EventField.from_path('$.detail.state.reason')}"
                    ),
                )
            ],
        )
        accept(
            self.rule,
            "EventBridge retries delivery to the topic for 24 hours; the alarm's state stays in CloudWatch "
            f"(aws cloudwatch describe-alarms --region {region}) whatever happens to its notice.",
            nag=["Serverless-EventBusDLQ"],
        )
