"""What moto 5.2.5's CloudFormation lacks for a CDK deploy, added on its own backend.

moto is pinned exactly (requirements-dev.txt) because this reaches into its internals. Each
patch closes one measured gap (../shared/research/deploy-rehearsal.md) the way CloudFormation
behaves, as its documentation states it:

- `UpdateTerminationProtection`, `ListImports`, and `ListHookResults` and `DescribeEvents`
  (none here), which the CLI and the runbook call;
- a stack with termination protection refuses deletion, and an export another stack imports
  refuses deletion, by `DeleteStack` or by an update that drops it ("Export … is in use");
- a resource that fails to delete leaves its stack `DELETE_FAILED`, holding that resource (moto
  answered the error and forgot the stack);
- on the change-set path, a change set sees the region's exports, and executing it renews the
  stack's outputs and registers its exports (stock moto does neither);
- change sets are found by name within their stack: the CLI names every one alike;
- a stack update creates and updates resources in dependency order (and, after a replacement,
  what refers to the replaced resource), then deletes the ones the template dropped, last, as
  CloudFormation's clean-up does (stock moto deletes first, then
  creates, then updates, each in template order: a Lambda version was published before its
  function's update, and the one it replaced was deleted while the alias still served it), and
  forgets a deleted resource, so a later template that brings its logical ID back creates it;
  a dropped resource whose DeletionPolicy is Retain is forgotten but left in place (stock moto
  honours the policy only when a whole stack is deleted);
- `UsePreviousValue` keeps a parameter's given value (an SSM parameter name stays a name);
- `{{resolve:ssm-secure:NAME}}` and `{{resolve:ssm:NAME}}` are resolved from moto's SSM, and a
  change set (or stack) that names a missing parameter fails as CloudFormation fails:
  "Parameters: [ssm-secure:NAME] cannot be found.";
- `{{resolve:secretsmanager:SECRET-ID:SecretString:JSON-KEY:VERSION-STAGE:VERSION-ID}}` is resolved from
  moto's Secrets Manager in the stack's region (the id a name or an ARN; the JSON key, stage and version id
  optional, the stage and the id not both), in resource properties only, as CloudFormation resolves it
  ("You can use a dynamic reference for a secret in any resource property"): an output or an export keeps
  the reference as written, so DescribeStacks and ListExports never show the value, nor GetTemplate (the
  template keeps the reference). A literal reference to a secret that does not exist (one the template
  does not itself create) is refused as a missing SSM parameter is, "Parameters: [secretsmanager:ID] cannot
  be found." (CloudFormation refuses it later, when it provisions the resource, with Secrets Manager's
  "Secrets Manager can't find the specified secret."); one built by `Fn::Join`/`Fn::Sub`, as the CDK
  builds one to a secret of its own stack, fails the same way when its resource is made;
- a stack's parameters are the ones its last executed change set was given (moto kept none), so
  a change set of the template and parameters a stack already has fails with CloudFormation's
  "The submitted information didn't contain changes. …", as moto means it to (the CLI then says
  "no changes", and deletes it only when it executes: `--method=prepare-change-set` leaves it);
- GetTemplate with a ChangeSetName answers that change set's template (the pipeline checks a change
  set against the approved template by it);
- custom resources (`Custom::…`) complete at once without running their provider, and an update
  keeps what they answered: there is no Lambda execution here, so what they do (the default security
  group's rules, log retention) is not rehearsed. `Custom::AWS` (the CDK's AwsCustomResource) is the
  exception: its provider makes one SDK call its properties spell out, which is made against the
  emulator, and `Fn::GetAtt` answers from that call's answer (aws_custom_resource.py).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing, responses
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.responses import ActionResult, EmptyResult
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

from tools.rehearsal import aws_custom_resource


class ChangeSetNotFoundError(CloudFormationError):
    """What CloudFormation answers for a change set it does not have (the CLI waits for it after a delete)."""

    code = "ChangeSetNotFound"


_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure):([^}:]+)(?::(\d+))?\}\}")
# {{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}: all but the id optional.
# No quote: in a template's text, a reference is within one string (one built by Fn::Join is not a reference yet).
_SECRET_REFERENCE = re.compile(r'\{\{resolve:secretsmanager:([^}"]+)\}\}')
# Set while moto cleans an output or an export, where a secret stays unresolved (and out of DescribeStacks).
_IN_OUTPUTS: ContextVar[bool] = ContextVar("rehearsal_in_outputs", default=False)


@functools.cache
def install() -> None:
    """Apply the patches (idempotent)."""
    backend = cfn_models.CloudFormationBackend
    response = responses.CloudFormationResponse

    _wrap(backend, "create_change_set", _create_change_set)
    _wrap(backend, "execute_change_set", _execute_change_set)
    _wrap(backend, "delete_stack", _delete_stack)
    _wrap(backend, "create_stack", _create_stack)
    _wrap(backend, "update_stack", _update_stack)
    _wrap(response, "describe_change_set", _scoped_to_stack)
    _wrap(response, "delete_change_set", _delete_if_there)
    _wrap(response, "create_change_set", _previous_values_as_given)
    _wrap(response, "get_template", _template_of_change_set)
    response.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
    response.list_imports = _list_imports  # type: ignore[attr-defined]
    response.list_hook_results = _list_hook_results  # type: ignore[attr-defined]
    response.describe_events = _describe_events  # type: ignore[attr-defined]
    _wrap(parsing, "clean_json", _clean_json)
    _wrap(parsing, "parse_output", functools.partial(_with_outputs_flag, True))
    _wrap(parsing, "parse_resource", functools.partial(_with_outputs_flag, False))
    own_exports = vars(parsing.OutputMap)["exports"].fget
    setattr(  # noqa: B010
        parsing.OutputMap, "exports", property(lambda outputs: _with_outputs_flag(True, own_exports, outputs))
    )
    setattr(parsing.ResourceMap, "update", _update_resources)  # noqa: B010
    setattr(CustomModel, "create_from_cloudformation_json", classmethod(_custom_resource))  # noqa: B010
    setattr(CustomModel, "update_from_cloudformation_json", classmethod(_update_custom_resource))  # noqa: B010


def _wrap(owner: Any, name: str, replacement: Any) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return replacement(original, *args, **kwargs)

    wrapper.__name__ = name
    setattr(owner, name, wrapper)


# --------------------------------------------------------------------------- dynamic references


def _parameter_value(account_id: str, region: str, name: str) -> str | None:
    parameter = ssm_backends[account_id][region].get_parameter(name)
    return None if parameter is None else str(parameter.value)


@dataclass(frozen=True)
class _SecretReference:
    """A `{{resolve:secretsmanager:…}}` reference's segments (the empty string for one left out)."""

    secret_id: str
    json_key: str
    version_stage: str
    version_id: str


def _secret_reference(body: str) -> _SecretReference:
    """The segments after `secretsmanager:`; the secret id a name (no colon) or an ARN (seven fields)."""
    parts = body.split(":")
    size = 7 if body.startswith("arn:") else 1
    secret_id, rest = ":".join(parts[:size]), parts[size:]
    if not secret_id or len(rest) > 4 or (rest and rest[0] not in ("", "SecretString")):
        raise ValidationError(
            message=f"Template error: {{{{resolve:secretsmanager:{body}}}}} is not a valid dynamic reference: "
            "secret-id:SecretString:json-key:version-stage:version-id"
        )
    _kind, json_key, stage, version_id = [*rest, "", "", "", ""][:4]
    if stage and version_id:
        # "If you use version-stage then don't specify version-id" (dynamic-references-secretsmanager).
        raise ValidationError(
            message=f"Template error: {{{{resolve:secretsmanager:{body}}}}} names both a version-stage and a "
            "version-id; specify one or neither"
        )
    return _SecretReference(secret_id, json_key, stage, version_id)


def _secret_value(account_id: str, region: str, reference: _SecretReference) -> str | None:
    """The value the reference resolves to, None when there is no such secret; any other failure raised
    with Secrets Manager's (or, for the JSON key, CloudFormation's) message, which never includes the value."""
    secret = secretsmanager_backends[account_id][region].secrets.get(reference.secret_id)
    if secret is None:
        return None
    if secret.is_deleted():
        raise ValidationError(
            message="You can't perform this operation on the secret because it was marked for deletion."
        )
    if reference.version_id:
        version = secret.versions.get(reference.version_id)
        label = f"VersionId: {reference.version_id}"
    else:
        stage = reference.version_stage or "AWSCURRENT"
        version = next((v for v in secret.versions.values() if stage in v["version_stages"]), None)
        label = f"staging label: {stage}"
    if version is None or "secret_string" not in version:
        raise ValidationError(message=f"Secrets Manager can't find the specified secret value for {label}")
    text = str(version["secret_string"])
    if not reference.json_key:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or reference.json_key not in document:
        raise ValidationError(message="Could not find a value associated with JSONKey in SecretString")
    value = document[reference.json_key]
    return value if isinstance(value, str) else json.dumps(value)


def _secrets_created_by(template: str) -> set[str]:
    """The literal names of the secrets the template itself creates (they exist once it provisions them)."""
    try:
        parsed = cfn_models.Stack.parse_template(template)
    except Exception:  # not a template moto can read: moto refuses it on its own
        return set()
    resources = (parsed.get("Resources") if isinstance(parsed, dict) else None) or {}
    return {
        str(resource["Properties"]["Name"])
        for resource in resources.values()
        if isinstance(resource, dict)
        and resource.get("Type") == "AWS::SecretsManager::Secret"
        and isinstance((resource.get("Properties") or {}).get("Name"), str)
    }


def _missing_references(template: str, account_id: str, region: str) -> list[str]:
    missing = []
    for kind, name, _version in _DYNAMIC_REFERENCE.findall(template):
        try:
            found = _parameter_value(account_id, region, name)
        except Exception:  # moto raises its own ParameterNotFound
            found = None
        if found is None:
            missing.append(f"{kind}:{name}")
    bodies = _SECRET_REFERENCE.findall(template)
    created = _secrets_created_by(template) if bodies else set()
    for body in bodies:
        try:
            reference = _secret_reference(body)
        except ValidationError:
            continue  # refused, with its reason, when the resource is made
        secrets = secretsmanager_backends[account_id][region].secrets
        if reference.secret_id not in created and secrets.get(reference.secret_id) is None:
            missing.append(f"secretsmanager:{reference.secret_id}")
    return sorted(set(missing))


def _refuse_missing(template: str | None, account_id: str, region: str) -> None:
    missing = _missing_references(template or "", account_id, region)
    if missing:
        raise ValidationError(message=f"Parameters: [{', '.join(missing)}] cannot be found.")


def _with_outputs_flag(in_outputs: bool, original: Any, *args: Any, **kwargs: Any) -> Any:
    """Run moto's parse_output (True) or parse_resource (False): a resource an output makes on first use
    is made with its secrets resolved."""
    token = _IN_OUTPUTS.set(in_outputs)
    try:
        return original(*args, **kwargs)
    finally:
        _IN_OUTPUTS.reset(token)


def _clean_json(original: Any, resource_json: Any, resources_map: Any) -> Any:
    cleaned = original(resource_json, resources_map)
    if isinstance(cleaned, str) and "{{resolve:" in cleaned:
        account, region = resources_map._account_id, resources_map._region_name

        def value(match: re.Match[str]) -> str:
            found = _parameter_value(account, region, match.group(2))
            if found is None:
                raise ValidationError(message=f"Parameters: [{match.group(1)}:{match.group(2)}] cannot be found.")
            return found

        def secret(match: re.Match[str]) -> str:
            reference = _secret_reference(match.group(1))
            found = _secret_value(account, region, reference)
            if found is None:
                raise ValidationError(message=f"Parameters: [secretsmanager:{reference.secret_id}] cannot be found.")
            return found

        cleaned = _DYNAMIC_REFERENCE.sub(value, cleaned)
        if not _IN_OUTPUTS.get():
            cleaned = _SECRET_REFERENCE.sub(secret, cleaned)
    return cleaned


# --------------------------------------------------------------------------- stacks and change sets


def _template_text(template: Any) -> str:
    return template if isinstance(template, str) else json.dumps(template)


def _create_stack(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
    _refuse_missing(kwargs.get("template"), self.account_id, self.region_name)
    if kwargs.get("template"):
        _refuse_unknown_imports(self, kwargs["template"])
    return original(self, *args, **kwargs)


def _update_stack(original: Any, self: Any, name: str, template: str, *args: Any, **kwargs: Any) -> Any:
    _refuse_missing(template, self.account_id, self.region_name)
    _refuse_unknown_imports(self, template)
    stack = self.get_stack(name)
    _refuse_dropping_imported_exports(self, stack, _exports_of(stack, template))
    return original(self, name, template, *args, **kwargs)


def _create_change_set(original: Any, self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    if kwargs.get("change_set_type") == "CREATE":
        # A stack whose only change set failed stays in REVIEW_IN_PROGRESS; CloudFormation takes a
        # new CREATE change set for it rather than a second stack of the same name.
        for stack_id, stack in list(self.stacks.items()):
            if stack.name == kwargs.get("stack_name") and stack.status == "REVIEW_IN_PROGRESS":
                del self.stacks[stack_id]
                for change_set_id in [i for i, c in self.change_sets.items() if c.stack_id == stack_id]:
                    del self.change_sets[change_set_id]
    template = kwargs.get("template")
    if template:
        _refuse_unknown_imports(self, template)
    change_set_id, stack_id = original(self, *args, **kwargs)
    change_set = self.change_sets[change_set_id]
    missing = _missing_references(_template_text(change_set.template), self.account_id, self.region_name)
    if missing and change_set.status != "FAILED":
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = f"Parameters: [{', '.join(missing)}] cannot be found."
    return change_set_id, stack_id


def _refuse_unknown_imports(backend: Any, template: Any) -> None:
    """An Fn::ImportValue of a name no stack exports fails the change set's creation, as on CloudFormation."""
    parsed = cfn_models.Stack.parse_template(_template_text(template))
    for name in _import_names(parsed):
        if name not in backend.exports:
            raise ValidationError(message=f"No export named {name} found.")


def _find_change_set(backend: Any, name: str, stack_name: str | None) -> Any:
    """By ARN, or by name within the named live stack: the newest of that name."""
    if name in backend.change_sets:
        return backend.change_sets[name]
    found = [
        change_set
        for change_set in backend.change_sets.values()
        if change_set.change_set_name == name
        and change_set.stack_id in backend.stacks
        and stack_name in (None, change_set.stack_name, change_set.stack_id)
    ]
    if not found:
        raise ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")
    return found[-1]


def _execute_change_set(original: Any, self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = _find_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    new_exports = _exports_of(stack, change_set.template)
    _refuse_dropping_imported_exports(self, stack, new_exports)
    # Fn::ImportValue resolves against the region's exports, as it does on CloudFormation.
    stack.resource_map.cross_stack_resources = self.exports
    original(self, change_set.change_set_id, stack_name)
    stack.parameters = dict(change_set.parameters)
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    for name in [name for name, export in self.exports.items() if export.exporting_stack_id == stack.stack_id]:
        del self.exports[name]
    self._validate_export_uniqueness(stack)
    for export in stack.exports:
        self.exports[export.name] = export


def _exports_of(stack: Any, template: Any) -> set[str]:
    """The export names ``template`` declares (literal names, as the CDK writes them)."""
    parsed = stack.parse_template(_template_text(template))
    names = set()
    for output in (parsed.get("Outputs") or {}).values():
        name = (output.get("Export") or {}).get("Name")
        if isinstance(name, str):
            names.add(name)
    return names


def _imports(backend: Any) -> dict[str, set[str]]:
    """Export name → names of the live stacks whose templates import it."""
    found: dict[str, set[str]] = {}
    for stack in backend.stacks.values():
        if stack.status.startswith("DELETE") or not stack.template_dict:
            continue
        for name in _import_names(stack.template_dict):
            found.setdefault(name, set()).add(stack.name)
    return found


def _import_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue" and isinstance(value, str):
                yield value
            else:
                yield from _import_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _import_names(item)


def _refuse_dropping_imported_exports(backend: Any, stack: Any, keeps: set[str]) -> None:
    imports = _imports(backend)
    for export in stack.exports:
        users = sorted(imports.get(export.name, set()) - {stack.name})
        if export.name not in keeps and users:
            raise ValidationError(message=f"Cannot delete export {export.name} as it is in use by {', '.join(users)}.")


def _delete_stack(original: Any, self: Any, name_or_stack_id: str) -> None:
    for stack in list(self.stacks.values()):
        if name_or_stack_id not in (stack.name, stack.stack_id):
            continue
        if stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        imports = _imports(self)
        for export in stack.exports:
            users = sorted(imports.get(export.name, set()) - {stack.name})
            if users:
                raise ValidationError(
                    message=f"Export {export.name} cannot be deleted as it is in use by {', '.join(users)}"
                )
    targets = [stack for stack in self.stacks.values() if name_or_stack_id in (stack.name, stack.stack_id)]
    try:
        original(self, name_or_stack_id)
    except Exception as error:
        # CloudFormation accepts the request and the stack ends DELETE_FAILED, still holding what it could not
        # delete (moto lost the stack): a backup vault with recovery points, say.
        for stack in targets:
            if stack.stack_id not in self.stacks:
                self.stacks[stack.stack_id] = stack
                stack.status = "DELETE_FAILED"
                resources = stack.resource_map
                kept = ("Retain", "RetainExceptOnCreate")
                left = ", ".join(
                    sorted(
                        name
                        for name in resources._parsed_resources
                        if resources._resource_json_map.get(name, {}).get("DeletionPolicy") not in kept
                    )
                )
                reason = f"The following resource(s) failed to delete: [{left}]. {error}"
                stack._add_stack_event("DELETE_FAILED", reason)
        return
    # A deleted stack's change sets go with it.
    for change_set_id in [i for i, c in self.change_sets.items() if c.stack_id not in self.stacks]:
        del self.change_sets[change_set_id]


# --------------------------------------------------------------------------- the order of an update


# ${Name} or ${Name.Attribute} in an Fn::Sub (${!Text} is text); pseudo parameters match but name no resource.
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[^}]*)?\}")


def _references(node: Any) -> Iterator[str]:
    """The names a resource's JSON refers to (Ref, Fn::GetAtt, Fn::Sub), and its DependsOn."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("Ref", "DependsOn") and isinstance(value, str):
                yield value
            elif key == "DependsOn" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
            elif key == "Fn::Sub":
                text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
                yield from _SUB_REFERENCE.findall(text)
                yield from _references(variables)
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _dependency_order(resources: dict[str, Any]) -> list[str]:
    """The template's resources, each after every resource it refers to (template order otherwise)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dependency in _references(resources[name]):
            if dependency in resources:
                visit(dependency)
        order.append(name)

    for name in resources:
        visit(name)
    return order


def _update_resources(resources: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """moto's ResourceMap.update in CloudFormation's order: create and update, dependencies first, then
    clean up. A failed update is tried again in a later pass, as moto does; a failed creation fails."""
    actions = resources.build_resource_diff(template, parameters)
    old_resources = resources._resource_json_map
    resources._template = template
    if parameters:
        resources.input_parameters = parameters
    resources.load_mapping()
    resources.load_parameters()
    resources.load_conditions()
    resources._resource_json_map = template["Resources"]

    added, modified = set(actions["Add"]), set(actions["Modify"])
    order = _dependency_order(template["Resources"])
    pending = [name for name in order if name in added | modified]
    # A replaced resource has a new physical ID: what refers to it is updated too, as in
    # CloudFormation (moto compares the templates' text only, where the reference has not changed).
    dependents = {
        name: [other for other in order if name in set(_references(template["Resources"][other])) and other != name]
        for name in order
    }
    last_error: Exception | None = None
    for _ in range(parsing.MAX_UPDATE_ATTEMPTS):
        for name in list(pending):
            if name in added:
                _ = resources[name]  # the lazy map creates it
                pending.remove(name)
                continue
            current = resources._parsed_resources.get(name)
            before = getattr(current, "physical_resource_id", None)
            with contextlib.suppress(AttributeError):  # what CloudFormation compares with: the previous template
                current.previous_template = old_resources.get(name)
            try:
                changed = parsing.parse_and_update_resource(
                    name,
                    template["Resources"][name],
                    resources,
                    account_id=resources._account_id,
                    region_name=resources._region_name,
                )
            except Exception as error:
                last_error = error
            else:
                resources._parsed_resources[name] = changed
                pending.remove(name)
                if getattr(changed, "physical_resource_id", None) != before:
                    for dependent in dependents[name]:
                        if dependent not in pending and dependent not in added:
                            pending.append(dependent)
        if not pending:
            break
    if pending and last_error is not None:
        raise last_error

    removed = set(actions["Remove"])
    pending = [name for name in reversed(_dependency_order(old_resources)) if name in removed]
    for _ in range(parsing.MAX_UPDATE_ATTEMPTS):
        for name in list(pending):
            parsed = resources._parsed_resources.get(name)
            kept = old_resources[name].get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
            try:
                if parsed is not None and not kept:
                    resources._delete_resource(parsed, old_resources[name])
            except Exception as error:
                last_error = error
            else:
                resources._parsed_resources.pop(name, None)
                pending.remove(name)
        if not pending:
            break
    if pending and last_error is not None:
        raise last_error


# --------------------------------------------------------------------------- responses


def _scoped_to_stack(original: Any, self: Any) -> Any:
    """DescribeChangeSet and DeleteChangeSet by name look in the named stack only."""
    name, stack_name = self._get_param("ChangeSetName"), self._get_param("StackName")
    change_set = _find_change_set(self.cloudformation_backend, name, stack_name)
    self.querystring["ChangeSetName"] = [change_set.change_set_id]
    if isinstance(getattr(self, "params", None), dict):
        self.params["ChangeSetName"] = change_set.change_set_id
    return original(self)


def _delete_if_there(original: Any, self: Any) -> Any:
    """DeleteChangeSet of a name the stack does not have succeeds, as on CloudFormation (the CLI relies on it)."""
    try:
        return _scoped_to_stack(original, self)
    except ChangeSetNotFoundError:
        return EmptyResult()


def _template_of_change_set(original: Any, self: Any) -> Any:
    """GetTemplate with a ChangeSetName answers the change set's template, not the stack's (CloudFormation
    API reference, GetTemplate: "ChangeSetName … returns the associated template")."""
    name = self._get_param("ChangeSetName")
    if not name:
        return original(self)
    change_set = _find_change_set(self.cloudformation_backend, name, self._get_param("StackName"))
    return ActionResult({"TemplateBody": _template_text(change_set.template)})


def _previous_values_as_given(original: Any, self: Any) -> Any:
    """UsePreviousValue keeps the value as given: for an SSM-typed parameter, its parameter name."""
    stack_name = self._get_param("StackName")
    backend = self.cloudformation_backend
    stacks = [s for s in backend.stacks.values() if s.name == stack_name]
    if stacks and self._get_param("ChangeSetType", "CREATE") == "UPDATE":
        stack = stacks[0]
        given = {**_defaults(stack), **stack.parameters}
        for parameter in self._get_param("Parameters", []):  # the request's own list: edited in place
            if parameter.get("UsePreviousValue") in (True, "true") and parameter["ParameterKey"] in given:
                parameter.pop("UsePreviousValue")
                parameter["ParameterValue"] = given[parameter["ParameterKey"]]
    return original(self)


def _defaults(stack: Any) -> dict[str, Any]:
    slots = (stack.template_dict or {}).get("Parameters") or {}
    return {name: slot["Default"] for name, slot in slots.items() if "Default" in slot}


def _update_termination_protection(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
    return ActionResult({"StackId": stack.stack_id})


def _list_imports(self: Any) -> ActionResult:
    name = self._get_param("ExportName")
    backend = self.cloudformation_backend
    if name not in backend.exports:
        raise ValidationError(message=f"Export '{name}' does not exist.")
    return ActionResult({"Imports": sorted(_imports(backend).get(name, set()))})


def _list_hook_results(self: Any) -> ActionResult:
    """No hooks run here; the CLI asks after a failed change set, and retries a 500 for minutes."""
    return ActionResult({"HookResults": []})


def _describe_events(self: Any) -> ActionResult:
    """Operation events (the CLI's newer account of a failure): none beyond the change set's own reason."""
    return ActionResult({"OperationEvents": []})


# --------------------------------------------------------------------------- custom resources


def _custom_resource(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> CustomModel:
    if kwargs.get("ResourceType") == aws_custom_resource.TYPE:
        return aws_custom_resource.AwsCustomResource.created(
            kwargs["LogicalId"], cloudformation_json.get("Properties") or {}, region_name
        )
    resource = CustomModel(region_name, "rehearsal", kwargs["LogicalId"], resource_name)  # type: ignore[abstract]
    resource.set_data({})
    return resource


def _update_custom_resource(
    cls: Any,
    /,
    original_resource: CustomModel,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> CustomModel:
    """`Custom::AWS` makes its Update call; any other custom resource completes at once, keeping its answer
    (moto has no update for them: the stack lost the resource)."""
    if isinstance(original_resource, aws_custom_resource.AwsCustomResource):
        return original_resource.updated(cloudformation_json.get("Properties") or {})
    return original_resource
