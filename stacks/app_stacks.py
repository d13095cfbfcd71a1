"""Builds the app's stacks from a validated configuration."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from aws_cdk import Annotations, App, CfnResource, Environment, Stack, Stage, Tags

from config import AppConfig, ConfigError
from config.model import ImportOverrides
from stacks.backup_copy_stack import BackupCopyStack
from stacks.cdn_stack import CdnStack
from stacks.ci_stack import CiStack
from stacks.compute import ComputeStack, ExternalLoadBalancerTarget
from stacks.data_stack import DataStack
from stacks.ecs_stack import EcsStack
from stacks.edge_stack import EdgeStack
from stacks.lambda_stack import LambdaStack
from stacks.network_stack import NetworkStack
from stacks.permanent import PermanentResources

# Compute path → the CDK id of its stack, its class, and what it holds (compute=split builds both).
COMPUTE_STACKS: dict[str, tuple[str, type[ComputeStack], str]] = {
    "lambda": ("Lambda", LambdaStack, "Go backend on Lambda behind an HTTP API"),
    "ecs": ("Ecs", EcsStack, "Go backend on ECS Fargate behind an ALB (rollback path)"),
}


@dataclass(frozen=True)
class AppStacks:
    """The stacks of one environment and compute mode: one compute stack, or both in compute=split."""

    network: NetworkStack
    data: DataStack
    computes: dict[str, ComputeStack]
    edge: EdgeStack | None
    # The copy vault in backup_copy_region (backup with a copy region only).
    backup_copy: BackupCopyStack | None = None
    # CloudFront and its web ACL in us-east-1 (edge_protection open or on, with a domain).
    cdn: CdnStack | None = None

    @property
    def compute(self) -> ComputeStack:
        """The one compute stack of compute=lambda or compute=ecs."""
        if len(self.computes) != 1:
            raise ValueError(f"compute=split has two compute stacks ({', '.join(self.computes)}): name one")
        [stack] = self.computes.values()
        return stack


def _environment(config: AppConfig) -> Environment:
    return Environment(account=config.account, region=config.region)


def _tag(stack: Stack, config: AppConfig) -> None:
    Tags.of(stack).add("project", "anigmaa")
    Tags.of(stack).add("environment", config.env)


def build_permanent_stacks(app: App, config: AppConfig) -> tuple[NetworkStack, DataStack]:
    """Add the long-lived network and data stacks, which never depend on a compute stack."""
    env = _environment(config)
    network = NetworkStack(
        app,
        "Network",
        config=config,
        env=env,
        # The configured zones, so a stack with an account looks nothing up (ConfiguredZonesStack).
        availability_zones=config.network.availability_zones,
        stack_name=config.stack_name("network"),
        description=f"anigmaa {config.env}: VPC, subnets, NAT, security groups, domain certificate",
        termination_protection=config.termination_protection,
    )
    data = DataStack(
        app,
        "Data",
        config=config,
        vpc=network.outputs.vpc,
        database_sg=network.database_sg,
        cache_sg=network.cache_sg,
        # The database-role provider runs in lambda_sg, which reaches the database, and decrypts the master password.
        database_client_sg=network.outputs.lambda_sg,
        secrets_key=network.outputs.secrets_key,
        env=env,
        availability_zones=config.network.availability_zones,
        stack_name=config.stack_name("data"),
        description=f"anigmaa {config.env}: PostgreSQL, Redis, S3",
        termination_protection=config.termination_protection,
    )
    _tag(network, config)
    _tag(data, config)
    return network, data


def build_backup_copy_stack(app: App, config: AppConfig, data: DataStack) -> BackupCopyStack | None:
    """With backup and a copy region: the copy vault's stack, in that region, which the data stack deploys after.

    A top-level stack like the others, so `cdk deploy --all` deploys it (first); only the order links the two,
    as the data stack names the vault by its ARN.
    """
    copy_region = config.backup_copy_region
    if copy_region is None:
        return None
    copy = BackupCopyStack(
        app,
        "BackupCopy",
        config=config,
        env=Environment(account=config.account, region=copy_region),
        stack_name=config.stack_name("backup-copy"),
        description=f"anigmaa {config.env}: the AWS Backup copy vault, outside {config.region}",
        termination_protection=config.termination_protection,
    )
    _tag(copy, config)
    data.add_stack_dependency(copy, "the backup plan copies into this stack's vault")
    return copy


def build_stacks(app: App, config: AppConfig) -> AppStacks:
    """Add the permanent stacks, the backup copy stack, the selected compute stack and, with a domain, the edge
    stack."""
    network, data = build_permanent_stacks(app, config)
    backup_copy = build_backup_copy_stack(app, config, data)
    shared = PermanentResources(network=network.outputs, data=data.outputs)
    computes: dict[str, ComputeStack] = {}
    # A path a load balancer outside the app serves (external_alb) has no stack here: the edge points at it.
    for path in config.built_compute_paths:
        construct_id, stack_class, holds = COMPUTE_STACKS[path]
        computes[path] = stack_class(
            app,
            construct_id,
            config=config,
            shared=shared,
            env=_environment(config),
            availability_zones=config.network.availability_zones,
            stack_name=config.stack_name(path),
            description=f"anigmaa {config.env}: {holds}",
        )
        _tag(computes[path], config)
        _warn_of_any_origin(computes[path], config)
    if config.compute != "split" and config.compute in computes:
        _note_the_other_compute_stack(computes[config.compute], config)

    edge = None
    targets = {path: stack.alias_target for path, stack in computes.items() if stack.alias_target is not None}
    if config.ecs.external_alb is not None and "ecs" in config.compute_paths:
        targets["ecs"] = ExternalLoadBalancerTarget(config.ecs.external_alb)
    cdn = build_cdn_stack(app, config, computes) if targets else None
    if targets:
        edge = EdgeStack(
            app,
            "Edge",
            config=config,
            targets=targets,
            origin_targets={
                path: stack.origin_target for path, stack in computes.items() if stack.origin_target is not None
            },
            data=data.outputs,
            env=_environment(config),
            availability_zones=config.network.availability_zones,
            stack_name=config.stack_name("edge"),
            description=f"anigmaa {config.env}: the API domain's DNS records",
        )
        _tag(edge, config)
        if cdn is not None:
            # The domain's CloudFront records exist before this stack removes the compute paths' own.
            edge.add_stack_dependency(cdn, "CloudFront's records answer for the domain before the paths' go")
        if "ecs" in targets and "ecs" not in computes:
            _note_the_external_load_balancer(edge, config)
    if config.ci is not None:
        # Its own Stage, so `cdk deploy --all` (top-level stacks only) never selects it: `cdk deploy 'Ci/*'`.
        stage = Stage(app, "Ci", env=_environment(config))
        ci = CiStack(
            stage,
            "Roles",
            config=config,
            ci=config.ci,
            stack_name="anigmaa-ci",
            termination_protection=True,
            description=f"anigmaa: GitHub OIDC roles of {config.ci.repository} (deployed by hand, once per account)",
        )
        Tags.of(ci).add("project", "anigmaa")
    if config.import_overrides is not None:
        # The data stack alone holds imported resources (make adopt); no other stack is ever imported into.
        apply_import_overrides([data], config.import_overrides)
    return AppStacks(network=network, data=data, computes=computes, edge=edge, backup_copy=backup_copy, cdn=cdn)


def build_cdn_stack(app: App, config: AppConfig, computes: dict[str, ComputeStack]) -> CdnStack | None:
    """With edge protection: CloudFront and its web ACL, in us-east-1, deployed after the compute paths it
    sends requests to (their origin names and records exist first). Only the order links them."""
    if config.api.edge is None or config.edge_region is None:
        return None
    cdn = CdnStack(
        app,
        "Cdn",
        config=config,
        env=Environment(account=config.account, region=config.edge_region),
        stack_name=config.stack_name("cdn"),
        description=f"anigmaa {config.env}: CloudFront, its certificate and its AWS WAF web ACL (us-east-1)",
    )
    _tag(cdn, config)
    for path, stack in computes.items():
        cdn.add_stack_dependency(stack, f"CloudFront sends the {path} path requests at its origin name")
    return cdn


# Overridden beside the properties: an import holds the live resources with Retain, so deleting the stack
# that only imported them deletes nothing.
RESOURCE_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy")


def apply_import_overrides(stacks: list[Stack], overrides: ImportOverrides) -> None:
    """-c adopt_import: set (or, for null, delete) each named CloudFormation property of each named resource,
    and its DeletionPolicy or UpdateReplacePolicy where named.

    Only for a `cdk import`, whose template must equal the live resource; the next plain deploy,
    without it, brings the resource to the app's settings (`tools.ops.preflight` refuses a deploy
    with it). A stack is named by its CloudFormation name or its CDK id, a resource by its logical
    id in that stack's template.
    """
    by_name = {name: stack for stack in stacks for name in (stack.stack_name, stack.node.id)}
    for stack_name, resources in overrides.items():
        stack = by_name.get(stack_name)
        if stack is None:
            known = ", ".join(stack.stack_name for stack in stacks)
            raise ConfigError(
                f"adopt_import: stack {stack_name!r} is not one resources are imported into; accepted: {known} "
                "(or its CDK id)"
            )
        cfn_resources = {
            str(stack.resolve(stack.get_logical_id(child))): child
            for child in stack.node.find_all()
            if isinstance(child, CfnResource) and Stack.of(child) is stack
        }
        for logical_id, properties in resources.items():
            resource = cfn_resources.get(logical_id)
            if resource is None:
                close = difflib.get_close_matches(logical_id, sorted(cfn_resources), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(
                    f"adopt_import: {logical_id!r} is not a resource of {stack.stack_name}{hint}; accepted: a "
                    "logical id of that stack's template"
                )
            for name, value in properties.items():
                if name in RESOURCE_ATTRIBUTES:
                    resource.add_override(name, value)
                elif value is None:
                    resource.add_property_deletion_override(name)
                else:
                    resource.add_property_override(name, value)


def _note_the_external_load_balancer(edge: Stack, config: AppConfig) -> None:
    """The ECS path is served from outside the app: its record points there, and no Ecs stack is built."""
    assert config.ecs.external_alb is not None
    Annotations.of(edge).add_warning_v2(
        "anigmaa:ecs-served-externally",
        f"external_alb: the domain's ecs record points at {config.ecs.external_alb.dns_name}, a load balancer "
        f"outside this app, and {config.stack_name('ecs')} is not built; remove external_alb once that load "
        "balancer retires (compute=lambda, or the app's own Ecs stack)",
    )


def _note_the_other_compute_stack(compute: Stack, config: AppConfig) -> None:
    """Say at synth that the other compute stack, if deployed, is not removed by leaving the app."""
    other = "ecs" if config.compute == "lambda" else "lambda"
    name = config.stack_name(other)
    billing = " (and billing)" if other == "ecs" else ""
    message = (
        f"compute={config.compute}: {name} is not in this app; if deployed, it runs{billing} until removed, "
        f"after the rollback window: aws cloudformation delete-stack --region {config.region} --stack-name {name}"
    )
    Annotations.of(compute).add_warning_v2(f"anigmaa:{other}-stack-not-in-app", message)


def _warn_of_any_origin(compute: Stack, config: AppConfig) -> None:
    """allowed_origins=* stays possible, but never silent in prod (whatever termination_protection says)."""
    if "*" not in config.api.allowed_origins or not config.is_prod:
        return
    Annotations.of(compute).add_warning_v2(
        "anigmaa:cors-any-origin",
        f"allowed_origins=* in env={config.env}: a script on any web site may call this API from a visitor's "
        "browser and read the answers; name the front-end origins instead (https://app.example.com,…)",
    )
