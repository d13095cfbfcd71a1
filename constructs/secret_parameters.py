"""References to the backend's SSM SecureString parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import SecretValue, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm

from constructs import Construct


class SecretParameters(Construct):
    """The SecureStrings under one path prefix, created outside CloudFormation.

    CloudFormation cannot create SecureString parameters, so this construct only
    refers to them: as ``{{resolve:ssm-secure:…}}`` values for the properties that
    accept them (RDS master password, ElastiCache AUTH token) and as ARNs for IAM.
    It adds no resource to the template. With ``key`` (the KMS key the parameters are
    encrypted under), `grant_get` also grants decryption with it, through SSM only.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, names: Mapping[str, str], key: kms.IKey | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.names = dict(names)
        """Parameter name by secret name, e.g. ``DB_PASSWORD`` → ``/anigmaa/prod/DB_PASSWORD``."""
        self.key = key
        """The customer-managed key the parameters are encrypted under (None: the AWS-managed ``aws/ssm``)."""

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
        """Allow ``ssm:GetParameters`` (one batched call) on exactly these parameters and, with a
        ``key``, ``kms:Decrypt`` with it for exactly these parameters, through SSM.

        Under the AWS-managed ``aws/ssm`` key, decryption needs no grant of its own, so the
        first statement is all that keeps a secret from a role: hence the customer-managed key.
        """
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["ssm:GetParameters"], resource_arns=self.arns)
        if self.key is not None:
            grant_decrypt_through_ssm(grantee, self.key, self.arns)
        return grant


def grant_decrypt_through_ssm(grantee: iam.IGrantable, key: kms.IKey, parameter_arns: Sequence[str]) -> iam.Grant:
    """Allow ``kms:Decrypt`` with ``key`` only when SSM asks on the grantee's behalf, for one of ``parameter_arns``.

    ``kms:ViaService`` keeps the key out of any direct call to KMS; SSM encrypts each SecureString
    with its ARN as the encryption context (``PARAMETER_ARN``), which binds the grant to these
    parameters. The statement is the grantee's own (an identity policy): the key's policy, in the
    network stack, never names a role of a compute stack, so that stack never depends on one.
    """
    region = Stack.of(key).region
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["kms:Decrypt"],
        resource_arns=[key.key_arn],
        conditions={
            "StringEquals": {
                "kms:ViaService": f"ssm.{region}.amazonaws.com",
                "kms:EncryptionContext:PARAMETER_ARN": list(parameter_arns),
            }
        },
    )


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
