"""The outside-in probe of a stack's public address, with its alarm: the one way every stack adds it."""

from __future__ import annotations

from aws_cdk import Duration

from config import AppConfig
from constructs.monitoring import Alarms
from constructs.probe import Probe
from stacks.configured_zones import ConfiguredZonesStack
from stacks.permanent import DataOutputs


def add_probe(
    stack: ConfiguredZonesStack, *, config: AppConfig, data: DataOutputs, alarms: Alarms, role: str, url: str
) -> None:
    """A canary named after the stack of ``role`` that asks ``url`` every probe_interval_minutes, and the
    alarm ``probe`` (edge) or ``probe-<role>`` on its runs; nothing when the interval is 0."""
    if not config.alarms.probe_interval_minutes:
        return
    probe = Probe(
        stack,
        "Probe",
        name=config.stack_name(role),
        url=url,
        interval=Duration.minutes(config.alarms.probe_interval_minutes),
        artifacts_bucket=data.access_logs_bucket,
        retention=Duration.days(config.log_retention_days),
    )
    alarms.add_probe("probe" if role == "edge" else f"probe-{role}", probe.success_percent)
