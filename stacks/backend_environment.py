"""The environment the Go backend reads, shared by every compute path."""

from __future__ import annotations

from config import APP_PORT, DB_NAME, DB_PORT, DB_USER, REDIS_PORT, AppConfig


def backend_environment(config: AppConfig, *, database_host: str, redis_host: str, bucket_name: str) -> dict[str, str]:
    """The environment the Go backend reads, as in the seed's table (less AWS_REGION).

    AWS_REGION is reserved in Lambda: the runtime sets it. The secrets are not here:
    their SSM parameter names are, and the program reads the values at start.
    """
    environment = {
        "PORT": str(APP_PORT),
        "ENV": config.env,
        "DB_HOST": database_host,
        "DB_PORT": str(DB_PORT),
        "DB_USER": DB_USER,
        "DB_NAME": DB_NAME,
        "DB_SSLMODE": "require",
        "REDIS_HOST": redis_host,
        "REDIS_PORT": str(REDIS_PORT),
        "REDIS_TLS": "true",
        "STORAGE_TYPE": "s3",
        "AWS_BUCKET": bucket_name,
        "ALLOWED_ORIGINS": ",".join(config.api.allowed_origins),
        "MIDTRANS_CLIENT_KEY": config.backend.midtrans_client_key,
        "MIDTRANS_IS_PRODUCTION": "true" if config.backend.midtrans_is_production else "false",
    }
    for secret, parameter_name in config.secret_parameter_names.items():
        environment[f"{secret}_PARAM"] = parameter_name
    return environment
