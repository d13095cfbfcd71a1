"""The same binary outside Lambda: an HTTP server on PORT that answers CORS and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tools import ROOT
from tools.build.go import build_bootstrap
from tools.local.harness import free_port, wait_for_port


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("server") / "bootstrap"
    build_bootstrap(ROOT / "lambda_src", "amd64", binary)
    return binary


def test_server_mode_serves_health_answers_cors_and_drains_on_sigterm(bootstrap: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PORT": str(port),
        "ALLOWED_ORIGINS": "https://app.anigmaa.example",
        # As ECS injects them: values present, so nothing is fetched from SSM.
        **{
            name: secrets.token_hex(8)
            for name in ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY")
        },
    }
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(bootstrap)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 10, "bootstrap (server mode)")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/health", headers={"Origin": "https://app.anigmaa.example"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == "https://app.anigmaa.example"
            assert json.loads(response.read()) == {"status": "ok"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    messages = [json.loads(line)["msg"] for line in log.read_text().splitlines() if line.startswith("{")]
    assert messages[0] == "starting"
    assert messages[-2:] == ["shutting down", "stopped"]
    for name in ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY"):
        assert env[name] not in log.read_text()
