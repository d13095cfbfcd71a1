"""The deploy rehearsal (`make rehearse`) as part of `make test`: the real CDK CLI against moto on loopback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tools import ROOT

# Its own make target (rehearsal-test) and CI job: the longest test, and it needs only a synth's set-up
# (no scanners, emulator or Debian packages). make unit runs every other test.
pytestmark = pytest.mark.rehearsal

PLAN_STEPS = (
    ".venv/bin/python -m tools.ops.ssm_secrets check --env prod",
    ".venv/bin/python -m tools.ops.preflight --env prod",
    "Prepare the change sets the approver reviews",
)
TERRAFORM = shutil.which("terraform") is not None
# "ok    <step> (env=dev) (1.2 s): refused as it must be…": the step, without what follows it in brackets.
REFUSED = re.compile(r"^ok    (.+?)(?: \([^)]*\))*: refused as it must be")


def rehearse(part: str) -> list[str]:
    """The output lines of one part of the rehearsal (``--only``), each on its own emulator."""
    # Its own process: the emulator's extensions patch moto, and they stay out of this one.
    result = subprocess.run(
        [sys.executable, "-m", "tools.rehearsal", "--only", part],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    lines = result.stdout.splitlines()
    assert "rehearsal: no request left loopback (the proxy every other address goes through saw none)" in lines
    # Later configurations come from the warm synth process only once it made the CLI's assembly, to the byte.
    assert any(line.startswith("      the warm synth process: the CLI's assembly of ") for line in lines)
    return lines


def steps(lines: list[str], prefix: str) -> list[str]:
    """The passed steps named ``prefix`` …, without what follows them in brackets."""
    return [line.split(" (")[0].removeprefix("ok    ") for line in lines if line.startswith(f"ok    {prefix}")]


def refusals(lines: list[str]) -> list[str]:
    return [REFUSED.match(line).group(1) for line in lines if REFUSED.match(line)]  # type: ignore[union-attr]


# The two parts are two tests, so that make rehearsal-test (pytest -n 2) runs them at once.
def test_the_rehearsal_deploys_switches_splits_updates_and_refuses_what_cloudformation_refuses() -> None:
    lines = rehearse("deploys")
    refused = refusals(lines)
    assert refused == [
        "refused: delete the ECS stack the record points at",
        "refused: compute=split without lambda_weight",
        # Edge protection: the ECS stack CloudFront may still send requests to, and a rotation CloudFront lacks.
        "edge: refused: destroy the ECS stack CloudFront sends requests to",
        "edge: refused: rotate again before the cdn stack carries the new version",
        # Prod's alarms reach no one until the team commits a destination: the plan's preflight stops.
        f"deploy.yml prod-plan as anigmaa-ci-plan-prod: {PLAN_STEPS[1]}",
        # The delivery path under IAM (what each role must not do, in AWS's words), and a swapped change set.
        "refused: the review role executes a change set",
        "refused: the review role deletes the deploy's change set",
        "refused: the review role creates a change set with the deploy's name",
        "deploy.yml prod as anigmaa-ci-deploy-prod: Execute the approved change sets",
        "refused: the drift role reads a SecureString's value",
        "refused: destroy anigmaa-prod-network",
        "refused: destroy anigmaa-prod-data",
        "refused: put a secret before the network stack made its key",
        "secrets check with one missing",
        "refused: deploy dev with a SecureString missing",
        "refused: secrets check with one under aws/ssm",
    ]
    split = steps(lines, "split: ")
    assert split == [
        "split: ECS beside Lambda",
        "split: the domain 5/95",
        "split: the domain 50/50",
        "split: all to Lambda",
        "split: back to 50/50",
        "split: all to ECS",
        "split: all back to Lambda",
    ]
    edge = steps(lines, "edge: ")
    assert edge == [
        "edge: cdk bootstrap",
        "edge: edge_protection=open, deploy --all",
        "edge: edge_protection=on, deploy --all",
        "edge: the 3 a.m. rollback behind CloudFront",
        "edge: refused: destroy the ECS stack CloudFront sends requests to",
        "edge: split behind CloudFront",
        "edge: all back to Lambda behind CloudFront",
        "edge: origin_secret status",
        "edge: origin_secret rotate",
        "edge: refused: rotate again before the cdn stack carries the new version",
        "edge: the cdn stack with the new origin_secret_version",
        "edge: origin_secret status",
        "edge: the way back: edge_protection=open, deploy --all",
        "edge: the way back: the edge stack alone with off",
        "edge: the way back: the compute stack alone with off",
        "edge: the way back: everything with off, deploy --all",
    ]
    selector = "      anigmaa-prod-cdn: api.anigmaa.example through anigmaa-prod-origin-selector, WEIGHTS "
    lambda_first = "lambda → lambda-origin.api.anigmaa.example, ecs → ecs-origin.api.anigmaa.example"
    assert [line.removeprefix(selector) for line in lines if line.startswith(selector)] == [
        '{"lambda": 100} (LIVE, viewer-request); origins ' + lambda_first,  # open
        '{"lambda": 100} (LIVE, viewer-request); origins ' + lambda_first,  # on
        '{"ecs": 100} (LIVE, viewer-request); origins ecs → ecs-origin.api.anigmaa.example, lambda → '
        "lambda-origin.api.anigmaa.example",  # the rollback: both origins declared, ECS the default
        '{"lambda": 25, "ecs": 75} (LIVE, viewer-request); origins ' + lambda_first,
        '{"lambda": 100} (LIVE, viewer-request); origins ' + lambda_first,
        '{"lambda": 100} (LIVE, viewer-request); origins ' + lambda_first,  # rotated
    ]
    header = (
        "      anigmaa-prod-cdn: each origin's X-Origin-Verify is anigmaa-prod-origin-verify's AWSCURRENT, read "
        "through its us-east-1 replica (compared, not shown)"
    )
    assert lines.count(header) == 3  # open, on, and after the rotation's deploy
    records = "      api.anigmaa.example: "
    assert [line.removeprefix(records) for line in lines if line.startswith(records) and " A 100" in line] == [
        # open, on, the rollback, the split, the ECS stack deleted, open on the way back
        *["cloudfront A 100"] * 6,
        "cloudfront A 100, lambda A 100",  # the edge stack alone with off
        *["lambda A 100"] * 3,  # the cdn stack deleted, the compute stack alone, everything off
    ]
    assert "      anigmaa-backend: ORIGIN_VERIFY_SECRET is the origin secret's ARN" in lines  # on
    assert "      api.anigmaa.example: mapped to the API" in lines  # open
    assert "      api.anigmaa.example: no API mapping (403 around CloudFront)" in lines  # on
    assert lines.count("      anigmaa-backend: no ORIGIN_VERIFY_SECRET") == 2  # open, and on the way back
    assert any(
        line.startswith("      anigmaa-prod-network: the load balancer's group takes HTTPS from pl-")
        and line.endswith(" (com.amazonaws.global.cloudfront.origin-facing) only, no 0.0.0.0/0")
        for line in lines
    )
    assert (
        "      anigmaa-prod-api (CLOUDFRONT, us-east-1) protects the distribution: RateLimitPerClient 960 per 60 s, "
        "then 4 managed rule groups"
    ) in lines
    assert (
        "      off again: no anigmaa-prod-origin-verify in ap-southeast-1 or us-east-1, no origin names, no "
        "anigmaa-prod-cdn"
    ) in lines
    denials = [line for line in lines if "refused as it must be: User: arn:aws:sts::" in line]
    assert len(denials) == 4
    assert all("with an explicit deny in an identity-based policy" in line for line in denials)
    delivery = [line.split(" (")[0].removeprefix("ok    ") for line in lines if line.startswith("ok    ")
                and " as anigmaa-ci-" in line and "refused" not in line]  # fmt: skip
    assert delivery == [
        "review.yml live-diff as anigmaa-ci-review: cdk diff --method=change-set against prod",
        f"deploy.yml prod-plan as anigmaa-ci-plan-prod: {PLAN_STEPS[0]}",  # before the refused preflight
        *[f"deploy.yml prod-plan as anigmaa-ci-plan-prod: {step}" for step in PLAN_STEPS],
        *[f"deploy.yml prod-plan as anigmaa-ci-plan-prod: {step}" for step in PLAN_STEPS],
        "deploy.yml prod as anigmaa-ci-deploy-prod: Execute the approved change sets",
        *[f"deploy.yml prod-plan as anigmaa-ci-plan-prod: {step}" for step in PLAN_STEPS],
        "deploy.yml prod as anigmaa-ci-deploy-prod: Execute the approved change sets",
        "drift.yml drift as anigmaa-ci-drift: cdk drift",
    ]
    assert "      0 change set(s) executed, as approved" in lines  # the plan with nothing to change
    # The outside-in probe of the stack's own address, then of the domain; a release keeps the version it replaced.
    assert (
        "      anigmaa-prod-lambda: probe rate(5 minutes), alarm anigmaa-prod-probe-lambda (missing runs breach)"
        in lines
    )
    assert "      anigmaa-prod-edge: probe rate(5 minutes), alarm anigmaa-prod-probe (missing runs breach)" in lines
    assert (
        # Edge protection on, then off, published versions 2 and 3 (ORIGIN_VERIFY_SECRET came and went).
        "      anigmaa-prod-lambda: live moved from version 3 to 4; version 3 kept, and update-alias moved live back "
        "to it and forward again"
    ) in lines
    assert (  # the paging service's URL reached SNS from its SSM parameter, and no template
        "      arn:aws:sns:ap-southeast-1:123456789012:anigmaa-prod-alarms: https subscription to the URL in "
        "/anigmaa/prod/ALARM_HTTPS_URL (resolved at deploy; not in the template)"
    ) in lines
    recovery = steps(lines, "recovery: ")
    assert recovery == [
        "recovery: restore bucket",
        "recovery: restore bucket to the time noted",
        "recovery: restore db beside, to a time",
        "recovery: promote, the plan",
        "recovery: promote --yes",
        "recovery: deploy --all after the promote",
    ]
    assert any(
        line.startswith("      anigmaa-prod-data: plan with 2 rules (1 continuous), 1 selection(s), copies to ")
        and line.endswith(" in ap-southeast-3 (locked)")
        for line in lines
    )
    promoted = " is the restored instance, the function's host its endpoint; the old one kept as "
    assert any(promoted in line for line in lines)
    assert any(line.startswith("rehearsal: 77 steps passed in ") for line in lines), "\n".join(lines[-20:])


def test_the_takeover_imports_the_terraform_production_and_moves_its_record_to_lambda() -> None:
    lines = rehearse("takeover")
    # The plan until the app's SecureStrings hold the live secrets, and CloudFormation's import.
    assert refusals(lines) == [
        "takeover: make adopt before the app's secrets",
        "takeover: make adopt with a wrong database password",
        "takeover: cdk import with a bucket that does not exist",
    ]
    takeover = steps(lines, "takeover: ")
    assert takeover == [
        "takeover: make adopt before the app's secrets",
        "takeover: cdk bootstrap",
        "takeover: the network stack in the live VPC",
        "takeover: secrets put DB_PASSWORD",
        "takeover: secrets put REDIS_PASSWORD",
        "takeover: make adopt with a wrong database password",
        "takeover: secrets put DB_PASSWORD",
        "takeover: secrets put JWT_SECRET",
        "takeover: secrets put MIDTRANS",
        "takeover: make adopt",
        "takeover: cdk import with a bucket that does not exist",
        "takeover: cdk import of the data stack",
        "takeover: the way back: the imported data stack deleted, the database, cache and bucket kept",
        "takeover: cdk import of the data stack, again",
        "takeover: cdk diff of the data stack as imported",
        "takeover: cdk diff of the data stack",
        "takeover: deploy the data stack",
        *(["takeover: terraform init", "takeover: terraform validate terraform-removed.tf"] if TERRAFORM else []),
        "takeover: the Lambda path at weight 0",
        "takeover: the simple record made weighted",
        "takeover: the edge stack beside Terraform's record",
        "takeover: the hand-made terraform record deleted; the edge stack's records answer",
        "takeover: a slice to Lambda",
        "takeover: all on Lambda",
        "takeover: 7 resources imported, none replaced, 3 objects kept, the record moved to Lambda",
    ]
    # The removed blocks are validated where the terraform CLI is (this machine's image has it).
    count = 22 if TERRAFORM else 20
    assert any(line.startswith(f"rehearsal: {count} steps passed in ") for line in lines), "\n".join(lines[-20:])
