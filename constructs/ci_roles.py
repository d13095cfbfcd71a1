"""The roles GitHub's workflows assume, one construct per job: what each job runs, and no more.

Every role trusts GitHub's OIDC provider for exactly one event or GitHub Environment of exactly
one repository (audience `sts.amazonaws.com`; the subject in GitHub's classic `repo:OWNER/NAME:…`
form and, when the ids are set, the immutable `repo:OWNER@ID/NAME@ID:…` form), and is retained
when its stack is deleted. What a role may do is what its job's commands call with the role's
own credentials; `cdk deploy` does the rest through the CDK bootstrap roles. The rehearsal runs
each job's commands under these policies with IAM enforced (tools/rehearsal/iam.py).

Change sets are told apart by name, which CloudFormation exposes to IAM as
`cloudformation:ChangeSetName`: a review creates only `cdk-diff-change-set-*` (the name
`cdk diff --method=change-set` gives its own), the plan only `deploy-*`, and only the deploy
role executes, and only `deploy-*`. So a pull request's workflow cannot touch the change sets
prod's approval executes.

Every ARN names its region: the roles reach the regions the environment's stacks deploy to, its
`region` (the CI stack's own, `Aws.REGION`) and, with a BackupCopy stack, `backup_copy_region`
(`Reach.regions`), one resource per region in each statement, and no other region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam

from config.backend import LIVE_ALIAS
from config.ci import CiConfig
from constructs import Construct
from constructs.findings import accept

ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The CDK bootstrap's default qualifier: its roles are the only ones the CI roles may assume.
QUALIFIER = "hnb659fds"
# The names each kind of change set has: `cdk diff --method=change-set`'s own, and the plan's.
REVIEW_CHANGE_SETS = "cdk-diff-change-set-*"
DEPLOY_CHANGE_SETS = "deploy-*"

# What reading a stack and its change sets takes (the CLI's diff and deploy, tools.ops.change_sets).
READ_STACKS = [
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeChangeSet",
    "cloudformation:ListChangeSets",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
]
# What reading data rather than configuration takes. The drift role is denied all of it, as the
# CDK's own lookup role is denied kms:Decrypt: AWS's ReadOnlyAccess includes most of these.
DATA_READS = [
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "s3:GetObject*",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "logs:GetLogRecord",
    "logs:Unmask",
    "rds:DownloadDBLogFilePortion",
    "rds:DownloadCompleteDBLogFile",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "athena:GetQueryResults",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "xray:BatchGetTraces",
    "xray:GetTraceSummaries",
    "ec2:GetConsoleOutput",
    # They return each origin's custom headers: the origin secret (X-Origin-Verify). Cost: drift detection reads
    # with the caller's permissions, so it fails on the cdn stack's distribution, and `cdk drift` on that stack.
    "cloudfront:GetDistribution",
    "cloudfront:GetDistributionConfig",
    "cloudfront:ListDistributions*",
    # The web ACL's sampled requests hold each request's headers unredacted (Authorization, Cookie).
    "wafv2:GetSampledRequests",
]


def bootstrap_role(kind: str, region: str) -> str:
    """The ARN of one of the CDK bootstrap roles (deploy, file-publishing, image-publishing, lookup, cfn-exec) of
    ``region``'s bootstrap: IAM is global, so each region's roles carry its name."""
    return f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/cdk-{QUALIFIER}-{kind}-role-{Aws.ACCOUNT_ID}-{region}"


def stack_arn(name_pattern: str, region: str) -> str:
    """Stacks by name in ``region``; the trailing wildcard is the id CloudFormation appends."""
    return f"arn:{Aws.PARTITION}:cloudformation:{region}:{Aws.ACCOUNT_ID}:stack/{name_pattern}/*"


@dataclass(frozen=True)
class Reach:
    """What of one environment the CI roles may reach: its stacks in each of its regions, its parameters, its
    function."""

    env: str
    stack_pattern: str
    ssm_prefix: str
    function_name: str
    secrets_key_alias: str
    # The regions the environment's stacks deploy to, its own first: `Aws.REGION` (the CI stack's, which
    # is the environment's `region`; its function and secrets key are there), then backup_copy_region's.
    regions: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.regions or len(set(self.regions)) != len(self.regions):
            raise ValueError(f"Reach.regions: {self.regions!r}; accepted: the environment's regions, each once")

    @property
    def home(self) -> str:
        """The environment's own region, where its function and secrets are."""
        return self.regions[0]

    @property
    def stacks(self) -> list[str]:
        """The environment's stacks, one ARN per region."""
        return [stack_arn(self.stack_pattern, region) for region in self.regions]

    def function(self, qualifier: str | None = None) -> str:
        name = f"{self.function_name}:{qualifier}" if qualifier else self.function_name
        return f"arn:{Aws.PARTITION}:lambda:{self.home}:{Aws.ACCOUNT_ID}:function:{name}"


def may_assume(sid: str, reach: Reach, *kinds: str) -> iam.PolicyStatement:
    """Assuming these CDK bootstrap roles of each of the environment's regions, and no other role."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["sts:AssumeRole", "sts:TagSession"],
        resources=[bootstrap_role(k, region) for k in kinds for region in reach.regions],
    )


def read_stacks(reach: Reach) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="ReadStacks", actions=READ_STACKS, resources=reach.stacks)


def named(names: str, regions: Sequence[str]) -> list[str]:
    """The values `cloudformation:ChangeSetName` may take for change sets named ``names``: the name, or
    the change set's ARN in one of ``regions`` when a request names it by ARN (as `cdk diff` deletes its
    own, and as the pipeline executes), which AWS does not document either way."""
    arns = [f"arn:{Aws.PARTITION}:cloudformation:{r}:{Aws.ACCOUNT_ID}:changeSet/{names}/*" for r in regions]
    return [names, *arns]


def change_sets_named(sid: str, reach: Reach, names: str, actions: Sequence[str]) -> iam.PolicyStatement:
    """``actions`` on the environment's stacks, for change sets whose name matches ``names`` only."""
    return iam.PolicyStatement(
        sid=sid,
        actions=list(actions),
        resources=reach.stacks,
        conditions={"StringLike": {"cloudformation:ChangeSetName": named(names, reach.regions)}},
    )


def only_change_sets_named(reach: Reach, names: str) -> iam.PolicyStatement:
    """An explicit deny for any other name (a request without the name is denied too)."""
    return iam.PolicyStatement(
        sid="OnlyTheseChangeSets",
        effect=iam.Effect.DENY,
        actions=["cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet", "cloudformation:ExecuteChangeSet"],
        resources=["*"],
        conditions={"StringNotLike": {"cloudformation:ChangeSetName": named(names, reach.regions)}},
    )


def staging_bucket(region: str) -> str:
    """The CDK bootstrap's staging bucket of ``region``."""
    return f"arn:{Aws.PARTITION}:s3:::cdk-{QUALIFIER}-assets-{Aws.ACCOUNT_ID}-{region}"


def staging_buckets(reach: Reach, objects: str = "") -> list[str]:
    """The staging bucket of each of the environment's regions, or with ``objects`` (`/*.json`) its objects."""
    return [f"{staging_bucket(region)}{objects}" for region in reach.regions]


def stage_templates(reach: Reach) -> list[iam.PolicyStatement]:
    """What `cdk diff --method=change-set` needs to hand CloudFormation a template: it stages each in the
    bootstrap bucket first (`<hash>.json`), with the caller's credentials when no publishing role can
    be assumed. Templates only: code (`.zip`) and images stay out of a pull request's reach, and
    every deploy checks the template CloudFormation got against the assembly's (tools.ops.change_sets)."""
    return [
        iam.PolicyStatement(
            sid="StagingBucket", actions=["s3:GetBucketLocation", "s3:ListBucket"], resources=staging_buckets(reach)
        ),
        iam.PolicyStatement(
            sid="StageTemplates", actions=["s3:GetObject", "s3:PutObject"], resources=staging_buckets(reach, "/*.json")
        ),
    ]


def bootstrap_version(region: str) -> str:
    """The parameter the CDK bootstrap of ``region`` keeps its version in."""
    return f"arn:{Aws.PARTITION}:ssm:{region}:{Aws.ACCOUNT_ID}:parameter/cdk-bootstrap/{QUALIFIER}/version"


def cli_reads(reach: Reach) -> list[iam.PolicyStatement]:
    """What the CDK CLI reads with a role's own credentials in each region it deploys to: the bootstrap
    version and stack."""
    return [
        iam.PolicyStatement(
            sid="BootstrapVersion",
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resources=[bootstrap_version(region) for region in reach.regions],
        ),
        iam.PolicyStatement(
            sid="BootstrapStack",
            actions=["cloudformation:DescribeStacks"],
            resources=[stack_arn("CDKToolkit", region) for region in reach.regions],
        ),
    ]


def pass_execution_role(reach: Reach) -> iam.PolicyStatement:
    """A change set names the CloudFormation execution role of its region; only CloudFormation may receive it."""
    return iam.PolicyStatement(
        sid="PassExecutionRole",
        actions=["iam:PassRole"],
        resources=[bootstrap_role("cfn-exec", region) for region in reach.regions],
        conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    )


def never_execute() -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="NeverExecute",
        effect=iam.Effect.DENY,
        actions=[
            "cloudformation:ExecuteChangeSet",
            "cloudformation:CreateStack",
            "cloudformation:UpdateStack",
            "cloudformation:DeleteStack",
        ],
        resources=["*"],
    )


def preflight_reads(reach: Reach) -> list[iam.PolicyStatement]:
    """`tools.ops.ssm_secrets check` (metadata, never a value) and `tools.ops.preflight`: in the environment's
    own region, where its secrets and function are."""
    return [
        # DescribeParameters has no resource-level permissions: it lists names and metadata, no values.
        iam.PolicyStatement(sid="SecretsExist", actions=["ssm:DescribeParameters"], resources=["*"]),
        # Which key the alias names, for a parameter not yet under it: metadata, never key material.
        iam.PolicyStatement(
            sid="SecretsKey",
            actions=["kms:DescribeKey"],
            resources=[f"arn:{Aws.PARTITION}:kms:{reach.home}:{Aws.ACCOUNT_ID}:key/*"],
            conditions={"StringEquals": {"kms:RequestAlias": reach.secrets_key_alias}},
        ),
        iam.PolicyStatement(sid="FunctionSettings", actions=["lambda:GetFunction"], resources=[reach.function()]),
        iam.PolicyStatement(sid="AccountQuota", actions=["lambda:GetAccountSettings"], resources=["*"]),
    ]


class GitHubRole(iam.Role):
    """A role that one event or GitHub Environment of one repository assumes through GitHub's OIDC provider.

    ``claim`` is the token's subject after the repository (`pull_request`, `environment:prod`). The
    construct is the role itself, so its logical ID is the stack's child's: a deployed role keeps it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider_arn: str,
        ci: CiConfig,
        claim: str,
        role_name: str,
        description: str,
        statements: Sequence[iam.PolicyStatement],
        managed: Sequence[str] = (),
    ) -> None:
        principal = iam.WebIdentityPrincipal(
            provider_arn,
            conditions={"StringEquals": {f"{ISSUER}:aud": AUDIENCE, f"{ISSUER}:sub": ci.subjects(claim)}},
        )
        super().__init__(
            scope,
            construct_id,
            role_name=role_name,
            assumed_by=principal,
            description=description,
            inline_policies={"Permissions": iam.PolicyDocument(statements=list(statements))},
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(m) for m in managed],
        )
        self.apply_removal_policy(RemovalPolicy.RETAIN)
        wildcards = sorted(
            {_as_nag(r) for st in statements if st.effect == iam.Effect.ALLOW for r in st.resources if "*" in r}
        )
        if wildcards:
            accept(
                self,
                "Scoped by name to the environment's stacks, the CDK bootstrap's staging bucket and parameter; "
                "the trailing wildcard is the stack id CloudFormation appends or the bucket's objects, and a "
                "bare * is an action without resource-level permissions (DescribeParameters, GetAccountSettings).",
                nag=[f"AwsSolutions-IAM5[Resource::{w}]" for w in wildcards],
            )
        if managed:
            accept(
                self,
                "Drift detection reads every resource type the stacks hold with the caller's own permissions: "
                "AWS's ReadOnlyAccess is the list that stays complete as the stacks change; an explicit deny "
                "takes out every read of data (parameter values, decryption, objects, logs).",
                nag=[f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{m}]" for m in managed],
            )


class ReviewRole(GitHubRole):
    """Pull requests' second opinion, `cdk diff --method=change-set`: its own change sets, never executed."""

    def __init__(self, scope: Construct, construct_id: str, *, provider_arn: str, ci: CiConfig, reach: Reach) -> None:
        super().__init__(
            scope,
            construct_id,
            provider_arn=provider_arn,
            ci=ci,
            claim="pull_request",
            role_name="anigmaa-ci-review",
            description="cdk diff --method=change-set on pull requests: cdk-diff-change-set-* only; never executes",
            statements=[
                read_stacks(reach),
                change_sets_named(
                    "ReviewChangeSets",
                    reach,
                    REVIEW_CHANGE_SETS,
                    ["cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet"],
                ),
                only_change_sets_named(reach, REVIEW_CHANGE_SETS),
                *cli_reads(reach),
                *stage_templates(reach),
                pass_execution_role(reach),
                never_execute(),
            ],
        )


class PlanRole(GitHubRole):
    """Prepares a protected environment's `deploy-*` change sets for approval; never executes one."""

    def __init__(self, scope: Construct, construct_id: str, *, provider_arn: str, ci: CiConfig, reach: Reach) -> None:
        super().__init__(
            scope,
            construct_id,
            provider_arn=provider_arn,
            ci=ci,
            claim=f"environment:{reach.env}-plan",
            role_name=f"anigmaa-ci-plan-{reach.env}",
            description=f"Prepares env={reach.env}'s deploy-* change sets for approval, from the GitHub "
            f"Environment {reach.env}-plan",
            statements=[
                may_assume("Publishing", reach, "file-publishing", "image-publishing"),
                read_stacks(reach),
                change_sets_named(
                    "PlanChangeSets",
                    reach,
                    DEPLOY_CHANGE_SETS,
                    ["cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet"],
                ),
                only_change_sets_named(reach, DEPLOY_CHANGE_SETS),
                *cli_reads(reach),
                # CloudFormation reads a staged template with the caller's credentials.
                iam.PolicyStatement(
                    sid="StagedTemplates", actions=["s3:GetObject"], resources=staging_buckets(reach, "/*")
                ),
                pass_execution_role(reach),
                never_execute(),
                *preflight_reads(reach),
            ],
        )


class DeployRole(GitHubRole):
    """Deploys one environment: `cdk deploy` through the CDK bootstrap roles, and (prod) executes the
    approved `deploy-*` change sets by ARN; then the smoke test."""

    def __init__(self, scope: Construct, construct_id: str, *, provider_arn: str, ci: CiConfig, reach: Reach) -> None:
        super().__init__(
            scope,
            construct_id,
            provider_arn=provider_arn,
            ci=ci,
            claim=f"environment:{reach.env}",
            role_name=f"anigmaa-ci-deploy-{reach.env}",
            description=f"Deploys env={reach.env} through the CDK bootstrap roles, from the GitHub Environment "
            f"{reach.env}",
            statements=[
                may_assume("BootstrapRoles", reach, "deploy", "file-publishing", "image-publishing"),
                read_stacks(reach),
                change_sets_named("ExecuteApproved", reach, DEPLOY_CHANGE_SETS, ["cloudformation:ExecuteChangeSet"]),
                only_change_sets_named(reach, DEPLOY_CHANGE_SETS),
                # A stack the approved change set creates gets the protection its template asks for.
                iam.PolicyStatement(
                    sid="TerminationProtection",
                    actions=["cloudformation:UpdateTerminationProtection"],
                    resources=reach.stacks,
                ),
                *cli_reads(reach),
                *preflight_reads(reach),
                iam.PolicyStatement(
                    sid="SmokeTest", actions=["lambda:InvokeFunction"], resources=[reach.function(LIVE_ALIAS)]
                ),
            ],
        )


class DriftRole(GitHubRole):
    """Nightly drift detection: reads the environment's configuration, never its data, changes nothing."""

    def __init__(self, scope: Construct, construct_id: str, *, provider_arn: str, ci: CiConfig, reach: Reach) -> None:
        super().__init__(
            scope,
            construct_id,
            provider_arn=provider_arn,
            ci=ci,
            claim="environment:drift",
            role_name="anigmaa-ci-drift",
            description="Nightly drift detection: reads configuration, never data (values, objects, logs)",
            statements=[
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
                    resources=reach.stacks,
                ),
                *cli_reads(reach),
                iam.PolicyStatement(sid="NeverReadData", effect=iam.Effect.DENY, actions=DATA_READS, resources=["*"]),
                iam.PolicyStatement(
                    sid="NeverChange",
                    effect=iam.Effect.DENY,
                    actions=["sts:AssumeRole", "iam:PassRole"],
                    resources=["*"],
                ),
            ],
            managed=["ReadOnlyAccess"],
        )


def _as_nag(resource: str) -> str:
    """A resource ARN as cdk-nag names it in a finding: the pseudo parameters written as <AWS::…>."""
    for token, name in ((Aws.PARTITION, "Partition"), (Aws.ACCOUNT_ID, "AccountId"), (Aws.REGION, "Region")):
        resource = resource.replace(token, f"<AWS::{name}>")
    return resource
