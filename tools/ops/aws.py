"""What the operations tools share: the environment's settings, boto3 clients, and AWS
errors turned into one line a person can act on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from config import AppConfig, ConfigError, load_config, read_context


class AwsError(Exception):
    """A failure to report in one line, without a traceback."""


def load_environment(env: str, root: Path, context: Sequence[str] = ()) -> AppConfig:
    """The validated settings of ``env`` from cdk.json (the same ones `cdk deploy` uses).

    ``context`` holds ``key=value`` items, as `cdk deploy -c` takes them.
    """
    overrides = {}
    for item in context:
        key, equals, value = item.partition("=")
        if not equals:
            raise AwsError(f"-c {item}: accepted: key=value, as cdk takes it")
        overrides[key] = value
    try:
        return load_config({**read_context(root), **overrides, "env": env}, root)
    except ConfigError as error:
        raise AwsError(str(error)) from None


def client(service: str, region: str) -> Any:
    """A boto3 client with short timeouts, so a wrong network fails fast."""
    config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client(service, region_name=region, config=config)


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn boto3's exceptions into AwsError with a message that says what to do."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError("no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/…) and retry") from None
    except NoRegionError:
        raise AwsError("no AWS region: set AWS_REGION or the region in cdk.json") from None
    except EndpointConnectionError as error:
        raise AwsError(
            f"cannot reach {error.kwargs.get('endpoint_url', 'AWS')}: check the region and network"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        message = error.response.get("Error", {}).get("Message", str(error))
        operation = error.operation_name
        if code in ("UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"):
            raise AwsError(f"AWS rejected the credentials ({code}): refresh them (aws sso login, …)") from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise AwsError(f"not allowed to call {operation}: {message}") from None
        raise AwsError(f"{operation} failed ({code}): {message}") from None
    except BotoCoreError as error:
        raise AwsError(f"AWS call failed: {error}") from None
