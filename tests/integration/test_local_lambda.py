"""The compiled bootstrap under the Lambda Runtime Interface Emulator, against real
PostgreSQL (TLS) and Redis (TLS + AUTH) and a local SSM/S3 endpoint, all on loopback."""

from __future__ import annotations

import json
import time
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest

from tools.local.harness import SEED_PAYLOAD, LocalRun, lambda_emulator, local_run
from tools.local.invoke import http_api_event


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    with local_run(tmp_path_factory.mktemp("local-lambda")) as run:
        yield run


def body(response: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(response["body"]))


def test_the_seeds_manual_payload_gets_200(local: LocalRun) -> None:
    response = local.emulator.invoke(SEED_PAYLOAD)
    assert response["statusCode"] == 200
    assert body(response) == {"status": "ok"}


def test_ready_reports_postgres_redis_and_s3_up(local: LocalRun) -> None:
    response = local.emulator.invoke(http_api_event("/health/ready"))
    assert response["statusCode"] == 200, response
    report = body(response)
    assert report["status"] == "ready"
    assert {name: check["status"] for name, check in report["checks"].items()} == {
        "postgres": "up",
        "redis": "up",
        "s3": "up",
    }


def test_secrets_came_from_ssm_and_no_value_reached_the_log(local: LocalRun) -> None:
    [start] = [line for line in local.emulator.function_log() if line.get("msg") == "starting"]
    assert start["mode"] == "lambda"
    assert start["secrets_from_ssm"] == 4
    log = local.emulator.log_text()
    for value in local.secret_values.values():
        assert value not in log


def test_a_missing_parameter_stops_startup_with_one_line_naming_it(local: LocalRun) -> None:
    environment = {**local.environment, "JWT_SECRET_PARAM": "/anigmaa/local/NO_SUCH_PARAMETER"}
    with lambda_emulator(local.bootstrap, environment, local.folder / "rie-missing") as broken:
        # The runtime exits during init; the emulator answers the invoke with 502.
        with pytest.raises(urllib.error.HTTPError) as failed:
            broken.invoke(SEED_PAYLOAD)
        assert failed.value.code == 502
        failures = [line for line in broken.function_log() if line.get("level") == "ERROR"]
    assert len(failures) == 1
    assert failures[0]["msg"] == "startup failed"
    assert "/anigmaa/local/NO_SUCH_PARAMETER not found" in failures[0]["error"]
    for value in local.secret_values.values():
        assert value not in broken.log_text()


def test_ready_says_redis_is_down_within_its_timeout_and_health_still_answers(local: LocalRun) -> None:
    local.redis.stop()
    time.sleep(1.1)  # past the second one readiness result answers for
    start = time.monotonic()
    response = local.emulator.invoke(http_api_event("/health/ready"))
    elapsed = time.monotonic() - start
    assert response["statusCode"] == 503
    report = body(response)
    assert report["status"] == "not_ready"
    assert report["checks"]["redis"]["status"] == "down"
    assert report["checks"]["postgres"]["status"] == "up"
    assert elapsed < 5, f"/health/ready took {elapsed:.1f} s with Redis down"
    assert local.emulator.invoke(SEED_PAYLOAD)["statusCode"] == 200
