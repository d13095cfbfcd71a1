"""tools.adopt.state: a Terraform state read into resources, named as Terraform names them, secrets never kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools.adopt.state import Sensitive, StateError, parse, read

# Test-only values, obviously not real.
PASSWORD = "test-only-db-password-0000"
TOKEN = "test-only-redis-token-0000"
JWT = "test-only-jwt-secret-0000000000000000"


def _instance(attributes: dict[str, Any], index: Any = None, **extra: Any) -> dict[str, Any]:
    instance = {"schema_version": 0, "attributes": attributes, "sensitive_attributes": [], **extra}
    if index is not None:
        instance["index_key"] = index
    return instance


def _raw_state() -> dict[str, Any]:
    """The seed's shape in brief: the network in a module with count, the rest at the root, SSM by for_each."""
    provider = 'provider["registry.terraform.io/hashicorp/aws"]'
    return {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 7,
        "lineage": "00000000-0000-0000-0000-000000000000",
        "outputs": {"db_password": {"value": PASSWORD, "type": "string", "sensitive": True}},
        "resources": [
            {
                "module": "module.vpc",
                "mode": "managed",
                "type": "aws_subnet",
                "name": "private",
                "provider": provider,
                "instances": [
                    _instance({"id": f"subnet-0{n}", "cidr_block": f"10.0.{n}.0/24"}, index=n) for n in range(2)
                ],
            },
            {
                "mode": "managed",
                "type": "aws_db_instance",
                "name": "main",
                "provider": provider,
                "instances": [
                    _instance(
                        {"id": "db-EXAMPLE", "identifier": "anigmaa-db", "username": "postgres", "password": PASSWORD},
                        sensitive_attributes=[[{"type": "get_attr", "value": "password"}]],
                    ),
                    # Left by a create-before-destroy: not the live instance.
                    {**_instance({"id": "db-OLD", "identifier": "anigmaa-db-old"}), "deposed": "00000001"},
                ],
            },
            {
                "mode": "managed",
                "type": "aws_elasticache_replication_group",
                "name": "redis",
                "provider": provider,
                # A state from before sensitive_attributes: the token is dropped all the same.
                "instances": [_instance({"replication_group_id": "anigmaa-redis", "auth_token": TOKEN})],
            },
            {
                "mode": "managed",
                "type": "aws_ssm_parameter",
                "name": "secret",
                "provider": provider,
                "instances": [_instance({"name": "/anigmaa/prod/JWT_SECRET", "value": JWT}, index="jwt_secret")],
            },
            {
                "mode": "data",
                "type": "aws_availability_zones",
                "name": "available",
                "provider": provider,
                "instances": [_instance({"names": ["ap-southeast-1a", "ap-southeast-1b"]})],
            },
        ],
        "check_results": None,
    }


def _show_json() -> dict[str, Any]:
    """The same resources as terraform show -json writes them."""
    return {
        "format_version": "1.0",
        "terraform_version": "1.11.4",
        "values": {
            "outputs": {"db_password": {"sensitive": True, "value": PASSWORD}},
            "root_module": {
                "resources": [
                    {
                        "address": "aws_db_instance.main",
                        "mode": "managed",
                        "type": "aws_db_instance",
                        "name": "main",
                        "values": {
                            "id": "db-EXAMPLE",
                            "identifier": "anigmaa-db",
                            "username": "postgres",
                            "password": PASSWORD,
                            "blue_green_update": [{"enabled": False}],
                        },
                        # A block of no secret is mirrored as [{}]: not sensitive.
                        "sensitive_values": {"password": True, "blue_green_update": [{}]},
                    },
                    {
                        "address": 'aws_ssm_parameter.secret["jwt_secret"]',
                        "mode": "managed",
                        "type": "aws_ssm_parameter",
                        "name": "secret",
                        "index": "jwt_secret",
                        "values": {"name": "/anigmaa/prod/JWT_SECRET", "value": JWT},
                        "sensitive_values": {"value": True},
                    },
                ],
                "child_modules": [
                    {
                        "address": "module.vpc",
                        "resources": [
                            {
                                "address": f"module.vpc.aws_subnet.private[{n}]",
                                "mode": "managed",
                                "type": "aws_subnet",
                                "name": "private",
                                "index": n,
                                "values": {"id": f"subnet-0{n}", "cidr_block": f"10.0.{n}.0/24"},
                                "sensitive_values": {},
                            }
                            for n in range(2)
                        ],
                    }
                ],
            },
        },
    }


ADDRESSES = [
    "module.vpc.aws_subnet.private[0]",
    "module.vpc.aws_subnet.private[1]",
    "aws_db_instance.main",
    "aws_elasticache_replication_group.redis",
    'aws_ssm_parameter.secret["jwt_secret"]',
]


def test_every_managed_instance_is_one_resource_named_as_terraform_names_it() -> None:
    resources = parse(_raw_state(), "state")
    assert [r.address for r in resources] == ADDRESSES  # no data source, no deposed object
    [subnet, *_] = resources
    assert (subnet.module, subnet.type, subnet.name, subnet.index) == ("module.vpc", "aws_subnet", "private", 0)
    assert resources[4].index == "jwt_secret"
    assert resources[2].attributes["identifier"] == "anigmaa-db"


def test_no_secret_is_kept_only_its_digest() -> None:
    resources = {r.address: r for r in parse(_raw_state(), "state")}
    password = resources["aws_db_instance.main"].attributes["password"]
    token = resources["aws_elasticache_replication_group.redis"].attributes["auth_token"]  # not marked in the state
    value = resources['aws_ssm_parameter.secret["jwt_secret"]'].attributes["value"]
    assert all(isinstance(secret, Sensitive) for secret in (password, token, value))
    assert password.matches(PASSWORD)
    assert not password.matches("another")
    assert token.matches(TOKEN)
    assert value.matches(JWT)
    kept = repr(list(resources.values())) + str(list(resources.values()))
    assert not [secret for secret in (PASSWORD, TOKEN, JWT) if secret in kept]


def test_show_json_reads_as_the_raw_state_does() -> None:
    raw = {r.address: r for r in parse(_raw_state(), "state")}
    shown = parse(_show_json(), "show.json")
    assert [r.address for r in shown] == ["aws_db_instance.main", ADDRESSES[4], *ADDRESSES[:2]]
    for resource in shown:
        assert (resource.module, resource.type, resource.name, resource.index) == (
            raw[resource.address].module,
            raw[resource.address].type,
            raw[resource.address].name,
            raw[resource.address].index,
        )
    [database] = [r for r in shown if r.type == "aws_db_instance"]
    assert isinstance(database.attributes["password"], Sensitive)
    assert database.attributes["blue_green_update"] == [{"enabled": False}]  # mirrored [{}]: nothing secret in it
    assert PASSWORD not in repr(shown)
    assert parse({"format_version": "1.0", "terraform_version": "1.11.4"}, "empty") == []


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform CLI is not installed here")
def test_the_addresses_are_terraform_state_lists(tmp_path: Path) -> None:
    """Terraform itself as the oracle, where its CLI is installed (it reads a raw state without providers)."""
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(_raw_state()), encoding="utf-8")
    listed = subprocess.run(
        ["terraform", "state", "list", f"-state={path}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},  # no version check: nothing leaves this machine
    ).stdout.split()
    # Terraform lists its data sources too, which are not resources to take over; neither lists a deposed object.
    assert sorted(listed) == sorted([*ADDRESSES, "data.aws_availability_zones.available"])
    assert [r.address for r in read(path)] == ADDRESSES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", r"^{path}: not JSON, so not a Terraform state; accepted: terraform state pull's output$"),
        ('{"resources": []}', r"^{path}: not a Terraform state; accepted: terraform state pull's or terraform show"),
        ('{"version": 3, "resources": []}', r"^{path}: a Terraform state of format 3; accepted: format 4"),
        ('{"encrypted_data": "…"}', r"^{path}: an encrypted state; accepted: the decrypted state"),
        (
            '{"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "main", '
            '"instances": [{"attributes_flat": {}}]}]}',
            r"^{path}: aws_vpc.main has no attributes \(a state older than Terraform 0.12\)",
        ),
    ],
)
def test_what_is_not_a_state_it_reads_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StateError, match=message.replace("{path}", str(path).replace(".", r"\."))):
        read(path)
    with pytest.raises(StateError, match=r"not found; accepted: a file from terraform state pull"):
        read(tmp_path / "missing.tfstate")
