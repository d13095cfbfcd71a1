"""References to the backend's SSM SecureString parameters."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import SecretValue, Stack
from aws_cdk import aws_iam as iam

from constructs import Construct


class SecretParameters(Construct):
    """The SecureStrings under one path prefix, created outside CloudFormation.

    CloudFormation cannot create SecureString parameters, so this construct only
    refers to them: as ``{{resolve:ssm-secure:…}}`` values for the properties that
    accept them (RDS master password, ElastiCache AUTH token) and as ARNs for IAM.
    It adds no resource to the template.
    """

    def __init__(self, scope: Construct, construct_id: str, *, names: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        self.names = dict(names)
        """Parameter name by secret name, e.g. ``DB_PASSWORD`` → ``/anigmaa/prod/DB_PASSWORD``."""

    def secure_value(self, secret: str) -> SecretValue:
        """A dynamic reference CloudFormation resolves at deploy time; no value enters the template."""
        return SecretValue.ssm_secure(self.names[secret])

    @property
    def arns(self) -> list[str]:
        """The ARNs of every parameter, in a stable order."""
        stack = Stack.of(self)
        return [
            stack.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))
            for name in self.names.values()
        ]

    def grant_get(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``ssm:GetParameters`` (one batched call) on exactly these parameters.

        With the AWS-managed ``aws/ssm`` key, decryption needs no extra grant; the
        scoping of this statement is what keeps other parameters out of reach.
        """
        return iam.Grant.add_to_principal(grantee=grantee, actions=["ssm:GetParameters"], resource_arns=self.arns)
