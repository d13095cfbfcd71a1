"""Releases of the backend function: each change publishes a version, the live alias serves it,
and CodeDeploy moves the alias from one version to the next, checked first and rolled back on alarm."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from config.limits import LAMBDA_INIT_BUDGET_SECONDS
from config.model import RouteCheck
from constructs import Construct
from constructs.findings import accept, function_log_group, managed_policy
from constructs.function_role import FunctionRole

HOOK_SOURCE_DIR = Path(__file__).resolve().parent.parent / "hook_src"
# The hook's timeout covers each invocation of the backend at the backend's timeout, with its
# connection (hook_src/pre_traffic.py's CONNECT_TIMEOUT_S); the new version's cold start once, on
# the first (its COLD_START_S); and its report: the hook keeps 5 s for that (REPORT_RESERVE_S),
# and 10 here leaves 5 more for its start and its log lines.
HOOK_CONNECT_SECONDS = 2
HOOK_COLD_START_SECONDS = LAMBDA_INIT_BUDGET_SECONDS
HOOK_REPORT_SECONDS = 10
# The requests the hook sends before lambda_release_checks: the seed's /health, the HTTP API's
# GET /health and GET /health/ready.
HOOK_HEALTH_CHECKS = 3


class LiveAlias(Construct):
    """The version of the function's current code and configuration, and the alias that serves it.

    ``current_version`` publishes a new version whenever the code or configuration changes. Every
    version is kept (DeletionPolicy and UpdateReplacePolicy Retain): CloudFormation's clean-up after
    a release drops the previous one from the stack but leaves it in Lambda, so going back is one
    ``aws lambda update-alias`` rather than a new deploy through review and approval. The cost is
    storage: each version's code counts toward Lambda's 75 GB of code storage per region (a quota,
    not a bill), and a version is a few MB; one no alias serves can be deleted by hand. Deleting
    the stack deletes the function, and its versions with it. Provisioned concurrency, if any,
    sits on the alias: the alias never routes by weight outside a CodeDeploy deployment, a
    combination Lambda refuses with provisioned concurrency.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.Function,
        alias_name: str,
        provisioned_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.version = function.current_version
        # What VersionOptions(removal_policy=RETAIN) does, on the function BackendFunction made: the
        # version's logical ID hashes the function's properties only, so it stays as it was.
        self.version.apply_removal_policy(RemovalPolicy.RETAIN)
        self.alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=alias_name,
            version=self.version,
            provisioned_concurrent_executions=provisioned_concurrency or None,
            description="The version the HTTP API serves; CodeDeploy moves it",
        )


class PreTrafficHook(Construct):
    """A small function CodeDeploy runs before any traffic moves: it invokes the new version with the
    seed's ``/health`` payload, real HTTP API events for ``GET /health`` and ``GET /health/ready``
    (which must say "ready"), then each of ``release_checks``, and reports Succeeded or Failed.

    It may invoke the new version only (``version.grant_invoke``); CodeDeploy's deployment group
    grants it the right to report. Each invoke waits up to the backend's timeout (the first, which
    meets the new version's cold start, 6 s more), so the hook's timeout covers
    ``3 + len(release_checks)`` invocations at the backend's timeout, each with its connection, one
    cold start, and the report after them:
    ``(3 + checks) * (timeout + 2) + 6 + 10`` seconds, 94 s at a 24 s backend timeout without
    release checks, 354 s with the 10 at most.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        version: lambda_.IVersion,
        backend_timeout_seconds: int,
        log_retention: logs.RetentionDays,
        release_checks: Sequence[RouteCheck] = (),
    ) -> None:
        """``release_checks``: the requests to send after the health checks, with the status each must answer."""
        super().__init__(scope, construct_id)
        self.log_group = function_log_group(self, "LogGroup", function_name=function_name, retention=log_retention)
        # Its own log group only, in place of AWSLambdaBasicExecutionRole's any group.
        self.role = FunctionRole(
            self, "ExecutionRole", log_group=self.log_group, description=f"Runs {function_name}"
        ).role
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            role=self.role,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="pre_traffic.handler",
            code=lambda_.Code.from_asset(str(HOOK_SOURCE_DIR), exclude=["__pycache__", "*.pyc"]),
            memory_size=128,
            timeout=Duration.seconds(
                (HOOK_HEALTH_CHECKS + len(release_checks)) * (backend_timeout_seconds + HOOK_CONNECT_SECONDS)
                + HOOK_COLD_START_SECONDS
                + HOOK_REPORT_SECONDS
            ),
            # Read by hook_src/pre_traffic.py, which fails the release on any it cannot read.
            environment={
                "TARGET_FUNCTION_ARN": version.function_arn,
                "BACKEND_TIMEOUT_SECONDS": str(backend_timeout_seconds),
                "RELEASE_CHECKS": json.dumps(
                    [{"method": c.method, "path": c.path, "status": c.status} for c in release_checks],
                    separators=(",", ":"),
                ),
            },
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description="anigmaa: CodeDeploy pre-traffic check of a new backend version (/health, /health/ready, "
            "lambda_release_checks)",
        )
        version.grant_invoke(self.function)
        self._accept_findings()

    def _accept_findings(self) -> None:
        function = self.function
        accept(
            function,
            "Calls only the Lambda and CodeDeploy APIs, once per release; it reaches no resource in the VPC.",
            checkov=["CKV_AWS_117"],
        )
        accept(
            function,
            "A few invocations per release, each written as one JSON log line with its verdict; tracing would add "
            "an X-Ray grant on Resource::* to say the same.",
            nag=["Serverless-LambdaTracing"],
        )
        accept(
            function,
            "Invoked by CodeDeploy once per release; a failure or timeout fails the deployment, which rolls back.",
            nag=["Serverless-LambdaDLQ"],
            checkov=["CKV_AWS_116", "CKV_AWS_115"],
        )
        accept(
            function,
            "The environment holds a function ARN, a timeout and the read-only requests to send, no secret; "
            "Lambda encrypts it at rest.",
            checkov=["CKV_AWS_173"],
        )


class AliasDeployment(Construct):
    """CodeDeploy's application and deployment group for the live alias.

    A CloudFormation update that publishes a new version hands the alias to CodeDeploy
    (the alias's ``CodeDeployLambdaAliasUpdate`` policy): the hook checks the new version,
    traffic moves as ``deployment_config`` says, and the deployment rolls back when it
    fails, is stopped, or (unless ``watch_alarms`` is off) any of ``alarms`` fires meanwhile.
    CodeDeploy acts on updates of the alias only: the deploy that creates it serves the first
    version at once.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: lambda_.Alias,
        application_name: str,
        deployment_config: codedeploy.ILambdaDeploymentConfig,
        alarms: Sequence[cloudwatch.IAlarm],
        pre_hook: lambda_.IFunction,
        watch_alarms: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.application = codedeploy.LambdaApplication(self, "Application", application_name=application_name)
        self.group = codedeploy.LambdaDeploymentGroup(
            self,
            "Group",
            application=self.application,
            deployment_group_name=alias.alias_name,
            alias=alias,
            deployment_config=deployment_config,
            alarms=list(alarms),
            # Off for one deploy (lambda_deployment_alarms=false): a fix ships past an alarm that already fires.
            ignore_alarm_configuration=not watch_alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            pre_hook=pre_hook,
        )
        accept(
            self.group,
            "CodeDeploy's own AWS-managed AWSCodeDeployRoleForLambdaLimited: it may read and move any alias in "
            "the account (lambda:GetAlias, UpdateAlias on *), read alarms and provisioned concurrency, and read "
            "CodeDeploy/ objects in S3; AWS keeps it in step with what CodeDeploy calls, which a narrower policy "
            "of ours could not be tested against here.",
            nag=[managed_policy("AWSCodeDeployRoleForLambdaLimited")],
        )
        accept(
            self.group,
            "CodeDeploy invokes the pre-traffic hook; the CDK's grant names that one function and its versions.",
            nag=[f"AwsSolutions-IAM5[Resource::<{_logical_id(pre_hook)}.Arn>:*]"],
        )


def _logical_id(function: lambda_.IFunction) -> str:
    """The function's logical ID, as cdk-nag prints it in a reference."""
    resource = function.node.default_child
    assert isinstance(resource, CfnResource), "the hook is a function of this stack"
    return Stack.of(function).resolve(resource.logical_id)  # type: ignore[no-any-return]
