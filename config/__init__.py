"""The app's typed configuration; see `config.settings`."""

from config.settings import (
    APP_PORT,
    DB_NAME,
    DB_PORT,
    DB_USER,
    ECS_DB_MAX_CONNS,
    LAMBDA_DB_MAX_CONNS,
    REDIS_PORT,
    SECRET_NAMES,
    AppConfig,
    ConfigError,
    load_config,
)

__all__ = [
    "APP_PORT",
    "DB_NAME",
    "DB_PORT",
    "DB_USER",
    "ECS_DB_MAX_CONNS",
    "LAMBDA_DB_MAX_CONNS",
    "REDIS_PORT",
    "SECRET_NAMES",
    "AppConfig",
    "ConfigError",
    "load_config",
]
