"""The on-call settings: alarm destinations, the probe, release checks, the deadline and the windows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from config import ConfigError, load_config
from config.model import RouteCheck
from config.rules import window_minutes
from tests.conftest import CDK_CONTEXT, ROOT, Synth


def load(**overrides: Any) -> Any:
    return load_config({**CDK_CONTEXT, **overrides}, ROOT)


def test_prod_probes_every_five_minutes_and_dev_not_at_all() -> None:
    assert load().alarms.probe_interval_minutes == 5
    assert load(env="dev").alarms.probe_interval_minutes == 0


def test_alarm_destinations_are_read_and_say_whether_anyone_is_reached() -> None:
    assert not load().alarms.has_destination
    topic = "arn:aws:sns:ap-southeast-1:123456789012:oncall"
    alarms = load(
        alarm_email="oncall@anigmaa.example",
        alarm_https_parameter="/anigmaa/prod/ALARM_HTTPS_URL",
        alarm_topic_arns=f"{topic},{topic}-chat",
    ).alarms
    assert (alarms.email, alarms.https_parameter, alarms.topic_arns) == (
        "oncall@anigmaa.example",
        "/anigmaa/prod/ALARM_HTTPS_URL",
        (topic, f"{topic}-chat"),
    )
    assert alarms.has_destination
    assert load(alarm_topic_arns=topic).alarms.has_destination


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"alarm_topic_arns": "arn:aws:sns:us-east-1:123456789012:oncall"},
            "alarm_topic_arns: 'arn:aws:sns:us-east-1:123456789012:oncall' is not in region ap-southeast-1; "
            "accepted: topics in the region of the alarms",
        ),
        (
            {"alarm_topic_arns": "oncall"},
            "alarm_topic_arns: 'oncall' is malformed; accepted: SNS topic ARNs such as "
            "arn:aws:sns:ap-southeast-1:123456789012:oncall",
        ),
        (
            {"alarm_https_parameter": "https://events.example/enqueue"},
            "alarm_https_parameter: 'https://events.example/enqueue' is malformed; accepted: an SSM parameter name "
            "such as /anigmaa/prod/ALARM_HTTPS_URL, or empty",
        ),
        (
            {"alarm_https_parameter": "/aws/reserved"},
            "alarm_https_parameter: '/aws/reserved' starts with a name AWS reserves; accepted: a path not under "
            "/aws or /ssm",
        ),
        ({"probe_interval_minutes": "61"}, "probe_interval_minutes: 61 is out of range 0..60"),
        (
            {"alarm_topic_arns": "arn:aws:sns:ap-southeast-1:123456789012:anigmaa-prod-alarms"},
            "alarm_topic_arns: 'arn:aws:sns:ap-southeast-1:123456789012:anigmaa-prod-alarms' is the environment's "
            "own topic, which every alarm notifies; accepted: others",
        ),
        (
            {"alarm_topic_arns": "arn:aws:sns:ap-southeast-1:123456789012:a,arn:aws:sns:ap-southeast-1:123456789012:a"},
            "alarm_topic_arns: 'arn:aws:sns:ap-southeast-1:123456789012:a' is named twice; accepted: each topic once",
        ),
        (
            {"alarm_email": "oncall@anigmaa.example", "alarms_to_no_one": "true"},
            "alarms_to_no_one: true while alarm_email, alarm_https_parameter or alarm_topic_arns is set, so the "
            "alarms do reach someone; accepted: false with a destination, true without one",
        ),
        (
            {"alarm_https_parameter": "/a" * 16},
            "alarm_https_parameter: a name of 32 characters and 16 levels is longer than SSM takes; accepted: at "
            "most 1011 characters and 15 levels",
        ),
        (
            {"lambda_release_checks": "GET /events?limit=1&api_key=x 200"},
            "lambda_release_checks: '/events?limit=1&api_key=x' carries a credential in its query, which the "
            "template and the hook's log would show; accepted: read-only requests that need none",
        ),
        (
            {"lambda_release_checks": f"GET /{'a' * 300} 200"},
            "lambda_release_checks: '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' is a path of 301 characters; "
            "accepted: paths of at most 200",
        ),
        (
            {"alarm_topic_arns": ",".join(f"arn:aws:sns:ap-southeast-1:123456789012:t{n}" for n in range(5))},
            "alarm_topic_arns: 5 topics, and an alarm notifies at most 5 (the environment's own and 4 more); "
            "accepted: at most 4, or one topic that fans out to the rest",
        ),
        (
            {"lambda_timeout": "30"},
            "lambda_timeout: 30 is out of range 4..24 (the HTTP API waits 30 s at most, a cold start's 6 s included; "
            "a deadline holds /health/ready's checks)",
        ),
        ({"lambda_timeout": "3"}, "lambda_timeout: 3 is out of range 4..24"),
        (
            {"lambda_release_checks": "POST /orders 201"},
            "lambda_release_checks: 'POST /orders 201' is malformed; accepted: read-only requests with the status "
            "they must answer, such as GET /events?limit=1 200",
        ),
        (
            {"lambda_release_checks": ",".join(f"GET /p{n} 200" for n in range(11))},
            "lambda_release_checks: 11 requests make the pre-traffic hook too slow to report; accepted: at most 10",
        ),
    ],
)
def test_bad_on_call_settings_are_one_line(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**overrides)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_release_checks_become_method_path_and_status() -> None:
    checks = load(lambda_release_checks="GET /events?limit=1 200, HEAD /health 200").function.release_checks
    assert checks == (RouteCheck("GET", "/events?limit=1", 200), RouteCheck("HEAD", "/health", 200))


def test_the_deadline_is_the_timeout_less_a_second() -> None:
    assert load().function.request_deadline_ms == 23000
    assert load(lambda_timeout="4").function.request_deadline_ms == 3000  # the shortest: /health/ready's 2 s fit


def test_default_windows_are_jakarta_nights_and_apart() -> None:
    """18:00 UTC is 01:00 in Asia/Jakarta (UTC+7); the maintenance windows are Monday's early hours there."""
    config = load()
    assert (config.database.backup_window, config.database.maintenance_window) == ("18:00-18:30", "sun:20:00-sun:20:30")
    assert (config.cache.snapshot_window, config.cache.maintenance_window) == ("17:00-18:00", "sun:18:30-sun:19:30")
    for window in ("18:00-18:30", "sun:20:00-sun:20:30", "17:00-18:00", "sun:18:30-sun:19:30"):
        minutes = window_minutes(window)
        start = min(minutes, key=lambda m: m % (24 * 60))
        assert 17 * 60 <= start % (24 * 60) < 21 * 60, window  # 00:00-04:00 in Jakarta


def test_windows_cover_the_right_minutes_across_midnight_and_the_week() -> None:
    assert len(window_minutes("23:30-00:30")) == 7 * 60  # an hour every day, across midnight
    assert len(window_minutes("sun:23:30-mon:00:30")) == 60  # across the week's end
    assert window_minutes("mon:00:00-mon:00:30") <= window_minutes("23:30-00:30")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"db_backup_window": "18:00-18:20"},
            "db_backup_window: '18:00-18:20' lasts 20 minutes; accepted: a window of 30",
        ),
        (
            {"cache_maintenance_window": "sun:18:30-sun:19:00"},
            "cache_maintenance_window: 'sun:18:30-sun:19:00' lasts 30 minutes; accepted: a window of 60",
        ),
        ({"db_backup_window": "18:00"}, "db_backup_window: '18:00' is malformed; accepted: a daily UTC window"),
        (
            {"db_maintenance_window": "sunday:20:00-sunday:21:00"},
            "db_maintenance_window: 'sunday:20:00-sunday:21:00' is",
        ),
        (
            {"db_maintenance_window": "sun:18:00-sun:18:30"},
            "db_maintenance_window: 'sun:18:00-sun:18:30' overlaps db_backup_window '18:00-18:30' (RDS refuses a "
            "backup window that overlaps maintenance); accepted: windows apart (UTC)",
        ),
        (
            {"cache_maintenance_window": "sun:20:00-sun:21:00"},
            "cache_maintenance_window: 'sun:20:00-sun:21:00' overlaps db_maintenance_window 'sun:20:00-sun:20:30' "
            "(the database and the cache would fail over at once); accepted: windows apart (UTC)",
        ),
        (
            {"cache_snapshot_window": "18:00-19:00", "cache_maintenance_window": "sun:18:30-sun:19:30"},
            "cache_maintenance_window: 'sun:18:30-sun:19:30' overlaps cache_snapshot_window '18:00-19:00'",
        ),
    ],
)
def test_windows_too_short_malformed_or_overlapping_are_one_line(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**overrides)
    assert str(error.value).startswith(message)


def test_a_topic_of_another_account_is_allowed_and_said_at_every_synth(
    synth: Callable[[str], Synth], prod: Synth
) -> None:
    [warning] = [f for f in synth("prod-ci").findings if f.rule.endswith("anigmaa:alarm-topic-in-another-account")]
    assert warning.message.startswith(
        "alarm_topic_arns: arn:aws:sns:ap-southeast-1:333333333333:central-oncall is in account 333333333333, not "
        "111111111111: every alarm's name, state and reason go to that account"
    )
    assert not [f for f in prod.findings if "alarm-topic-in-another-account" in f.rule]
