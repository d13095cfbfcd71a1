"""Findings of the policy checks that a construct accepts, each with one reason for both scanners.

cdk-nag runs at every synth (`stacks/checks.py`); checkov runs on the synthesized templates
(`make scan`). A construct that knowingly trips a rule accepts it where it is built, with
`accept`, so the reason stands next to the code it explains and is written once.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Aws, CfnResource, Fn, RemovalPolicy, Validations
from aws_cdk import aws_logs as logs

from constructs import Construct, IConstruct

# Why log groups use CloudWatch Logs' default encryption rather than a customer-managed key.
LOGS_ENCRYPTION = (
    "CloudWatch Logs encrypts log data at rest by default; a customer-managed key would add a key policy to "
    "maintain and cost without changing who can read the logs, which IAM decides."
)


def accept(construct: IConstruct, reason: str, *, nag: Sequence[str] = (), checkov: Sequence[str] = ()) -> None:
    """Accept the findings of ``nag`` rules and ``checkov`` checks on ``construct``, saying why.

    ``nag`` takes cdk-nag rule ids as the report prints them, e.g. ``AwsSolutions-IAM5[Resource::*]``
    (the pack is the prefix before the first ``-``), or any validation finding named with its
    plugin (``CloudFormation-Validate::W2531``); an acknowledgement covers ``construct`` and
    what it contains. ``checkov`` takes check ids, recorded in the metadata of ``construct``'s
    CloudFormation resource (an L2's default child, or an L1 itself).
    """
    for rule in nag:
        # An id that names its plugin (CloudFormation-Validate::W2531) is used as it is.
        named = "::" in rule.split("[", 1)[0]
        finding = rule if named else f"{rule.split('-', 1)[0]}::{rule}"
        Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=reason))
    if checkov:
        cfn = construct if isinstance(construct, CfnResource) else construct.node.default_child
        assert isinstance(cfn, CfnResource), f"{construct.node.path} has no CloudFormation resource"
        skips = cfn.get_metadata("checkov") or {"skip": []}
        skips["skip"] = [*skips["skip"], *({"id": check, "comment": reason} for check in checkov)]
        cfn.add_metadata("checkov", skips)


def accept_deploy_time_function(function: IConstruct, what: str, api: str) -> None:
    """The checkov findings of a function the CDK adds that runs only while CloudFormation deploys.

    ``what`` says what it is, ``api`` which AWS API it calls.
    """
    for check, reason in (
        ("CKV_AWS_115", "Runs once per deployment; there is no load to cap."),
        ("CKV_AWS_116", "Invoked synchronously by CloudFormation, which reports any failure."),
        ("CKV_AWS_117", f"Calls only the {api} API at deploy time; it needs no VPC access."),
    ):
        accept(function, f"{what}. {reason}", checkov=[check])


def managed_policy(name: str) -> str:
    """The cdk-nag IAM4 rule id for an AWS-managed service-role policy attached to a role."""
    return f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{name}]"


def creation_suffix() -> str:
    """The first block of the stack's id (a UUID): the same for the stack's life, new each time it is created."""
    uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.select(0, Fn.split("-", uuid))


def service_log_group(
    scope: Construct, construct_id: str, *, name: str, retention: logs.RetentionDays, kept: bool = True
) -> logs.LogGroup:
    """A service's log group, kept for ``retention``; CloudWatch Logs' default encryption is accepted.

    ``kept`` (a compute stack's groups): the group outlives its stack, so deleting the stack in a
    rollback loses no logs. Its name is ``name`` and the creation suffix of the stack
    (``/aws/lambda/anigmaa-backend-1a2b3c4d``): a kept group of the plain name would block creating
    the stack again. Stack outputs give the current name; ``aws logs describe-log-groups
    --log-group-name-prefix <name>`` lists those of earlier stacks.
    Not ``kept``: named ``name`` and removed with its stack (a permanent stack's, which is never deleted).
    """
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=Fn.join("-", [name, creation_suffix()]) if kept else name,
        retention=retention,
        removal_policy=RemovalPolicy.RETAIN if kept else RemovalPolicy.DESTROY,
    )
    accept(group, LOGS_ENCRYPTION, checkov=["CKV_AWS_158"])
    return group


def function_log_group(
    scope: Construct, construct_id: str, *, function_name: str, retention: logs.RetentionDays, kept: bool = True
) -> logs.LogGroup:
    """A Lambda function's log group, named from Lambda's own ``/aws/lambda/<name>``, made before the
    function and handed to it, so no invocation ever creates one without retention (`service_log_group`)."""
    return service_log_group(scope, construct_id, name=f"/aws/lambda/{function_name}", retention=retention, kept=kept)
