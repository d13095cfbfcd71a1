"""Builds the app's stacks from a validated configuration."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags

from config import AppConfig
from stacks.data_stack import DataStack
from stacks.lambda_stack import LambdaStack
from stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class AppStacks:
    """The stacks of one environment."""

    network: NetworkStack
    data: DataStack
    compute: LambdaStack


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
        stack_name=config.stack_name("network"),
        description=f"anigmaa {config.env}: VPC, subnets, NAT, security groups",
        termination_protection=config.termination_protection,
    )
    data = DataStack(
        app,
        "Data",
        config=config,
        vpc=network.vpc,
        database_sg=network.database_sg,
        cache_sg=network.cache_sg,
        env=env,
        stack_name=config.stack_name("data"),
        description=f"anigmaa {config.env}: PostgreSQL, Redis, S3",
        termination_protection=config.termination_protection,
    )
    _tag(network, config)
    _tag(data, config)
    return network, data


def build_stacks(app: App, config: AppConfig) -> AppStacks:
    """Add the network, data and compute stacks of ``config.env`` to ``app``."""
    network, data = build_permanent_stacks(app, config)
    compute = LambdaStack(
        app,
        "Lambda",
        config=config,
        vpc=network.vpc,
        lambda_sg=network.lambda_sg,
        database_host=data.database_host,
        redis_host=data.redis_host,
        bucket=data.bucket,
        env=_environment(config),
        stack_name=config.stack_name("lambda"),
        description=f"anigmaa {config.env}: Go backend on Lambda behind an HTTP API",
    )
    _tag(compute, config)
    return AppStacks(network=network, data=data, compute=compute)
