"""The backend's own PostgreSQL role, created at deploy time inside the VPC, and the grant to log in as it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import ArnFormat, CustomResource, Duration, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds

from constructs import Construct
from constructs.findings import accept, function_log_group
from constructs.function_role import FunctionRole
from constructs.go_bundling import go_bootstrap_code
from constructs.secret_parameters import SecretParameters

# The provider's Go command, in the backend's module (lambda_src/), built like the backend.
PROVIDER_PACKAGE = "./cmd/dbrole"
# Cold start in the VPC, one SSM call, one connection and a few statements take seconds; the
# provider answers CloudFormation 5 s before this, even when the database does not answer.
PROVIDER_TIMEOUT = Duration.minutes(2)


class DatabaseRole(Construct):
    """A login role for the backend on ``database_name``, created by the Go function in ``code``
    (`provider_code`: `PROVIDER_PACKAGE`, built like the backend).

    CloudFormation invokes the function directly (a plain custom resource: no provider
    framework, no Node function beside it). It runs in ``vpc``'s private subnets with
    ``security_group`` (one that may reach the database), reads the master password from
    ``master_password`` (a `SecretParameters` of that one parameter) itself, so it is never in
    the template, connects as ``master_username`` with the server's certificate verified
    against the RDS CAs, creates ``role_name`` if it is missing and grants it
    ``lambda_src/cmd/dbrole/app_role.sql``. Create and Update run the same idempotent SQL;
    a new ``revision`` (`provider_digest`: the SQL's and the provider's) runs it again. Delete
    does nothing: nothing is ever revoked or dropped.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance: rds.DatabaseInstance,
        database_name: str,
        master_username: str,
        master_password: SecretParameters,
        role_name: str,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        code: lambda_.Code,
        revision: str,
        function_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        if len(master_password.names) != 1:
            held = ", ".join(sorted(master_password.names))
            raise ValueError(f"master_password holds {held}: hand it the master password's parameter only")
        [password_parameter] = master_password.names.values()

        # The data stack is never deleted: its provider's group keeps its plain name.
        self.log_group = function_log_group(
            self, "LogGroup", function_name=function_name, retention=log_retention, kept=False
        )
        self.role = FunctionRole(
            self, "Role", log_group=self.log_group, description=f"Runs {function_name}", vpc_access=True
        ).role
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            role=self.role,
            runtime=lambda_.Runtime.PROVIDED_AL2023,
            architecture=lambda_.Architecture.ARM_64,
            handler="bootstrap",
            code=code,
            memory_size=128,
            timeout=PROVIDER_TIMEOUT,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[security_group],
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description=f"anigmaa: creates the backend's database role {role_name} at deploy time",
        )
        # The master password only, never the backend's secrets.
        master_password.grant_get(self.function)

        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.function.function_arn,
            resource_type="Custom::DatabaseRole",
            properties={
                "Host": instance.instance_endpoint.hostname,
                "Port": instance.db_instance_endpoint_port,
                "DatabaseName": database_name,
                "MasterUsername": master_username,
                "MasterPasswordParameter": password_parameter,
                "RoleName": role_name,
                "SslMode": "verify-full",
                "SslRootCert": "rds",
                "ProviderDigest": revision,
            },
        )
        self.role_name = role_name
        """The role's name, which is also the custom resource's physical id."""
        self._accept_findings()

    def _accept_findings(self) -> None:
        once = "Invoked synchronously by CloudFormation on a deploy that changes the role's properties"
        accept(
            self.function,
            f"{once}; CloudFormation reports a failure or a timeout as the stack's, and rolls back.",
            nag=["Serverless-LambdaDLQ"],
            checkov=["CKV_AWS_116", "CKV_AWS_115"],
        )
        accept(
            self.function,
            f"{once}: a few statements, logged with their outcome; tracing would add an X-Ray grant on "
            "Resource::* to say the same.",
            nag=["Serverless-LambdaTracing"],
        )
        accept(
            self.role,
            "EC2's DescribeNetworkInterfaces and DescribeSubnets, which Lambda calls to attach the function to the "
            "VPC, do not support resource-level permissions.",
            nag=["AwsSolutions-IAM5[Resource::*]"],
        )


def provider_code(source_dir: Path) -> lambda_.Code:
    """The provider's ``bootstrap``, built for arm64 from `PROVIDER_PACKAGE` of the Go module in ``source_dir``."""
    return go_bootstrap_code(source_dir, "arm64", PROVIDER_PACKAGE)


def provider_digest(source_dir: Path) -> str:
    """A hash of the provider's SQL and Go sources: when it changes, the next deploy runs the SQL again."""
    digest = hashlib.sha256()
    folder = source_dir / PROVIDER_PACKAGE
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith("_test.go")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def grant_connect(scope: Construct, grantee: iam.IGrantable, *, user: str) -> iam.Grant:
    """Allow ``rds-db:connect`` as database ``user`` only, on the instances of ``scope``'s account and region.

    Any instance, not one DbiResourceId: `tools.ops.restore promote` makes a restored instance the
    data stack's (the rename swap), and a restored instance has a new DbiResourceId, which the
    stack's export cannot follow while the compute stacks import it; a grant on the old id would
    lock the backend out of its own database at 3 a.m. What still confines it: the user exists
    only on this app's databases, and each database admits only its environment's security groups.
    The ARN is formatted in ``scope``'s stack: ``arn:<partition>:rds-db:<region>:<account>:dbuser:*/<user>``.
    """
    arn = Stack.of(scope).format_arn(
        service="rds-db",
        resource="dbuser",
        resource_name=f"*/{user}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    grant = iam.Grant.add_to_principal(grantee=grantee, actions=["rds-db:connect"], resource_arns=[arn])
    role = grantee.grant_principal
    policy = role.node.try_find_child("DefaultPolicy") if isinstance(role, iam.Role) else None
    if policy is not None:
        stack = Stack.of(scope)
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        accept(
            policy,
            f"rds-db:connect as {user} alone, on the account's instances: a restored instance promoted under the "
            "live identifier has a new DbiResourceId, which the data stack's export cannot follow while the "
            "compute stacks import it; each instance admits only its own environment's security groups.",
            nag=[f"AwsSolutions-IAM5[Resource::arn:aws:rds-db:{stack.region}:{account}:dbuser:*/{user}]"],
        )
    return grant
