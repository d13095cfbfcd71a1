"""Write docs/security.md from measurements: cdk-nag, cfn-lint and checkov on prod, both modes.

Usage: python -m tools.docs.security_report > docs/security.md

Synthesizes prod with compute=lambda and compute=ecs (in-process, with the same context
the CLI gives the app), reads cdk-nag's results from each validation report, runs the
scanners (tools/gates/scan.py) and prints the document. A test keeps the committed document
equal to what this prints, so its numbers are always the current ones.
"""

from __future__ import annotations

import json
import re
import sys
import tarfile
import tempfile
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cdk_nag

from config import read_context
from tools import ROOT
from tools.gates.scan import ALLOWED_WARNINGS, cfn_lint, checkov, templates_in

PACKS = {"AwsSolutions": "aws-solutions.js", "Serverless": "serverless.js"}

FIXED = """\
What the app fixes instead of waiving (each would otherwise be a finding):

- VPC flow logs to CloudWatch Logs, with retention (AwsSolutions-VPC7).
- RDS: storage encrypted, Multi-AZ and deletion protection in prod, backups kept 7 days and
  not deleted with the instance, TLS enforced by `rds.force_ssl=1`, IAM authentication on,
  enhanced monitoring every 60 s (RDS2, RDS3, RDS10, RDS13; checkov CKV_AWS_16/118/157/161,
  CKV2_AWS_69).
- Redis: a replication group with encryption at rest and in transit, AUTH from SSM,
  automatic failover and Multi-AZ in prod (AEC3, AEC4, AEC6; CKV_AWS_29/30/31).
- S3: all public access blocked, TLS required, SSE, versioning, server access logs to a
  dedicated bucket (S1, S2, S10; CKV_AWS_18/19/21/53-56).
- Load balancer: access logs, invalid headers dropped, HTTPS with a TLS 1.2+ policy and
  HTTP redirected when a domain is set (ELB2; CKV_AWS_2/91/103/131).
- ECS: Container Insights (ECS4, CKV_AWS_65), container logs to CloudWatch (ECS7), secrets
  from SSM through `secrets` rather than environment values, a read-only root filesystem.
- Lambda: explicit memory and timeout, X-Ray tracing, JSON logs to an explicit log group
  with retention, in the VPC, reserved concurrency in prod (Serverless-LambdaDefaultMemorySize,
  LambdaDefaultTimeout, LambdaTracing; CKV_AWS_115/117).
- HTTP API: JSON access logs and default-route throttling (APIG1, Serverless-APIGWDefaultThrottling;
  CKV_AWS_95).
- IAM: the function, and on ECS the task's execution role (which ECS uses to inject them at
  task start), may read exactly the four SSM parameters; the function and the ECS task role
  may list, get, put and delete objects of one bucket, nothing wider.
- Security groups: no allow-all egress anywhere; PostgreSQL and Redis reachable only from
  `lambda_sg` and `ecs_sg`; the default security group stripped of its rules; a NAT
  instance (dev) sends out only the HTTPS it forwards.
- Public subnets assign no public addresses: the NAT gateway has its Elastic IP, the load
  balancer is managed, a NAT instance asks for its own.
"""

ELSEWHERE = """\
## What other rule sets report, and why it stays

A reviewer who runs another set of AWS rules (the Well-Architected security checks, say) over
these templates sees these as well. Each is a choice, with its reason:

- **HTTPS (TCP 443) to 0.0.0.0/0 from `lambda_sg` and `ecs_sg`.** The backend calls Midtrans,
  which publishes no fixed address ranges, and the SSM and S3 APIs. S3 goes through the VPC's
  gateway endpoint and SSM can (`ssm_endpoint`); no other port leaves either group.
- **No deletion protection on the load balancer.** The ECS stack is the rollback path and is
  meant to be deleted once the rollback window is over; protection would make that deletion
  fail half-way, at the end of a 3 a.m. runbook.
- **No S3 Object Lock or replication.** Versioning (old versions kept 90 days) and a retained
  bucket protect against mistakes; Object Lock cannot be turned off and blocks legitimate
  deletes, and replication doubles storage. Either is a product decision, not a default.
- **The RDS master user is `postgres`.** The seed's backend uses it, and changing
  `MasterUsername` replaces the instance (its data comes back only from a snapshot). The
  password is a SecureString resolved at deploy time, and IAM authentication is on.
- **Public subnets route to the internet gateway.** That is what makes them public: the NAT
  gateway or instance and the load balancer need it, and nothing else runs there.
- **The CDK's custom-resource function that strips the default security group.** It runs only
  during a deployment, calls only the EC2 API, and CloudFormation reports its failures; its
  checkov skips (CKV_AWS_115/116/117) are recorded in the template with these reasons.
"""


def rules_in_pack(pack: str) -> int:
    """How many rules the installed cdk-nag pack applies (one `applyRule` call each)."""
    archive = next((Path(cdk_nag.__file__).parent / "_jsii").glob("*.tgz"))
    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"package/lib/packs/{PACKS[pack]}")
        assert member is not None
        return member.read().decode().count("this.applyRule(")


def nag(outdir: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    return {p["pluginName"]: p for p in report["pluginReports"] if p["pluginName"] in PACKS}


def _rule(name: str) -> str:
    return re.sub(r"\[.*\]$", "", name)


def render(outdirs: dict[str, Path]) -> str:
    """The document, for prod synthesized into ``outdirs`` by compute mode."""
    lines = [
        "# Security and safety checks",
        "",
        "Generated by `python -m tools.docs.security_report` from prod synthesized in both compute",
        "modes; `make test` fails if this file and a fresh measurement differ. The gates themselves",
        "run in `make test` on every configuration the suite synthesizes (prod, dev, custom domain,",
        "ECS with an ECR image, …): cdk-nag at synth, cfn-lint and checkov on the templates, and the",
        "stateful-replacement guard (`make guard`) against `baseline/`.",
        "",
        f"## cdk-nag (AwsSolutions and Serverless packs, cdk-nag {version('cdk-nag')})",
        "",
        "| mode | pack | rules in pack | rules with a finding | acknowledged findings | unacknowledged |",
        "|---|---|---|---|---|---|",
    ]
    acknowledged: dict[tuple[str, str, str], list[str]] = {}
    for mode, outdir in outdirs.items():
        packs = nag(outdir)
        for pack in PACKS:
            report = packs.get(pack, {"violations": [], "suppressedViolations": []})
            suppressed = report.get("suppressedViolations", [])
            rules = {_rule(v["ruleName"]) for v in suppressed}
            lines.append(
                f"| {mode} | {pack} | {rules_in_pack(pack)} | {len(rules)} | {len(suppressed)} "
                f"| {len(report['violations'])} |"
            )
            for entry in suppressed:
                for construct in entry["violatingConstructs"]:
                    key = (entry["ruleName"], construct["constructPath"], entry.get("reason", ""))
                    acknowledged.setdefault(key, []).append(mode)
    lines += [
        "",
        "Rules without a finding passed or did not apply. Every acknowledgement is made where the",
        "construct is built (`constructs/findings.py`'s `accept`, one reason for both scanners), or,",
        "where it depends on the configuration, in the stack; each with its reason:",
        "",
        "| rule | construct | modes | reason |",
        "|---|---|---|---|",
    ]
    for (rule, path, reason), modes in sorted(acknowledged.items()):
        lines.append(f"| `{rule}` | `{path}` | {', '.join(modes)} | {reason} |")

    lines += ["", "## cfn-lint and checkov", ""]
    lines.append("| mode | templates | cfn-lint errors | cfn-lint warnings | checkov passed | failed | skipped |")
    lines.append("|---|---|---|---|---|---|---|")
    warnings: Counter[str] = Counter()
    skips: dict[tuple[str, str, str], list[str]] = {}
    for mode, outdir in outdirs.items():
        templates = templates_in([outdir])
        lint, scan = cfn_lint(templates), checkov(templates)
        levels = Counter(f.level for f in lint)
        warnings.update(f.rule for f in lint if f.level == "Warning")
        for check, resource, reason in scan.skipped:
            skips.setdefault((check, resource, reason), []).append(mode)
        lines.append(
            f"| {mode} | {len(templates)} | {levels['Error']} | {levels['Warning']} | {scan.passed} "
            f"| {len(scan.failed)} | {len(scan.skipped)} |"
        )
    lines += ["", "cfn-lint warnings allowed, by exact rule id (`tools/gates/scan.py`):", ""]
    lines += [f"- `{rule}` (found {warnings[rule]} times): {ALLOWED_WARNINGS[rule]}" for rule in sorted(warnings)]
    lines += [
        "",
        "checkov skips, each written into the template's metadata by the stack that owns the resource:",
        "",
        "| check | resource | modes | reason |",
        "|---|---|---|---|",
    ]
    for (check, resource, reason), modes in sorted(skips.items()):
        lines.append(f"| `{check}` | `{resource}` | {', '.join(modes)} | {reason} |")
    lines += ["", "## Fixed rather than waived", "", FIXED, ELSEWHERE]
    return "\n".join(lines)


def synthesize_prod(outdir: Path, compute: str) -> None:
    """Synthesize prod in ``compute`` mode in-process, with the CLI's context."""
    from aws_cdk import App

    from config import load_config
    from stacks.app_stacks import build_stacks
    from stacks.checks import register_checks

    context = read_context(ROOT)
    cli = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
    plain_http = {"ecs_allow_plain_http": True} if compute == "ecs" else {}
    app = App(context={**cli, **context, "compute": compute, **plain_http}, outdir=str(outdir))
    build_stacks(app, load_config(app.node.get_all_context(), ROOT))
    register_checks(app)
    app.synth()


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        outdirs = {mode: Path(work) / mode for mode in ("lambda", "ecs")}
        for mode, outdir in outdirs.items():
            synthesize_prod(outdir, mode)
        print(render(outdirs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
