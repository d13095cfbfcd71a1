"""The customer-managed KMS key the database and the cache are encrypted with (db_encryption_key)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct

# What another account needs of the key to copy a recovery point encrypted with it into its own vault
# (RDS shares the snapshot; the other account re-encrypts its copy with a key of its own).
SHARED_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*", "kms:GenerateDataKey*")


class DataKey(Construct):
    """A symmetric key with yearly rotation and an alias, kept when its stack goes.

    RDS, ElastiCache and AWS Backup use it through grants they create with the permissions of
    whoever asks (CloudFormation's role at deploy, the backup role for a job): its policy is the
    CDK's default, which hands the key's use to IAM (the account root), as the secrets key does.
    Unlike ``aws/rds``, whose policy no one can change, it can be shared: ``copy_account`` (another
    account whose vault receives copies) may use it to copy what it encrypts.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, alias_name: str, description: str, copy_account: str | None
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias_name,
            description=description,
            enable_key_rotation=True,
            # A deleted key would leave the database, its snapshots and the cache unreadable.
            removal_policy=RemovalPolicy.RETAIN,
        )
        if copy_account:
            share_for_copies(self.key, copy_account)


def share_for_copies(key: kms.Key, account: str) -> None:
    """Let ``account`` (whose vault receives copies) use ``key`` to copy what it encrypts."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CopiesToAnotherAccount",
            principals=[iam.AccountPrincipal(account)],
            actions=list(SHARED_USE),
            resources=["*"],
        )
    )
