"""The customer-managed KMS key the backend's SSM SecureStrings are encrypted with."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms

from constructs import Construct


class SecretsKey(Construct):
    """A symmetric key with yearly rotation and an alias, kept when its stack goes.

    Its key policy is the CDK's default: the account root may do everything, which hands the
    key's use to IAM. Nobody decrypts through the key policy itself; a role decrypts only when
    an IAM statement of its own allows it (`constructs.secret_parameters.grant_decrypt_through_ssm`),
    so ``ssm:GetParameter`` alone no longer reveals a secret, as it does under ``aws/ssm``, whose
    policy lets any principal of the account decrypt through SSM. The key is retained: a
    parameter encrypted under a deleted key can never be read again.
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias_name: str, description: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias_name,
            description=description,
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        """The key; SecureStrings name it by its alias (``alias_name``)."""
        self.alias_name = alias_name
        """The alias ``ssm_secrets put`` passes as KeyId, e.g. ``alias/anigmaa-prod-secrets``."""
