"""RDS PostgreSQL for the backend."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds

from constructs import Construct
from constructs.findings import accept, managed_policy


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
        deletion_protection: bool,
        database_name: str,
        master_username: str,
        master_password: SecretValue,
        port: int,
    ) -> None:
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
            security_groups=[security_group],
            publicly_accessible=False,
            port=port,
            database_name=database_name,
            credentials=rds.Credentials.from_password(master_username, master_password),
            parameters={"rds.force_ssl": "1"},
            storage_type=rds.StorageType.GP3,
            allocated_storage=allocated_storage_gb,
            max_allocated_storage=max_allocated_storage_gb,
            storage_encrypted=True,
            multi_az=multi_az,
            backup_retention=backup_retention,
            delete_automated_backups=False,
            copy_tags_to_snapshot=True,
            # IAM database authentication available alongside the password (no cost when unused).
            iam_authentication=True,
            # OS-level metrics every 60 s (billed as CloudWatch Logs ingestion: cents a month).
            monitoring_interval=Duration.seconds(60),
            auto_minor_version_upgrade=True,
            deletion_protection=deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
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
