"""The backend's S3 bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo

from constructs import Construct
from constructs.findings import accept

ALB_LOG_PREFIX = "alb"


def _private_bucket(scope: Construct, construct_id: str, **settings: Any) -> s3.Bucket:
    """A bucket with every public access blocked, TLS required, S3-managed encryption,
    versioning and RETAIN, plus ``settings``."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        # Load balancers deliver access logs only to buckets encrypted with S3-managed keys.
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
        **settings,
    )


class AccessLogsBucket(Construct):
    """Where S3 server access logs and load-balancer access logs go, kept for ``retention_days``.

    The load balancer's log delivery may write under ``alb/`` whether or not a load
    balancer exists, so turning one on never changes this bucket (or its stack).
    """

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int, region: str) -> None:
        super().__init__(scope, construct_id)

        self.bucket = _private_bucket(
            self,
            "Bucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireLogs",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        # Older regions deliver ALB logs from a regional ELB account, newer ones from a service principal.
        elb_account = RegionInfo.get(region).elbv2_account
        writer: iam.IPrincipal = (
            iam.AccountPrincipal(elb_account)
            if elb_account
            else iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LoadBalancerAccessLogs",
                principals=[writer],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{ALB_LOG_PREFIX}/AWSLogs/{Aws.ACCOUNT_ID}/*")],
            )
        )
        accept(
            self.bucket,
            "This bucket receives the access logs; logging its own access into itself would loop.",
            nag=["AwsSolutions-S1"],
            checkov=["CKV_AWS_18"],
        )


class AssetsBucket(Construct):
    """A private, encrypted, versioned bucket that is kept when the stack goes away.

    Old object versions expire after ``noncurrent_version_days`` so versioning protects
    against mistakes without growing the bill forever. Server access logs go to
    ``access_logs``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access_logs: s3.IBucket,
        noncurrent_version_days: int = 90,
        bucket_name: str | None = None,
    ) -> None:
        """``bucket_name``: an adopted bucket's live name (None: CloudFormation names it)."""
        super().__init__(scope, construct_id)

        self.bucket = _private_bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="s3/assets/",
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
    and no legal-hold, retention or bucket-configuration actions. The object wildcard this
    needs is accepted on the grantee's principal.
    """
    iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucket"], resource_arns=[bucket.bucket_arn])
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resource_arns=[bucket.arn_for_objects("*")],
    )
    principal = grantee.grant_principal
    assert isinstance(principal, Construct), "the grantee's principal is a role of this app"
    accept(
        principal,
        "Object access within the one assets bucket: S3 object ARNs need the /* wildcard.",
        nag=[f"AwsSolutions-IAM5[Resource::{_as_printed(bucket, principal)}/*]"],
    )


def _as_printed(bucket: s3.IBucket, reader: Construct) -> str:
    """The bucket's ARN as cdk-nag prints it in ``reader``'s stack, another than the bucket's.

    There it is an import of the bucket stack's export, printed as the export's name; the
    CDK names the export, and `export_value` hands back the same one the stack pins.
    """
    owner = Stack.of(bucket)
    assert owner is not Stack.of(reader), "the buckets live in the data stack, their readers elsewhere"
    imported = owner.resolve(owner.export_value(bucket.bucket_arn))
    return str(imported["Fn::ImportValue"])
