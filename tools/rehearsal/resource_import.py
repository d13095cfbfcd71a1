"""CloudFormation resource import (`IMPORT` change sets) on moto 5.2.5, as CloudFormation behaves.

What it models is documented in the AWS CloudFormation User Guide, "Import AWS resources into a
CloudFormation stack with a resource import" (resource-import.html, resource-import-new-stack.html,
resource-import-existing-stack.html), and in the API reference of `CreateChangeSet`
(`ChangeSetType=IMPORT`, `ResourcesToImport`). moto never reads `ResourcesToImport` and takes an IMPORT
change set for a CREATE one: a second stack of the same name whose execution creates every resource
again (S3 and RDS refuse, EC2 silently duplicates). The messages are CloudFormation's, as a public
emulator's AWS-checked test suite and the registry handlers (cloudformation-cli-java-plugin's
`ResourceNotFoundException`) state them. Here, instead:

- `CreateChangeSet` with `ChangeSetType=IMPORT` is validated in CloudFormation's order, each refusal a
  `ValidationError` with CloudFormation's message, leaving no change set (and, for a new stack, no
  stack): at least one resource; unique logical IDs; IDs present in the template; a type that supports
  import (`PRIMARY_IDENTIFIERS`; Route 53 record sets have no handlers and do not); identifier keys equal
  to the type's primary identifier; the type the template declares; at least one new resource; none
  already in the stack; every added resource listed; no existing resource modified or removed; Outputs
  unchanged; a `DeletionPolicy` on each resource to import;
- a new stack is created `REVIEW_IN_PROGRESS` ("User Initiated"), an existing one is left as it is; the
  change set is `CREATE_COMPLETE`/`AVAILABLE`, one `Import` change per resource whose
  `PhysicalResourceId` is the identifier's value (composite identifiers joined with `|`), no `Replacement`;
- then each resource is looked up in moto's service backends: a missing one fails the change set
  (`FAILED`/`UNAVAILABLE`): "Resource of type 'T' with identifier 'ID' was not found." ("Bucket not found"
  for S3); one that a stack already holds fails it with "ID already exists in stack STACK-ID"; so does a
  missing `{{resolve:ssm…}}` parameter, as on the change-set path of `cloudformation.py`;
- `ExecuteChangeSet` of an import binds each existing object to its logical ID (nothing is created,
  nothing duplicated), with the events `IMPORT_IN_PROGRESS`, per resource `IMPORT_IN_PROGRESS` and
  `IMPORT_COMPLETE`, and `IMPORT_COMPLETE`; the stack's template becomes the change set's, so `Ref`,
  `Fn::GetAtt`, outputs and later updates work on the imported resources;
- later updates diff template against template ("CloudFormation does not check that the template
  configuration matches the actual configuration"), in place unless a create-only property (registry
  schemas) changes, for the types moto cannot update: `AWS::RDS::DBInstance` (through moto's
  ModifyDBInstance) and `AWS::RDS::DBSubnetGroup`, an `AWS::S3::Bucket`'s logging, lifecycle,
  versioning and public access block (moto updates only its encryption and tags), and the network's
  VPC, subnet (`MapPublicIpOnLaunch`), route table, NAT gateway, EIP and internet gateway (their tags);
- a `DeletionPolicy` of `RetainExceptOnCreate` keeps the resource when its stack is deleted, as `Retain`
  does (moto honours only `Retain`), and `Snapshot` on a DB instance deletes it after a final snapshot
  ("DeletionPolicy attribute"); on any other type moto has no snapshot of, it deletes, as CloudFormation
  does for a type without snapshots.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing, responses
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_ip_addresses import ElasticAddress
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.subnets import Subnet
from moto.ec2.models.vpcs import VPC
from moto.elasticache.models import elasticache_backends
from moto.iam.models import iam_backends
from moto.moto_api._internal import mock_random
from moto.rds.models import DBInstance, DBSubnetGroup, rds_backends
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from tools.rehearsal import cloudformation, models

Props = dict[str, Any]

# Each importable type's primary identifier, in its registry schema's order (the resource providers' schemas,
# as hashicorp/terraform-provider-awscc publishes them).
PRIMARY_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "AWS::RDS::DBInstance": ("DBInstanceIdentifier",),
    "AWS::RDS::DBSubnetGroup": ("DBSubnetGroupName",),
    "AWS::RDS::DBParameterGroup": ("DBParameterGroupName",),
    "AWS::ElastiCache::ReplicationGroup": ("ReplicationGroupId",),
    "AWS::ElastiCache::SubnetGroup": ("CacheSubnetGroupName",),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::S3::BucketPolicy": ("Bucket",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::EC2::VPC": ("VpcId",),
    "AWS::EC2::Subnet": ("SubnetId",),
    "AWS::EC2::RouteTable": ("RouteTableId",),
    "AWS::EC2::SecurityGroup": ("Id",),
    "AWS::EC2::NatGateway": ("NatGatewayId",),
    "AWS::EC2::EIP": ("PublicIp", "AllocationId"),
    "AWS::EC2::InternetGateway": ("InternetGatewayId",),
}
# Listed to say so: its registry schema has no handlers, so CloudFormation cannot import it.
NOT_IMPORTABLE = frozenset({"AWS::Route53::RecordSet"})

# The change set's StatusReason once the import is accepted (as CloudFormation answers it).
_ACCEPTED = (
    "Verify that resources and their properties defined in the template match the intended configuration "
    "of the resource import to avoid unexpected changes."
)
_MODIFIED = (
    "You have modified resources [{}] in your template that are not being imported. "
    "Update, create or delete operations cannot be executed during import operations."
)
_KEPT_ON_DELETE = ("Retain", "RetainExceptOnCreate")


class InvalidChangeSetStatusError(CloudFormationError):
    """ExecuteChangeSet of a change set that is not AVAILABLE."""

    code = "InvalidChangeSetStatus"


@functools.cache
def install() -> None:
    """Apply the patches (idempotent); after `cloudformation.install()` and `models.install()`."""
    cloudformation._wrap(responses.CloudFormationResponse, "create_change_set", _create_change_set)
    cloudformation._wrap(cfn_models.CloudFormationBackend, "execute_change_set", _execute_change_set)
    cloudformation._wrap(parsing.ResourceMap, "_delete_resource", _delete_as_the_policy_says)
    remembered: tuple[type[Any], ...] = (DBInstance, DBSubnetGroup, FakeBucket, *_EC2_CREATE_ONLY)
    for model in remembered:
        _remember_properties(model)
    for network_model in _EC2_CREATE_ONLY:
        setattr(network_model, "update_from_cloudformation_json", classmethod(_update_network_resource))  # noqa: B010
    setattr(DBInstance, "update_from_cloudformation_json", classmethod(_update_db_instance))  # noqa: B010
    setattr(DBSubnetGroup, "update_from_cloudformation_json", classmethod(_update_db_subnet_group))  # noqa: B010
    own_bucket_update = FakeBucket.update_from_cloudformation_json
    setattr(  # noqa: B010
        FakeBucket,
        "update_from_cloudformation_json",
        classmethod(functools.partial(_update_bucket, own_bucket_update)),
    )
    if not getattr(FakeBucket, "_creates_settings", False):
        own_bucket_create = FakeBucket.create_from_cloudformation_json
        setattr(  # noqa: B010
            FakeBucket,
            "create_from_cloudformation_json",
            classmethod(functools.partial(_create_bucket, own_bucket_create)),
        )
        FakeBucket._creates_settings = True  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- finding what exists


def _rds(account: str, region: str) -> Any:
    return rds_backends[account][region]


def _elasticache(account: str, region: str) -> Any:
    return elasticache_backends[account][region]


def _s3(account: str, region: str) -> Any:
    return s3_backends[account][get_partition(region)]


def _ec2(account: str, region: str) -> Any:
    return ec2_backends[account][region]


def _role(account: str, region: str, name: str) -> Any:
    try:
        return iam_backends[account][get_partition(region)].get_role(name)
    except Exception:  # moto's NoSuchEntity
        return None


def _subnet(account: str, region: str, subnet_id: str) -> Any:
    try:
        return _ec2(account, region).get_subnet(subnet_id)
    except Exception:  # moto's InvalidSubnetId
        return None


def _policy_of(account: str, region: str, bucket_name: str) -> Any:
    bucket = _s3(account, region).buckets.get(bucket_name)
    return bucket if bucket is not None and bucket.policy else None


def _address(account: str, region: str, public_ip: str, allocation_id: str) -> Any:
    found = [
        a for a in _ec2(account, region).addresses if a.public_ip == public_ip and a.allocation_id == allocation_id
    ]
    return found[0] if found else None


Finder = Callable[[str, str, tuple[str, ...]], Any]

# The object each identifier names in moto's backends, or None (the values in PRIMARY_IDENTIFIERS' order).
FINDERS: dict[str, Finder] = {
    "AWS::RDS::DBInstance": lambda a, r, ids: _rds(a, r).databases.get(ids[0]),
    "AWS::RDS::DBSubnetGroup": lambda a, r, ids: _rds(a, r).subnet_groups.get(ids[0]),
    "AWS::RDS::DBParameterGroup": lambda a, r, ids: _rds(a, r).db_parameter_groups.get(ids[0].lower()),
    "AWS::ElastiCache::ReplicationGroup": lambda a, r, ids: _elasticache(a, r).replication_groups.get(ids[0]),
    "AWS::ElastiCache::SubnetGroup": lambda a, r, ids: _elasticache(a, r).cache_subnet_groups.get(ids[0]),
    "AWS::S3::Bucket": lambda a, r, ids: _s3(a, r).buckets.get(ids[0]),
    "AWS::S3::BucketPolicy": lambda a, r, ids: _policy_of(a, r, ids[0]),
    "AWS::IAM::Role": lambda a, r, ids: _role(a, r, ids[0]),
    "AWS::EC2::VPC": lambda a, r, ids: _ec2(a, r).vpcs.get(ids[0]),
    "AWS::EC2::Subnet": lambda a, r, ids: _subnet(a, r, ids[0]),
    "AWS::EC2::RouteTable": lambda a, r, ids: _ec2(a, r).route_tables.get(ids[0]),
    "AWS::EC2::SecurityGroup": lambda a, r, ids: _ec2(a, r).get_security_group_from_id(ids[0]),
    "AWS::EC2::NatGateway": lambda a, r, ids: _ec2(a, r).nat_gateways.get(ids[0]),
    "AWS::EC2::EIP": lambda a, r, ids: _address(a, r, ids[0], ids[1]),
    "AWS::EC2::InternetGateway": lambda a, r, ids: _ec2(a, r).internet_gateways.get(ids[0]),
}


def _not_found(resource_type: str, physical_id: str) -> str:
    """The failed change set's reason: the resource handler's, S3's own for a bucket."""
    if resource_type == "AWS::S3::Bucket":
        return "Bucket not found"
    return f"Resource of type '{resource_type}' with identifier '{physical_id}' was not found."


def _physical_id(resource: Any) -> str | None:
    """What a stack's resource is called: its physical ID, or the name of a model moto gives none
    (an RDS subnet group)."""
    found = getattr(resource, "physical_resource_id", None) or getattr(resource, "name", None)
    return None if found is None else str(found)


# --------------------------------------------------------------------------- CreateChangeSet


class _Entry:
    """One member of ResourcesToImport."""

    def __init__(self, member: Mapping[str, Any]) -> None:
        self.resource_type = str(member.get("ResourceType", ""))
        self.logical_id = str(member.get("LogicalResourceId", ""))
        self.identifier: dict[str, str] = dict(member.get("ResourceIdentifier") or {})

    def values(self) -> tuple[str, ...]:
        return tuple(self.identifier[key] for key in PRIMARY_IDENTIFIERS[self.resource_type])

    @property
    def physical_id(self) -> str:
        return "|".join(self.values())


def _create_change_set(original: Any, self: Any) -> Any:
    if self._get_param("ChangeSetType") != "IMPORT":
        return original(self)
    backend = self.cloudformation_backend
    stack_name, change_set_name = self._get_param("StackName"), self._get_param("ChangeSetName")
    validate_create_change_set(change_set_name)
    self.validate_template_and_stack_body()
    body = self._get_param("TemplateBody")
    if self._get_param("TemplateURL"):
        body = self._get_stack_from_s3_url(self._get_param("TemplateURL"))
    elif self._get_bool_param("UsePreviousTemplate", False):
        body = backend.get_stack(stack_name).template
    stack = _live_stack(backend, stack_name)
    given: dict[str, Any] = {} if stack is None else {**cloudformation._defaults(stack), **stack.parameters}
    parameters: dict[str, str] = {
        p["ParameterKey"]: given[p["ParameterKey"]] if p.get("UsePreviousValue") else p["ParameterValue"]
        for p in self._get_param("Parameters", [])
    }
    entries = [_Entry(member) for member in self._get_param("ResourcesToImport", [])]
    template = cfn_models.Stack.parse_template(cloudformation._template_text(body))
    deployed = {} if stack is None or stack.status == "REVIEW_IN_PROGRESS" else stack.template_dict
    _validate(entries, template, deployed or {})
    cloudformation._refuse_unknown_imports(backend, template)

    if stack is None:
        stack = cfn_models.Stack(  # type: ignore[abstract]
            stack_id=generate_stack_id(stack_name, backend.region_name, backend.account_id),
            name=stack_name,
            template={},
            parameters=parameters,
            account_id=backend.account_id,
            region_name=backend.region_name,
            notification_arns=self._get_param("NotificationARNs", []),
            tags={item["Key"]: item["Value"] for item in self._get_param("Tags", [])},
            role_arn=self._get_param("RoleARN"),
        )
        backend.stacks[stack.stack_id] = stack
        stack.status = "REVIEW_IN_PROGRESS"
        stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
    change_set = cfn_models.ChangeSet(
        change_set_type="IMPORT",
        change_set_id=generate_changeset_id(change_set_name, backend.region_name, backend.account_id),
        change_set_name=change_set_name,
        stack=stack,
        template=body,
        parameters=parameters,
        description=self._get_param("Description"),
        notification_arns=self._get_param("NotificationARNs", []),
        tags={item["Key"]: item["Value"] for item in self._get_param("Tags", [])},
        role_arn=self._get_param("RoleARN"),
    )
    change_set.resources_to_import = entries  # type: ignore[attr-defined]
    failure = _failure(backend, entries, body)
    if failure is None:
        change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
        change_set.status_reason = _ACCEPTED
        change_set.changes = [_import_change(entry) for entry in entries]
    else:
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = failure
        change_set.changes = []
    backend.change_sets[change_set.change_set_id] = change_set
    return ActionResult({"Id": change_set.change_set_id, "StackId": stack.stack_id})


def _live_stack(backend: Any, name: str) -> Any:
    for stack in backend.stacks.values():
        if stack.name == name and stack.status != "DELETE_COMPLETE":
            return stack
    return None


def _import_change(entry: _Entry) -> cfn_models.Change:
    change = cfn_models.Change(action="Import", logical_resource_id=entry.logical_id, resource_type=entry.resource_type)
    change.physical_resource_id = entry.physical_id  # type: ignore[attr-defined]
    change.scope = []  # type: ignore[attr-defined]
    change.details = []  # type: ignore[attr-defined]
    return change


def _ids(names: Any) -> str:
    return ", ".join(names)


def _validate(entries: list[_Entry], template: Props, deployed: Props) -> None:
    """CreateChangeSet's refusals of an import, in the order CloudFormation checks them."""
    for number, entry in enumerate(entries, start=1):
        if not entry.identifier:
            raise ValidationError(
                message=f"1 validation error detected: Value null at 'resourcesToImport.{number}.member."
                "resourceIdentifier' failed to satisfy constraint: Member must not be null"
            )
    if not entries:
        raise ValidationError(message="Must Provide at least one resource to import")
    listed = [entry.logical_id for entry in entries]
    if len(set(listed)) != len(listed):
        raise ValidationError(message="Every resource to import must have unique LogicalResourceId")
    resources: Props = template.get("Resources") or {}
    absent = [name for name in listed if name not in resources]
    if absent:
        raise ValidationError(
            message=f"The logical resource ids [{_ids(absent)}] provided in ResourceToImport do not exist in the "
            "template."
        )
    unsupported = [
        entry.resource_type
        for entry in entries
        if entry.resource_type in NOT_IMPORTABLE or entry.resource_type not in PRIMARY_IDENTIFIERS
    ]
    if unsupported:
        raise ValidationError(
            message=f"The following resource types are not supported for resource import: {','.join(unsupported)}"
        )
    for entry in entries:
        expected = PRIMARY_IDENTIFIERS[entry.resource_type]
        if set(entry.identifier) != set(expected):
            raise ValidationError(
                message=f"Invalid resource identifier for resource type {entry.resource_type}. "
                f"Expected [{_ids(expected)}]"
            )
    for entry in entries:
        declared = resources[entry.logical_id].get("Type")
        if declared != entry.resource_type:
            raise ValidationError(
                message=f"Resource type of [{entry.logical_id}] passed in ResourceToImport does not match with "
                f"resource type defined in the template. Resource type in ResourceToImport: {entry.resource_type}; "
                f"Resource type in Template: {declared}."
            )
    existing: Props = deployed.get("Resources") or {}
    added = [name for name in resources if name not in existing]
    if not added:
        raise ValidationError(message="The template should contain at least one new resource to import.")
    held = [name for name in listed if name in existing]
    if held:
        raise ValidationError(
            message=f"Resources [{_ids(held)}] passed in ResourceToImport are already in a stack and cannot be "
            "imported."
        )
    unlisted = [name for name in added if name not in listed]
    if unlisted:
        raise ValidationError(message=f"Resources [{_ids(unlisted)}] is missing from ResourceToImport list")
    modified = [name for name, resource in existing.items() if resources.get(name) != resource]
    if modified:
        raise ValidationError(message=_MODIFIED.format(_ids(modified)))
    if (template.get("Outputs") or {}) != (deployed.get("Outputs") or {}):
        raise ValidationError(message="As part of the import operation, you cannot modify or add [Outputs]")
    unprotected = [name for name in listed if "DeletionPolicy" not in resources[name]]
    if unprotected:
        raise ValidationError(
            message=f"The following resources to import [{_ids(unprotected)}] must have DeletionPolicy attribute "
            "specified in the template."
        )


def _failure(backend: Any, entries: list[_Entry], body: Any) -> str | None:
    """Why an accepted import change set fails, or None: a missing dynamic reference, then per resource
    the lookup (CloudFormation looks the resource up before it asks which stack holds it)."""
    missing = cloudformation._missing_references(
        cloudformation._template_text(body), backend.account_id, backend.region_name
    )
    if missing:
        return f"Parameters: [{', '.join(missing)}] cannot be found."
    for entry in entries:
        found = FINDERS[entry.resource_type](backend.account_id, backend.region_name, entry.values())
        if found is None:
            return _not_found(entry.resource_type, entry.physical_id)
        owner = _holder(backend, entry.resource_type, _bound_id(entry, found))
        if owner is not None:
            return f"{entry.physical_id} already exists in stack {owner}"
    return None


def _bound_id(entry: _Entry, found: Any) -> str | None:
    """The physical ID the imported resource will have in the stack (see `_bound`)."""
    model = parsing.resource_class_from_type(entry.resource_type)
    if isinstance(model, type) and issubclass(model, models._Model):
        return entry.physical_id
    return _physical_id(found)


def _holder(backend: Any, resource_type: str, physical_id: str | None) -> str | None:
    """The ID of the live stack that holds a resource of this type and physical ID, if one does."""
    if physical_id is None:
        return None
    for stack in backend.stacks.values():
        if stack.status.startswith("DELETE"):
            continue
        resources = stack.resource_map
        for name in resources._resource_json_map:
            held = resources._parsed_resources.get(name)
            if held is None or getattr(held, "cf_resource_type", None) != resource_type:
                continue
            if (_physical_id(held) or "").lower() == physical_id.lower():
                return str(stack.stack_id)
    return None


# --------------------------------------------------------------------------- ExecuteChangeSet


def _execute_change_set(original: Any, self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = cloudformation._find_change_set(self, change_set_name, stack_name)
    if change_set.change_set_type != "IMPORT":
        return original(self, change_set_name, stack_name)  # type: ignore[no-any-return]
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatusError(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
            f"[{change_set.execution_status}]"
        )
    entries: list[_Entry] = change_set.resources_to_import
    found = {
        entry.logical_id: FINDERS[entry.resource_type](self.account_id, self.region_name, entry.values())
        for entry in entries
    }
    gone = [entry for entry in entries if found[entry.logical_id] is None]
    if gone:  # deleted since the change set was made: nothing is imported
        raise ValidationError(message=_not_found(gone[0].resource_type, gone[0].physical_id))
    stack = self.stacks[change_set.stack_id]
    stack.status = "IMPORT_IN_PROGRESS"
    stack._add_stack_event("IMPORT_IN_PROGRESS", resource_status_reason="User Initiated")
    template = change_set.template_dict
    resources = stack.resource_map
    resources.cross_stack_resources = self.exports
    resources._template = template
    if change_set.parameters:
        resources.input_parameters = dict(change_set.parameters)
    resources.load_mapping()
    resources.load_parameters()
    resources.load_conditions()
    resources._resource_json_map = template["Resources"]
    # Bound first, every one, so a Ref between two imported resources never makes the lazy map create one.
    bound = {}
    for entry in entries:
        _event(stack, entry, None, "IMPORT_IN_PROGRESS")
        bound[entry.logical_id] = _bound(self, entry, found[entry.logical_id])
        resources._parsed_resources[entry.logical_id] = bound[entry.logical_id]
    for entry in entries:
        resource = bound[entry.logical_id]
        resource_json = copy.deepcopy(template["Resources"][entry.logical_id])
        props = parsing.clean_json(resource_json.get("Properties") or {}, resources)
        if isinstance(resource, models._Model):
            resource.props = resource._kept(props)
        else:
            resource._template_properties = props
        _event(stack, entry, _physical_id(resource), "IMPORT_COMPLETE")

    stack.template = change_set.template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.parameters = dict(change_set.parameters)
    stack.output_map = stack._create_output_map()
    for name in [name for name, export in self.exports.items() if export.exporting_stack_id == stack.stack_id]:
        del self.exports[name]
    self._validate_export_uniqueness(stack)
    for export in stack.exports:
        self.exports[export.name] = export
    stack.status = "IMPORT_COMPLETE"
    stack._add_stack_event("IMPORT_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE"
    return None


def _bound(backend: Any, entry: _Entry, found: Any) -> Any:
    """The stack resource an imported object becomes: the backend's own object where moto's model is it,
    else the rehearsal's model of it, named by the identifier and never created."""
    model = parsing.resource_class_from_type(entry.resource_type)
    if isinstance(model, type) and issubclass(model, models._Model):
        resource: Any = model(backend.account_id, backend.region_name, entry.physical_id, {})
        resource.physical_resource_id = entry.physical_id
    else:
        resource = found
    resource.cf_resource_type = entry.resource_type
    resource.logical_resource_id = entry.logical_id
    return resource


def _event(stack: Any, entry: _Entry, physical_id: str | None, status: str) -> None:
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=entry.logical_id,
            physical_resource_id=physical_id or entry.physical_id,
            resource_type=entry.resource_type,
            resource_status=status,
            resource_status_reason=None,
            resource_properties=None,
        )
    )


# --------------------------------------------------------------------------- updates in place


def _remember_properties(model: type[Any]) -> None:
    """Keep the template's (resolved) properties on what `model` creates: its next update compares the
    template with them, never with the live resource."""
    own = model.create_from_cloudformation_json

    def create(
        cls: type, /, resource_name: str, cloudformation_json: Props, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        created = own(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        created._template_properties = copy.deepcopy(cloudformation_json.get("Properties") or {})
        return created

    setattr(model, "create_from_cloudformation_json", classmethod(create))  # noqa: B010


def _plain(value: Any) -> Any:
    """A resolved property as compared: moto's Ref to an RDS subnet group is the group itself."""
    return value.name if isinstance(value, DBSubnetGroup) else value


def _changed(old: Props, new: Props, names: Any) -> set[str]:
    return {name for name in names if _plain(old.get(name)) != _plain(new.get(name))}


def _refuse_renaming_in_place(name_property: str, old: Props, new: Props) -> None:
    if name_property in new and _plain(new[name_property]) == _plain(old.get(name_property)):
        raise ValidationError(
            message="CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            f"Rename {_plain(new[name_property])} and update the stack again."
        )


# AWS::RDS::DBInstance's createOnlyProperties (registry schema aws-cloudformation-resource-providers-rds).
_DB_CREATE_ONLY = frozenset(
    models._names(
        """
        CharacterSetName CustomIAMInstanceProfile DBClusterIdentifier DBInstanceIdentifier DBName
        DBSubnetGroupName KmsKeyId MasterUsername NcharCharacterSetName Port SourceRegion StorageEncrypted
        Timezone
        """
    )
)
# The properties ModifyDBInstance changes in place: moto's keyword, and the value when the template drops it
# (None: left as it is).
_DB_IN_PLACE: dict[str, tuple[str, Any]] = {
    "VPCSecurityGroups": ("vpc_security_group_ids", []),
    "MonitoringRoleArn": ("monitoring_role_arn", None),
    "MonitoringInterval": ("monitoring_interval", 0),
    "EnableIAMDatabaseAuthentication": ("enable_iam_database_authentication", False),
    "CopyTagsToSnapshot": ("copy_tags_to_snapshot", False),
    "PreferredBackupWindow": ("preferred_backup_window", None),
    "PreferredMaintenanceWindow": ("preferred_maintenance_window", None),
    "MultiAZ": ("multi_az", False),
    "DBParameterGroupName": ("db_parameter_group_name", None),
    "DBInstanceClass": ("db_instance_class", None),
    "AllocatedStorage": ("allocated_storage", None),
    "MaxAllocatedStorage": ("max_allocated_storage", None),
    "BackupRetentionPeriod": ("backup_retention_period", 1),
    "DeletionProtection": ("deletion_protection", False),
    "EngineVersion": ("engine_version", None),
    "StorageType": ("storage_type", None),
    "StorageThroughput": ("storage_throughput", None),
    "Iops": ("iops", None),
    "PubliclyAccessible": ("publicly_accessible", None),
    "AutoMinorVersionUpgrade": ("auto_minor_version_upgrade", True),
    "CACertificateIdentifier": ("ca_certificate_identifier", None),
    "MasterUserPassword": ("master_user_password", None),
}


def _update_db_instance(
    cls: type[DBInstance],
    original_resource: DBInstance,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> DBInstance:
    # moto has none: its ResourceMap dropped the instance from the stack on any change.
    new: Props = cloudformation_json["Properties"]
    old: Props = getattr(original_resource, "_template_properties", new)
    if _changed(old, new, _DB_CREATE_ONLY):
        _refuse_renaming_in_place("DBInstanceIdentifier", old, new)
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        original_resource.delete(account_id, region_name)
        return replacement
    changes = {
        keyword: new.get(name, default)
        for name, (keyword, default) in _DB_IN_PLACE.items()
        if name in _changed(old, new, _DB_IN_PLACE)
    }
    if "EnableCloudwatchLogsExports" in _changed(old, new, ["EnableCloudwatchLogsExports"]):
        live, wanted = (
            list(original_resource.enabled_cloudwatch_logs_exports),
            new.get("EnableCloudwatchLogsExports", []),
        )
        changes["cloudwatch_logs_export_configuration"] = {
            "EnableLogTypes": [kind for kind in wanted if kind not in live],
            "DisableLogTypes": [kind for kind in live if kind not in wanted],
        }
    if changes:
        rds_backends[account_id][region_name].modify_db_instance(original_resource.db_instance_identifier, changes)
    if "Tags" in _changed(old, new, ["Tags"]):
        original_resource.tags = list(new.get("Tags", []))
    original_resource._template_properties = copy.deepcopy(new)  # type: ignore[attr-defined]
    return original_resource


def _update_db_subnet_group(
    cls: type[DBSubnetGroup],
    original_resource: DBSubnetGroup,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> DBSubnetGroup:
    # DBSubnetGroupName is create-only; the description, subnets and tags change in place.
    new: Props = cloudformation_json["Properties"]
    old: Props = getattr(original_resource, "_template_properties", new)
    if _changed(old, new, ["DBSubnetGroupName"]):
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        original_resource.delete(account_id, region_name)
        return replacement
    group = original_resource
    group.description = new["DBSubnetGroupDescription"]
    group.subnets = [ec2_backends[account_id][region_name].get_subnet(subnet) for subnet in new["SubnetIds"]]
    group.tags = list(new.get("Tags", []))
    group._template_properties = copy.deepcopy(new)  # type: ignore[attr-defined]
    return group


def _lifecycle_rule(rule: Props) -> Props:
    """One `AWS::S3::Bucket` lifecycle rule in the S3 API's shape, as moto's PutBucketLifecycle takes it."""
    api: Props = {"ID": rule.get("Id"), "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    expiration = {
        key: rule[name]
        for name, key in (
            ("ExpirationInDays", "Days"),
            ("ExpirationDate", "Date"),
            ("ExpiredObjectDeleteMarker", "ExpiredObjectDeleteMarker"),
        )
        if name in rule
    }
    if expiration:
        api["Expiration"] = expiration
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = dict(rule["NoncurrentVersionExpiration"])
    elif "NoncurrentVersionExpirationInDays" in rule:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = dict(rule["AbortIncompleteMultipartUpload"])
    transitions = list(rule.get("Transitions", [])) + ([rule["Transition"]] if "Transition" in rule else [])
    if transitions:
        api["Transition"] = [
            {"StorageClass": t["StorageClass"], "Days": t.get("TransitionInDays"), "Date": t.get("TransitionDate")}
            for t in transitions
        ]
    noncurrent = list(rule.get("NoncurrentVersionTransitions", []))
    if "NoncurrentVersionTransition" in rule:
        noncurrent.append(rule["NoncurrentVersionTransition"])
    if noncurrent:
        api["NoncurrentVersionTransition"] = [
            {
                "StorageClass": t["StorageClass"],
                "NoncurrentDays": t["TransitionInDays"],
                "NewerNoncurrentVersions": t.get("NewerNoncurrentVersions"),
            }
            for t in noncurrent
        ]
    return api


def _put_bucket_setting(backend: Any, bucket: FakeBucket, name: str, value: Any) -> None:
    if name == "LoggingConfiguration":
        config = None
        if value is not None:
            config = {"TargetBucket": value.get("DestinationBucketName", bucket.name)}
            if "LogFilePrefix" in value:
                config["TargetPrefix"] = value["LogFilePrefix"]
        bucket.set_logging(config, backend)
    elif name == "LifecycleConfiguration":
        if value is None:
            backend.delete_bucket_lifecycle(bucket.name)
        else:
            backend.put_bucket_lifecycle(bucket.name, [_lifecycle_rule(rule) for rule in value["Rules"]])
    elif name == "VersioningConfiguration":
        if value is not None:  # a bucket once versioned can only be suspended
            backend.put_bucket_versioning(bucket.name, value["Status"])
    elif value is None:
        backend.delete_public_access_block(bucket.name)
    else:
        backend.put_public_access_block(bucket.name, value)


_BUCKET_SETTINGS = (
    "LoggingConfiguration",
    "LifecycleConfiguration",
    "VersioningConfiguration",
    "PublicAccessBlockConfiguration",
)


# Put when a stack creates a bucket, which moto's create leaves out. Not the logging: CloudFormation creates the
# target bucket's policy after the bucket that logs to it, and moto checks that policy when logging is put.
_CREATED_SETTINGS = ("LifecycleConfiguration", "VersioningConfiguration", "PublicAccessBlockConfiguration")


def _create_bucket(
    own: Callable[..., FakeBucket],
    cls: type[FakeBucket],
    resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> FakeBucket:
    """moto's create (encryption and tags), then the versioning, lifecycle and public access block it ignores."""
    bucket = own(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = s3_backends[account_id][get_partition(region_name)]
    properties = cloudformation_json.get("Properties", {})
    for name in _CREATED_SETTINGS:
        if name in properties:
            _put_bucket_setting(backend, bucket, name, properties[name])
    return bucket


def _update_bucket(
    own: Callable[..., FakeBucket],
    cls: type[FakeBucket],
    original_resource: FakeBucket,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> FakeBucket:
    """moto's update (a new name replaces; encryption and tags in place), then the settings it ignores:
    each one whose template value changed is put whole, as CloudFormation does."""
    new: Props = copy.deepcopy(cloudformation_json["Properties"])
    old: Props = getattr(original_resource, "_template_properties", {})
    bucket = own(
        original_resource=original_resource,
        new_resource_name=new_resource_name,
        cloudformation_json=cloudformation_json,
        account_id=account_id,
        region_name=region_name,
    )
    backend = s3_backends[account_id][get_partition(region_name)]
    for name in _BUCKET_SETTINGS:
        replaced = bucket is not original_resource
        # A new bucket takes what the template sets; the same bucket, what the template changed.
        if (replaced and name in new) or (not replaced and old.get(name) != new.get(name)):
            _put_bucket_setting(backend, bucket, name, new.get(name))
    bucket._template_properties = new  # type: ignore[attr-defined]
    return bucket


# The network types moto cannot update, with their createOnlyProperties (registry schemas); anything else
# they declare is kept in place: their tags, and a subnet's MapPublicIpOnLaunch.
_EC2_CREATE_ONLY: dict[type[Any], frozenset[str]] = {
    VPC: frozenset({"CidrBlock", "Ipv4IpamPoolId", "Ipv4NetmaskLength"}),
    Subnet: frozenset({"VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "Ipv4IpamPoolId"}),
    RouteTable: frozenset({"VpcId"}),
    NatGateway: frozenset({"SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress"}),
    ElasticAddress: frozenset({"Domain", "NetworkBorderGroup", "TransferAddress", "PublicIpv4Pool"}),
    InternetGateway: frozenset(),
}


def _update_network_resource(
    cls: type[Any],
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> Any:
    # moto has none: its ResourceMap dropped the resource from the stack on any change.
    new: Props = cloudformation_json["Properties"]
    old: Props = getattr(original_resource, "_template_properties", new)
    if _changed(old, new, _EC2_CREATE_ONLY[cls]):
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        original_resource.delete(account_id, region_name)
        return replacement
    backend = ec2_backends[account_id][region_name]
    if "Tags" in _changed(old, new, ["Tags"]):
        resource_id = str(original_resource.physical_resource_id)
        if isinstance(original_resource, ElasticAddress):
            resource_id = str(original_resource.allocation_id)
        backend.delete_tags([resource_id], {tag["Key"]: tag["Value"] for tag in old.get("Tags", [])})
        backend.create_tags([resource_id], {tag["Key"]: tag["Value"] for tag in new.get("Tags", [])})
    if isinstance(original_resource, Subnet) and "MapPublicIpOnLaunch" in _changed(old, new, ["MapPublicIpOnLaunch"]):
        original_resource.map_public_ip_on_launch = bool(new.get("MapPublicIpOnLaunch", False))
    original_resource._template_properties = copy.deepcopy(new)
    return original_resource


# --------------------------------------------------------------------------- DeletionPolicy


def _delete_as_the_policy_says(original: Any, self: Any, parsed_resource: Any, resource_json: Props) -> None:
    policy = resource_json.get("DeletionPolicy", "Delete")
    if policy in _KEPT_ON_DELETE:
        return
    if policy == "Snapshot" and isinstance(parsed_resource, DBInstance):
        suffix = mock_random.get_random_string(12, lower_case=True)
        logical_id = getattr(parsed_resource, "logical_resource_id", "")
        snapshot = f"{self['AWS::StackName']}-snapshot-{logical_id}-{suffix}".lower()
        rds_backends[self._account_id][self._region_name].delete_db_instance(
            parsed_resource.db_instance_identifier, final_db_snapshot_identifier=snapshot
        )
        return
    original(self, parsed_resource, resource_json)
