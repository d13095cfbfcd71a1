"""Releases of the backend function: each change publishes a version, the live alias serves it,
and CodeDeploy moves the alias from one version to the next, checked first and rolled back on alarm."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.findings import accept, function_log_group, managed_policy
from constructs.function_role import FunctionRole

HOOK_SOURCE_DIR = Path(__file__).resolve().parent.parent / "hook_src"
# The hook's timeout covers two invocations of the backend, each with its connection
# (hook_src/pre_traffic.py's CONNECT_TIMEOUT_S), and its report: the hook keeps 5 s for
# that (REPORT_RESERVE_S); 10 here leaves 5 more for its start and its log lines.
HOOK_CONNECT_SECONDS = 2
HOOK_REPORT_SECONDS = 10


class LiveAlias(Construct):
    """The version of the function's current code and configuration, and the alias that serves it.

    ``current_version`` publishes a new version whenever the code or configuration changes. The
    previous one is deleted in CloudFormation's clean-up, after CodeDeploy has moved the alias; a
    deployment that fails or rolls back fails the stack update, which keeps it. Provisioned
    concurrency, if any, sits on the alias: the alias never routes by weight outside a CodeDeploy
    deployment, a combination Lambda refuses with provisioned concurrency.
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
    seed's payload and a real HTTP API ``/health`` event, and reports Succeeded or Failed.

    It may invoke the new version only (``version.grant_invoke``); CodeDeploy's deployment group
    grants it the right to report. Its timeout covers two invocations of the backend at the
    backend's own timeout and the report after them.
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
    ) -> None:
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
            timeout=Duration.seconds(2 * (backend_timeout_seconds + HOOK_CONNECT_SECONDS) + HOOK_REPORT_SECONDS),
            environment={"TARGET_FUNCTION_ARN": version.function_arn},
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description="anigmaa: CodeDeploy pre-traffic check of a new backend version (/health)",
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
            "Two invocations per release, each written as one JSON log line with its verdict; tracing would add "
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
            "The environment holds one function ARN, no secret; Lambda encrypts it at rest.",
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
