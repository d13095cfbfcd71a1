"""Shared fixtures: each configuration is synthesized once per test session."""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from config import AppConfig, load_config
from stacks.app_stacks import AppStacks, build_stacks
from stacks.checks import register_checks
from tools.gates.guard import EXAMPLE_DOMAIN
from tools.gates.synth_summary import Finding, findings

if TYPE_CHECKING:
    from tools.rehearsal.server import Emulator
    from tools.rehearsal.terraform_seed import SeedProduction, SeedSecrets

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]

# What the CDK CLI adds to every synth: construct paths and asset locations in the templates.
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}

# An obviously fake zone id and domain: nothing here is looked up or deployed.
EXAMPLE_ZONE_ID = "Z0EXAMPLE0ZONE0ID0000"
EXAMPLE_LAYER_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:layer:example-deps:3"
# Another account's backup vault, in the environment's region.
EXAMPLE_ACCOUNT_VAULT_ARN = "arn:aws:backup:ap-southeast-1:210987654321:backup-vault:anigmaa-prod-vault"


@dataclass(frozen=True)
class Synth:
    """One synthesized configuration."""

    config: AppConfig
    stacks: AppStacks
    templates: dict[str, Template]
    outdir: Path

    def json(self, role: str) -> dict[str, Any]:
        """The raw template of a stack role (network, data, compute, lambda, ecs, edge, cdn)."""
        return dict(self.templates[role].to_json())

    def stack(self, role: str) -> Stack:
        """The stack of a role: network, data, compute (a single mode's), lambda, ecs or edge."""
        if role in self.stacks.computes:
            return self.stacks.computes[role]
        stack: Stack | None = getattr(self.stacks, role)
        assert stack is not None, f"{role}: not in this configuration"
        return stack

    @property
    def findings(self) -> list[Finding]:
        """Warnings and errors raised while synthesizing."""
        return findings(self.outdir)


def new_app(overrides: dict[str, Any], outdir: Path) -> App:
    """An app with the context the CLI would give it: cdk.json's plus ``overrides``."""
    return App(context={**CLI_CONTEXT, **CDK_CONTEXT, **overrides}, outdir=str(outdir))


def synthesize(overrides: dict[str, Any], outdir: Path) -> Synth:
    """Synthesize the whole app as the CLI would."""
    app = new_app(overrides, outdir)
    config = load_config(app.node.get_all_context(), ROOT)
    stacks = build_stacks(app, config)
    register_checks(app)
    app.synth()
    templates = {"network": Template.from_stack(stacks.network), "data": Template.from_stack(stacks.data)}
    # Each compute stack by its path (lambda, ecs); the one of a single mode as "compute" too (none when
    # external_alb serves compute=ecs from outside the app).
    for path, stack in stacks.computes.items():
        templates[path] = Template.from_stack(stack)
    if config.compute in stacks.computes:
        templates["compute"] = templates[config.compute]
    if stacks.edge is not None:
        templates["edge"] = Template.from_stack(stacks.edge)
    if stacks.cdn is not None:
        templates["cdn"] = Template.from_stack(stacks.cdn)
    return Synth(config=config, stacks=stacks, templates=templates, outdir=outdir)


def kept_log_group_name(name: str) -> dict[str, Any]:
    """The name of a log group kept after its stack: ``name`` and the first block of the stack's id."""
    stack_uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    return {"Fn::Join": ["-", [name, {"Fn::Select": [0, {"Fn::Split": ["-", stack_uuid]}]}]]}


def elf_header(machine: int) -> bytes:
    """The 64-byte header of a 64-bit little-endian Linux executable for ``machine`` (0x3E x86_64, 0xB7 arm64)."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHI", 2, machine, 1) + bytes(40)


@pytest.fixture(scope="session")
def fixture_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Prebuilt function zips (x86_64 and arm64 headers) and a layer zip, as the backend repository would ship them."""
    folder = tmp_path_factory.mktemp("zips")
    zips = {}
    for name, machine in (("function", 0x3E), ("function-arm64", 0xB7)):
        zips[name] = folder / f"lambda-{name}.zip"
        with zipfile.ZipFile(zips[name], "w") as archive:
            archive.writestr("bootstrap", elf_header(machine) + b"prebuilt")
    layer_zip = folder / "lambda-layer.zip"
    with zipfile.ZipFile(layer_zip, "w") as archive:
        archive.writestr("layer/go/lib/README", "dependencies\n")
    return {**zips, "layer": layer_zip}


@pytest.fixture(scope="session")
def configurations(fixture_zips: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """The configurations the suite synthesizes, by name, as -c overrides."""
    # env and compute are pinned, so a team that sets "compute": "ecs" in cdk.json keeps green tests.
    base = {"env": "prod", "compute": "lambda"}
    configurations: dict[str, dict[str, Any]] = {
        "prod": {**base},
        "dev": {**base, "env": "dev"},
        # Everything optional switched on, as strings the way `-c key=value` delivers them.
        "prod-custom": {
            **base,
            "lambda_runtime": "provided.al2023",
            "lambda_architecture": "arm64",
            "lambda_memory": "1024",
            "lambda_timeout": "20",
            "nat_gateways": "2",
            "ssm_endpoint": "true",
            "vpc_cidr": "10.20.0.0/20",
            "availability_zones": "ap-southeast-1a,ap-southeast-1b,ap-southeast-1c",
            "domain_name": "api.anigmaa.example",
            "hosted_zone_id": EXAMPLE_ZONE_ID,
            "hosted_zone_name": "anigmaa.example",
            "allowed_origins": "https://app.anigmaa.example,https://admin.anigmaa.example",
            "lambda_layer_zip": str(fixture_zips["layer"]),
            "lambda_layer_arns": EXAMPLE_LAYER_ARN,
            "midtrans_client_key": "SB-Mid-client-example",
            "alarm_email": "oncall@anigmaa.example",
            "alarm_https_parameter": "/anigmaa/prod/ALARM_HTTPS_URL",
            "alarm_topic_arns": "arn:aws:sns:ap-southeast-1:123456789012:oncall-chat",
            "lambda_provisioned_concurrency": "2",
            "lambda_deployment": "linear-10-1m",
            "lambda_release_checks": "GET /events?limit=1 200,HEAD /health 200",
            # Its domain's records point at the compute paths: prod-edge* hold CloudFront.
            "edge_protection": "off",
        },
        "prod-prebuilt": {**base, "lambda_zip": str(fixture_zips["function"])},
        # The cheapest prod docs/costs.md names: Multi-AZ, backups and failover kept.
        "prod-lean": {
            **base,
            "nat_provider": "instance",
            "lambda_architecture": "arm64",
            "db_instance_class": "db.t4g.micro",
            "cache_node_type": "cache.t4g.micro",
        },
    }
    # Backups also copied to another account's vault, under a governance lock: the data key it needs on the
    # database and the cache (a new environment's choice).
    configurations["prod-backup-account"] = {
        **base,
        "db_encryption_key": "customer-managed",
        "backup_copy_account_vault_arn": EXAMPLE_ACCOUNT_VAULT_ARN,
        "backup_vault_lock": "governance",
    }
    # Each configuration again with compute=ecs: the rollback path, and the other side of the drill.
    # The guard's domain variant (tools/gates/guard.py EXAMPLE_DOMAIN), to compare with baseline/prod-domain.
    # Its records point at the compute paths (edge protection off); prod-edge* put CloudFront in front.
    configurations["prod-domain"] = {
        **base,
        **dict(item.split("=", 1) for item in EXAMPLE_DOMAIN),
        "edge_protection": "off",
    }
    configurations["prod-domain-ecs"] = {**configurations["prod-domain"], "compute": "ecs"}
    # Prod without a domain serves plain HTTP on ECS only when that is acknowledged.
    plain_http = {"ecs_allow_plain_http": "true"}
    for name in ("prod", "dev", "prod-custom", "prod-lean"):
        acknowledged = plain_http if name in ("prod", "prod-lean") else {}
        configurations[f"{name}-ecs"] = {**configurations[name], "compute": "ecs", **acknowledged}
    # compute=split on the domain variant: the migration's slices, and the way back.
    for weight in (5, 50):
        configurations[f"prod-split{weight}"] = {
            **configurations["prod-domain"],
            "compute": "split",
            "lambda_weight": str(weight),
        }
    # Edge protection (prod's default with a domain): each compute mode, and open with the other rate options.
    configurations["prod-edge"] = {**configurations["prod-domain"], "edge_protection": "on"}
    configurations["prod-edge-ecs"] = {**configurations["prod-edge"], "compute": "ecs"}
    configurations["prod-edge-split25"] = {**configurations["prod-edge"], "compute": "split", "lambda_weight": "25"}
    configurations["prod-edge-open"] = {
        **configurations["prod-edge"],
        "edge_protection": "open",
        "waf_rate_key": "ip-and-ja4",
        "waf_rate_limit": "500",
        "waf_rate_window_seconds": "300",
        "waf_rate_exempt_cidrs": "",
    }
    configurations["prod-ecs-image"] = {
        **base,
        **plain_http,
        "compute": "ecs",
        "ecs_image_uri": "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/anigmaa-backend:1.4.2",
    }
    # A repository named: the app adds the CI stack in its own Stage (its template in assembly-Ci/).
    # (Its own account: environments that share one share the CDK bootstrap roles, and are refused.)
    environments = {name: {**settings} for name, settings in CDK_CONTEXT["environments"].items()}
    environments["prod"]["account"], environments["dev"]["account"] = "111111111111", "222222222222"
    # Alarms also to a central operations account's topic: allowed, and warned.
    environments["prod"]["alarm_topic_arns"] = ["arn:aws:sns:ap-southeast-1:333333333333:central-oncall"]
    repository = {"github_repository": "anigmaa/anigmaa-infra", "github_repository_ids": "1/2"}
    configurations["prod-ci"] = {**base, "environments": environments, **repository}
    return configurations


@pytest.fixture(scope="session")
def synth(
    tmp_path_factory: pytest.TempPathFactory, configurations: dict[str, dict[str, Any]]
) -> Callable[[str], Synth]:
    """``synth(name)`` returns that configuration, synthesizing it on first use only."""
    cache: dict[str, Synth] = {}

    def get(name: str) -> Synth:
        if name not in cache:
            cache[name] = synthesize(configurations[name], tmp_path_factory.mktemp(name))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def prod(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod")


@pytest.fixture(scope="session")
def dev(synth: Callable[[str], Synth]) -> Synth:
    return synth("dev")


@pytest.fixture(scope="session")
def custom(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-custom")


@pytest.fixture(scope="session")
def prebuilt(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-prebuilt")


@pytest.fixture(scope="session")
def ecs(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-ecs")


@pytest.fixture(scope="session")
def custom_ecs(synth: Callable[[str], Synth]) -> Synth:
    return synth("prod-custom-ecs")


# The seed-shaped Terraform production (tools.rehearsal.terraform_seed): its secrets, obviously test-only.
def seed_secrets() -> SeedSecrets:
    from tools.rehearsal.terraform_seed import SeedSecrets

    return SeedSecrets(
        db_password="test-only-seed-db-password-0000",
        redis_auth_token="testOnlySeedRedisToken000000000",
        jwt_secret="test-only-seed-jwt-secret-00000000000000",
        midtrans_server_key="test-only-seed-midtrans-key-0000",
    )


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """The rehearsal's emulator (moto with the project's extensions) on loopback: one per test module."""
    from tools.rehearsal.server import emulator

    with emulator() as running:
        yield running


@pytest.fixture(scope="module")
def production(server: Emulator) -> SeedProduction:
    """The seed's Terraform-era production, made in this module's emulator."""
    from tools.rehearsal.server import REGION
    from tools.rehearsal.terraform_seed import create

    return create(server.url, REGION, secrets=seed_secrets())


@pytest.fixture(scope="module")
def states(production: SeedProduction, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Its Terraform state, as terraform state pull prints it, in both layouts (network at the root, in a module)."""
    from tools.adopt.state import read
    from tools.rehearsal.terraform_seed import write_state

    folder = tmp_path_factory.mktemp("seed-states")
    paths = {layout: folder / f"{layout}.tfstate" for layout in ("root", "module")}
    for layout, path in paths.items():
        written = write_state(production, path, secrets=seed_secrets(), layout=layout)  # type: ignore[arg-type]
        assert sorted(written) == sorted(r.address for r in read(path))
    return paths
