"""The policy checks: cdk-nag's AwsSolutions and Serverless packs at every synth, and the
helpers that record, at one resource and with a reason, a finding accepted by cdk-nag or checkov."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnResource, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks

from constructs import IConstruct

# Why log groups use CloudWatch Logs' default encryption rather than a customer-managed key.
LOGS_ENCRYPTION = (
    "CloudWatch Logs encrypts log data at rest by default; a customer-managed key would add a key policy to "
    "maintain and cost without changing who can read the logs, which IAM decides."
)


def register_checks(app: App) -> list[NagPack]:
    """Attach the rule packs to ``app``: synth fails on any finding not acknowledged with a reason."""
    packs: list[NagPack] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding of ``rule`` on ``construct`` (and only there), saying why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def skip_checkov(resource: IConstruct, check: str, reason: str) -> None:
    """Record in the template that checkov's ``check`` does not apply to ``resource``, and why.

    ``resource`` is an L2 construct (its CloudFormation resource is used) or an L1 resource.
    """
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    assert isinstance(cfn, CfnResource), f"{resource.node.path} has no CloudFormation resource"
    checkov = cfn.get_metadata("checkov") or {"skip": []}
    checkov["skip"] = [*checkov["skip"], {"id": check, "comment": reason}]
    cfn.add_metadata("checkov", checkov)
