"""The origin secret: what CloudFront sends each origin in X-Origin-Verify, and what the backend checks."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager

from constructs import Construct
from constructs.findings import accept

# Long enough that guessing is hopeless; letters and digits only, so it is a plain header value.
ORIGIN_SECRET_LENGTH = 48


class OriginSecret(Construct):
    """A Secrets Manager secret whose value Secrets Manager generates: no person, template or log sees it.

    ``replica_region`` (us-east-1, the cdn stack's) holds a replica, so CloudFormation resolves the
    distribution's dynamic reference to it there. It is encrypted with Secrets Manager's AWS-managed
    key in each region: reading it takes secretsmanager:GetSecretValue on it, which only the compute
    roles have (and which the CI drift role is denied). It is no data: deleting its stack deletes it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, secret_name: str, replica_region: str | None) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            description="anigmaa: the header value CloudFront sends the origins (X-Origin-Verify); the backend "
            "refuses requests without it. Rotate with python -m tools.ops.origin_secret rotate",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=ORIGIN_SECRET_LENGTH, exclude_punctuation=True, include_space=False
            ),
            replica_regions=[secretsmanager.ReplicaRegion(region=replica_region)] if replica_region else None,
            removal_policy=RemovalPolicy.DESTROY,
        )
        accept(
            self.secret,
            "Rotated by tools.ops.origin_secret (a new version, then origin_secret_version and a deploy of the "
            "cdn stack): CloudFormation puts the value into the distribution, and no rotation Lambda can.",
            nag=["AwsSolutions-SMG4"],
            checkov=["CKV2_AWS_57"],
        )
        accept(
            self.secret,
            "Secrets Manager's AWS-managed key: the secret is read by GetSecretValue permission, which only the "
            "compute roles have; CloudFormation resolves its replica in us-east-1, where the environment has no key.",
            checkov=["CKV_AWS_149"],
        )
