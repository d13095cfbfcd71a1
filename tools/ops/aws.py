"""What the operations tools share: the environment's settings, boto3 clients, and AWS
errors turned into one line a person can act on."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
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


class RegionalClients:
    """One client of ``service`` per region, each made once, when first asked for: a tool that reaches each
    stack in its own region. A stack whose environment names no region ("") goes to ``default_region``, as
    the CDK CLI sends it (AWS_REGION)."""

    def __init__(self, service: str, default_region: str, make: Callable[[str, str], Any] = client) -> None:
        self.service = service
        self.default_region = default_region
        self._make = make
        self._made: dict[str, Any] = {}

    def __call__(self, region: str = "") -> Any:
        region = region or self.default_region
        if region not in self._made:
            self._made[region] = self._make(self.service, region)
        return self._made[region]


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
