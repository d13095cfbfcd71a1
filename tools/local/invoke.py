"""Invoke the Lambda binary locally, as the seed's "Testing Locally" section meant to.

Usage: python -m tools.local.invoke      (or: make invoke-local)

Builds `bootstrap` from lambda_src/, starts PostgreSQL, Redis (TLS + AUTH) and a local
SSM/S3 endpoint on loopback, runs the binary under the Lambda Runtime Interface
Emulator, sends the seed's manual payload and an HTTP API v2 event for /health/ready,
prints both responses, and stops everything.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.local.harness import SEED_PAYLOAD, LocalRunError, local_run


def http_api_event(path: str, method: str = "GET") -> dict[str, Any]:
    """A minimal API Gateway HTTP API (payload 2.0) event, as the $default route sends it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"accept": "application/json", "user-agent": "invoke-local"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "isBase64Encoded": False,
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="anigmaa-local-") as work:
        try:
            with local_run(Path(work)) as run:
                for label, payload in (
                    ("seed payload (GET /health)", SEED_PAYLOAD),
                    ("HTTP API v2 event (GET /health/ready)", http_api_event("/health/ready")),
                ):
                    print(f"== {label}\n   request:  {json.dumps(payload)}")
                    print(f"   response: {json.dumps(run.emulator.invoke(payload))}")
                print("== the function's log")
                for line in run.emulator.function_log():
                    print(f"   {json.dumps(line)}")
        except LocalRunError as error:
            print(f"invoke: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
