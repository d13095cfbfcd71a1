"""A Terraform state read into its managed resources, as `terraform state list` names them.

Two documents are read: the raw state `terraform state pull` prints (format 4, which needs no
provider) and `terraform show -json` (which does). Resources inside modules
(``module.vpc.aws_subnet.private[0]``) and the instances of ``count`` (an int index) and
``for_each`` (a string index) are each one resource; data sources and deposed objects (left by a
create-before-destroy) are not resources to take over, so they are left out.

A state holds secrets in plain text: the database's password, the Redis token, a SecureString's
value, sensitive outputs. None is kept. A sensitive attribute (marked so by the state, or one of
`KNOWN_SECRETS`) becomes a `Sensitive` that holds only the value's SHA-256, so a plan can tell
whether it equals another value without writing or printing it; outputs are not read at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Attributes the AWS provider holds in clear whatever a state marks: dropped even from a state
# written before sensitive_attributes existed.
KNOWN_SECRETS = {
    "aws_db_instance": {"password", "password_wo"},
    "aws_rds_cluster": {"master_password", "master_password_wo"},
    "aws_elasticache_replication_group": {"auth_token"},
    "aws_ssm_parameter": {"value", "insecure_value", "value_wo"},
    "aws_iam_access_key": {"secret", "ses_smtp_password_v4"},
    "aws_secretsmanager_secret_version": {"secret_string", "secret_binary"},
}


class StateError(Exception):
    """The document is not a Terraform state this reads; the message is one line."""


@dataclass(frozen=True)
class Sensitive:
    """A secret of the state, as its digest only."""

    sha256: str

    @classmethod
    def of(cls, value: Any) -> Sensitive:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        return cls(hashlib.sha256(text.encode()).hexdigest())

    def matches(self, value: str) -> bool:
        """Whether ``value`` is the secret (compared by digest: neither is ever shown)."""
        return hashlib.sha256(value.encode()).hexdigest() == self.sha256

    def __repr__(self) -> str:
        return "Sensitive(…)"


@dataclass(frozen=True)
class Resource:
    """One managed resource instance of the state."""

    address: str
    module: str  # "" at the root, else e.g. "module.vpc"
    type: str
    name: str
    index: int | str | None  # count's int, for_each's string, None for a single instance
    attributes: Mapping[str, Any]


def read(path: Path) -> list[Resource]:
    """The managed resources of the state file at ``path``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(
            f"{path}: not found; accepted: a file from terraform state pull or terraform show -json"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StateError(
            f"{path}: not JSON, so not a Terraform state; accepted: terraform state pull's output"
        ) from None
    return parse(document, str(path))


def parse(document: Any, where: str) -> list[Resource]:
    """The managed resources of a state document (raw format 4, or terraform show -json)."""
    if isinstance(document, dict) and "encrypted_data" in document:
        raise StateError(f"{where}: an encrypted state; accepted: the decrypted state (terraform state pull)")
    if isinstance(document, dict) and "format_version" in document and "version" not in document:
        return list(_from_show_json(document))
    if not isinstance(document, dict) or "version" not in document or "resources" not in document:
        raise StateError(
            f"{where}: not a Terraform state; accepted: terraform state pull's or terraform show -json's output"
        )
    if document["version"] != 4:
        raise StateError(
            f"{where}: a Terraform state of format {document['version']!r}; accepted: format 4 (Terraform 0.12 and "
            "later: run terraform state pull with a current Terraform)"
        )
    return list(_from_raw(document, where))


def _from_raw(document: Mapping[str, Any], where: str) -> Iterator[Resource]:
    for entry in document["resources"]:
        if entry.get("mode") != "managed":
            continue
        module, kind, name = entry.get("module", ""), entry["type"], entry["name"]
        for instance in entry.get("instances", []):
            if "deposed" in instance:
                continue
            if "attributes" not in instance:
                raise StateError(
                    f"{where}: {_address(module, kind, name, instance.get('index_key'))} has no attributes (a state "
                    "older than Terraform 0.12); accepted: terraform state pull from a current Terraform"
                )
            secret = {path[0]["value"] for path in instance.get("sensitive_attributes", []) if _top_attribute(path)}
            yield _resource(module, kind, name, instance.get("index_key"), instance["attributes"], secret)


def _top_attribute(path: Any) -> bool:
    return bool(path) and isinstance(path, list) and path[0].get("type") == "get_attr"


def _from_show_json(document: Mapping[str, Any]) -> Iterator[Resource]:
    values = document.get("values")
    if not values:
        return  # an empty state has no values
    modules = [values.get("root_module", {})]
    while modules:
        module = modules.pop(0)
        modules.extend(module.get("child_modules", []))
        for entry in module.get("resources", []):
            if entry.get("mode") != "managed" or "deposed_key" in entry:
                continue
            marks = entry.get("sensitive_values", {})
            secret = {key for key, mark in marks.items() if _marked(mark)}
            yield _resource(
                module.get("address", ""),
                entry["type"],
                entry["name"],
                entry.get("index"),
                entry.get("values", {}),
                secret,
            )


def _marked(mark: Any) -> bool:
    """Whether show -json's mirror of an attribute marks anything in it sensitive (a true leaf)."""
    if isinstance(mark, dict):
        return any(_marked(value) for value in mark.values())
    if isinstance(mark, list):
        return any(_marked(value) for value in mark)
    return mark is True


def _resource(
    module: str, kind: str, name: str, index: int | str | None, attributes: Mapping[str, Any], secret: set[str]
) -> Resource:
    secret |= KNOWN_SECRETS.get(kind, set()) & set(attributes)
    kept = {
        key: (Sensitive.of(value) if key in secret and value is not None else value)
        for key, value in attributes.items()
    }
    return Resource(_address(module, kind, name, index), module, kind, name, index, kept)


def _address(module: str, kind: str, name: str, index: int | str | None) -> str:
    """The address `terraform state list` prints: ``module.vpc.aws_subnet.private[0]``, ``x.y["key"]``."""
    suffix = "" if index is None else f"[{json.dumps(index)}]"
    return f"{module + '.' if module else ''}{kind}.{name}{suffix}"
