"""CloudFormation resource models moto 5.2.5 lacks, and attribute fixes to those it has.

moto is pinned exactly (requirements-dev.txt) because this reaches into its internals: its
CloudFormation skips a type it has no model for, so a `Ref` or `Fn::GetAtt` to one fails. Each
model here creates, updates (in place unless the property is create-only in the resource's
CloudFormation schema) and deletes through moto's own service backend, so the service APIs show
what the template made:

- ElastiCache `SubnetGroup` and `ReplicationGroup` (`PrimaryEndPoint`, `ReaderEndPoint`,
  `ConfigurationEndPoint` `.Address`/`.Port`); the `AuthToken` goes to moto, which keeps only
  whether one is set, and is never kept here;
- API Gateway v2 `Api`, `Integration`, `Route`, `Stage`, `DomainName` and `ApiMapping`;
- CloudWatch `Alarm`, metric or metric-math, and a Synthetics `Canary` (registered, never run);
- SNS `Subscription` (the alarm topic's HTTPS one: its endpoint a resolved `{{resolve:ssm:…}}`), and a
  CloudWatch Logs `MetricFilter`;
- ACM `Certificate`, marked ISSUED at once: the rehearsal has no DNS to validate it against;
- IAM `OIDCProvider` (the CI stack's GitHub provider; Ref and `Arn` its ARN), so the roles that
  trust it name its ARN;
- S3 `BucketPolicy`, EC2 `SecurityGroupEgress` and `SecurityGroupIngress` (from an address range, a
  group or a prefix list: moto's takes no `SourcePrefixListId`, and never revokes its rule), a security
  group's inline `SecurityGroupEgress`, which replaces the default allow-all rule as in EC2, and its
  inline `SecurityGroupIngress` whole (moto drops descriptions, IPv6 ranges and prefix lists); a group
  updates in place, its inline rules revoked and authorized by difference (moto's update makes a new
  group, a new id), unless a create-only property changed;
- Lambda `Alias` (Ref and `AliasArn` its ARN; `FunctionName` and `Name` create-only), with its
  routing weights; moto has no provisioned concurrency API, so `ProvisionedConcurrencyConfig` is
  not kept anywhere;
- CodeDeploy `Application` and `DeploymentGroup` (Ref is the name of each), the group with its
  deployment config, alarms, auto-rollback, deployment style and the other settings whose
  CloudFormation shape is the API's (not `Ec2TagSet`, `OnPremisesTagSet` or `Deployment`: no
  deployment runs). moto has no Delete or Update call for either: they edit its backend's
  records, and GetDeploymentGroup shows the alarm configuration (moto answers `{}`). Nothing
  executes an alias's `CodeDeployLambdaAliasUpdate` policy: CloudFormation here moves the alias
  itself, with no deployment, no hook and no traffic shift;
- in `edge_models.py`, the edge protection stack's and the network stack's: Secrets Manager `Secret` (with
  its replicas), WAFv2 `IPSet`, `WebACL` and `LoggingConfiguration`, CloudFront `Function` and `Distribution`.

The fixes to moto's own models: ELBv2 `LoadBalancerFullName`, `SecurityGroups`,
`CanonicalHostedZoneID` and `TargetGroupFullName`; an RDS instance's `DbiResourceId` (a return
value of `AWS::RDS::DBInstance` in CloudFormation's reference: moto keeps the id but does not
answer the attribute); an RDS parameter group's `Ref` is its name, and its `Parameters` and
`Tags` update in place; hosted zone ids look like Route 53's (`Z` and
20 upper-case letters or digits); an instance's EBS mapping without `VolumeSize` or `SnapshotId`
gets the AMI's 8 GiB; a KMS `Key`'s policy and tags reach KMS in the API's shapes (JSON text,
`TagKey`/`TagValue`), as CloudFormation translates them, and update in place; a bucket policy is judged by the
statements whose conditions moto can evaluate, so the `aws:SecureTransport` Deny on CDK's
staging bucket does not refuse the CLI; a Lambda `Version`'s Ref is the published version's ARN
and `Version` its number, deleting the resource deletes that version (so the one a new version
replaces goes in the stack's clean-up), and version numbers are never reused, as in Lambda (moto
counts the versions left); a Route 53 record set is updated and deleted alone, not with every
record of its name (weighted records share one).

A stack's `AWS::RDS::DBInstance` is the instance its identifier names, as CloudFormation tracks a
resource by its physical ID (for a DB instance, the identifier: "Ref returns the DB instance name",
aws-resource-rds-dbinstance.html). moto's stack holds the Python object instead, so an instance
renamed aside by ModifyDBInstance (`NewDBInstanceIdentifier`) stayed the stack's, and another instance
renamed to the identifier was not. Here, before the stack reads (Ref, GetAtt, outputs,
DescribeStackResources), updates or deletes it, the resource is bound again to the instance that
holds the identifier now (the restore-and-promote swap: the restored instance becomes the stack's);
when none does, deleting the stack deletes nothing of it. moto's rename keeps the endpoint with the
identifier (`<identifier>.aaaaaaaaaa.<region>.rds.amazonaws.com`), as RDS does.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from moto.acm.models import acm_backends
from moto.apigatewayv2.models import ApiGatewayV2Backend, apigatewayv2_backends
from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaBackend, LambdaFunction, LambdaStorage, LambdaVersion
from moto.awslambda.utils import get_backend as lambda_backend
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.codedeploy import responses as codedeploy_responses
from moto.codedeploy.models import CodeDeployBackend, codedeploy_backends
from moto.core.common_models import CloudFormationModel
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.instances import Instance
from moto.ec2.models.security_groups import SecurityGroup
from moto.elasticache.models import ElastiCacheBackend, elasticache_backends
from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import iam_backends
from moto.iam.policy_conditions import CONDITION_OPERATIONS
from moto.kms.models import Key as KmsKey
from moto.kms.models import kms_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random
from moto.rds.models import DBInstance, DBParameterGroup, RDSBackend, rds_backends
from moto.route53 import models as route53_models
from moto.s3.models import FakeBucket, s3_backends
from moto.sns.models import sns_backends
from moto.synthetics.models import synthetics_backends
from moto.utilities.id_generator import ExistingIds, ResourceIdentifier, Tags, moto_id
from moto.utilities.utils import get_partition

Props = dict[str, Any]

# Route 53's zone for API Gateway regional endpoints (AWS General Reference, API Gateway endpoints).
_API_GATEWAY_ZONES = {
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "eu-west-1": "ZLY8HYME6SFDD",
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-2": "Z2OJLYMUO9EFXC",
}
# An AMI's root volume when the mapping leaves the size to it (Amazon Linux's is 8 GiB).
_ROOT_VOLUME_GIB = 8
_installed = False


def _give_each_instance_its_resource_id() -> None:
    """Every RDS instance its own DbiResourceId, as AWS gives (moto gives all one constant), a
    point-in-time restore no replica of its source, and a stack's instance its deletion protection and
    IAM authentication: `tools.ops.restore promote` compares a restore with the live instance by them."""
    own_init = DBInstance.__init__

    def init(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        own_init(self, *args, **kwargs)
        alphabet = string.ascii_uppercase + string.digits
        self.dbi_resource_id = "db-" + "".join(secrets.choice(alphabet) for _ in range(26))

    DBInstance.__init__ = init  # type: ignore[method-assign]

    # A point-in-time restore is a new instance, not a replica of its source (moto passes the request's
    # SourceDBInstanceIdentifier on to the new instance, which then answers as a read replica).
    own_restore = RDSBackend.restore_db_instance_to_point_in_time

    def restore(self: RDSBackend, source: str, target: str, overrides: dict[str, Any]) -> DBInstance:
        restored = own_restore(self, source, target, overrides)
        restored.source_db_instance_identifier = None
        return restored

    setattr(RDSBackend, "restore_db_instance_to_point_in_time", restore)  # noqa: B010

    # moto's CloudFormation create leaves these out; CloudFormation sets them at creation.
    own_create = DBInstance.create_from_cloudformation_json

    def create(cls: type, resource_name: str, cloudformation_json: Props, *args: Any, **kwargs: Any) -> DBInstance:
        database = own_create(resource_name, cloudformation_json, *args, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        database.deletion_protection = str(properties.get("DeletionProtection", False)).lower() == "true"
        database.enable_iam_database_authentication = (
            str(properties.get("EnableIAMDatabaseAuthentication", False)).lower() == "true"
        )
        return database

    setattr(DBInstance, "create_from_cloudformation_json", classmethod(create))  # noqa: B010


def install() -> None:
    """Register the CloudFormation models and attribute fixes below with moto (idempotent); after
    `cloudformation.install()`, whose stack update this wraps."""
    global _installed
    if not _installed:
        _installed = True
        _give_each_instance_its_resource_id()
        from tools.rehearsal import edge_models  # imports this module's plumbing

        edge_models.install()
        _add_attributes(
            FakeLoadBalancer,
            {
                "LoadBalancerFullName": lambda lb: lb.arn.split(":loadbalancer/", 1)[1],
                "SecurityGroups": lambda lb: lb.security_groups,
                "CanonicalHostedZoneID": lambda lb: lb.canonical_hosted_zone_id,
            },
        )
        _add_attributes(FakeTargetGroup, {"TargetGroupFullName": lambda tg: tg.arn.split(":", 5)[5]})
        _add_attributes(DBInstance, {"DbiResourceId": lambda instance: instance.dbi_resource_id})
        _wrap_create(DBInstance, None, _record_identifier)
        _track_db_instances_by_identifier()
        setattr(DBParameterGroup, "physical_resource_id", property(lambda group: group.name))  # noqa: B010
        setattr(DBParameterGroup, "update_from_cloudformation_json", classmethod(_update_parameter_group))  # noqa: B010
        route53_models.create_route53_zone_id = _hosted_zone_id
        _wrap_create(Instance, _default_volume_size)
        _wrap_create(KmsKey, _kms_key_as_the_api_takes_it)
        setattr(KmsKey, "update_from_cloudformation_json", classmethod(_update_kms_key))  # noqa: B010
        _wrap_create(SecurityGroup, _hold_inline_ingress, _inline_rules)
        setattr(SecurityGroup, "update_from_cloudformation_json", classmethod(_update_security_group))  # noqa: B010
        setattr(FakeBucket, "get_permission", _bucket_permission)  # noqa: B010
        _wrap_create(LambdaVersion, None, _published_version)
        _add_attributes(LambdaVersion, {"Version": lambda version: str(version.version)})
        setattr(LambdaVersion, "physical_resource_id", property(lambda version: version.arn))  # noqa: B010
        setattr(LambdaVersion, "update_from_cloudformation_json", classmethod(_update_version))  # noqa: B010
        setattr(LambdaVersion, "delete", _delete_version)  # noqa: B010
        setattr(LambdaStorage, "publish_version", _publish_version)  # noqa: B010
        setattr(route53_models.RecordSet, "delete", _delete_record_set)  # noqa: B010
        setattr(route53_models.RecordSet, "update_from_cloudformation_json", classmethod(_update_record_set))  # noqa: B010
        codedeploy_responses._deployment_group_info = _with_alarm_configuration(  # type: ignore[assignment]
            codedeploy_responses._deployment_group_info
        )
    # Registered models are found through these caches, filled on first use.
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()


# --------------------------------------------------------------------------- shared plumbing


class _Model:
    """The create, update and delete plumbing the models below share."""

    TYPE: ClassVar[str]
    NAME: ClassVar[str] = ""
    """The property that names the resource; CloudFormation generates the name without it."""
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    CREATE_ONLY: ClassVar[frozenset[str]] = frozenset()
    """The properties whose change replaces the resource."""
    SECRETS: ClassVar[frozenset[str]] = frozenset()
    """The properties passed to the backend but never kept on the model."""

    physical_resource_id: str

    def __init__(self, account_id: str, region_name: str, name: str, props: Props) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.name = name
        self.props = self._kept(props)

    @classmethod
    def _kept(cls, props: Props) -> Props:
        return {key: value for key, value in props.items() if key not in cls.SECRETS}

    def _create(self, props: Props) -> None:
        raise NotImplementedError

    def _update(self, props: Props) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError

    def _attribute(self, name: str) -> Any:
        return self.physical_resource_id

    def _own_name(self, limit: int) -> str:
        """The template's name, or moto's `<stack>-<logical id>-<suffix>` cut to `limit`, both lower-case."""
        if self.NAME in self.props:
            return self.name.lower()
        head, _, suffix = self.name.lower().rpartition("-")
        head = re.sub(r"[^a-z0-9]+", "-", head)[: limit - len(suffix) - 1].strip("-")
        return f"{head}-{suffix}"

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self._attribute(attribute_name)

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Props, account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        model = cls(account_id, region_name, resource_name, props)
        model._create(props)
        return model

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Self,
        new_resource_name: str,
        cloudformation_json: Props,
        account_id: str,
        region_name: str,
    ) -> Self:
        props = cloudformation_json["Properties"]
        old = original_resource
        replaced = {key for key in cls.CREATE_ONLY | {cls.NAME} - {""} if old.props.get(key) != props.get(key)}
        if not replaced:
            old._update(props)
            old.props = cls._kept(props)
            return old
        if cls.NAME and cls.NAME in props and props[cls.NAME] == old.props.get(cls.NAME):
            raise ValidationError(
                message=f"CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                f"Rename {props[cls.NAME]} and update the stack again."
            )
        new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        old.delete(account_id, region_name)
        return new

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            self._delete()
        except Exception as error:
            # CloudFormation counts a resource that is already gone as deleted.
            code = str(getattr(error, "error_type", "") or getattr(error, "code", ""))
            if "NotFound" not in code and "NoSuch" not in code:
                raise


def _snake(name: str) -> str:
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)).lower()


def _args(props: Mapping[str, Any], *names: str, **renamed: str) -> Props:
    """Each named property (None when absent) under the snake_case name moto's backends take,
    and each of `renamed`'s under its key."""
    return {_snake(name): props.get(name) for name in names} | {key: props.get(name) for key, name in renamed.items()}


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _camel(value: Mapping[str, Any]) -> Props:
    """A CloudFormation structure's keys as the API Gateway v2 API spells them."""
    return {key[:1].lower() + key[1:]: item for key, item in value.items()}


# --------------------------------------------------------------------------- ElastiCache


class CacheSubnetGroup(_Model, CloudFormationModel):
    """`AWS::ElastiCache::SubnetGroup`; Ref is its name, lower-case as ElastiCache keeps it."""

    TYPE = "AWS::ElastiCache::SubnetGroup"
    NAME = "CacheSubnetGroupName"
    CREATE_ONLY = frozenset({NAME})

    def _backend(self) -> ElastiCacheBackend:
        return elasticache_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = self._own_name(255)
        self._backend().create_cache_subnet_group(
            self.physical_resource_id, props["Description"], props["SubnetIds"], props.get("Tags")
        )

    def _update(self, props: Props) -> None:
        self._delete()
        self._create(props)

    def _delete(self) -> None:
        backend = self._backend()
        group = backend.cache_subnet_groups.pop(self.physical_resource_id, None)
        if group is not None:
            backend.tagging_service.delete_all_tags_for_resource(group.arn)


_REPLICATION_GROUP_SETTINGS = _names(
    """
    ReplicationGroupDescription GlobalReplicationGroupId PrimaryClusterId AutomaticFailoverEnabled MultiAZEnabled
    NumCacheClusters NumNodeGroups NodeGroupConfiguration CacheNodeType Engine EngineVersion
    CacheParameterGroupName CacheSubnetGroupName CacheSecurityGroupNames SecurityGroupIds Tags SnapshotArns
    SnapshotName PreferredMaintenanceWindow Port NotificationTopicArn AutoMinorVersionUpgrade
    SnapshotRetentionLimit SnapshotWindow AuthToken TransitEncryptionEnabled AtRestEncryptionEnabled KmsKeyId
    UserGroupIds LogDeliveryConfigurations DataTieringEnabled NetworkType IpDiscovery TransitEncryptionMode
    ClusterMode
    """
)
_REPLICATION_GROUP_MODIFIED = _names(
    """
    ReplicationGroupDescription Engine CacheNodeType AutomaticFailoverEnabled MultiAZEnabled SnapshotRetentionLimit
    """
)
# Set on moto's group as they are; modify_replication_group takes the ones above.
_REPLICATION_GROUP_IN_PLACE = _names(
    """
    EngineVersion SecurityGroupIds CacheSecurityGroupNames CacheParameterGroupName PreferredMaintenanceWindow
    SnapshotWindow NotificationTopicArn AutoMinorVersionUpgrade TransitEncryptionEnabled TransitEncryptionMode
    UserGroupIds
    """
)


def _replicas(props: Props) -> int:
    # moto sizes a group by its replicas alone and ignores NumCacheClusters.
    return int(props.get("ReplicasPerNodeGroup", int(props.get("NumCacheClusters", 1)) - 1))


class ReplicationGroup(_Model, CloudFormationModel):
    """`AWS::ElastiCache::ReplicationGroup`; Ref is its id, GetAtt its endpoints."""

    TYPE = "AWS::ElastiCache::ReplicationGroup"
    NAME = "ReplicationGroupId"
    ATTRIBUTES = tuple(
        f"{endpoint}.{field}"
        for endpoint in ("PrimaryEndPoint", "ReaderEndPoint", "ConfigurationEndPoint")
        for field in ("Address", "Port")
    )
    CREATE_ONLY = frozenset(
        _names(
            f"{NAME} AtRestEncryptionEnabled CacheSubnetGroupName DataTieringEnabled GlobalReplicationGroupId"
            " KmsKeyId NetworkType Port PreferredCacheClusterAZs SnapshotArns SnapshotName"
        )
    )
    SECRETS = frozenset({"AuthToken"})

    def _backend(self) -> ElastiCacheBackend:
        return elasticache_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = self._own_name(40)
        group = self._backend().create_replication_group(
            replication_group_id=self.physical_resource_id,
            replicas_per_node_group=_replicas(props),
            serverless_cache_snapshot_name=None,  # type: ignore[arg-type]
            **_args(props, *_REPLICATION_GROUP_SETTINGS, preferred_cache_cluster_azs="PreferredCacheClusterAZs"),
        )
        # moto keeps the reader endpoint's address but leaves it out of describe_replication_groups.
        for node_group in group.node_groups:
            if "reader_endpoint_address" in node_group:
                node_group["reader_endpoint"] = {"address": node_group["reader_endpoint_address"], "port": group.port}

    def _update(self, props: Props) -> None:
        backend = self._backend()
        group = backend.modify_replication_group(
            self.physical_resource_id,
            **_args(props, *_REPLICATION_GROUP_MODIFIED),
        )
        for name in _REPLICATION_GROUP_IN_PLACE:
            if name in props:
                setattr(group, _snake(name), props[name])
        group.auth_token_enabled = bool(props.get("AuthToken"))
        group.log_delivery_configurations = group._get_log_delivery_configurations(
            props.get("LogDeliveryConfigurations", [])
        )
        replicas = _replicas(props)
        node_group = group.node_groups[0]
        if not group.cluster_enabled and len(node_group["node_group_members"]) != replicas + 1:
            node_group["node_group_members"] = []
            group.member_clusters = []
            group._set_node_members_clusters_disabled(
                member_clusters=group.member_clusters,
                replication_group_id=group.replication_group_id,
                replication_group_domain=node_group["primary_endpoint_address"].removeprefix("master."),
                node_group=node_group,
                preferred_cache_cluster_azs=props.get("PreferredCacheClusterAZs", []),
                num_cache_clusters=replicas + 1,
                replicas_per_node_group=replicas,
            )
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        backend.tagging_service.tag_resource(group.arn, props.get("Tags"))

    def _delete(self) -> None:
        backend = self._backend()
        backend.delete_replication_group(self.physical_resource_id, retain_primary_cluster=False)
        # moto keeps a deleted group as "deleting"; ElastiCache forgets it once deleted.
        group = backend.replication_groups.pop(self.physical_resource_id)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)

    def _attribute(self, name: str) -> Any:
        group = self._backend().replication_groups[self.physical_resource_id]
        endpoint, _, field = name.partition(".")
        if field == "Port":
            return str(group.port)
        if endpoint == "ConfigurationEndPoint":
            return group.configuration_endpoint["address"]
        key = "primary_endpoint_address" if endpoint == "PrimaryEndPoint" else "reader_endpoint_address"
        return group.node_groups[0][key]


# --------------------------------------------------------------------------- API Gateway v2


class _ApiGatewayModel(_Model):
    """The API Gateway v2 backend of the model's account and region."""

    def _backend(self) -> ApiGatewayV2Backend:
        return apigatewayv2_backends[self.account_id][self.region_name]


_API_SETTINGS = _names(
    """
    ApiKeySelectionExpression Description DisableSchemaValidation DisableExecuteApiEndpoint Name
    RouteSelectionExpression Version
    """
)


class HttpApi(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::Api`; Ref is its id, GetAtt `ApiId` and `ApiEndpoint`."""

    TYPE = "AWS::ApiGatewayV2::Api"
    ATTRIBUTES = ("ApiId", "ApiEndpoint")
    CREATE_ONLY = frozenset({"ProtocolType"})

    @staticmethod
    def _settings(props: Props) -> Props:
        cors = props.get("CorsConfiguration")
        return {
            "cors_configuration": None if cors is None else _camel(cors),
            **_args(props, *_API_SETTINGS),
        }

    def _create(self, props: Props) -> None:
        api = self._backend().create_api(
            protocol_type=props["ProtocolType"], tags=props.get("Tags", {}), **self._settings(props)
        )
        self.physical_resource_id = api.api_id

    def _update(self, props: Props) -> None:
        backend = self._backend()
        api = backend.update_api(api_id=self.physical_resource_id, **self._settings(props))
        if "CorsConfiguration" not in props:
            api.cors_configuration = None
        backend.tagger.delete_all_tags_for_resource(api.arn)
        backend.tag_resource(api.arn, props.get("Tags", {}))

    def _delete(self) -> None:
        backend = self._backend()
        backend.tagger.delete_all_tags_for_resource(backend.get_api(self.physical_resource_id).arn)
        backend.delete_api(self.physical_resource_id)

    def _attribute(self, name: str) -> Any:
        return (
            self._backend().get_api(self.physical_resource_id).api_endpoint
            if name == "ApiEndpoint"
            else super()._attribute(name)
        )


_INTEGRATION_SETTINGS = _names(
    """
    ConnectionId ConnectionType ContentHandlingStrategy CredentialsArn Description IntegrationMethod
    IntegrationSubtype IntegrationType IntegrationUri PassthroughBehavior PayloadFormatVersion RequestParameters
    RequestTemplates ResponseParameters TemplateSelectionExpression TimeoutInMillis
    """
)


def _integration_settings(props: Props) -> Props:
    tls = props.get("TlsConfig")
    return {"tls_config": None if tls is None else _camel(tls), **_args(props, *_INTEGRATION_SETTINGS)}


class Integration(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::Integration`; Ref is its id."""

    TYPE = "AWS::ApiGatewayV2::Integration"
    ATTRIBUTES = ("IntegrationId",)
    CREATE_ONLY = frozenset({"ApiId"})

    def _create(self, props: Props) -> None:
        integration = self._backend().create_integration(api_id=props["ApiId"], **_integration_settings(props))
        self.physical_resource_id = integration.id

    def _update(self, props: Props) -> None:
        self._backend().update_integration(
            api_id=props["ApiId"], integration_id=self.physical_resource_id, **_integration_settings(props)
        )

    def _delete(self) -> None:
        self._backend().delete_integration(self.props["ApiId"], self.physical_resource_id)


_ROUTE_SETTINGS = _names(
    """
    ApiKeyRequired AuthorizationScopes AuthorizationType AuthorizerId ModelSelectionExpression OperationName
    RequestModels RequestParameters RouteKey RouteResponseSelectionExpression Target
    """
)


class Route(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::Route`; Ref is its id."""

    TYPE = "AWS::ApiGatewayV2::Route"
    ATTRIBUTES = ("RouteId",)
    CREATE_ONLY = frozenset({"ApiId"})

    def _create(self, props: Props) -> None:
        route = self._backend().create_route(api_id=props["ApiId"], **_args(props, *_ROUTE_SETTINGS))
        self.physical_resource_id = route.route_id

    def _update(self, props: Props) -> None:
        self._backend().update_route(
            api_id=props["ApiId"], route_id=self.physical_resource_id, **_args(props, *_ROUTE_SETTINGS)
        )

    def _delete(self) -> None:
        self._backend().delete_route(self.props["ApiId"], self.physical_resource_id)


class Stage(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::Stage`, with its throttling and access-log settings; Ref is its name."""

    TYPE = "AWS::ApiGatewayV2::Stage"
    CREATE_ONLY = frozenset({"ApiId", "StageName"})

    @staticmethod
    def _config(props: Props) -> Props:
        config = _camel({key: value for key, value in props.items() if key != "ApiId"})
        for key in ("defaultRouteSettings", "accessLogSettings"):
            if key in config:
                config[key] = _camel(config[key])
        if "routeSettings" in config:
            config["routeSettings"] = {route: _camel(value) for route, value in config["routeSettings"].items()}
        return config

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props["StageName"]
        self._backend().create_stage(props["ApiId"], self._config(props))

    def _update(self, props: Props) -> None:
        backend = self._backend()
        created = backend.get_stage(props["ApiId"], self.physical_resource_id).created
        backend.create_stage(props["ApiId"], self._config(props)).created = created

    def _delete(self) -> None:
        self._backend().delete_stage(self.props["ApiId"], self.physical_resource_id)


class DomainName(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::DomainName` (regional); Ref is the name, GetAtt its regional endpoint."""

    TYPE = "AWS::ApiGatewayV2::DomainName"
    NAME = "DomainName"
    ATTRIBUTES = ("RegionalDomainName", "RegionalHostedZoneId", "DomainNameArn")
    CREATE_ONLY = frozenset({NAME})

    def _configurations(self, props: Props) -> list[Props]:
        return [
            {
                **_camel(configuration),
                "apiGatewayDomainName": self.regional_domain_name,
                "hostedZoneId": self.regional_hosted_zone_id,
                "domainNameStatus": "AVAILABLE",
            }
            for configuration in props.get("DomainNameConfigurations", [])
        ]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props["DomainName"]
        self.regional_domain_name = (
            f"d-{mock_random.get_random_string(10, lower_case=True)}.execute-api.{self.region_name}.amazonaws.com"
        )
        # Outside the regions listed, moto's own placeholder zone (its load balancers answer with it).
        self.regional_hosted_zone_id = _API_GATEWAY_ZONES.get(self.region_name, "Z2P70J7EXAMPLE")
        self._backend().create_domain_name(
            domain_name=self.physical_resource_id,
            domain_name_configurations=self._configurations(props),
            mutual_tls_authentication=_camel(props.get("MutualTlsAuthentication", {})),
            tags=props.get("Tags", {}),
        )

    def _update(self, props: Props) -> None:
        domain = self._backend().get_domain_name(self.physical_resource_id)
        domain.domain_name_configurations = self._configurations(props)
        domain.mutual_tls_authentication = _camel(props.get("MutualTlsAuthentication", {}))
        domain.tags = props.get("Tags", {})

    def _delete(self) -> None:
        backend = self._backend()
        # moto's delete_domain_name fails on a domain that still has a mapping.
        for mapping_id in [
            key for key, value in backend.api_mappings.items() if value.domain_name == self.physical_resource_id
        ]:
            del backend.api_mappings[mapping_id]
        backend.delete_domain_name(self.physical_resource_id)

    def _attribute(self, name: str) -> Any:
        if name == "DomainNameArn":
            return self._backend().get_domain_name(self.physical_resource_id).domain_name_arn
        return self.regional_domain_name if name == "RegionalDomainName" else self.regional_hosted_zone_id


class ApiMapping(_ApiGatewayModel, CloudFormationModel):
    """`AWS::ApiGatewayV2::ApiMapping`; Ref is its id."""

    TYPE = "AWS::ApiGatewayV2::ApiMapping"
    ATTRIBUTES = ("ApiMappingId",)
    CREATE_ONLY = frozenset({"DomainName"})

    def _create(self, props: Props) -> None:
        mapping = self._backend().create_api_mapping(
            api_id=props["ApiId"],
            api_mapping_key=props.get("ApiMappingKey", ""),
            domain_name=props["DomainName"],
            stage=props["Stage"],
        )
        self.physical_resource_id = mapping.api_mapping_id

    def _update(self, props: Props) -> None:
        mapping = self._backend().get_api_mapping(self.physical_resource_id, props["DomainName"])
        mapping.api_id = props["ApiId"]
        mapping.api_mapping_key = props.get("ApiMappingKey", "")
        mapping.stage = props["Stage"]

    def _delete(self) -> None:
        self._backend().delete_api_mapping(self.physical_resource_id, self.props["DomainName"])


# --------------------------------------------------------------------------- CloudWatch, ACM, S3, EC2


def _metric_stat(stat: Props | None) -> MetricStat | None:
    if stat is None:
        return None
    metric = stat["Metric"]
    dimensions = [Dimension(item["Name"], item["Value"]) for item in metric.get("Dimensions", [])]
    return MetricStat(
        Metric(metric_name=metric["MetricName"], dimensions=dimensions, **_args(metric, "Namespace")),
        stat["Period"],
        stat["Stat"],
        **_args(stat, "Unit"),
    )


def _metric_queries(metrics: list[Props] | None) -> list[MetricDataQuery] | None:
    if metrics is None:
        return None
    return [
        MetricDataQuery(
            query_id=metric["Id"],
            metric_stat=_metric_stat(metric.get("MetricStat")),
            **_args(metric, "Label", "Period", "ReturnData", "Expression"),
        )
        for metric in metrics
    ]


_ALARM_SETTINGS = _names(
    """
    Namespace MetricName ComparisonOperator EvaluationPeriods Period Threshold Statistic DatapointsToAlarm
    ExtendedStatistic OKActions InsufficientDataActions Unit TreatMissingData EvaluateLowSampleCountPercentile
    ThresholdMetricId
    """
)


class Alarm(_Model, CloudFormationModel):
    """`AWS::CloudWatch::Alarm`, on a metric or on metric math; Ref is its name, GetAtt `Arn`."""

    TYPE = "AWS::CloudWatch::Alarm"
    NAME = "AlarmName"
    ATTRIBUTES = ("Arn",)
    CREATE_ONLY = frozenset({NAME})

    def _create(self, props: Props) -> None:
        self.physical_resource_id = self.name
        self._update(props)

    def _update(self, props: Props) -> None:
        backend = cloudwatch_backends[self.account_id][self.region_name]
        alarm = backend.put_metric_alarm(
            name=self.physical_resource_id,
            dimensions=props.get("Dimensions", []),
            alarm_actions=props.get("AlarmActions", []),
            metric_data_queries=_metric_queries(props.get("Metrics")),
            actions_enabled=props.get("ActionsEnabled", True),
            **_args(props, *_ALARM_SETTINGS, description="AlarmDescription"),
        )
        self.arn = alarm.alarm_arn
        backend.tagger.delete_all_tags_for_resource(self.arn)
        backend.tagger.tag_resource(self.arn, props.get("Tags"))

    def _delete(self) -> None:
        backend = cloudwatch_backends[self.account_id][self.region_name]
        backend.delete_alarms([self.physical_resource_id])
        backend.tagger.delete_all_tags_for_resource(self.arn)

    def _attribute(self, name: str) -> Any:
        return self.arn


class MetricFilter(_Model, CloudFormationModel):
    """`AWS::Logs::MetricFilter` (the API's 429s counted from its access log); Ref is its name. Its log group
    and name are create-only; anything else is put again in place (moto appends, so it is removed first)."""

    TYPE = "AWS::Logs::MetricFilter"
    NAME = "FilterName"
    CREATE_ONLY = frozenset({NAME, "LogGroupName"})

    def _backend(self) -> Any:
        return logs_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props.get(self.NAME) or self._own_name(512)
        self.log_group = props["LogGroupName"]
        self._put(props)

    def _update(self, props: Props) -> None:
        self._delete()
        self._put(props)

    def _put(self, props: Props) -> None:
        transformations = [
            {key[0].lower() + key[1:]: value for key, value in transformation.items()}
            for transformation in props["MetricTransformations"]
        ]
        self._backend().put_metric_filter(
            self.physical_resource_id, props["FilterPattern"], self.log_group, transformations
        )

    def _delete(self) -> None:
        self._backend().delete_metric_filter(self.physical_resource_id, self.log_group)


class Subscription(_Model, CloudFormationModel):
    """`AWS::SNS::Subscription` (moto models only the topic's inline ones); Ref is its ARN. `Endpoint`,
    `Protocol` and `TopicArn` are create-only; a delivery policy is set as the API takes it (JSON text).
    moto confirms at once and sends nothing on subscribe."""

    TYPE = "AWS::SNS::Subscription"
    CREATE_ONLY = frozenset({"Endpoint", "Protocol", "TopicArn", "Region"})

    def _backend(self) -> Any:
        return sns_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        subscription = self._backend().subscribe(props["TopicArn"], props["Endpoint"], props["Protocol"])
        self.physical_resource_id = subscription.arn
        self._update(props)

    def _update(self, props: Props) -> None:
        for name in ("DeliveryPolicy", "FilterPolicy", "RedrivePolicy"):
            if name in props:
                value = props[name]
                self._backend().set_subscription_attributes(
                    self.physical_resource_id, name, value if isinstance(value, str) else json.dumps(value)
                )

    def _delete(self) -> None:
        self._backend().unsubscribe(self.physical_resource_id)


class Canary(_Model, CloudFormationModel):
    """`AWS::Synthetics::Canary`, registered in moto's Synthetics (nothing runs it); Ref is its name, GetAtt `Id`
    and `State`. moto has no UpdateCanary: an update sets the settings on its record."""

    TYPE = "AWS::Synthetics::Canary"
    NAME = "Name"
    ATTRIBUTES = ("Id", "State")
    CREATE_ONLY = frozenset({NAME})

    def _backend(self) -> Any:
        return synthetics_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props.get(self.NAME) or self._own_name(21)
        self._backend().create_canary(
            name=self.physical_resource_id,
            code=props["Code"],
            artifact_s3_location=props["ArtifactS3Location"],
            execution_role_arn=props["ExecutionRoleArn"],
            schedule=props["Schedule"],
            run_config=props.get("RunConfig", {}),
            success_retention_period_in_days=props.get("SuccessRetentionPeriod", 31),
            failure_retention_period_in_days=props.get("FailureRetentionPeriod", 31),
            runtime_version=props["RuntimeVersion"],
            vpc_config=props.get("VPCConfig"),
            resources_to_replicate_tags=None,
            provisioned_resource_cleanup=props.get("ProvisionedResourceCleanup"),
            browser_configs=None,
            tags={tag["Key"]: tag["Value"] for tag in props.get("Tags", [])},
            artifact_config=props.get("ArtifactConfig"),
        )

    def _update(self, props: Props) -> None:
        canary = self._backend().canaries[self.physical_resource_id]
        canary.code, canary.schedule = props["Code"], props["Schedule"]
        canary.artifact_s3_location, canary.execution_role_arn = props["ArtifactS3Location"], props["ExecutionRoleArn"]
        canary.run_config, canary.runtime_version = props.get("RunConfig", {}), props["RuntimeVersion"]

    def _delete(self) -> None:
        self._backend().canaries.pop(self.physical_resource_id, None)

    def _attribute(self, name: str) -> Any:
        canary = self._backend().canaries[self.physical_resource_id]
        return canary.id if name == "Id" else canary.state


class Certificate(_Model, CloudFormationModel):
    """`AWS::CertificateManager::Certificate`, requested in ACM and ISSUED at once; Ref is its ARN."""

    TYPE = "AWS::CertificateManager::Certificate"
    ATTRIBUTES = ("CertificateArn",)
    CREATE_ONLY = frozenset(
        _names(
            "DomainName SubjectAlternativeNames DomainValidationOptions KeyAlgorithm CertificateAuthorityArn"
            " CertificateExport"
        )
    )

    def _create(self, props: Props) -> None:
        self.physical_resource_id = acm_backends[self.account_id][self.region_name].request_certificate(
            domain_name=props["DomainName"],
            idempotency_token=None,  # type: ignore[arg-type]
            subject_alt_names=props.get("SubjectAlternativeNames", []),
            tags=[],
            cert_authority_arn=props.get("CertificateAuthorityArn"),
        )
        self._update(props)

    def _update(self, props: Props) -> None:
        bundle = acm_backends[self.account_id][self.region_name].get_certificate(self.physical_resource_id)
        # CloudFormation waits for validation; the rehearsal has no DNS to validate against.
        bundle.status = "ISSUED"
        bundle.tags.clear()
        bundle.tags.add(props.get("Tags", []))
        bundle.cert_options["CertificateTransparencyLoggingPreference"] = props.get(
            "CertificateTransparencyLoggingPreference", "ENABLED"
        )

    def _delete(self) -> None:
        acm_backends[self.account_id][self.region_name].delete_certificate(self.physical_resource_id)


class OidcProvider(_Model, CloudFormationModel):
    """`AWS::IAM::OIDCProvider` in moto's IAM; Ref and GetAtt `Arn` are its ARN."""

    TYPE = "AWS::IAM::OIDCProvider"
    ATTRIBUTES = ("Arn",)
    CREATE_ONLY = frozenset({"Url"})

    def _iam(self) -> Any:
        return iam_backends[self.account_id][get_partition(self.region_name)]

    def _create(self, props: Props) -> None:
        provider = self._iam().create_open_id_connect_provider(
            url=props["Url"],
            thumbprint_list=props.get("ThumbprintList", []),
            client_id_list=props.get("ClientIdList", []),
            tags=props.get("Tags", []),
        )
        self.physical_resource_id = provider.arn

    def _update(self, props: Props) -> None:
        provider = self._iam().get_open_id_connect_provider(self.physical_resource_id)
        provider.thumbprint_list = props.get("ThumbprintList", [])
        provider.client_id_list = props.get("ClientIdList", [])

    def _delete(self) -> None:
        self._iam().delete_open_id_connect_provider(self.physical_resource_id)


class BucketPolicy(_Model, CloudFormationModel):
    """`AWS::S3::BucketPolicy`, put on its bucket; Ref is the bucket's name."""

    TYPE = "AWS::S3::BucketPolicy"
    CREATE_ONLY = frozenset({"Bucket"})

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props["Bucket"]
        self._update(props)

    def _update(self, props: Props) -> None:
        document = props["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        s3_backends[self.account_id][get_partition(self.region_name)].put_bucket_policy(
            self.physical_resource_id, policy.encode()
        )

    def _delete(self) -> None:
        s3_backends[self.account_id][get_partition(self.region_name)].delete_bucket_policy(self.physical_resource_id)


def _authorize_egress(backend: EC2Backend, group_id: str, rule: Props) -> str:
    """Add one outbound rule in CloudFormation's shape to the group; the new rule's id."""
    description = {"Description": rule["Description"]} if rule.get("Description") is not None else {}
    cidrs = [{key: rule[key], **description} for key in ("CidrIp", "CidrIpv6") if key in rule]
    groups = (
        [{"GroupId": rule["DestinationSecurityGroupId"], **description}] if "DestinationSecurityGroupId" in rule else []
    )
    prefixes = [{"PrefixListId": rule["DestinationPrefixListId"]}] if "DestinationPrefixListId" in rule else []
    added, _ = backend.authorize_security_group_egress(
        group_name_or_id=group_id,
        ip_protocol=str(rule["IpProtocol"]),
        from_port=rule.get("FromPort"),  # type: ignore[arg-type]
        to_port=rule.get("ToPort"),  # type: ignore[arg-type]
        ip_ranges=cidrs,
        source_groups=groups,
        prefix_list_ids=prefixes,
    )
    return added[0].id


class SecurityGroupEgress(_Model, CloudFormationModel):
    """`AWS::EC2::SecurityGroupEgress`: one outbound rule; Ref is the rule's id."""

    TYPE = "AWS::EC2::SecurityGroupEgress"
    ATTRIBUTES = ("Id",)
    CREATE_ONLY = frozenset(
        _names("GroupId IpProtocol FromPort ToPort CidrIp CidrIpv6 DestinationSecurityGroupId DestinationPrefixListId")
    )

    def _backend(self) -> EC2Backend:
        return ec2_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = _authorize_egress(self._backend(), props["GroupId"], props)

    def _update(self, props: Props) -> None:
        group = self._backend().get_security_group_from_id(props["GroupId"])
        rule = None if group is None else group.get_rule(self.physical_resource_id)
        if rule is not None:
            described = rule.source_group or rule.ip_range
            described.pop("Description", None)
            if props.get("Description") is not None:
                described["Description"] = props["Description"]

    def _delete(self) -> None:
        self._backend().revoke_security_group_egress(
            group_name_or_id=self.props["GroupId"],
            ip_protocol=str(self.props["IpProtocol"]),
            from_port=self.props.get("FromPort"),  # type: ignore[arg-type]
            to_port=self.props.get("ToPort"),  # type: ignore[arg-type]
            ip_ranges=[],
            security_rule_ids=[self.physical_resource_id],
        )


def _rule_arguments(rule: Props, peer: str) -> dict[str, Any]:
    """One rule in CloudFormation's shape (``peer``: Source for inbound, Destination for outbound) as moto's
    authorize and revoke calls take it."""
    description = {"Description": rule["Description"]} if rule.get("Description") is not None else {}
    cidrs = [{key: rule[key], **description} for key in ("CidrIp", "CidrIpv6") if key in rule]
    groups = [{"GroupId": rule[f"{peer}SecurityGroupId"], **description}] if f"{peer}SecurityGroupId" in rule else []
    if peer == "Source" and "SourceSecurityGroupName" in rule:
        groups.append({"GroupName": rule["SourceSecurityGroupName"], **description})
    prefixes = [{"PrefixListId": rule[f"{peer}PrefixListId"]}] if f"{peer}PrefixListId" in rule else []
    return {
        "ip_protocol": str(rule["IpProtocol"]),
        "from_port": rule.get("FromPort"),
        "to_port": rule.get("ToPort"),
        "ip_ranges": cidrs,
        "source_groups": groups,
        "prefix_list_ids": prefixes,
    }


class SecurityGroupIngress(_Model, CloudFormationModel):
    """`AWS::EC2::SecurityGroupIngress`: one inbound rule, from an address range, a group or a prefix list (moto's
    own model takes no `SourcePrefixListId`, and neither updates nor deletes the rule); Ref is the rule's id."""

    TYPE = "AWS::EC2::SecurityGroupIngress"
    ATTRIBUTES = ("Id",)
    CREATE_ONLY = frozenset(
        _names(
            "GroupId GroupName IpProtocol FromPort ToPort CidrIp CidrIpv6 SourceSecurityGroupId "
            "SourceSecurityGroupName SourceSecurityGroupOwnerId SourcePrefixListId"
        )
    )

    def _backend(self) -> EC2Backend:
        return ec2_backends[self.account_id][self.region_name]

    def _group_id(self, props: Props) -> str:
        if props.get("GroupId"):
            return str(props["GroupId"])
        group = self._backend().get_security_group_by_name_or_id(props["GroupName"])
        if group is None:
            raise ValidationError(message=f"The security group '{props['GroupName']}' does not exist")
        return str(group.id)

    def _create(self, props: Props) -> None:
        added, _ = self._backend().authorize_security_group_ingress(
            group_name_or_id=self._group_id(props),
            **_rule_arguments(props, "Source"),
        )
        self.physical_resource_id = added[0].id

    def _update(self, props: Props) -> None:
        group = self._backend().get_security_group_from_id(self._group_id(props))
        rule = None if group is None else group.get_rule(self.physical_resource_id)
        if rule is not None:
            described = rule.source_group or rule.ip_range
            described.pop("Description", None)
            if props.get("Description") is not None:
                described["Description"] = props["Description"]

    def _delete(self) -> None:
        group = self._backend().get_security_group_from_id(self._group_id(self.props))
        if group is not None and group.get_rule(self.physical_resource_id) is not None:
            self._backend().revoke_security_group_ingress(
                group_name_or_id=group.id,
                ip_protocol=str(self.props["IpProtocol"]),
                from_port=self.props.get("FromPort"),  # type: ignore[arg-type]
                to_port=self.props.get("ToPort"),  # type: ignore[arg-type]
                ip_ranges=[],
                security_rule_ids=[self.physical_resource_id],
            )


# --------------------------------------------------------------------------- Lambda and CodeDeploy


def _routing(props: Props) -> Props:
    """An alias's extra version weights, from CloudFormation's list to the map the Lambda API (and moto) keeps."""
    weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    if not weights:
        return {}
    return {"AdditionalVersionWeights": {str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights}}


class Alias(_Model, CloudFormationModel):
    """`AWS::Lambda::Alias`; Ref and GetAtt `AliasArn` are its ARN."""

    TYPE = "AWS::Lambda::Alias"
    ATTRIBUTES = ("AliasArn",)
    CREATE_ONLY = frozenset({"FunctionName", "Name"})

    def _backend(self) -> LambdaBackend:
        return lambda_backend(self.account_id, self.region_name)

    def _create(self, props: Props) -> None:
        alias = self._backend().create_alias(
            name=props["Name"],
            function_name=props["FunctionName"],
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=_routing(props),  # type: ignore[arg-type]
        )
        self.physical_resource_id = alias.arn

    def _update(self, props: Props) -> None:
        self._backend().update_alias(
            name=props["Name"],
            function_name=props["FunctionName"],
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=_routing(props),  # type: ignore[arg-type]
        )

    def _delete(self) -> None:
        self._backend().delete_alias(self.props["Name"], self.props["FunctionName"])


class _CodeDeployModel(_Model):
    """The CodeDeploy backend of the model's account and region."""

    def _backend(self) -> CodeDeployBackend:
        return codedeploy_backends[self.account_id][self.region_name]


class DeploymentApplication(_CodeDeployModel, CloudFormationModel):
    """`AWS::CodeDeploy::Application`; Ref is its name."""

    TYPE = "AWS::CodeDeploy::Application"
    NAME = "ApplicationName"
    CREATE_ONLY = frozenset({NAME, "ComputePlatform"})

    def _create(self, props: Props) -> None:
        self.physical_resource_id = self.name
        self._backend().create_application(self.name, props.get("ComputePlatform", "Server"), props.get("Tags", []))

    def _update(self, props: Props) -> None:
        backend = self._backend()
        arn = backend._application_arn(self.physical_resource_id)
        backend.tagger.delete_all_tags_for_resource(arn)
        backend.tagger.tag_resource(arn, props.get("Tags", []))
        backend.get_application(self.physical_resource_id).tags = list(props.get("Tags", []))

    def _delete(self) -> None:
        # CodeDeploy deletes an application's deployment groups with it.
        backend = self._backend()
        for group in backend.deployment_groups.pop(self.physical_resource_id, {}):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(self.physical_resource_id, group))
        backend.applications.pop(self.physical_resource_id, None)
        backend.tagger.delete_all_tags_for_resource(backend._application_arn(self.physical_resource_id))


def _camel_all(value: Any) -> Any:
    """A CloudFormation structure in the CodeDeploy API's spelling, at every depth."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_all(item) for item in value]
    return value


# The settings whose CloudFormation structure is the API's but for the case of its keys.
_DEPLOYMENT_GROUP_STRUCTURES = _names(
    """
    AlarmConfiguration AutoRollbackConfiguration DeploymentStyle BlueGreenDeploymentConfiguration
    LoadBalancerInfo TriggerConfigurations
    """
)


class DeploymentGroup(_CodeDeployModel, CloudFormationModel):
    """`AWS::CodeDeploy::DeploymentGroup`; Ref is its name."""

    TYPE = "AWS::CodeDeploy::DeploymentGroup"
    NAME = "DeploymentGroupName"
    CREATE_ONLY = frozenset({NAME, "ApplicationName"})

    def _create(self, props: Props) -> None:
        self.physical_resource_id = self.name
        self._put(props)

    def _put(self, props: Props) -> None:
        self._backend().create_deployment_group(
            application_name=props["ApplicationName"],
            deployment_group_name=self.physical_resource_id,
            service_role_arn=props["ServiceRoleArn"],
            ecs_services=_camel_all(props.get("ECSServices")),
            **{_snake(name): _camel_all(props.get(name)) for name in _DEPLOYMENT_GROUP_STRUCTURES},
            **_args(
                props,
                "DeploymentConfigName",
                "Ec2TagFilters",
                "OnPremisesInstanceTagFilters",
                "AutoScalingGroups",
                "OutdatedInstancesStrategy",
                "Tags",
                "TerminationHookEnabled",
            ),
        )

    def _update(self, props: Props) -> None:
        # moto has no UpdateDeploymentGroup: the group is made again, under its id.
        backend = self._backend()
        application = props["ApplicationName"]
        old = backend.deployment_groups[application].pop(self.physical_resource_id)
        backend.tagger.delete_all_tags_for_resource(
            backend._deployment_group_arn(application, self.physical_resource_id)
        )
        self._put(props)
        backend.deployment_groups[application][self.physical_resource_id].deployment_group_id = old.deployment_group_id

    def _delete(self) -> None:
        backend = self._backend()
        application = self.props["ApplicationName"]
        backend.deployment_groups.get(application, {}).pop(self.physical_resource_id, None)
        backend.tagger.delete_all_tags_for_resource(
            backend._deployment_group_arn(application, self.physical_resource_id)
        )


# --------------------------------------------------------------------------- fixes to moto's own models


def _add_attributes(model: type[Any], attributes: Mapping[str, Callable[[Any], Any]]) -> None:
    """Answer these `Fn::GetAtt` names on `model`, leaving the others to its own methods."""
    own_get = getattr(model, "get_cfn_attribute", None)
    own_has = model.has_cfn_attr

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name in attributes:
            return attributes[attribute_name](self)
        if own_get is None:
            raise UnformattedGetAttTemplateException()
        return own_get(self, attribute_name)

    def has_cfn_attr(cls: type, /, attr: str) -> bool:
        return attr in attributes or own_has(attr)

    setattr(model, "get_cfn_attribute", get_cfn_attribute)  # noqa: B010
    setattr(model, "has_cfn_attr", classmethod(has_cfn_attr))  # noqa: B010


def _wrap_create(
    model: type[Any],
    before: Callable[[Props], Props] | None,
    after: Callable[[Any, Props, str, str], None] | None = None,
) -> None:
    """Rewrite the template's JSON before `model` creates from it, or act on what it created."""
    own = model.create_from_cloudformation_json

    def create(
        cls: type, /, resource_name: str, cloudformation_json: Props, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        if before is not None:
            cloudformation_json = before(cloudformation_json)
        created = own(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if after is not None:
            after(created, cloudformation_json["Properties"], account_id, region_name)
        return created

    setattr(model, "create_from_cloudformation_json", classmethod(create))  # noqa: B010


def _default_volume_size(cloudformation_json: Props) -> Props:
    # moto's run_instances requires a size or a snapshot for every EBS mapping; EC2 takes the AMI's.
    cloudformation_json = copy.deepcopy(cloudformation_json)
    for mapping in cloudformation_json["Properties"].get("BlockDeviceMappings", []):
        ebs = mapping.get("Ebs")
        if ebs is not None and "VolumeSize" not in ebs and "SnapshotId" not in ebs:
            ebs["VolumeSize"] = _ROOT_VOLUME_GIB
    return cloudformation_json


def _kms_key_as_the_api_takes_it(cloudformation_json: Props) -> Props:
    # AWS::KMS::Key takes its policy as an object and tags as Key/Value; KMS's CreateKey takes the policy
    # as JSON text and tags as TagKey/TagValue, and CloudFormation translates (AWS::KMS::Key "KeyPolicy",
    # "Tags"). moto hands the template's shapes to its backend: its tagger fails on Key/Value.
    cloudformation_json = copy.deepcopy(cloudformation_json)
    props = cloudformation_json["Properties"]
    if isinstance(props.get("KeyPolicy"), dict):
        props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
    props["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in props.get("Tags", [])]
    return cloudformation_json


def _update_kms_key(
    cls: type[KmsKey],
    original_resource: KmsKey,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> KmsKey:
    # AWS::KMS::Key updates KeyPolicy, Description, EnableKeyRotation, Enabled and Tags in place ("Update
    # requires: No interruption"); moto has no update, and drops the key from the stack.
    props = _kms_key_as_the_api_takes_it(cloudformation_json)["Properties"]
    key = original_resource
    key.policy = props.get("KeyPolicy") or key.policy
    key.description = props.get("Description", "")
    key.key_rotation_status = props.get("EnableKeyRotation", False)
    key.enabled = props.get("Enabled", True)
    tagger = kms_backends[account_id][region_name].tagger
    tagger.delete_all_tags_for_resource(key.id)
    tagger.tag_resource(key.id, props["Tags"])
    return key


# Where the template's inline inbound rules wait while moto makes the group (which reads them partly: no
# description, no IPv6 range, no prefix list), to be authorized after it, whole.
_HELD_INGRESS = "RehearsalSecurityGroupIngress"


def _hold_inline_ingress(cloudformation_json: Props) -> Props:
    cloudformation_json = copy.deepcopy(cloudformation_json)
    props = cloudformation_json["Properties"]
    props[_HELD_INGRESS] = props.pop("SecurityGroupIngress", None) or []
    return cloudformation_json


def _inline_rules(group: SecurityGroup, props: Props, account_id: str, region_name: str) -> None:
    backend = ec2_backends[account_id][region_name]
    ingress = props.pop(_HELD_INGRESS, [])
    if ingress:
        props["SecurityGroupIngress"] = ingress
    for rule in ingress:
        backend.authorize_security_group_ingress(
            group_name_or_id=group.id, vpc_id=group.vpc_id, **_rule_arguments(rule, "Source")
        )
    # moto ignores the property and keeps the default allow-all rule that EC2 drops for it.
    rules = props.get("SecurityGroupEgress")
    if rules:
        group.egress_rules = []
        for rule in rules:
            _authorize_egress(backend, group.id, rule)
    # What an update compares with (the inline rules as given, the references resolved).
    group._rehearsal_props = copy.deepcopy(props)  # type: ignore[attr-defined]


# A security group's properties whose change replaces it (aws-resource-ec2-securitygroup: "Update requires:
# Replacement"); its inline rules and tags update in place.
_SECURITY_GROUP_CREATE_ONLY = ("GroupDescription", "GroupName", "VpcId")
# What EC2 gives a VPC group without outbound rules, and what CloudFormation puts back when the template's go.
_ALLOW_ALL_OUT = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}


def _canonical(rule: Props) -> str:
    return json.dumps({key: str(value) for key, value in rule.items()}, sort_keys=True)


def _update_security_group(
    cls: type[SecurityGroup],
    /,
    original_resource: SecurityGroup,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> SecurityGroup:
    """A group updated in place, as EC2's handler does: the inline rules that went revoked, the new ones
    authorized, the tags replaced; the same group id. moto's own update deletes the group and makes a new one
    (a new id, every reference to it stale); that is kept for a change of a create-only property."""
    props = cloudformation_json["Properties"]
    old: Props | None = getattr(original_resource, "_rehearsal_props", None)
    if old is None or any(old.get(key) != props.get(key) for key in _SECURITY_GROUP_CREATE_ONLY):
        return _MOTO_SECURITY_GROUP_UPDATE(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
    backend = ec2_backends[account_id][region_name]
    group = original_resource
    for key, peer in (("SecurityGroupIngress", "Source"), ("SecurityGroupEgress", "Destination")):
        before, after = list(old.get(key) or []), list(props.get(key) or [])
        if key == "SecurityGroupEgress" and group.vpc_id:
            before, after = before or [_ALLOW_ALL_OUT], after or [_ALLOW_ALL_OUT]
        kept = {_canonical(rule) for rule in after}
        for rule in before:
            if _canonical(rule) not in kept:
                revoke = (
                    backend.revoke_security_group_ingress if key == "SecurityGroupIngress"
                    else backend.revoke_security_group_egress
                )  # fmt: skip
                arguments = _rule_arguments(rule, peer)
                with contextlib.suppress(Exception):  # a rule already gone is gone
                    revoke(group_name_or_id=group.id, vpc_id=group.vpc_id, **arguments)
        present = {_canonical(rule) for rule in before}
        for rule in after:
            if _canonical(rule) not in present:
                if key == "SecurityGroupIngress":
                    backend.authorize_security_group_ingress(
                        group_name_or_id=group.id, vpc_id=group.vpc_id, **_rule_arguments(rule, peer)
                    )
                else:
                    _authorize_egress(backend, group.id, rule)
    old_tags = {tag["Key"]: tag["Value"] for tag in old.get("Tags") or []}
    new_tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags") or []}
    if old_tags != new_tags:
        backend.delete_tags([group.id], dict.fromkeys(old_tags, ""))
        if new_tags:
            backend.create_tags([group.id], new_tags)
    group._rehearsal_props = copy.deepcopy(props)  # type: ignore[attr-defined]
    return group


_MOTO_SECURITY_GROUP_UPDATE = SecurityGroup.update_from_cloudformation_json


def _bucket_permission(bucket: FakeBucket, action: str, resource: str) -> PermissionResult:
    """The bucket policy's verdict on `action`, from the statements whose conditions moto can evaluate.

    moto takes any other condition as met, so the `aws:SecureTransport` Deny that CDK's bootstrap
    and `enforceSSL` write would refuse every request, the CLI's asset uploads included.
    """
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(bucket.policy)
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    document["Statement"] = [s for s in statements if set(s.get("Condition", {})) <= CONDITION_OPERATIONS.keys()]
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


def _record_identifier(instance: DBInstance, props: Props, account_id: str, region_name: str) -> None:
    # The physical ID the stack keeps: the identifier the instance was created with.
    instance._stack_identifier = instance.db_instance_identifier  # type: ignore[attr-defined]


# What the stack keeps about its DB instance, carried to the instance that holds its identifier now.
_STACK_ATTRIBUTES = ("logical_resource_id", "cf_resource_type", "_template_properties", "previous_template")


def _bind_by_identifier(resources: parsing.ResourceMap, name: str) -> bool:
    """Bind the stack's DB instance `name` (any other resource is left) to the instance that holds its
    identifier now; False when no instance does."""
    parsed = resources._parsed_resources.get(name)
    if not isinstance(parsed, DBInstance):
        return True
    # An imported instance was not created by the stack: its identifier is the one it has when first seen.
    identifier = getattr(parsed, "_stack_identifier", None) or parsed.db_instance_identifier
    live = rds_backends[resources._account_id][resources._region_name].databases.get(identifier)
    if live is None:
        return False
    if live is not parsed:
        for attribute in _STACK_ATTRIBUTES:
            if hasattr(parsed, attribute):
                setattr(live, attribute, getattr(parsed, attribute))
        resources._parsed_resources[name] = live
    live._stack_identifier = identifier  # type: ignore[attr-defined]
    return True


def _track_db_instances_by_identifier() -> None:
    resource_map = parsing.ResourceMap
    own_get, own_update, own_delete = resource_map.__getitem__, resource_map.update, resource_map.delete

    def get(resources: parsing.ResourceMap, key: str) -> Any:
        _bind_by_identifier(resources, key)
        return own_get(resources, key)

    def update(resources: parsing.ResourceMap, *args: Any, **kwargs: Any) -> Any:
        for name in list(resources._parsed_resources):
            _bind_by_identifier(resources, name)
        return own_update(resources, *args, **kwargs)

    def delete(resources: parsing.ResourceMap) -> None:
        for name in list(resources._parsed_resources):
            if not _bind_by_identifier(resources, name):
                # Its identifier names no instance: gone, as far as CloudFormation can tell (it never follows
                # the instance that was renamed away).
                resources._parsed_resources.pop(name)
        own_delete(resources)

    setattr(resource_map, "__getitem__", get)  # noqa: B010
    setattr(resource_map, "update", update)  # noqa: B010
    setattr(resource_map, "delete", delete)  # noqa: B010


def _update_parameter_group(
    cls: type[DBParameterGroup],
    original_resource: DBParameterGroup,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> DBParameterGroup:
    # Family and Description are create-only; moto has no update, and drops the resource from the stack.
    # CloudFormation compares them with the previous template, never with the live group (an imported
    # group keeps a live description the template does not have, and is not replaced for it).
    props = cloudformation_json["Properties"]
    group = original_resource
    previous = (getattr(group, "previous_template", None) or {}).get("Properties") or {}
    was = (previous.get("Family", group.family), previous.get("Description", group.description))
    if (props["Family"], props["Description"]) != was:
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        group.delete(account_id, region_name)
        return replacement
    group.parameters.clear()
    group.update_parameters(
        [{"ParameterName": name, "ParameterValue": value} for name, value in props.get("Parameters", {}).items()]
    )
    group.tags = props.get("Tags", [])
    return group


def _published_version(version: Any, props: Props, account_id: str, region_name: str) -> None:
    # moto keeps the number alone; the Ref and the deletion need the version's function and ARN.
    published = lambda_backend(account_id, region_name).get_function(props["FunctionName"], str(version.version))
    version.function_name = published.function_name
    version.arn = published.function_arn
    version.props = dict(props)


# A Version's properties that CloudFormation cannot change in place (its provisioned concurrency
# and runtime policy it can, and moto keeps neither).
_VERSION_CREATE_ONLY = ("FunctionName", "Description", "CodeSha256")


def _update_version(
    cls: type[LambdaVersion],
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> Any:
    props = cloudformation_json["Properties"]
    old = original_resource
    if all(props.get(key) == old.props.get(key) for key in _VERSION_CREATE_ONLY):
        old.props = dict(props)
        return old
    new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
    _delete_version(old, account_id, region_name)
    return new


def _delete_version(version: Any, account_id: str, region_name: str) -> None:
    # Gone already when the function went first (its stack is being deleted), with its versions.
    with contextlib.suppress(UnknownFunctionException):
        lambda_backend(account_id, region_name).delete_function(version.function_name, str(version.version))


def _publish_version(storage: LambdaStorage, name_or_arn: str, description: str = "") -> LambdaFunction | None:
    """moto's PublishVersion, numbered past every version published before: Lambda never reuses a
    number, where moto counts the versions left (so a deleted version's number came back)."""
    function = storage.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
    entry = storage._functions[function.function_name]
    versions: list[LambdaFunction] = entry["versions"]
    if versions and not function.code_or_config_updated:
        return versions[-1]  # nothing changed since it was published: Lambda answers with it
    function.code_or_config_updated = False
    number = max([entry.get("last_published", 0), *(int(v.version) for v in versions)]) + 1
    entry["last_published"] = number
    published = copy.copy(function)
    published.set_version(number)
    if description:
        published.description = description
    versions.append(published)
    storage._arns[published.function_arn] = published
    return published


def _record_key(record: Any) -> tuple[str, str, str | None]:
    return (str(record.name).rstrip(".").lower(), str(record.type), record.set_identifier)


def _delete_record_set(record: route53_models.RecordSet, account_id: str, region_name: str) -> None:
    # moto deletes every record of the name and type: all the weighted records that share them.
    backend = route53_models.route53_backends[account_id][get_partition(region_name)]
    zone = backend.get_hosted_zone_by_name(record.hosted_zone_name) if record.hosted_zone_name else None
    if zone is None:
        zone = backend.get_hosted_zone(record.hosted_zone_id)  # type: ignore[arg-type]
    zone.rrsets = [other for other in zone.rrsets if _record_key(other) != _record_key(record)]


def _update_record_set(
    cls: type[route53_models.RecordSet],
    original_resource: route53_models.RecordSet,
    new_resource_name: str,
    cloudformation_json: Props,
    account_id: str,
    region_name: str,
) -> route53_models.RecordSet:
    original_resource.delete(account_id, region_name)
    return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)


def _with_alarm_configuration(info: Callable[[Any], Props]) -> Callable[[Any], Props]:
    """moto's GetDeploymentGroup answer, with the alarm configuration it keeps (it answers `{}`)."""

    def answer(group: Any) -> Props:
        answered = info(group)
        if isinstance(group.alarm_configuration, dict):
            answered["alarmConfiguration"] = group.alarm_configuration
        return answered

    return answer


@moto_id
def _hosted_zone_id(
    resource_identifier: ResourceIdentifier, existing_ids: ExistingIds = None, tags: Tags = None
) -> str:
    # moto's 22 random characters need not start with Z; the app's config refuses an id that does not.
    return "Z" + "".join(mock_random.choice(string.ascii_uppercase + string.digits) for _ in range(20))
