"""moto in server mode with the rehearsal's extensions, on loopback, always stopped.

The server runs in this process (`ThreadedMotoServer`), so the extensions patch the very
backends it serves from.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import urllib.request
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from tools.local.harness import free_port

REGION = "ap-southeast-1"
ACCOUNT = "123456789012"  # moto's STS answers with this account
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "rehearsal-not-a-key",
    "AWS_SECRET_ACCESS_KEY": "rehearsal-not-a-secret",
}


def client(url: str, service: str, credentials: Mapping[str, str] = FAKE_CREDENTIALS, *, region: str = REGION) -> Any:
    """A boto3 client of the emulator at ``url`` in ``region``, signing with ``credentials`` (environment-variable
    names: the administrator's by default, or a role session's with its AWS_SESSION_TOKEN)."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )


class Tripwire:
    """The proxy every non-loopback request would go through: it answers none and counts them."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._socket.close()


@dataclass(frozen=True)
class Emulator:
    """Where the emulator listens, and the environment that sends every AWS call there."""

    url: str
    tripwire: Tripwire

    def environment(self) -> dict[str, str]:
        """For the CDK CLI and the project's tools: fake credentials, every SDK endpoint the emulator,
        anything else through the tripwire."""
        nowhere = f"http://127.0.0.1:{self.tripwire.port}"
        keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "PROXY" not in k.upper()}
        return {
            **keep,
            **FAKE_CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "HTTPS_PROXY": nowhere,
            "HTTP_PROXY": nowhere,
            "https_proxy": nowhere,
            "http_proxy": nowhere,
            "NO_PROXY": "localhost,127.0.0.1",
            "no_proxy": "localhost,127.0.0.1",
            "CDK_DISABLE_VERSION_CHECK": "1",
            "CDK_DISABLE_CLI_TELEMETRY": "1",
        }


def install_extensions() -> None:
    """The CloudFormation fixes, the resource models (AWS Backup's among them), resource import and drift
    detection moto lacks, and IAM enforcement (off until switched on)."""
    from tools.rehearsal import backup, cloudformation, drift, iam, lambda_settings, models, resource_import

    cloudformation.install()
    models.install()
    backup.install()
    resource_import.install()
    drift.install()
    lambda_settings.install()
    iam.install()


class _Skipped(logging.Handler):
    """Collects the resource types moto has no CloudFormation model for (it skips them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.types: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("No Moto CloudFormation support for "):
            self.types.add(message.rsplit(" ", 1)[-1])


SKIPPED = _Skipped()


@contextlib.contextmanager
def emulator() -> Iterator[Emulator]:
    """moto with the extensions on 127.0.0.1, stopped however the block ends (Ctrl-C included)."""
    from moto.server import ThreadedMotoServer

    from tools.rehearsal import aws_custom_resource

    install_extensions()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_log = logging.getLogger("moto")
    moto_log.propagate = False  # said once, in the summary, not per resource on stderr
    moto_log.addHandler(SKIPPED)
    warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    tripwire = Tripwire()
    try:
        # moto recognises the templates' S3 URLs as its own only by the name localhost.
        url = f"http://localhost:{port}"
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
        aws_custom_resource.serve_at(url)  # where a Custom::AWS resource's SDK call goes
        yield Emulator(url, tripwire)
    finally:
        aws_custom_resource.serve_at(None)
        tripwire.close()
        server.stop()
