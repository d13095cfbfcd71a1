"""The CI stack (`anigmaa-ci`): GitHub's OIDC provider and the role of each workflow job.

Deployed once per account, by hand (docs/delivery.md: Code review and delivery), and never by an
environment's deploy: it lives in its own Stage (`Ci/Roles`), and `cdk deploy --all` (what
`make deploy` and the deploy workflow run) selects only the app's top-level stacks. Through
its roles CloudFormation cannot update it: they may assume only the CDK bootstrap roles, whose
deploy role has no `cloudformation:SetStackPolicy`, so the stack policy docs/delivery.md sets refuses
those updates; that role can delete stacks, so the provider and the roles are retained. One
account holds one environment's roles: environments sharing an account share its bootstrap
roles, and are refused (config/ci.py). The roles reach the regions the environment deploys to:
its `region`, which is this stack's, and `backup_copy_region` where the BackupCopy stack is (the
account's bootstrap in each). What each role may do is in `constructs/ci_roles.py`.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam

from config import AppConfig
from config.ci import CiConfig
from constructs import Construct
from constructs.ci_roles import AUDIENCE, ISSUER, DeployRole, DriftRole, PlanRole, Reach, ReviewRole


class CiStack(Stack):
    """The OIDC provider and the review, plan, deploy and drift roles of one repository."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, ci: CiConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if ci.provider_arn:
            provider_arn = ci.provider_arn
        else:
            provider = iam.OidcProviderNative(
                self, "GitHub", url=f"https://{ISSUER}", client_ids=[AUDIENCE], removal_policy=RemovalPolicy.RETAIN
            )
            provider_arn = provider.oidc_provider_arn
        reach = Reach(
            env=config.env,
            stack_pattern=f"{config.names.prefix}-*",
            ssm_prefix=config.ssm_prefix,
            function_name=config.function.function_name,
            secrets_key_alias=config.names.secrets_key_alias,
            regions=deploy_regions(config),
        )
        self.review = ReviewRole(self, "Review", provider_arn=provider_arn, ci=ci, reach=reach)
        self.deploy: dict[str, iam.Role] = {}
        self.plan: dict[str, iam.Role] = {}
        for env, protected in ci.environments:
            self.deploy[env] = DeployRole(self, f"Deploy{env.title()}", provider_arn=provider_arn, ci=ci, reach=reach)
            if protected:
                self.plan[env] = PlanRole(self, f"Plan{env.title()}", provider_arn=provider_arn, ci=ci, reach=reach)
        self.drift = DriftRole(self, "Drift", provider_arn=provider_arn, ci=ci, reach=reach)


def deploy_regions(config: AppConfig) -> tuple[str, ...]:
    """The regions the environment's stacks deploy to: this stack's own (its `region`), then backup_copy_region's
    when the BackupCopy stack exists (stacks/app_stacks.py `build_backup_copy_stack`), by name."""
    return (Aws.REGION, *config.deploy_regions[1:])
