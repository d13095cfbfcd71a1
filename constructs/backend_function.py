"""The backend's Lambda function and its log group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.findings import accept, function_log_group
from constructs.function_role import FunctionRole


class BackendFunction(Construct):
    """A Go custom-runtime function (handler ``bootstrap``) in private subnets.

    Its log group is created here and handed to the function, so no invocation ever creates
    an unmanaged group with no retention. It outlives the stack (`service_log_group`): a
    rollback that deletes the stack keeps the requests' logs. Its role (`FunctionRole`) writes
    to that log group only and manages the function's network interfaces.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        code: lambda_.Code,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        memory_mb: int,
        timeout: Duration,
        environment: Mapping[str, str],
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        log_retention: logs.RetentionDays,
        reserved_concurrency: int | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        role_logical_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        self.log_group = function_log_group(self, "LogGroup", function_name=function_name, retention=log_retention)
        self.role = FunctionRole(
            self,
            "ExecutionRole",
            log_group=self.log_group,
            description=f"Runs {function_name}",
            vpc_access=True,
            logical_id=role_logical_id,
        ).role
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=runtime,
            architecture=architecture,
            handler="bootstrap",
            role=self.role,
            code=code,
            layers=list(layers),
            memory_size=memory_mb,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            environment=dict(environment),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[security_group],
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            description="anigmaa backend (Go, API Gateway HTTP API v2 events)",
        )
        self._accept_findings()

    def _accept_findings(self) -> None:
        synchronous = (
            "Invoked synchronously by API Gateway only; a dead-letter queue applies to asynchronous invocations."
        )
        accept(self.function, synchronous, nag=["Serverless-LambdaDLQ"], checkov=["CKV_AWS_116"])
        accept(
            self.function,
            "The environment holds no secret (only SSM parameter names); Lambda encrypts it at rest with an "
            "AWS-managed key.",
            checkov=["CKV_AWS_173"],
        )
        accept(
            self.role,
            "X-Ray's PutTraceSegments and PutTelemetryRecords, and EC2's DescribeNetworkInterfaces and "
            "DescribeSubnets (which Lambda calls to attach the function to the VPC), do not support "
            "resource-level permissions.",
            nag=["AwsSolutions-IAM5[Resource::*]"],
        )


def dependency_layers(
    scope: Construct,
    *,
    layer_zip: Path | None,
    layer_arns: Sequence[str],
    runtime: lambda_.Runtime,
    architecture: lambda_.Architecture,
) -> list[lambda_.ILayerVersion]:
    """The function's layers: one built from ``layer_zip`` (the seed's lambda-layer.zip), then ``layer_arns``."""
    layers: list[lambda_.ILayerVersion] = []
    if layer_zip is not None:
        layers.append(
            lambda_.LayerVersion(
                scope,
                "DependenciesLayer",
                code=lambda_.Code.from_asset(str(layer_zip)),
                compatible_runtimes=[runtime],
                compatible_architectures=[architecture],
                description="anigmaa backend dependencies (lambda-layer.zip)",
            )
        )
    for index, arn in enumerate(layer_arns):
        layers.append(lambda_.LayerVersion.from_layer_version_arn(scope, f"ExternalLayer{index}", arn))
    return layers
