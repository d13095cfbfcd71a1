"""Every physical name the app gives a resource, in one place.

Two families, both keyed by the environment:
- the seed's names, which the backend team and its tooling already know, kept as they are
  in prod and suffixed elsewhere: ``anigmaa-backend`` / ``anigmaa-backend-dev`` (function,
  ECS service), ``anigmaa`` / ``anigmaa-dev`` (HTTP API, ECS cluster);
- the names this app adds, which start with ``anigmaa-<env>-``: stacks, the alarm topic,
  alarms, dashboards, roles, the keys' aliases (``alias/anigmaa-<env>-secrets``), the backup plan and vaults. The
  alarm topic accepts alarms named with that prefix only.

Renaming any of them replaces the resource: change nothing here without a reviewed diff.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    """The physical names of one environment; `Names.of_env` builds them."""

    prefix: str
    function: str
    api: str
    cluster: str
    service: str
    api_access_log_group: str
    service_log_group: str
    alarm_topic: str
    # The customer-managed KMS key the SecureStrings are encrypted with (the network stack's).
    secrets_key_alias: str
    # The database's and the cache's key (db_encryption_key customer-managed; the data stack's).
    data_key_alias: str
    # AWS Backup: the plan and the vault in the environment's region (the data stack's), the copy vault in
    # backup_copy_region (the BackupCopy stack's), and the aliases of the keys each vault is encrypted with.
    backup_plan: str
    backup_vault: str
    backup_copy_vault: str
    backup_key_alias: str
    backup_copy_key_alias: str
    # The Secrets Manager secret CloudFront sends to the origins, which the backend checks (edge protection),
    # and the web ACL in front of CloudFront, whose rules' metric names start with ``prefix``.
    origin_secret: str
    web_acl: str

    @classmethod
    def of_env(cls, env: str) -> Names:
        seed = "" if env == "prod" else f"-{env}"  # the seed's names carry the environment outside prod
        # The seed's two names: the backend's (function, service) and the app's (API, cluster).
        prefix, backend, app = f"anigmaa-{env}", f"anigmaa-backend{seed}", f"anigmaa{seed}"
        return cls(
            prefix=prefix,
            function=backend,
            api=app,
            cluster=app,
            service=backend,
            # The start of the log groups' names, as each service names its own; a compute stack's groups
            # add the creation suffix of their stack (constructs/findings.py service_log_group).
            api_access_log_group=f"/aws/apigateway/{app}",
            service_log_group=f"/ecs/{backend}",
            alarm_topic=f"{prefix}-alarms",
            secrets_key_alias=f"alias/{prefix}-secrets",
            data_key_alias=f"alias/{prefix}-data",
            backup_plan=f"{prefix}-backup",
            backup_vault=f"{prefix}-backup",
            backup_copy_vault=f"{prefix}-backup-copy",
            backup_key_alias=f"alias/{prefix}-backup",
            backup_copy_key_alias=f"alias/{prefix}-backup-copy",
            origin_secret=f"{prefix}-origin-verify",
            web_acl=f"{prefix}-api",
        )

    def of(self, role: str) -> str:
        """A name this app adds, e.g. ``of("network")`` → ``anigmaa-prod-network``."""
        return f"{self.prefix}-{role}"
