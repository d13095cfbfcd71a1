"""A Lambda function's execution role that writes to the function's own log group only."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.findings import accept

# What Lambda does with the execution role to attach a function to a VPC (its hyperplane
# network interfaces), as the Lambda developer guide lists it ("Attaching Lambda functions to
# an Amazon VPC", execution role permissions). The two Describe calls work on "*" only.
NETWORK_INTERFACE_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
NETWORK_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]


class FunctionRole(Construct):
    """The role a Lambda function runs with, in place of the CDK's default.

    The default attaches AWSLambdaBasicExecutionRole (and, in a VPC, AWSLambdaVPCAccessExecutionRole),
    which let the function create and write to any log group of the account. This role may
    create streams and write events in ``log_group`` only; with ``vpc_access`` it may also manage
    network interfaces in this account and region (the guide's own scoping: Lambda names no
    interface before it creates it). Everything is in the role's default policy, which the
    function depends on, with what the function is granted later (tracing, secrets, the bucket).
    With ``vpc_access`` the caller accepts ``Resource::*`` (the two Describe calls) in one reason
    with whatever else of its function works on ``*`` only (X-Ray): cdk-nag keeps one reason per
    finding and construct.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_group: logs.ILogGroup,
        description: str,
        vpc_access: bool = False,
        logical_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        """The role: hand it to the function (``role=``)."""
        if logical_id:
            # A role deployed before under this ID is updated in place, not replaced: the versions
            # published with it keep a role Lambda can assume.
            role_resource = self.role.node.default_child
            assert isinstance(role_resource, iam.CfnRole)
            role_resource.override_logical_id(logical_id)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        if vpc_access:
            stack = Stack.of(self)
            every_ec2_resource = stack.format_arn(
                service="ec2", resource="*", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )
            self.role.add_to_policy(
                iam.PolicyStatement(actions=NETWORK_INTERFACE_ACTIONS, resources=[every_ec2_resource])
            )
            self.role.add_to_policy(iam.PolicyStatement(actions=NETWORK_DESCRIBE_ACTIONS, resources=["*"]))
            accept(
                self.role,
                "Lambda creates, deletes and re-addresses the function's network interfaces, which have no ID before "
                "they exist: the Lambda developer guide scopes these actions to the account and region's EC2 "
                "resources.",
                nag=[f"AwsSolutions-IAM5[Resource::{_as_cdk_nag_prints(stack, every_ec2_resource)}]"],
            )


def _as_cdk_nag_prints(stack: Stack, value: str) -> str:
    """``value`` as cdk-nag prints it in a finding's id: literals as they are, a reference as ``<Name>``
    (``<AWS::AccountId>`` in an account-agnostic stack, the account itself in one with an account)."""
    resolved = stack.resolve(value)
    parts = resolved["Fn::Join"][1] if isinstance(resolved, dict) else [resolved]
    return "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)
