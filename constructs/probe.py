"""The outside-in probe: a CloudWatch Synthetics canary that asks the API's public address whether it is ready."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_synthetics as synthetics

from constructs import Construct
from constructs.findings import accept

PROBE_SOURCE_DIR = Path(__file__).resolve().parent.parent / "probe_src"
# probe_src/python/probe.py's handler (Synthetics' Python runtimes load scripts from python/).
HANDLER = "probe.handler"
# The newest Python runtime this CDK names (Python 3.11, as this repository's): the script is the
# standard library only, so it runs unchanged in tests/test_probe.py. It never opens the browser.
RUNTIME = synthetics.Runtime.SYNTHETICS_PYTHON_SELENIUM_7_0
# Synthetics names the canary's function cwsyn-<name>-<a 36-character id>, within Lambda's 64.
MAX_NAME_LENGTH = 21
# The run's limit: the script's 10 s request (probe_src TIMEOUT_SECONDS) and Synthetics' own start and upload.
RUN_TIMEOUT = Duration.seconds(30)
# The smallest memory Synthetics takes: the script sends one request.
MEMORY = Size.mebibytes(960)
# Synthetics keeps a canary's run records for 1 to 455 days.
MAX_RETENTION_DAYS = 455


class Probe(Construct):
    """A canary named ``name`` that sends GET ``url`` every ``interval`` from outside the VPC.

    A run passes only on 200 with ``{"status": "ready"}`` within 10 s (probe_src/python/probe.py).
    Its artifacts (log, report) go under ``synthetics/<name>/`` in ``artifacts_bucket``, which
    keeps them as its lifecycle says; Synthetics keeps its run records for ``retention`` (455 days
    at most). The
    bucket is read by name only, so a bucket another stack exports by name needs no new export,
    and it is not this stack's: a stack that a rollback deletes holds no bucket with objects.

    The role (``role``) may do what a run needs and no more: put objects under that prefix,
    find the bucket's region, publish to the CloudWatchSynthetics namespace, and write the log
    groups of this canary's own function (``/aws/lambda/cwsyn-<name>-*``; the CDK's default role
    may write every canary's). Synthetics makes that function, its log group and its layers
    itself; the function and layers go with the canary, the log group stays with its runs' logs.
    ``success_percent`` is the metric to alarm on, one datapoint a run.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        url: str,
        interval: Duration,
        artifacts_bucket: s3.IBucket,
        retention: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        if len(name) > MAX_NAME_LENGTH or not re.fullmatch(r"[0-9a-z_-]+", name):
            raise ValueError(
                f"probe name {name!r}: Synthetics takes lowercase letters, digits, - and _, and at most "
                f"{MAX_NAME_LENGTH} characters for its function's name (cwsyn-<name>-<id>)"
            )
        stack = Stack.of(self)
        prefix = f"synthetics/{name}"
        kept = Duration.days(min(retention.to_days(), MAX_RETENTION_DAYS))
        bucket = s3.Bucket.from_bucket_name(self, "ArtifactsBucket", artifacts_bucket.bucket_name)
        own_logs = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/aws/lambda/cwsyn-{name}-*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"The {name} canary's runs",
            inline_policies={
                "Probe": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")]
                        ),
                        iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn]),
                        # Synthetics lists the account's buckets before it uploads; the action has no resource scope.
                        iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]),
                        iam.PolicyStatement(
                            actions=["cloudwatch:PutMetricData"],
                            resources=["*"],
                            conditions={"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}},
                        ),
                        iam.PolicyStatement(
                            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[own_logs],
                        ),
                    ]
                )
            },
        )
        self.canary = synthetics.Canary(
            self,
            "Canary",
            canary_name=name,
            runtime=RUNTIME,
            test=synthetics.Test.custom(
                code=synthetics.Code.from_asset(str(PROBE_SOURCE_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
                handler=HANDLER,
            ),
            schedule=synthetics.Schedule.rate(interval),
            timeout=RUN_TIMEOUT,
            memory=MEMORY,
            environment_variables={"PROBE_URL": url},
            role=self.role,
            artifacts_bucket_location=synthetics.ArtifactsBucketLocation(bucket=bucket, prefix=prefix),
            success_retention_period=kept,
            failure_retention_period=kept,
            # The function and layers Synthetics made go with the canary (a rollback deletes this stack).
            provisioned_resource_cleanup=True,
        )
        self.success_percent: cloudwatch.IMetric = self.canary.metric_success_percent(period=interval)
        accept(
            self.role,
            "The canary's role: PutMetricData is scoped by its namespace condition (the action has no resource), "
            "s3:ListAllMyBuckets has no resource scope, objects only under this canary's prefix, and the log "
            "groups of this canary's own function, whose name Synthetics ends with an id it chooses.",
            nag=[
                "AwsSolutions-IAM5[Resource::*]",
                f"AwsSolutions-IAM5[Resource::{_as_printed(stack, own_logs)}]",
                f"AwsSolutions-IAM5[Resource::arn:{_as_printed(stack, stack.partition)}:s3:::"
                f"{_bucket_name_as_printed(stack, artifacts_bucket)}/{prefix}/*]",
                "Serverless-LambdaStarPermissions",
            ],
        )


def _as_printed(stack: Stack, value: str) -> str:
    """``value``, made of literals and pseudo parameters, as cdk-nag prints it in ``stack``'s findings."""
    resolved = stack.resolve(value)
    if isinstance(resolved, str):
        return resolved
    if "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    [separator, parts] = resolved["Fn::Join"]
    return str(separator).join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)


def _bucket_name_as_printed(stack: Stack, bucket: s3.IBucket) -> str:
    """The bucket's name as cdk-nag prints it in ``stack``: from another stack, its export's name."""
    owner = Stack.of(bucket)
    if owner is stack:
        return _as_printed(stack, bucket.bucket_name)
    imported = owner.resolve(owner.export_value(bucket.bucket_name))
    return str(imported["Fn::ImportValue"])
