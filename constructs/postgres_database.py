"""RDS PostgreSQL for the backend."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds

from constructs import Construct
from constructs.findings import accept, accept_deploy_time_function, managed_policy

# Why an adopted unencrypted instance stays so for now, and what ends it.
UNENCRYPTED_FOLLOW_UP = (
    "RDS cannot encrypt an existing instance's storage in place; the follow-up is to snapshot it, copy the "
    "snapshot encrypted, and restore the copy in a maintenance window"
)

# The PostgreSQL logs RDS can export: the server's own log, and the major-version upgrade's.
EXPORTED_LOGS = ("postgresql", "upgrade")


class PostgresDatabase(Construct):
    """A private, encrypted PostgreSQL instance that insists on TLS and keeps its data.

    The master password is a ``{{resolve:ssm-secure:…}}`` reference, resolved by
    CloudFormation at deploy time. Deleting or replacing the instance leaves a final
    snapshot, and automated backups outlive the instance.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        instance_type: ec2.InstanceType,
        engine_version: rds.PostgresEngineVersion,
        allocated_storage_gb: int,
        max_allocated_storage_gb: int,
        multi_az: bool,
        backup_retention: Duration,
        backup_window: str,
        maintenance_window: str,
        deletion_protection: bool,
        database_name: str,
        master_username: str,
        master_password: SecretValue,
        port: int,
        log_retention: logs.RetentionDays,
        slow_statement_ms: int,
        instance_identifier: str | None = None,
        extra_security_groups: Sequence[ec2.ISecurityGroup] = (),
        storage_encrypted: bool = True,
        storage_encryption_key: kms.IKey | None = None,
    ) -> None:
        """``instance_identifier``, ``extra_security_groups`` and ``storage_encrypted=False`` hold an adopted
        instance as it is: its live name, groups kept beside ``security_group``, and storage that cannot be
        encrypted in place (its findings are accepted here, for that reason). ``storage_encryption_key``: a
        customer-managed key instead of ``aws/rds`` (changing it replaces the instance)."""
        super().__init__(scope, construct_id)

        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=rds.DatabaseInstanceEngine.postgres(version=engine_version),
            # Raising the configured major version upgrades in place (with downtime) instead of
            # failing half-way; CloudFormation refuses a downgrade by itself.
            allow_major_version_upgrade=True,
            instance_type=instance_type,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[security_group, *extra_security_groups],
            publicly_accessible=False,
            port=port,
            database_name=database_name,
            credentials=rds.Credentials.from_password(master_username, master_password),
            parameters={
                "rds.force_ssl": "1",
                # Into the postgresql log: statements slower than this, and every connection and
                # disconnection (who connected from where, for how long).
                "log_min_duration_statement": str(slow_statement_ms),
                "log_connections": "1",
                "log_disconnections": "1",
            },
            # Exported to CloudWatch Logs as /aws/rds/instance/<id>/<log>.
            cloudwatch_logs_exports=list(EXPORTED_LOGS),
            storage_type=rds.StorageType.GP3,
            allocated_storage=allocated_storage_gb,
            max_allocated_storage=max_allocated_storage_gb,
            storage_encrypted=storage_encrypted,
            storage_encryption_key=storage_encryption_key,
            multi_az=multi_az,
            backup_retention=backup_retention,
            # UTC, outside the team's busy hours; a Multi-AZ failover for maintenance happens in this window.
            preferred_backup_window=backup_window,
            preferred_maintenance_window=maintenance_window,
            delete_automated_backups=False,
            copy_tags_to_snapshot=True,
            # IAM database authentication available alongside the password (no cost when unused).
            iam_authentication=True,
            # OS-level metrics every 60 s (billed as CloudWatch Logs ingestion: cents a month).
            monitoring_interval=Duration.seconds(60),
            auto_minor_version_upgrade=True,
            deletion_protection=deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT,
            instance_identifier=instance_identifier,
        )
        # RDS creates the exported log groups itself, so their retention is set afterwards by the
        # CDK's log-retention function (a plain LogGroup here would collide with RDS's). They are
        # kept when the stack goes, like the snapshot they may be needed with.
        for log in EXPORTED_LOGS:
            logs.LogRetention(
                self,
                f"{log.title()}LogRetention",
                log_group_name=f"/aws/rds/instance/{self.instance.instance_identifier}/{log}",
                retention=log_retention,
                removal_policy=RemovalPolicy.RETAIN,
            )
        _accept_log_retention_function(Stack.of(self))
        accept(
            self.instance,
            f"DB_PORT={port} is part of the backend's configuration; it is private, reachable only from lambda_sg "
            "and ecs_sg, and accepts TLS only. Another port would add no protection.",
            nag=["AwsSolutions-RDS11"],
        )
        accept(
            self.instance,
            "The AWS-managed policy RDS documents for enhanced monitoring (publishing OS metrics to CloudWatch Logs).",
            nag=[managed_policy("AmazonRDSEnhancedMonitoringRole")],
        )
        if not storage_encrypted:
            accept(
                self.instance,
                f"{UNENCRYPTED_FOLLOW_UP} (db_storage_encrypted=false holds the adopted instance as it is).",
                nag=["AwsSolutions-RDS2", "CloudFormation-Validate::W9008"],
                checkov=["CKV_AWS_16"],
            )


def _accept_log_retention_function(stack: Stack) -> None:
    """The CDK's own function (one per stack) that sets the retention of log groups it did not create."""
    function = stack.node.try_find_child("LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a")
    assert function is not None, "logs.LogRetention adds its function to the stack"
    deploy_time = "The CDK's deploy-time function that sets the exported RDS logs' retention"
    accept(
        function,
        f"{deploy_time}: the AWS-managed AWSLambdaBasicExecutionRole lets it write its own logs.",
        nag=[managed_policy("AWSLambdaBasicExecutionRole")],
    )
    wildcard = f"{deploy_time}: logs:PutRetentionPolicy and DeleteRetentionPolicy on groups named only at deploy time."
    accept(function, wildcard, nag=["AwsSolutions-IAM5[Resource::*]"])
    accept(function.node.find_child("ServiceRole").node.find_child("DefaultPolicy"), wildcard, checkov=["CKV_AWS_111"])
    accept_deploy_time_function(function, deploy_time, "CloudWatch Logs")
