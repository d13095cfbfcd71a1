"""The account-wide CI settings (cdk.json's top level or -c): which GitHub repository may reach AWS.

They build the CI stack (`stacks/ci_stack.py`) and nothing else; an environment's stacks never
read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from config.keys import ConfigError, pattern

CI_KEYS = {
    "github_repository": pattern(
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}",
        "OWNER/NAME of the GitHub repository, such as anigmaa/anigmaa-infra",
        allow_empty=True,
    ),
    "github_repository_ids": pattern(
        r"\d{1,15}/\d{1,15}", "OWNER_ID/REPOSITORY_ID, GitHub's immutable numeric ids", allow_empty=True
    ),
    "github_oidc_provider_arn": pattern(
        r"arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com",
        "the ARN of the account's existing GitHub OIDC provider",
        allow_empty=True,
    ),
}


@dataclass(frozen=True)
class CiConfig:
    """The repository the CI roles trust, and the GitHub Environments they are for."""

    repository: str
    # OWNER_ID/REPOSITORY_ID: GitHub's immutable subject form, for repositories created or renamed
    # since 2026-07-15 (or opted in).
    repository_ids: str | None
    provider_arn: str | None
    # The environment of this account (one per account: they would share the CDK bootstrap roles),
    # and whether it is protected, i.e. prod (then its change sets are prepared by a role of their
    # own, in the GitHub Environment <env>-plan, and executed after approval).
    environments: tuple[tuple[str, bool], ...]

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]

    def subjects(self, claim: str) -> list[str]:
        """The `sub` values of GitHub's OIDC token for ``claim`` (`pull_request`, `environment:prod`)."""
        found = [f"repo:{self.repository}:{claim}"]
        if self.repository_ids:
            owner_id, repository_id = self.repository_ids.split("/")
            found.append(f"repo:{self.owner}@{owner_id}/{self.name}@{repository_id}:{claim}")
        return found


def load_ci(context: Mapping[str, Any]) -> CiConfig | None:
    """The CI settings, or None when no repository is named (then the app has no CI stack)."""
    values = {key: parse(key, context.get(key, "")) for key, parse in CI_KEYS.items()}
    if not values["github_repository"]:
        for key in ("github_repository_ids", "github_oidc_provider_arn"):
            if values[key]:
                raise ConfigError(f"{key}: set without github_repository; accepted: github_repository=OWNER/NAME too")
        return None
    environments = context.get("environments") or {}
    env = context.get("env", "prod")
    selected = environments.get(env) if isinstance(environments, Mapping) else None
    if not isinstance(selected, Mapping):
        return None  # load_config names the problem
    account = context.get("account", selected.get("account", ""))
    sharing = sorted(
        other
        for other, settings in environments.items()
        if other != env and isinstance(settings, Mapping) and settings.get("account", "") == account
    )
    if sharing:
        # One account means one set of CDK bootstrap roles: a deploy role for one environment could deploy the other.
        where = f"account {account}" if account else "the CLI's current account (account is empty)"
        raise ConfigError(
            f"github_repository: env={env} shares {where} with {', '.join(sharing)}, so their CI roles would reach "
            "the same CDK bootstrap roles and a dev deploy could change prod; accepted: an account of its own per "
            "environment (set account in cdk.json), then one CI stack per account (-c env=…)"
        )
    return CiConfig(
        repository=values["github_repository"],
        repository_ids=values["github_repository_ids"] or None,
        provider_arn=values["github_oidc_provider_arn"] or None,
        # Prod's change sets wait for approval: keyed off the environment (AppConfig.is_prod), never off
        # termination_protection, which `-c termination_protection=false` would turn off with it.
        environments=((env, env == "prod"),),
    )
