"""Typed, validated configuration for the anigmaa infrastructure.

`load_config` turns the CDK context (``cdk.json`` plus ``-c key=value`` overrides) into
frozen dataclasses (`config.model`) before any construct exists. Every rejected value
raises `ConfigError` with one line naming the key, the value it got and what is accepted.

- `config.keys`: each key's parser, help and accepted values;
- `config.limits`: AWS's tables and limits, each once;
- `config.rules`: the checks across keys and the connection arithmetic;
- `config.naming`: every physical name;
- `config.backend`: what the Go backend fixes (ports, users, secrets, pools).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config.backend import (
    APP_PORT,
    BACKEND_SECRET_NAMES,
    DB_APP_USER,
    DB_MASTER_USER,
    DB_NAME,
    DB_PORT,
    ECS_DB_MAX_CONNS,
    ECS_DEPLOY_MAX_PERCENT,
    LAMBDA_DB_MAX_CONNS,
    REDIS_PORT,
    SECRET_NAMES,
)
from config.ci import load_ci
from config.keys import COMPUTE_MODES, ENVIRONMENTS, KEYS, LAMBDA_WEIGHT, ROOT_KEYS, ConfigError, fail
from config.model import AppConfig, ImportOverrides
from config.rules import assemble

__all__ = [
    "APP_PORT",
    "BACKEND_SECRET_NAMES",
    "DB_APP_USER",
    "DB_MASTER_USER",
    "DB_NAME",
    "DB_PORT",
    "ECS_DB_MAX_CONNS",
    "ECS_DEPLOY_MAX_PERCENT",
    "LAMBDA_DB_MAX_CONNS",
    "REDIS_PORT",
    "SECRET_NAMES",
    "AppConfig",
    "ConfigError",
    "load_config",
    "read_context",
]


# Context keys the CDK CLI itself may write into cdk.json; all others without ':' are ours.
_CLI_KEYS = frozenset({"acknowledged-issue-numbers"})


def _is_user_key(key: str) -> bool:
    """CDK's own context keys contain ':' (aws:cdk:…) or start with '@' (feature flags)."""
    return ":" not in key and not key.startswith("@") and key not in _CLI_KEYS


def read_context(project_root: Path) -> dict[str, Any]:
    """cdk.json's context, for the tools that read the configuration outside a synth."""
    path = project_root / "cdk.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"cdk.json: not found in {project_root}; accepted: run from the project folder") from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"cdk.json: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "accepted: a JSON object with a context"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("context"), dict):
        raise ConfigError("cdk.json: has no context object; accepted: a JSON object with a context")
    return dict(document["context"])


def _unknown_key(key: str, where: str) -> ConfigError:
    # Matched without regard to case, so LAMBDA_MEMORY gets its hint too.
    known = {name.lower(): name for name in [*KEYS, *ROOT_KEYS]}
    close = difflib.get_close_matches(key.lower(), sorted(known), n=1)
    hint = f" (did you mean {known[close[0]]!r}?)" if close else ""
    return ConfigError(f"{key}: unknown configuration key in {where}{hint}; accepted: see docs/configuration.md")


def _option(key: str, value: Any) -> str:
    """A cdk.json value as ``-c key=value`` takes it, quoted for a shell where it needs to be."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ",".join(str(item) for item in value)
    else:
        text = str(value)
    return shlex.quote(f"{key}={text}")


def _at_the_root(key: str, value: Any, env: str) -> ConfigError:
    """An environment's key at the root of cdk.json's context would override the environment without a word."""
    return ConfigError(
        f"{key}: {json.dumps(value)} is at the root of cdk.json's context, where it overrides environments.{env} "
        f"(and every environment) without a word; accepted: set it in cdk.json environments.{env} (each "
        f"environment has its own), or -c {_option(key, value)} for one command"
    )


def _not_an_environment_key(key: str, value: Any, env: str) -> ConfigError:
    """A key that chooses what to build (ROOT_KEYS) inside an environment is never read there."""
    return ConfigError(
        f"{key}: {value!r} is in cdk.json environments.{env}, where it is not read; accepted: {key} at the root "
        f"of cdk.json's context, beside environments, or -c {_option(key, value)} for one command"
    )


def load_config(context: Mapping[str, Any], project_root: Path) -> AppConfig:
    """Build the validated configuration from the CDK context.

    ``context`` holds cdk.json's context merged with ``-c`` overrides (as
    ``app.node`` sees it, or as a tool builds it). A top-level key from ``-c``
    overrides the selected environment's value from ``environments``; at the
    root of cdk.json itself only ROOT_KEYS may stand, which the CDK's merge
    hides, so the file is read here (every caller gets the check).
    """
    for key in context:
        if _is_user_key(key) and key not in KEYS and key not in ROOT_KEYS:
            raise _unknown_key(key, "the context (-c or cdk.json)")

    env = context.get("env", "prod")
    if not isinstance(env, str) or env not in ENVIRONMENTS:
        raise fail("env", env, "is not a known environment", " | ".join(ENVIRONMENTS))

    compute = context.get("compute", "lambda")
    if not isinstance(compute, str) or compute not in COMPUTE_MODES:
        raise fail("compute", compute, "is not a known compute mode", " | ".join(COMPUTE_MODES))

    for key, value in read_context(project_root).items():
        if key in KEYS:
            raise _at_the_root(key, value, env)

    environments = context.get("environments")
    if not isinstance(environments, Mapping) or not isinstance(environments.get(env), Mapping):
        raise ConfigError(
            f"environments: cdk.json has no settings for env {env!r}; accepted: an object per environment"
        )
    values: dict[str, Any] = {}
    for key, value in environments[env].items():
        if key in ROOT_KEYS:
            raise _not_an_environment_key(key, value, env)
        if key not in KEYS:
            raise _unknown_key(key, f"cdk.json environments.{env}")
        values[key] = value
    for key, value in context.items():
        if key in KEYS:
            values[key] = value

    missing = sorted(set(KEYS) - set(values))
    if missing:
        raise ConfigError(f"{missing[0]}: no value for env {env!r}; accepted: set it in cdk.json environments.{env}")

    parsed = {key: KEYS[key].parse(key, value) for key, value in values.items()}
    config = assemble(env, compute, parsed, project_root)
    return dataclasses.replace(
        config,
        lambda_weight=_lambda_weight(context, config),
        ci=load_ci(context),
        import_overrides=_import_overrides(context.get("adopt_import"), project_root),
    )


_IMPORT_FORM = (
    'a JSON file {"<stack name>": {"<logical id>": {"<CloudFormation property>": value, or null to delete it}}}'
)


def _import_overrides(given: Any, project_root: Path) -> ImportOverrides | None:
    """-c adopt_import=PATH: the properties that make the import template equal the live resources.

    Read here, so a missing or malformed file stops the synth in one line before any construct
    exists; its stack names and logical ids are checked against the stacks once they are built.
    """
    if given is None or given == "":
        return None
    if "adopt_import" in read_context(project_root):
        raise fail(
            "adopt_import",
            given,
            "is set in cdk.json, where every deploy would take it",
            "only -c adopt_import=FILE on the cdk import command line",
        )
    if not isinstance(given, str):
        raise fail("adopt_import", given, "is not a path", _IMPORT_FORM)
    path = project_root / given
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail("adopt_import", given, "does not exist", _IMPORT_FORM) from None
    except (OSError, UnicodeDecodeError) as error:
        raise fail("adopt_import", given, f"cannot be read ({error.__class__.__name__})", _IMPORT_FORM) from None
    except json.JSONDecodeError as error:
        raise fail(
            "adopt_import",
            given,
            f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            _IMPORT_FORM,
        ) from None
    if not isinstance(document, dict):
        raise fail("adopt_import", given, "holds no object of stacks", _IMPORT_FORM)
    for stack, resources in document.items():
        if not isinstance(resources, dict) or not all(isinstance(p, dict) for p in resources.values()):
            raise fail("adopt_import", given, f"has stack {stack!r} without an object of logical ids", _IMPORT_FORM)
    return document


def _lambda_weight(context: Mapping[str, Any], config: AppConfig) -> int | None:
    """compute=split shares the domain's one name between the two paths, so it needs a domain and a weight."""
    given = context.get("lambda_weight")
    if given == "":
        given = None  # `-c lambda_weight=` leaves a weight in cdk.json out, for one command
    if config.compute != "split":
        if given is not None:
            raise ConfigError(
                f"lambda_weight: {given!r} is given with compute={config.compute}; accepted: lambda_weight with "
                "-c compute=split only (lambda or ecs alone serves every request): take it out of cdk.json with "
                "the split, or add -c lambda_weight= for this command"
            )
        return None
    if config.api.domain is None:
        raise ConfigError(
            "compute: 'split' has no domain_name to split: without a domain each path has its own address; "
            "accepted: set domain_name, hosted_zone_id and hosted_zone_name, or -c compute=lambda | ecs"
        )
    if given is None:
        raise ConfigError(
            f"lambda_weight: no value with compute=split; accepted: -c lambda_weight=<{LAMBDA_WEIGHT.accepted}>, "
            "the percent of DNS answers that point at Lambda"
        )
    weight: int = LAMBDA_WEIGHT("lambda_weight", given)
    return weight
