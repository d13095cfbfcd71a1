"""The CI stack (`anigmaa-ci`): GitHub's OIDC provider and the roles the workflows assume.

Deployed once per account, by hand (README: Code review and delivery), and never by an
environment's deploy: it lives in its own Stage (`Ci/Roles`), and `cdk deploy --all` (what
`make deploy` and the deploy workflow run) selects only the app's top-level stacks. Through
its roles CloudFormation cannot update it: they may assume only the CDK bootstrap roles, whose
deploy role has no `cloudformation:SetStackPolicy`, so the stack policy the README sets refuses
those updates; that role can delete stacks, so the provider and the roles are retained. One
account holds one environment's roles: environments sharing an account share its bootstrap
roles, and are refused (config/ci.py).

Every trust condition: audience `sts.amazonaws.com`, and a subject for exactly one event or
GitHub Environment of exactly this repository, in GitHub's classic `repo:OWNER/NAME:…` form and,
when the ids are set, the immutable `repo:OWNER@ID/NAME@ID:…` form. No wildcard repository.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam

from config.ci import CiConfig
from constructs import Construct
from constructs.findings import accept

ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The CDK bootstrap's default qualifier: its roles are what the CI roles may assume.
QUALIFIER = "hnb659fds"
STACKS = "anigmaa-*"


def bootstrap_role(kind: str) -> str:
    """The ARN of one of the CDK bootstrap roles (deploy, file-publishing, image-publishing, lookup, cfn-exec)."""
    return f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/cdk-{QUALIFIER}-{kind}-role-{Aws.ACCOUNT_ID}-{Aws.REGION}"


def may_assume(sid: str, *kinds: str) -> iam.PolicyStatement:
    """Assuming these CDK bootstrap roles, and nothing else."""
    return iam.PolicyStatement(
        sid=sid, actions=["sts:AssumeRole", "sts:TagSession"], resources=[bootstrap_role(k) for k in kinds]
    )


def stack_arn(pattern: str) -> str:
    return f"arn:{Aws.PARTITION}:cloudformation:{Aws.REGION}:{Aws.ACCOUNT_ID}:stack/{pattern}/*"


# What a change set needs, short of executing it.
CHANGE_SET_ACTIONS = [
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
]


def staging_bucket() -> str:
    return f"arn:{Aws.PARTITION}:s3:::cdk-{QUALIFIER}-assets-{Aws.ACCOUNT_ID}-{Aws.REGION}"


# What the CLI reads when it acts with a role's own credentials: the bootstrap version and stack.
CLI_READS = [
    iam.PolicyStatement(
        sid="BootstrapVersion",
        actions=["ssm:GetParameter", "ssm:GetParameters"],
        resources=[
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter/cdk-bootstrap/{QUALIFIER}/version"
        ],
    ),
    iam.PolicyStatement(
        sid="BootstrapStack", actions=["cloudformation:DescribeStacks"], resources=[stack_arn("CDKToolkit")]
    ),
]
# A change set names the CloudFormation execution role; only CloudFormation may receive it.
PASS_EXECUTION_ROLE = iam.PolicyStatement(
    sid="PassExecutionRole",
    actions=["iam:PassRole"],
    resources=[bootstrap_role("cfn-exec")],
    conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
)
NEVER_EXECUTE = iam.PolicyStatement(
    sid="NeverExecute",
    effect=iam.Effect.DENY,
    actions=["cloudformation:ExecuteChangeSet", "cloudformation:UpdateStack", "cloudformation:DeleteStack"],
    resources=["*"],
)


class CiStack(Stack):
    """The OIDC provider and the review, plan, deploy and drift roles of one repository."""

    def __init__(self, scope: Construct, construct_id: str, *, ci: CiConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.ci = ci
        if ci.provider_arn:
            self.provider_arn = ci.provider_arn
        else:
            provider = iam.OidcProviderNative(
                self, "GitHub", url=f"https://{ISSUER}", client_ids=[AUDIENCE], removal_policy=RemovalPolicy.RETAIN
            )
            self.provider_arn = provider.oidc_provider_arn

        self.review = self._role(
            "Review",
            "review",
            "pull_request",
            "cdk diff --method=change-set on pull requests: change sets created, read, deleted; never executed",
            [
                iam.PolicyStatement(sid="ChangeSets", actions=CHANGE_SET_ACTIONS, resources=[stack_arn(STACKS)]),
                *CLI_READS,
                PASS_EXECUTION_ROLE,
                NEVER_EXECUTE,
            ],
        )
        self.deploy: dict[str, iam.Role] = {}
        self.plan: dict[str, iam.Role] = {}
        for env, protected in ci.environments:
            self.deploy[env] = self._role(
                f"Deploy{env.title()}",
                f"deploy-{env}",
                f"environment:{env}",
                f"Deploys env={env} through the CDK bootstrap roles, from the GitHub Environment {env}",
                [may_assume("BootstrapRoles", "deploy", "file-publishing", "image-publishing")],
            )
            if protected:
                self.plan[env] = self._role(
                    f"Plan{env.title()}",
                    f"plan-{env}",
                    f"environment:{env}-plan",
                    f"Prepares env={env}'s change sets for approval, from the GitHub Environment {env}-plan",
                    [
                        may_assume("Publishing", "file-publishing", "image-publishing"),
                        iam.PolicyStatement(
                            sid="ChangeSets", actions=CHANGE_SET_ACTIONS, resources=[stack_arn(f"anigmaa-{env}-*")]
                        ),
                        *CLI_READS,
                        iam.PolicyStatement(
                            sid="StagedTemplates", actions=["s3:GetObject"], resources=[f"{staging_bucket()}/*"]
                        ),
                        PASS_EXECUTION_ROLE,
                        NEVER_EXECUTE,
                    ],
                )
        self.drift = self._role(
            "Drift",
            "drift",
            "environment:drift",
            "Nightly drift detection: reads what the stacks describe, changes nothing",
            [
                iam.PolicyStatement(
                    sid="DetectDrift",
                    actions=[
                        "cloudformation:DetectStackDrift",
                        "cloudformation:DetectStackResourceDrift",
                        "cloudformation:DescribeStackDriftDetectionStatus",
                        "cloudformation:DescribeStackResourceDrifts",
                        "cloudformation:DescribeStacks",
                        "cloudformation:GetTemplate",
                    ],
                    resources=[stack_arn(STACKS)],
                ),
                may_assume("Lookup", "lookup"),
            ],
            managed=["ReadOnlyAccess"],
        )

    def _role(
        self,
        construct_id: str,
        name: str,
        claim: str,
        description: str,
        statements: list[iam.PolicyStatement],
        managed: tuple[str, ...] | list[str] = (),
    ) -> iam.Role:
        principal = iam.WebIdentityPrincipal(
            self.provider_arn,
            conditions={
                "StringEquals": {f"{ISSUER}:aud": AUDIENCE, f"{ISSUER}:sub": self.ci.subjects(claim)},
            },
        )
        role = iam.Role(
            self,
            construct_id,
            role_name=f"anigmaa-ci-{name}",
            assumed_by=principal,
            description=description,
            inline_policies={"Permissions": iam.PolicyDocument(statements=statements)},
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(m) for m in managed],
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        wildcards = sorted(
            {_as_nag(r) for st in statements if st.effect == iam.Effect.ALLOW for r in st.resources if "*" in r}
        )
        if wildcards:
            accept(
                role,
                "Scoped by name to the app's own stacks and to the CDK bootstrap's staging bucket; the trailing "
                "wildcard is the stack id CloudFormation appends, or the bucket's objects.",
                nag=[f"AwsSolutions-IAM5[Resource::{w}]" for w in wildcards],
            )
        if managed:
            accept(
                role,
                "Drift detection reads every resource type the stacks hold with the caller's own permissions: "
                "AWS's ReadOnlyAccess is the list that stays complete as the stacks change.",
                nag=[f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{m}]" for m in managed],
            )
        return role


def _as_nag(resource: str) -> str:
    """A resource ARN as cdk-nag names it in a finding: the pseudo parameters written as <AWS::…>."""
    for token, name in ((Aws.PARTITION, "Partition"), (Aws.ACCOUNT_ID, "AccountId"), (Aws.REGION, "Region")):
        resource = resource.replace(token, f"<AWS::{name}>")
    return resource
