"""The environment the Go backend reads, shared by every compute path."""

from __future__ import annotations

from config import APP_PORT, DB_APP_USER, DB_NAME, DB_PORT, REDIS_PORT, AppConfig
from stacks.permanent import NetworkOutputs


def backend_environment(
    config: AppConfig, *, database_host: str, redis_host: str, bucket_name: str, db_max_conns: int
) -> dict[str, str]:
    """The environment the Go backend reads, as in the seed's table, without the secrets.

    AWS_REGION is not here: Lambda reserves it (the runtime sets it), and the ECS stack
    adds it. How the secrets arrive differs by path: see `secret_parameter_variables`.
    """
    environment = {
        "PORT": str(APP_PORT),
        "ENV": config.env,
        "DB_HOST": database_host,
        "DB_PORT": str(DB_PORT),
        # The application role, with IAM tokens: no database password reaches the backend.
        "DB_USER": DB_APP_USER,
        "DB_NAME": DB_NAME,
        "DB_IAM_AUTH": "true",
        # The server's certificate is checked against the RDS CAs compiled into the binary.
        "DB_SSLMODE": "verify-full",
        "DB_SSLROOTCERT": "rds",
        "DB_MAX_CONNS": str(db_max_conns),
        # Each request's deadline, and PostgreSQL's statement_timeout: the function's timeout less the
        # time the frame needs to answer its own 504. The ECS path gets the same, so both answer alike.
        "REQUEST_DEADLINE_MS": str(config.function.request_deadline_ms),
        "REDIS_HOST": redis_host,
        "REDIS_PORT": str(REDIS_PORT),
        "REDIS_TLS": "true",
        "STORAGE_TYPE": "s3",
        "AWS_BUCKET": bucket_name,
        "ALLOWED_ORIGINS": ",".join(config.api.allowed_origins),
        "MIDTRANS_CLIENT_KEY": config.backend.midtrans_client_key,
        "MIDTRANS_IS_PRODUCTION": "true" if config.backend.midtrans_is_production else "false",
    }
    return environment


def secret_parameter_variables(config: AppConfig) -> dict[str, str]:
    """``<NAME>_PARAM`` → SSM parameter name, for a program that reads its secrets at start (Lambda).

    Lambda cannot put SecureStrings into environment variables, so it gets the names: those the
    backend reads, never the master's DB_PASSWORD.
    """
    return {f"{secret}_PARAM": name for secret, name in config.backend_secret_parameter_names.items()}


def origin_check_variables(config: AppConfig, network: NetworkOutputs) -> dict[str, str]:
    """With edge_protection on: ORIGIN_VERIFY_SECRET, the secret whose value every request must carry in
    X-Origin-Verify (lambda_src/origin.go), by ARN; the backend reads it itself, as both paths do."""
    if network.origin_secret is None or config.api.edge is None or not config.api.edge.enforced:
        return {}
    return {"ORIGIN_VERIFY_SECRET": network.origin_secret.secret_arn}
