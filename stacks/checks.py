"""The policy checks: cdk-nag's AwsSolutions and Serverless packs at every synth.

Findings a construct accepts are acknowledged where the construct is built, with
`constructs.findings.accept`; those that depend on the configuration, in the stack.
"""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks


def register_checks(app: App) -> list[NagPack]:
    """Attach the rule packs to ``app``: synth fails on any finding not acknowledged with a reason."""
    packs: list[NagPack] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    Validations.of(app).add_plugins(*packs)
    return packs
