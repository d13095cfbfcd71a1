"""The policy checks every synth runs: cdk-nag's AwsSolutions and Serverless packs."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks

from constructs import IConstruct


def register_checks(app: App) -> list[NagPack]:
    """Attach the rule packs to ``app``: synth fails on any finding not acknowledged with a reason."""
    packs: list[NagPack] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding of ``rule`` on ``construct`` (and only there), saying why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
