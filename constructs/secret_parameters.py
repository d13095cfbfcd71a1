"""References to the backend's SSM SecureString parameters."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import SecretValue, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm

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


def ecs_secrets(scope: Construct, names: Mapping[str, str]) -> dict[str, ecs.Secret]:
    """The SecureStrings as container secrets, injected by ECS at task start (valueFrom the parameter ARN).

    Each parameter is referenced in ``scope`` as ``<Name>Parameter`` (``DbPasswordParameter``, …).
    """
    return {
        name: ecs.Secret.from_ssm_parameter(
            ssm.StringParameter.from_secure_string_parameter_attributes(
                scope, f"{name.title().replace('_', '')}Parameter", parameter_name=parameter_name
            )
        )
        for name, parameter_name in names.items()
    }
