"""Drift detection's API on the emulator, which moto 5.2.5 does not implement, so that `cdk drift` runs
in the rehearsal under the drift role with IAM enforced.

It models the calls and their answers (CloudFormation API reference: DetectStackDrift,
DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts): a detection completes at once and
reports every resource of the stack IN_SYNC. It compares nothing with the live resources, so what it
rehearses is who may ask, not whether a stack drifted.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from typing import Any

from moto.cloudformation import responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult

# Detection id → the stack it was run on.
_DETECTIONS: dict[str, str] = {}


@functools.cache
def install() -> None:
    """Add the three calls to moto's CloudFormation (idempotent)."""
    response = responses.CloudFormationResponse
    response.detect_stack_drift = _detect_stack_drift  # type: ignore[attr-defined]
    response.describe_stack_drift_detection_status = _detection_status  # type: ignore[attr-defined]
    response.describe_stack_resource_drifts = _resource_drifts  # type: ignore[attr-defined]


def _stack(self: Any, name: str) -> Any:
    for stack in self.cloudformation_backend.stacks.values():
        if name in (stack.name, stack.stack_id) and not stack.status.startswith("DELETE"):
            return stack
    raise ValidationError(message=f"Stack with id {name} does not exist")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _detect_stack_drift(self: Any) -> ActionResult:
    stack = _stack(self, self._get_param("StackName"))
    detection = str(uuid.uuid4())
    _DETECTIONS[detection] = stack.stack_id
    return ActionResult({"StackDriftDetectionId": detection})


def _detection_status(self: Any) -> ActionResult:
    detection = self._get_param("StackDriftDetectionId")
    if detection not in _DETECTIONS:
        raise ValidationError(message=f"Drift detection {detection} does not exist")
    return ActionResult(
        {
            "StackId": _DETECTIONS[detection],
            "StackDriftDetectionId": detection,
            "StackDriftStatus": "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "DriftedStackResourceCount": 0,
            "Timestamp": _now(),
        }
    )


def _resource_drifts(self: Any) -> ActionResult:
    stack = _stack(self, self._get_param("StackName"))
    drifts = [
        {
            "StackId": stack.stack_id,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": str(getattr(resource, "physical_resource_id", logical_id)),
            "ResourceType": stack.template_dict.get("Resources", {}).get(logical_id, {}).get("Type", ""),
            "StackResourceDriftStatus": "IN_SYNC",
            "Timestamp": _now(),
        }
        for logical_id, resource in stack.resource_map.items()
    ]
    return ActionResult({"StackResourceDrifts": drifts})
