"""The backend's S3 bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs import Construct


class AssetsBucket(Construct):
    """A private, encrypted, versioned bucket that is kept when the stack goes away.

    Old object versions expire after ``noncurrent_version_days`` so versioning protects
    against mistakes without growing the bill forever.
    """

    def __init__(self, scope: Construct, construct_id: str, *, noncurrent_version_days: int = 90) -> None:
        super().__init__(scope, construct_id)

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )


def grant_object_read_write(bucket: s3.IBucket, grantee: iam.IGrantable) -> None:
    """Let ``grantee`` list the bucket and get, put and delete its objects.

    Narrower than ``bucket.grant_read_write``: no ``s3:DeleteObjectVersion``, so the
    version history that protects against mistakes stays out of the application's reach,
    and no legal-hold, retention or bucket-configuration actions.
    """
    iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucket"], resource_arns=[bucket.bucket_arn])
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resource_arns=[bucket.arn_for_objects("*")],
    )
