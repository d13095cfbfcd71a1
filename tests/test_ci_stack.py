"""The CI stack: GitHub's OIDC provider and roles that trust exactly one event or Environment of one
repository, may assume only the CDK bootstrap roles, and are never selected by an environment's deploy."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Aws, Stack
from aws_cdk.assertions import Template

from config import ConfigError, load_config
from config.ci import load_ci
from stacks.app_stacks import build_stacks
from stacks.checks import register_checks
from stacks.ci_stack import deploy_regions
from tests.conftest import CDK_CONTEXT, ROOT, Synth, new_app
from tools.rehearsal.iam import identity_verdict

REPOSITORY = {"github_repository": "anigmaa/anigmaa-infra", "github_repository_ids": "1234567/89012345"}
# The role → the subject claim its trust names: prod's account holds prod's roles only.
CLAIMS = {
    "anigmaa-ci-review": "pull_request",
    "anigmaa-ci-deploy-prod": "environment:prod",
    "anigmaa-ci-plan-prod": "environment:prod-plan",
    "anigmaa-ci-drift": "environment:drift",
}


def with_accounts(prod: str, dev: str) -> dict[str, Any]:
    """cdk.json's environments with the accounts given."""
    environments = {name: dict(settings) for name, settings in CDK_CONTEXT["environments"].items()}
    environments["prod"]["account"], environments["dev"]["account"] = prod, dev
    return {"environments": environments}


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The app with a repository named, synthesized with the policy checks (which must pass)."""
    outdir = tmp_path_factory.mktemp("ci")
    app = new_app(
        {"env": "prod", "compute": "lambda", **REPOSITORY, **with_accounts("111111111111", "222222222222")}, outdir
    )
    build_stacks(app, load_config(app.node.get_all_context(), ROOT))
    register_checks(app)
    app.synth()
    stack = app.node.find_child("Ci").node.find_child("Roles")
    assert isinstance(stack, Stack)
    assert stack.termination_protection
    return dict(Template.from_stack(stack).to_json()), outdir


def _roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["RoleName"]: r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"}


def test_each_role_trusts_one_subject_of_this_repository_in_both_forms(ci: tuple[dict[str, Any], Path]) -> None:
    template, _ = ci
    roles = _roles(template)
    assert set(roles) == set(CLAIMS)
    [provider_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::OIDCProvider"]
    for name, claim in CLAIMS.items():
        [statement] = roles[name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": {"Ref": provider_id}}
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [
                    f"repo:anigmaa/anigmaa-infra:{claim}",
                    f"repo:anigmaa@1234567/anigmaa-infra@89012345:{claim}",
                ],
            }
        }, name


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found += policy["PolicyDocument"]["Statement"]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_role_can_assume_or_pass_anything_but_the_bootstrap_roles(ci: tuple[dict[str, Any], Path]) -> None:
    template, _ = ci
    for name, role in _roles(template).items():
        for statement in _statements(role):
            actions = _as_list(statement["Action"])
            if statement["Effect"] != "Allow":
                continue
            assert not any(
                a in ("*", "iam:*", "sts:*") or (a.startswith("iam:") and a != "iam:PassRole") for a in actions
            )
            if "sts:AssumeRole" in actions or "iam:PassRole" in actions:
                for resource in _as_list(statement["Resource"]):
                    assert "cdk-hnb659fds-" in json.dumps(resource), f"{name} may reach {resource}"
            if "iam:PassRole" in actions:
                assert name in ("anigmaa-ci-plan-prod", "anigmaa-ci-review")  # to CloudFormation, for a change set
                assert "cdk-hnb659fds-cfn-exec-role" in json.dumps(statement["Resource"])
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
                }
        if name.startswith("anigmaa-ci-deploy-"):
            assumed = [s for s in _statements(role) if "sts:AssumeRole" in _as_list(s["Action"])]
            kinds = {k for s in assumed for k in ("deploy", "file-publishing", "image-publishing", "lookup")
                     if f"-{k}-role-" in json.dumps(s["Resource"])}  # fmt: skip
            assert kinds == {"deploy", "file-publishing", "image-publishing"}, name


ACCOUNT = "111111111111"
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": "ap-southeast-1"}


def _resolve(value: Any) -> Any:
    """A policy as IAM sees it once CloudFormation has put the account, partition and region in."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_resolve(part)) for part in parts)
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


# Prod's regions (cdk.json): its own, the CI stack's, and backup_copy_region, where the BackupCopy stack is.
HOME, COPY, ELSEWHERE = "ap-southeast-1", "ap-southeast-3", "ap-southeast-2"


def _arn(service: str, resource: str, region: str = HOME) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


LAMBDA_STACK = _arn("cloudformation", "stack/anigmaa-prod-lambda/1f2e")
COPY_STACK = _arn("cloudformation", "stack/anigmaa-prod-backup-copy/3c4d", COPY)
ELSEWHERE_STACK = _arn("cloudformation", "stack/anigmaa-prod-backup-copy/3c4d", ELSEWHERE)
CI_STACK = _arn("cloudformation", "stack/anigmaa-ci/1f2e")
SECRET = _arn("ssm", "parameter/anigmaa/prod/DB_PASSWORD")
LIVE_ALIAS = _arn("lambda", "function:anigmaa-backend:live")


def _staging(region: str = HOME) -> str:
    return f"arn:aws:s3:::cdk-hnb659fds-assets-{ACCOUNT}-{region}"


STAGING = _staging()


def _bootstrap(kind: str, region: str = HOME) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{ACCOUNT}-{region}"


def _named(change_set: str) -> dict[str, list[str]]:
    return {"cloudformation:changesetname": [change_set]}


# (role, action, resource, request context, IAM's verdict from the role's own statements: "allow",
# "deny" (an explicit deny) or "" (nothing allows it: the implicit deny)).
PERMISSIONS = [
    ("review", "cloudformation:CreateChangeSet", LAMBDA_STACK, _named("cdk-diff-change-set-5f1c"), "allow"),
    ("review", "cloudformation:DeleteChangeSet", LAMBDA_STACK, _named("cdk-diff-change-set-5f1c"), "allow"),
    ("review", "cloudformation:DescribeChangeSet", LAMBDA_STACK, _named("deploy-0123"), "allow"),
    ("review", "cloudformation:CreateChangeSet", LAMBDA_STACK, _named("deploy-0123"), "deny"),
    ("review", "cloudformation:DeleteChangeSet", LAMBDA_STACK, _named("deploy-0123"), "deny"),
    ("review", "cloudformation:CreateChangeSet", LAMBDA_STACK, {}, "deny"),
    (
        "review",
        "cloudformation:DeleteChangeSet",
        LAMBDA_STACK,
        _named(_arn("cloudformation", "changeSet/cdk-diff-change-set-5f1c/9a8b")),
        "allow",
    ),
    (
        "review",
        "cloudformation:DeleteChangeSet",
        LAMBDA_STACK,
        _named(_arn("cloudformation", "changeSet/deploy-0123/9a8b")),
        "deny",
    ),
    ("review", "cloudformation:ExecuteChangeSet", LAMBDA_STACK, _named("cdk-diff-change-set-5f1c"), "deny"),
    ("review", "cloudformation:CreateChangeSet", CI_STACK, _named("cdk-diff-change-set-5f1c"), ""),
    ("review", "sts:AssumeRole", _bootstrap("deploy"), {}, ""),
    ("review", "sts:AssumeRole", _bootstrap("file-publishing"), {}, ""),
    ("review", "s3:PutObject", f"{STAGING}/5d1e.json", {}, "allow"),
    ("review", "s3:PutObject", f"{STAGING}/5d1e.zip", {}, ""),
    ("plan-prod", "cloudformation:CreateChangeSet", LAMBDA_STACK, _named("deploy-0123"), "allow"),
    ("plan-prod", "cloudformation:CreateChangeSet", LAMBDA_STACK, _named("cdk-diff-change-set-5f1c"), "deny"),
    ("plan-prod", "cloudformation:ExecuteChangeSet", LAMBDA_STACK, _named("deploy-0123"), "deny"),
    ("plan-prod", "sts:AssumeRole", _bootstrap("file-publishing"), {}, "allow"),
    ("plan-prod", "sts:AssumeRole", _bootstrap("deploy"), {}, ""),
    ("plan-prod", "ssm:DescribeParameters", "*", {}, "allow"),
    ("plan-prod", "ssm:GetParameter", SECRET, {}, ""),
    (
        "plan-prod",
        "kms:DescribeKey",
        _arn("kms", "key/1234abcd"),
        {"kms:requestalias": ["alias/anigmaa-prod-secrets"]},
        "allow",
    ),
    ("plan-prod", "kms:DescribeKey", _arn("kms", "key/1234abcd"), {"kms:requestalias": ["alias/other"]}, ""),
    ("plan-prod", "kms:Decrypt", _arn("kms", "key/1234abcd"), {"kms:requestalias": ["alias/anigmaa-prod-secrets"]}, ""),
    ("plan-prod", "lambda:GetFunction", _arn("lambda", "function:anigmaa-backend"), {}, "allow"),
    ("deploy-prod", "cloudformation:ExecuteChangeSet", LAMBDA_STACK, _named("deploy-0123"), "allow"),
    ("deploy-prod", "cloudformation:ExecuteChangeSet", LAMBDA_STACK, _named("cdk-diff-change-set-5f1c"), "deny"),
    (
        "deploy-prod",
        "cloudformation:ExecuteChangeSet",
        LAMBDA_STACK,
        _named(_arn("cloudformation", "changeSet/deploy-0123/9a8b")),
        "allow",
    ),
    (
        "deploy-prod",
        "cloudformation:ExecuteChangeSet",
        LAMBDA_STACK,
        _named(_arn("cloudformation", "changeSet/cdk-diff-change-set-5f1c/9a8b")),
        "deny",
    ),
    ("deploy-prod", "cloudformation:ExecuteChangeSet", CI_STACK, _named("deploy-0123"), ""),
    ("deploy-prod", "cloudformation:CreateChangeSet", LAMBDA_STACK, _named("deploy-0123"), ""),
    ("deploy-prod", "sts:AssumeRole", _bootstrap("deploy"), {}, "allow"),
    ("deploy-prod", "sts:AssumeRole", _bootstrap("lookup"), {}, ""),
    ("deploy-prod", "lambda:InvokeFunction", LIVE_ALIAS, {}, "allow"),
    ("deploy-prod", "lambda:InvokeFunction", _arn("lambda", "function:anigmaa-backend:1"), {}, ""),
    ("deploy-prod", "ssm:GetParameter", SECRET, {}, ""),
    ("drift", "cloudformation:DetectStackDrift", LAMBDA_STACK, {}, "allow"),
    ("drift", "ssm:GetParameter", SECRET, {}, "deny"),
    ("drift", "ssm:GetParametersByPath", _arn("ssm", "parameter/anigmaa/prod"), {}, "deny"),
    ("drift", "kms:Decrypt", _arn("kms", "key/1234abcd"), {}, "deny"),
    ("drift", "s3:GetObject", "arn:aws:s3:::anigmaa-prod-assets/uploads/a.png", {}, "deny"),
    ("drift", "logs:GetLogEvents", _arn("logs", "log-group:/aws/lambda/anigmaa-backend:log-stream:x"), {}, "deny"),
    ("drift", "logs:StartQuery", _arn("logs", "log-group:/aws/lambda/anigmaa-backend"), {}, "deny"),
    ("drift", "sts:AssumeRole", _bootstrap("lookup"), {}, "deny"),
    ("drift", "s3:GetObjectVersion", "arn:aws:s3:::anigmaa-prod-assets/uploads/a.png", {}, "deny"),
    ("drift", "ecr:BatchGetImage", _arn("ecr", "repository/anigmaa"), {}, "deny"),
    # CloudFront answers these with the origins' custom headers, the origin secret's value among them.
    ("drift", "cloudfront:GetDistribution", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE", {}, "deny"),
    ("drift", "cloudfront:GetDistributionConfig", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE", {}, "deny"),
    ("drift", "cloudfront:ListDistributions", "*", {}, "deny"),
    ("drift", "cloudfront:ListDistributionsByWebACLId", "*", {}, "deny"),
    # WAF's sampled requests carry each request's headers, credentials included.
    ("drift", "wafv2:GetSampledRequests", "arn:aws:wafv2:us-east-1:" + ACCOUNT + ":global/webacl/x/1", {}, "deny"),
    # The copy region, where the BackupCopy stack deploys: the same rights as in the home region, no more.
    ("review", "cloudformation:CreateChangeSet", COPY_STACK, _named("cdk-diff-change-set-5f1c"), "allow"),
    (
        "review",
        "cloudformation:DeleteChangeSet",
        COPY_STACK,
        _named(_arn("cloudformation", "changeSet/cdk-diff-change-set-5f1c/9a8b", COPY)),
        "allow",
    ),
    ("review", "cloudformation:CreateChangeSet", COPY_STACK, _named("deploy-0123"), "deny"),
    ("review", "s3:PutObject", f"{_staging(COPY)}/5d1e.json", {}, "allow"),
    ("review", "s3:PutObject", f"{_staging(COPY)}/5d1e.zip", {}, ""),
    (
        "review",
        "iam:PassRole",
        _bootstrap("cfn-exec", COPY),
        {"iam:passedtoservice": ["cloudformation.amazonaws.com"]},
        "allow",
    ),
    ("plan-prod", "cloudformation:CreateChangeSet", COPY_STACK, _named("deploy-0123"), "allow"),
    ("plan-prod", "sts:AssumeRole", _bootstrap("file-publishing", COPY), {}, "allow"),
    ("plan-prod", "s3:GetObject", f"{_staging(COPY)}/5d1e.json", {}, "allow"),
    ("plan-prod", "ssm:GetParameter", _arn("ssm", "parameter/cdk-bootstrap/hnb659fds/version", COPY), {}, "allow"),
    ("plan-prod", "lambda:GetFunction", _arn("lambda", "function:anigmaa-backend", COPY), {}, ""),
    (
        "deploy-prod",
        "cloudformation:ExecuteChangeSet",
        COPY_STACK,
        _named(_arn("cloudformation", "changeSet/deploy-0123/9a8b", COPY)),
        "allow",
    ),
    ("deploy-prod", "sts:AssumeRole", _bootstrap("deploy", COPY), {}, "allow"),
    (
        "deploy-prod",
        "cloudformation:DescribeStacks",
        _arn("cloudformation", "stack/CDKToolkit/5e6f", COPY),
        {},
        "allow",
    ),
    ("deploy-prod", "cloudformation:UpdateTerminationProtection", COPY_STACK, {}, "allow"),
    ("deploy-prod", "lambda:InvokeFunction", _arn("lambda", "function:anigmaa-backend:live", COPY), {}, ""),
    ("drift", "cloudformation:DetectStackDrift", COPY_STACK, {}, "allow"),
    # …and no third region.
    ("review", "cloudformation:CreateChangeSet", ELSEWHERE_STACK, _named("cdk-diff-change-set-5f1c"), ""),
    ("review", "s3:PutObject", f"{_staging(ELSEWHERE)}/5d1e.json", {}, ""),
    ("plan-prod", "cloudformation:CreateChangeSet", ELSEWHERE_STACK, _named("deploy-0123"), ""),
    ("plan-prod", "sts:AssumeRole", _bootstrap("file-publishing", ELSEWHERE), {}, ""),
    ("deploy-prod", "sts:AssumeRole", _bootstrap("deploy", ELSEWHERE), {}, ""),
    (
        "deploy-prod",
        "cloudformation:ExecuteChangeSet",
        ELSEWHERE_STACK,
        _named(_arn("cloudformation", "changeSet/deploy-0123/9a8b", ELSEWHERE)),
        "deny",
    ),
    ("drift", "cloudformation:DetectStackDrift", ELSEWHERE_STACK, {}, ""),
]


@pytest.mark.parametrize(("role", "action", "resource", "context", "verdict"), PERMISSIONS,
                         ids=[f"{p[0]}:{p[1]}:{p[4] or 'implicit'}" for p in PERMISSIONS])  # fmt: skip
def test_each_role_may_do_what_its_job_runs_and_no_more(
    ci: tuple[dict[str, Any], Path], role: str, action: str, resource: str, context: dict[str, Any], verdict: str
) -> None:
    """Evaluated as IAM does (the rehearsal's evaluator, tools/rehearsal/iam.py), on the role's own statements."""
    template, _ = ci
    statements = _resolve(_statements(_roles(template)[f"anigmaa-ci-{role}"]))
    assert identity_verdict(statements, action, resource, context) == verdict


# The region in an ARN (`arn:aws:cloudformation:REGION:…`), or ending a CDK bootstrap role's or bucket's name.
REGION_IN = re.compile(r"arn:aws:[a-z0-9-]+:([^:]+):|cdk-hnb659fds-(?:[a-z-]+-role|assets)-\d{12}-([^/\"]+)")


def _regions(value: Any) -> set[str]:
    return {a or b for a, b in REGION_IN.findall(json.dumps(value))}


def test_each_role_reaches_exactly_the_regions_prod_deploys_to(ci: tuple[dict[str, Any], Path]) -> None:
    """Its region and backup_copy_region (the BackupCopy stack's): bootstrap roles, stacks, change sets, staging
    bucket and bootstrap version in each; the function and the secrets key in its own region only."""
    template, _ = ci
    for name, role in _roles(template).items():
        statements = {s["Sid"]: _resolve(s) for s in _statements(role)}
        assert set().union(*map(_regions, statements.values())) == {HOME, COPY}, name
        for sid, statement in statements.items():
            resources = _as_list(statement["Resource"])
            if sid in ("FunctionSettings", "SecretsKey", "SmokeTest"):
                assert _regions(resources) == {HOME}, (name, sid)
            elif resources != ["*"]:
                # One resource per region: the same ARNs, but for the region.
                per_region = {r: sorted(x for x in resources if _regions(x) == {r}) for r in (HOME, COPY)}
                assert len(resources) == 2 * len(per_region[HOME]), (name, sid)
                assert [x.replace(HOME, COPY) for x in per_region[HOME]] == per_region[COPY], (name, sid)
    review = {s["Sid"]: _resolve(s) for s in _statements(_roles(template)["anigmaa-ci-review"])}
    assert review["StagingBucket"]["Resource"] == [_staging(HOME), _staging(COPY)]
    assert review["ReadStacks"]["Resource"] == [
        _arn("cloudformation", "stack/anigmaa-prod-*/*", region) for region in (HOME, COPY)
    ]
    deploy = {s["Sid"]: _resolve(s) for s in _statements(_roles(template)["anigmaa-ci-deploy-prod"])}
    assert deploy["BootstrapRoles"]["Resource"] == [
        _bootstrap(kind, region)
        for kind in ("deploy", "file-publishing", "image-publishing")
        for region in (HOME, COPY)
    ]


def test_an_environment_without_a_copy_region_is_reached_in_its_own_region_only() -> None:
    """The CI stack's own region, as `Aws.REGION`: the template of such an environment is as before the copy region."""
    accounts = with_accounts("111111111111", "222222222222")
    prod = load_config({**CDK_CONTEXT, **REPOSITORY, **accounts}, ROOT)
    assert deploy_regions(prod) == (Aws.REGION, COPY)
    dev = load_config({**CDK_CONTEXT, **REPOSITORY, **accounts, "env": "dev"}, ROOT)
    assert dev.backup is None
    assert deploy_regions(dev) == (Aws.REGION,)
    without = load_config({**CDK_CONTEXT, **REPOSITORY, **accounts, "backup_copy_region": ""}, ROOT)
    assert without.backup is not None
    assert deploy_regions(without) == (Aws.REGION,)


def test_only_the_drift_role_has_a_managed_policy(ci: tuple[dict[str, Any], Path]) -> None:
    """ReadOnlyAccess, whose reads of data (values, decryption, objects, logs) its explicit deny takes out."""
    template, _ = ci
    for name, role in _roles(template).items():
        managed = role["Properties"].get("ManagedPolicyArns", [])
        assert len(managed) == (1 if name == "anigmaa-ci-drift" else 0), name
    assert "ReadOnlyAccess" in json.dumps(_roles(template)["anigmaa-ci-drift"]["Properties"]["ManagedPolicyArns"])


def test_the_roles_and_the_provider_outlive_the_stack(ci: tuple[dict[str, Any], Path]) -> None:
    template, _ = ci
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::OIDCProvider"):
            assert resource["DeletionPolicy"] == "Retain"


def test_deploy_all_never_selects_the_ci_stack(ci: tuple[dict[str, Any], Path]) -> None:
    """`cdk deploy --all` takes the main assembly's stacks; the CI stack is in the Ci stage's own."""
    _, outdir = ci
    manifest = json.loads((outdir / "manifest.json").read_text())
    top = {
        a["properties"].get("stackName", name)
        for name, a in manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack"
    }
    assert top == {
        "anigmaa-prod-network",
        "anigmaa-prod-data",
        "anigmaa-prod-lambda",
        "anigmaa-prod-backup-copy",
    }  # never anigmaa-ci
    assert manifest["artifacts"]["assembly-Ci"]["type"] == "cdk:cloud-assembly"
    nested = json.loads((outdir / "assembly-Ci" / "manifest.json").read_text())
    assert [
        a["properties"]["stackName"] for a in nested["artifacts"].values() if a["type"] == "aws:cloudformation:stack"
    ] == ["anigmaa-ci"]


def test_environments_sharing_an_account_get_no_ci_stack() -> None:
    """One account, one set of bootstrap roles: a dev deploy role could deploy prod."""
    with pytest.raises(ConfigError, match=r"^github_repository: env=prod shares the CLI's current account \(account is "
                       r"empty\) with dev, so their CI roles would reach the same CDK bootstrap roles and a dev deploy "
                       r"could change prod; accepted: an account of its own per environment"):  # fmt: skip
        load_config({**CDK_CONTEXT, **REPOSITORY}, ROOT)
    with pytest.raises(ConfigError, match=r"shares account 111111111111 with dev"):
        load_config({**CDK_CONTEXT, **REPOSITORY, **with_accounts("111111111111", "111111111111")}, ROOT)
    dev = load_config({**CDK_CONTEXT, **REPOSITORY, **with_accounts("1" * 12, "2" * 12), "env": "dev"}, ROOT).ci
    assert dev is not None
    assert dev.environments == (("dev", False),)  # dev: no plan role, its deploys need no approval


def test_without_a_repository_there_is_no_ci_stack(synth: Callable[[str], Synth]) -> None:
    assert load_ci(CDK_CONTEXT) is None
    assert not (synth("prod").outdir / "assembly-Ci").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"github_repository": "anigmaa"}, r"^github_repository: 'anigmaa' is malformed; accepted: OWNER/NAME"),
        ({"github_repository": "*/anigmaa-infra"}, r"^github_repository: '\*/anigmaa-infra' is malformed"),
        ({"github_repository_ids": "1/2"}, r"^github_repository_ids: set without github_repository; accepted:"),
        ({**REPOSITORY, "github_repository_ids": "12-34"}, r"^github_repository_ids: '12-34' is malformed"),
    ],
)
def test_bad_ci_settings_are_one_line(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({**CDK_CONTEXT, **overrides}, ROOT)
