"""Inputs that once went through without a word, each tried as a newcomer would write it: refused (or
warned) in one line that names the key, where it belongs and what is accepted."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from config import ConfigError, load_config, read_context
from config.keys import KEYS, ROOT_KEYS
from config.limits import AWS_ZONES
from config.rules import check_connection_budget
from stacks.app_stacks import _warn_of_any_origin
from tests.conftest import CDK_CONTEXT, EXAMPLE_ZONE_ID, ROOT


def load(**overrides: Any) -> Any:
    """As `cdk synth -c key=value …` hands the app its context: cdk.json's, then the overrides."""
    return load_config({**CDK_CONTEXT, **overrides}, ROOT)


def project_with(tmp_path: Path, edit: Any) -> tuple[dict[str, Any], Path]:
    """A copy of cdk.json changed by ``edit(context)``, and its folder: the context the CDK would merge from it."""
    document = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    edit(document["context"])
    (tmp_path / "cdk.json").write_text(json.dumps(document), encoding="utf-8")
    return document["context"], tmp_path


# 1. An environment's key at the root of cdk.json's context.


def test_an_environment_key_at_the_root_of_cdk_json_is_refused(tmp_path: Path) -> None:
    """`"db_deletion_protection": false` beside "environments" would turn prod's protection off without a word."""
    context, root = project_with(tmp_path, lambda c: c.update(db_deletion_protection=False))
    message = (
        r"^db_deletion_protection: false is at the root of cdk\.json's context, where it overrides "
        r"environments\.prod \(and every environment\) without a word; accepted: set it in cdk\.json "
        r"environments\.prod \(each environment has its own\), or -c db_deletion_protection=false for one command$"
    )
    with pytest.raises(ConfigError, match=message):
        load_config(context, root)
    # The check reads the file, so it holds for every caller: the operations tools build their own context.
    from tools.ops.aws import AwsError, load_environment

    with pytest.raises(AwsError, match=message.replace("prod", "dev")):
        load_environment("dev", root)
    # A list is named as -c takes it, quoted for the shell.
    context, root = project_with(tmp_path, lambda c: c.update(allowed_origins=["*"]))
    with pytest.raises(ConfigError, match=r"; accepted: .*, or -c 'allowed_origins=\*' for one command$"):
        load_config(context, root)


def test_the_same_key_given_with_c_still_overrides_for_one_command() -> None:
    assert load(db_deletion_protection="false").database.deletion_protection is False


def test_nothing_in_the_repository_keeps_an_environment_key_at_the_root(tmp_path: Path) -> None:
    """cdk.json's root holds the keys that choose what to build; the split runbook commits two of them there."""
    assert not set(read_context(ROOT)) & set(KEYS)

    def split(context: dict[str, Any]) -> None:
        context.update(compute="split", lambda_weight=5)
        context["environments"]["prod"].update(
            domain_name="api.anigmaa.example", hosted_zone_id=EXAMPLE_ZONE_ID, hosted_zone_name="anigmaa.example"
        )

    context, root = project_with(tmp_path, split)
    assert load_config(context, root).lambda_weight == 5


# 6. A key of the context's root inside an environment.


@pytest.mark.parametrize(
    ("key", "value", "option"),
    [
        ("compute", "ecs", "compute=ecs"),
        ("lambda_weight", 5, "lambda_weight=5"),
        ("env", "dev", "env=dev"),
        ("github_repository", "anigmaa/anigmaa-infra", "github_repository=anigmaa/anigmaa-infra"),
    ],
)
def test_a_root_key_inside_an_environment_is_sent_to_the_root(key: str, value: Any, option: str) -> None:
    """Not "did you mean 'compute'?": it is spelled right, in the wrong place."""
    context = copy.deepcopy(CDK_CONTEXT)
    context["environments"]["prod"][key] = value
    assert key in ROOT_KEYS
    with pytest.raises(
        ConfigError,
        match=rf"^{key}: {re.escape(repr(value))} is in cdk\.json environments\.prod, where it is not read; "
        rf"accepted: {key} at the root of cdk\.json's context, beside environments, or -c {option} for one command$",
    ):
        load_config(context, ROOT)


# 2. Prod's checks key off the environment, never off termination_protection.


def test_prod_without_termination_protection_still_refuses_plain_http_on_ecs() -> None:
    with pytest.raises(ConfigError, match=r"^compute: 'ecs' in env=prod has no domain_name, so the load balancer"):
        load(compute="ecs", termination_protection="false")
    # And dev with protection on is still dev.
    assert load(env="dev", compute="ecs", termination_protection="true").compute == "ecs"


@pytest.mark.parametrize(("env", "protection", "warned"), [("prod", "false", True), ("dev", "true", False)])
def test_any_origin_is_warned_in_prod_whatever_termination_protection_says(
    env: str, protection: str, warned: bool
) -> None:
    stack = Stack(App(), "Probe")  # the warning is the app's own: no synth needed
    _warn_of_any_origin(stack, load(env=env, allowed_origins="*", termination_protection=protection))
    warnings = [str(entry.data) for entry in stack.node.metadata if entry.type == "aws:cdk:warning"]
    assert any(f"allowed_origins=* in env={env}: a script on any web site" in w for w in warnings) is warned


def test_prod_keeps_its_approved_change_sets_whatever_termination_protection_says() -> None:
    environments = copy.deepcopy(CDK_CONTEXT["environments"])
    environments["prod"]["account"], environments["dev"]["account"] = "111111111111", "222222222222"
    ci = {"environments": environments, "github_repository": "anigmaa/anigmaa-infra"}
    prod = load(**ci, termination_protection="false").ci
    dev = load(**ci, env="dev", termination_protection="true").ci
    assert (prod.environments, dev.environments) == ((("prod", True),), (("dev", False),))


# 4. A zone the region does not have, and a region the table does not know.


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"availability_zones": "ap-southeast-1a,ap-southeast-1z"},
            r"^availability_zones: 'ap-southeast-1z' is not a zone of ap-southeast-1; accepted: ap-southeast-1a, "
            r"ap-southeast-1b, ap-southeast-1c \(AWS_ZONES in config/limits\.py\)$",
        ),
        (
            {"region": "us-west-1", "availability_zones": "us-west-1a,us-west-1d"},
            r"^availability_zones: 'us-west-1d' is not a zone of us-west-1; accepted: us-west-1a, us-west-1b, "
            r"us-west-1c \(AWS_ZONES in config/limits\.py\)$",
        ),
        (
            {"region": "ap-southeast-9", "availability_zones": "ap-southeast-9a,ap-southeast-9b"},
            r"^region: 'ap-southeast-9' is not a region whose zones the app knows \(near it: ap-southeast-\d, "
            r"ap-southeast-\d, ap-southeast-\d\); accepted: a region of AWS_ZONES in config/limits\.py, or add it "
            r"there with its zone letters$",
        ),
    ],
    ids=["zone", "zone-us-west-1", "region"],
)
def test_a_zone_or_region_that_does_not_exist_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(**overrides)


def test_every_letter_any_account_has_is_accepted() -> None:
    """ap-northeast-1b exists for older accounts only, us-west-1 has three letters though an account sees two."""
    for region, zones in (
        ("ap-northeast-1", "ap-northeast-1b,ap-northeast-1d"),
        ("us-west-1", "us-west-1b,us-west-1c"),
    ):
        assert load(region=region, availability_zones=zones).network.availability_zones == tuple(zones.split(","))
    for region, letters in AWS_ZONES.items():
        KEYS["region"].parse("region", region)  # every region of the table is one the key's pattern takes
        assert letters == "".join(sorted(set(letters))), region
        assert letters.isalpha(), region
        assert letters.islower(), region
        assert len(letters) >= 2, region  # the app needs two zones


# 5. A database too small for even one task or one environment.


def test_a_database_too_small_for_one_task_blames_db_max_connections() -> None:
    """Not ecs_desired_count "at most 0", which it does not accept: the database, with the value that fits."""
    with pytest.raises(
        ConfigError,
        match=r"^db_max_connections: 5 cannot hold even one Lambda environment and one ECS task: 1 x 2 connections "
        r"\+ 2 tasks \(1 desired, 200% while a deploy runs\) x 10 = 22 exceeds the 1 the database can give \(5 "
        r"max_connections less 3 RDS keeps and 1 kept free\); accepted: at least 84, which holds "
        r"lambda_reserved_concurrency 16 and ecs_desired_count 2 \(72 connections\), if the instance has that many "
        r"\(SHOW max_connections; a larger db_instance_class has more\)$",
    ):
        load(db_max_connections=5)
    # 84 is the least that holds prod's 16 environments and 2 tasks (72 connections).
    assert load(db_max_connections=84).database.max_connections == 84
    with pytest.raises(ConfigError, match=r"^lambda_reserved_concurrency: 16 .*; accepted: at most 15, "):
        load(db_max_connections=83)
    unreserved = {"lambda_reserved_concurrency": 0, "api_throttle_rate": 100, "api_throttle_burst": 50}
    with pytest.raises(
        ConfigError,
        match=r"^db_max_connections: 25 cannot hold even one ECS task: 2 tasks \(1 desired, 200% while a deploy "
        r"runs\) x 10 connections = 20 exceeds the 19 .*; accepted: at least 48, which holds ecs_desired_count 2 "
        r"\(40 connections\)",
    ):
        load(db_max_connections=25, **unreserved)


def test_an_estimated_class_too_small_is_named_with_one_that_fits() -> None:
    """db_max_connections 0 estimates from the class: then the class is what to change."""
    with pytest.raises(
        ConfigError,
        match=r"^db_instance_class: 'db\.example\.nano' \(max_connections 20, estimated\) cannot hold even one "
        r"Lambda environment and one ECS task: .*; accepted: a class with at least 84 max_connections, which holds "
        r"lambda_reserved_concurrency 16 and ecs_desired_count 2 \(72 connections\), such as db\.t3\.micro \(84\), "
        r"or -c db_max_connections=<the instance's max_connections> if it has that many$",
    ):
        check_connection_budget(16, 2, 20, estimated_from="db.example.nano")


@pytest.mark.parametrize("max_connections", [5, 20, 22, 26, 41, 45, 49, 50, 84, 120, 300])
@pytest.mark.parametrize(("reserved", "ecs_tasks"), [(0, 1), (0, 2), (0, 20), (1, 1), (16, 2), (30, 4), (1000, 20)])
def test_every_suggestion_is_a_value_its_key_accepts_and_that_fits(
    reserved: int, ecs_tasks: int, max_connections: int
) -> None:
    """Whatever the line blames, its "at most" or "at least" is in the key's range and makes that step fit."""
    try:
        check_connection_budget(reserved, ecs_tasks, max_connections)
    except ConfigError as error:
        said = str(error)
    else:
        return
    key, _, rest = said.partition(":")
    suggestion = re.search(r"; accepted: at (most|least) (\d+)", rest)
    assert suggestion, said
    value = int(suggestion[2])
    KEYS[key].parse(key, value)  # in range, or this raises
    if key == "db_max_connections":
        check_connection_budget(reserved, ecs_tasks, value)  # fits as configured
    elif key == "ecs_desired_count":
        assert value >= 1
        check_connection_budget(min(reserved, 1), value, max_connections)  # fits with one environment
    else:
        assert key == "lambda_reserved_concurrency"
        assert value >= 1  # 0 would be no cap at all
        check_connection_budget(value, ecs_tasks, max_connections)


# 3, 7, 8. The Makefile: a variable's other spelling, and CONTEXT that is not -c key=value.


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """`make -n`: the checks run as make reads the Makefile, before any set-up; nothing is built."""
    return subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    match = re.fullmatch(r"Makefile:\d+: \*\*\* (.*)\.  Stop\.", line)
    assert match, line
    return match[1]


UPPER = "(upper case; only env is lower case)"
NO_ASSIGNMENT = "is not an assignment (the CDK would only warn, and go on at the default)"
NO_C = "has no -c before it (the CDK would take it for a stack: No stacks match)"
REVIEW = (
    "is not read by make review (it synthesizes every environment of cdk.json in both modes); accepted: make review "
    "[BASE=ref] without CONTEXT, which is for synth, scan, diff, deploy and cost"
)
MAKE_REFUSALS = {
    "base": (("review", "base=v1.4.0"), f"base=v1.4.0 is not read here; accepted: BASE=v1.4.0 {UPPER}"),
    "context": (("synth", "context=-c a=1"), f"context=-c a=1 is not read here; accepted: CONTEXT=-c a=1 {UPPER}"),
    "cost": (("cost", "cost=--sources"), f"cost=--sources is not read here; accepted: COST=--sources {UPPER}"),
    "setup": (("synth", "setup=deploy"), f"setup=deploy is not read here; accepted: SETUP=deploy {UPPER}"),
    "no-assignment": (
        ("synth", "CONTEXT=-c lambda_memory"),
        f"CONTEXT: -c lambda_memory {NO_ASSIGNMENT}; accepted: -c lambda_memory=<value>",
    ),
    "context-flag": (
        ("deploy", "CONTEXT=--context lambda_memory"),
        f"CONTEXT: --context lambda_memory {NO_ASSIGNMENT}; accepted: --context lambda_memory=<value>",
    ),
    "no-c": (
        ("synth", "CONTEXT=lambda_memory=1024"),
        f'CONTEXT: lambda_memory=1024 {NO_C}; accepted: CONTEXT="-c lambda_memory=1024"',
    ),
    "no-c-among-others": (
        ("diff", "CONTEXT=-c nat_provider=instance lambda_memory=1024"),
        f'CONTEXT: lambda_memory=1024 {NO_C}; accepted: CONTEXT="-c nat_provider=instance -c lambda_memory=1024"',
    ),
    "other-flag": (
        ("cost", "CONTEXT=--all"),
        "CONTEXT: --all is not a -c key=value item; accepted: -c key=value items only (other cdk options: run npx "
        "cdk yourself)",
    ),
    "quote": (
        ("synth", "CONTEXT=-c 'unclosed"),
        "CONTEXT: -c 'unclosed cannot be split as a shell would (No closing quotation); accepted: -c key=value "
        "items, quoted as in a shell",
    ),
    "review": (("review", "CONTEXT=-c lambda_memory=1024"), f"CONTEXT: -c lambda_memory=1024 {REVIEW}"),
}


@pytest.mark.parametrize(("args", "said"), MAKE_REFUSALS.values(), ids=MAKE_REFUSALS.keys())
def test_make_refuses_what_it_would_otherwise_ignore_in_one_line(args: tuple[str, ...], said: str) -> None:
    assert refusal(make(*args)) == said


@pytest.mark.parametrize(
    "context",
    [
        "-c lambda_memory=1024",
        "--context lambda_memory=1024 -c nat_provider=instance",
        "--context=lambda_memory=1024",
        "-c lambda_weight=",  # empty: leaves cdk.json's weight out, as the split runbook says
        "-c 'lambda_release_checks=GET /events?limit=1 200'",
        "-c 'allowed_origins=*'",
    ],
)
def test_make_takes_every_form_the_cdk_takes(context: str) -> None:
    for target in ("synth", "deploy", "cost"):
        result = make(target, f"CONTEXT={context}")
        assert result.returncode == 0, result.stderr
        assert context in result.stdout  # handed on as written
    assert make("review", "BASE=v1.4.0").returncode == 0
