"""`Custom::AWS` (the CDK's AwsCustomResource) performing its SDK call against the emulator.

Every other custom resource completes at once without running its provider (cloudformation.py): there
is no Lambda execution here. An AwsCustomResource's provider does nothing but one SDK call, which its
properties spell out (`Create`, `Update` and `Delete`, each a JSON string: `service`, `action`,
`parameters`, `physicalResourceId`, `outputPaths`, `ignoreErrorCodesMatching`), so the call is made
here, with boto3, against the emulator, as the CDK's handler (aws-custom-resource-handler, SDK v3) makes it:

- the service is its SDK v3 package (`EC2` and `@aws-sdk/client-ec2` alike: lower-cased, the v2 names
  that differ mapped as the handler maps them), then boto3's name for that package; the action
  `describeManagedPrefixLists` or `DescribeManagedPrefixListsCommand` is the operation
  `DescribeManagedPrefixLists` (boto3's `describe_managed_prefix_lists`); the parameters go as given, with
  `PHYSICAL:RESOURCEID:` replaced by the physical id;
- the answer, without its metadata, is flattened into dotted paths (`PrefixLists.0.PrefixListId`: an array's
  items by index), with `apiVersion` and `region` beside them, and only the paths that start with one of
  `outputPaths` (or `outputPath`) are kept; `Fn::GetAtt` answers those, and one the answer lacks fails as
  CloudFormation fails it;
- the physical id is the call's `physicalResourceId.id` (on create: Create's, else Update's, else Delete's,
  else the logical id; on update and delete: that call's, else the one the resource has), or the answer's
  value at `physicalResourceId.responsePath`;
- a create runs `Create` (`Update` when there is none), an update runs `Update` (nothing, and the old
  answer kept, when there is none), a delete runs `Delete` when there is one; an error whose code matches
  `ignoreErrorCodesMatching` leaves an empty answer, any other fails the stack operation with CloudFormation's
  "Received response status [FAILED] from custom resource. Message returned: …".

What is not rehearsed: the call runs as the emulator's administrator, not as the provider function's role
(whose policy the template writes, and IAM would evaluate), in the stack's region (`region` and
`assumedRoleArn` in a call are not honoured); the SDK v3 handler's coercion of parameter types (a
number given as text) is not done, so botocore refuses such a parameter; no Lambda runs, so nothing is
logged and no timeout applies.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from typing import Any

import boto3
import botocore
import botocore.exceptions
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.exceptions import ValidationError

from tools.rehearsal.server import FAKE_CREDENTIALS

TYPE = "Custom::AWS"
# The handler's PHYSICAL:RESOURCEID: marker (custom-resources PhysicalResourceIdReference).
PHYSICAL_RESOURCE_ID = "PHYSICAL:RESOURCEID:"
# The SDK v2 names the handler maps to another SDK v3 package name (lower-cased; the rest are the same).
_V2_TO_V3 = {
    "apigateway": "api-gateway",
    "applicationautoscaling": "application-auto-scaling",
    "autoscaling": "auto-scaling",
    "cloudwatchevents": "cloudwatch-events",
    "cloudwatchlogs": "cloudwatch-logs",
    "cognitoidentityserviceprovider": "cognito-identity-provider",
    "configservice": "config-service",
    "costexplorer": "cost-explorer",
    "dms": "database-migration-service",
    "ecrpublic": "ecr-public",
    "elb": "elastic-load-balancing",
    "elbv2": "elastic-load-balancing-v2",
    "es": "elasticsearch-service",
    "resourcegroupstaggingapi": "resource-groups-tagging-api",
    "route53": "route-53",
    "route53domains": "route-53-domains",
    "secretsmanager": "secrets-manager",
    "stepfunctions": "sfn",
    "wafregional": "waf-regional",
}
# SDK v3 package names whose boto3 service name is not the package's name without its hyphens.
_V3_TO_BOTO3 = {
    "api-gateway": "apigateway",
    "application-auto-scaling": "application-autoscaling",
    "auto-scaling": "autoscaling",
    "cloudwatch-events": "events",
    "cloudwatch-logs": "logs",
    "cognito-identity-provider": "cognito-idp",
    "config-service": "config",
    "cost-explorer": "ce",
    "database-migration-service": "dms",
    "elastic-load-balancing": "elb",
    "elastic-load-balancing-v2": "elbv2",
    "elasticsearch-service": "es",
    "eventbridge": "events",
    "sfn": "stepfunctions",
}

_endpoint: str | None = None


def serve_at(url: str | None) -> None:
    """Where the calls go: the emulator's own URL while it runs (None: nowhere, and a call fails)."""
    global _endpoint
    _endpoint = url


class CallFailedError(Exception):
    """What the handler would answer FAILED with: the message CloudFormation reports."""


def boto3_service(service: str) -> str:
    """boto3's name for the service an AwsSdkCall names (an SDK v2 name or an SDK v3 package name)."""
    name = service.lower().removeprefix("@aws-sdk/client-")
    name = _V2_TO_V3.get(name, name)
    available = set(boto3.session.Session().get_available_services())
    for candidate in (_V3_TO_BOTO3.get(name, name), name, name.replace("-", "")):
        if candidate in available:
            return candidate
    raise CallFailedError(f"Service {name} client package with name '@aws-sdk/client-{name}' does not exist.")


def operation(client: Any, action: str) -> str:
    """boto3's method for an action (`describeManagedPrefixLists`, `DescribeManagedPrefixListsCommand`)."""
    name = action[0].upper() + action[1:] if action[:1].islower() else action.removesuffix("Command")
    by_lower = {op.lower(): op for op in client.meta.service_model.operation_names}
    if name.lower() not in by_lower:
        raise CallFailedError(f"Unable to find command named: {name}Command for api: {action} in service package")
    return str(botocore.xform_name(by_lower[name.lower()]))


def flatten(value: Any) -> dict[str, Any]:
    """Dotted paths to every leaf (objects by key, arrays by index), as the handler's flatten makes them."""
    flat: dict[str, Any] = {}

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict) and node:
            for key, item in node.items():
                walk(item, [*path, str(key)])
        elif isinstance(node, list) and node:
            for index, item in enumerate(node):
                walk(item, [*path, str(index)])
        elif isinstance(node, (dict, list)):
            return  # an empty object or array has no leaf
        else:
            flat[".".join(path)] = _leaf(node)

    walk(value, [])
    return flat


def _leaf(value: Any) -> Any:
    """A leaf as the handler's JSON answer carries it: bytes as text, a time as ISO 8601."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "read"):  # a streaming body
        return _leaf(value.read())
    return value


def _with_physical_id(node: Any, physical_id: str) -> Any:
    if node == PHYSICAL_RESOURCE_ID:
        return physical_id
    if isinstance(node, list):
        return [_with_physical_id(item, physical_id) for item in node]
    if isinstance(node, dict):
        return {key: _with_physical_id(item, physical_id) for key, item in node.items()}
    return node


def perform(call: dict[str, Any], physical_id: str, region: str) -> tuple[str, dict[str, Any]]:
    """Make one AwsSdkCall in ``region``; the physical id it leaves and its filtered, flattened answer."""
    if _endpoint is None:
        raise CallFailedError("the emulator's address is not known: no SDK call can be made")
    service = boto3_service(str(call["service"]))
    client = boto3.client(
        service,
        endpoint_url=_endpoint,
        region_name=region,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    method = operation(client, str(call["action"]))
    parameters = _with_physical_id(call.get("parameters") or {}, physical_id)
    data: dict[str, Any] = {"apiVersion": client.meta.service_model.api_version, "region": region}
    flat: dict[str, Any] = {}
    try:
        answer = getattr(client, method)(**parameters)
    except botocore.exceptions.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        ignored = call.get("ignoreErrorCodesMatching")
        if not ignored or not re.search(str(ignored), code):
            raise CallFailedError(str(error.response.get("Error", {}).get("Message") or error)) from error
    except (botocore.exceptions.BotoCoreError, TypeError) as error:  # a parameter botocore refuses, say
        raise CallFailedError(str(error)) from error
    else:
        answer.pop("ResponseMetadata", None)
        flat = flatten(answer)
        data.update(flat)
        paths = [call["outputPath"]] if call.get("outputPath") else call.get("outputPaths")
        if paths:
            data = {key: value for key, value in data.items() if any(key.startswith(p) for p in paths)}
    response_path = (call.get("physicalResourceId") or {}).get("responsePath")
    if response_path:
        physical_id = str(flat.get(response_path, physical_id))
    return physical_id, data


def _calls(properties: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    return {
        kind: json.loads(properties[kind]) if isinstance(properties.get(kind), str) else properties.get(kind)
        for kind in ("Create", "Update", "Delete")
    }


def _failed(error: CallFailedError) -> ValidationError:
    return ValidationError(message=f"Received response status [FAILED] from custom resource. Message returned: {error}")


class AwsCustomResource(CustomModel):
    """A `Custom::AWS` resource whose calls are made: its physical id and its answer's kept paths."""

    def __init__(self, region_name: str, logical_id: str, physical_id: str, properties: dict[str, Any]) -> None:
        super().__init__(region_name, "rehearsal", logical_id, physical_id)
        self.properties = properties

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.data:
            raise ValidationError(
                message=f"CustomResource attribute error: Vendor response doesn't contain {attribute_name} attribute "
                f"in object {self.logical_id}"
            )
        return self.data[attribute_name]

    @classmethod
    def created(cls, logical_id: str, properties: dict[str, Any], region_name: str) -> AwsCustomResource:
        calls = _calls(properties)
        physical_id = next(
            (str(c["physicalResourceId"]["id"]) for c in calls.values() if c and (c.get("physicalResourceId") or {})
             .get("id")),
            logical_id,
        )  # fmt: skip
        data: dict[str, Any] = {}
        call = calls["Create"] or calls["Update"]
        if call:
            try:
                physical_id, data = perform(call, physical_id, region_name)
            except CallFailedError as error:
                raise _failed(error) from error
        resource = cls(region_name, logical_id, physical_id, properties)
        resource.set_data(data)
        return resource

    def updated(self, properties: dict[str, Any]) -> AwsCustomResource:
        call = _calls(properties)["Update"]
        physical_id, data = self.resource_name, self.data
        if call:
            physical_id = str((call.get("physicalResourceId") or {}).get("id") or physical_id)
            try:
                physical_id, data = perform(call, physical_id, self.region_name)
            except CallFailedError as error:
                raise _failed(error) from error
        resource = type(self)(self.region_name, self.logical_id, physical_id, properties)
        resource.set_data(data)
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        call = _calls(self.properties)["Delete"]
        if call:
            physical_id = str((call.get("physicalResourceId") or {}).get("id") or self.resource_name)
            try:
                perform(call, physical_id, self.region_name)
            except CallFailedError as error:
                raise _failed(error) from error
