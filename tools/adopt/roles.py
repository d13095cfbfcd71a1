"""What each resource of a Terraform state is to the app: the database, the cache, the bucket, the network…

`find_roles` picks, from the managed resources of a state (`tools.adopt.state`), the ones the app
can take over, and says of every other resource why it stays where it is. Two candidates for one
role are refused in one line naming both, unless ``picks`` chooses (``database=ADDRESS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.adopt.state import Resource

# The roles `picks` may choose for, with the Terraform types that can fill each.
ROLE_TYPES = {
    "database": ("aws_db_instance",),
    "cache": ("aws_elasticache_replication_group",),
    "bucket": ("aws_s3_bucket",),
    "vpc": ("aws_vpc",),
}
# Types the app cannot take over at all, refused in one line with what to do instead.
UNSUPPORTED = {
    "aws_rds_cluster": "an Aurora cluster: the app runs a single RDS PostgreSQL instance, not Aurora",
    "aws_elasticache_cluster": "a cache cluster without a replication group: the app's cache is a replication "
    "group (AUTH needs one); migrate it to a replication group first",
}
# The bucket's settings resources (AWS provider v4+): each is a property of the one AWS::S3::Bucket.
BUCKET_SETTINGS = (
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_cors_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_acl",
)
NETWORK_TYPES = (
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_main_route_table_association",
    "aws_default_route_table",
    "aws_default_security_group",
    "aws_default_network_acl",
    "aws_vpc_endpoint",
    "aws_flow_log",
)
# Whatever serves traffic today: the app's compute stacks replace it at the cutover.
COMPUTE_PREFIXES = (
    "aws_ecs_",
    "aws_lb",
    "aws_alb",
    "aws_lambda_",
    "aws_apigatewayv2_",
    "aws_api_gateway_",
    "aws_appautoscaling_",
    "aws_cloudwatch_log_group",
    "aws_ecr_",
)


class RoleError(Exception):
    """The state cannot be taken over as it is; the message is one line."""


@dataclass(frozen=True)
class Subnet:
    """One subnet the app places things in, with its zone and the route table it uses."""

    id: str
    zone: str
    cidr: str
    route_table: str


@dataclass
class Roles:
    """The resources that fill each of the app's roles, and the network around them."""

    database: Resource
    db_subnet_group: Resource | None
    db_parameter_group: Resource | None
    cache: Resource | None
    cache_subnet_group: Resource | None
    bucket: Resource
    bucket_settings: list[Resource]
    bucket_policy: Resource | None
    vpc: Resource | None
    public_subnets: list[Subnet]
    private_subnets: list[Subnet]
    nat_gateways: list[Resource]
    db_security_groups: list[str]
    cache_security_groups: list[str]
    load_balancer: Resource | None
    record: Resource | None
    zone: Resource | None
    s3_gateway_endpoints: list[Resource] = field(default_factory=list)


def find_roles(resources: Sequence[Resource], picks: Mapping[str, str]) -> Roles:
    """The roles of ``resources``; refuses (`RoleError`) what the app cannot take over."""
    for resource in resources:
        if resource.type in UNSUPPORTED:
            raise RoleError(f"{resource.address}: {UNSUPPORTED[resource.type]}")
    database = _one("database", resources, picks)
    if database is None:
        raise RoleError("no aws_db_instance in the state: the app takes over a production with its database")
    engine = database.attributes.get("engine")
    if engine != "postgres":
        raise RoleError(f"{database.address}: engine {engine!r}; accepted: postgres (the app runs PostgreSQL)")
    bucket = _one("bucket", resources, picks)
    if bucket is None:
        raise RoleError("no aws_s3_bucket in the state: the app takes over a production with its uploads bucket")
    cache = _one("cache", resources, picks)
    bucket_name = bucket.attributes.get("bucket")
    by_type = _by_type(resources)
    subnets = {s.attributes["id"]: s for s in by_type.get("aws_subnet", [])}
    route_of = _route_table_of_subnets(by_type)
    db_subnet_group = _named(by_type, "aws_db_subnet_group", "name", database.attributes.get("db_subnet_group_name"))
    private_ids = list(db_subnet_group.attributes.get("subnet_ids", [])) if db_subnet_group else []
    vpc = _one("vpc", resources, picks) if by_type.get("aws_vpc") else None
    public = [s for s in subnets.values() if s.attributes["id"] not in private_ids and _is_public(s, route_of, by_type)]
    roles = Roles(
        database=database,
        db_subnet_group=db_subnet_group,
        db_parameter_group=_named(
            by_type, "aws_db_parameter_group", "name", database.attributes.get("parameter_group_name")
        ),
        cache=cache,
        cache_subnet_group=_named(
            by_type,
            "aws_elasticache_subnet_group",
            "name",
            cache.attributes.get("subnet_group_name") if cache else None,
        ),
        bucket=bucket,
        bucket_settings=[
            r for t in BUCKET_SETTINGS for r in by_type.get(t, []) if r.attributes.get("bucket") == bucket_name
        ],
        bucket_policy=_named(by_type, "aws_s3_bucket_policy", "bucket", bucket_name),
        vpc=vpc,
        public_subnets=_in_zone_order([_subnet(s, route_of) for s in public]),
        private_subnets=_in_zone_order([_subnet(subnets[i], route_of) for i in private_ids if i in subnets]),
        nat_gateways=list(by_type.get("aws_nat_gateway", [])),
        db_security_groups=list(database.attributes.get("vpc_security_group_ids") or []),
        cache_security_groups=list(cache.attributes.get("security_group_ids") or []) if cache else [],
        load_balancer=None,
        record=None,
        zone=None,
    )
    roles.record, roles.load_balancer = _record_and_load_balancer(by_type)
    roles.s3_gateway_endpoints = [
        e
        for e in by_type.get("aws_vpc_endpoint", [])
        if str(e.attributes.get("service_name", "")).endswith(".s3")
        and e.attributes.get("vpc_endpoint_type", "Gateway") == "Gateway"
    ]
    if roles.record is not None:
        roles.zone = _named(by_type, "aws_route53_zone", "zone_id", roles.record.attributes.get("zone_id"))
    return roles


def _by_type(resources: Sequence[Resource]) -> dict[str, list[Resource]]:
    by_type: dict[str, list[Resource]] = {}
    for resource in resources:
        by_type.setdefault(resource.type, []).append(resource)
    return by_type


def _one(role: str, resources: Sequence[Resource], picks: Mapping[str, str]) -> Resource | None:
    candidates = [r for r in resources if r.type in ROLE_TYPES[role]]
    if role in picks:
        chosen = [r for r in candidates if r.address == picks[role]]
        if not chosen:
            named = ", ".join(r.address for r in candidates) or "none"
            raise RoleError(f"--pick {role}={picks[role]}: not a {role} of the state; its candidates: {named}")
        return chosen[0]
    if len(candidates) > 1:
        listed = " and ".join(f"{r.address} ({_identity(r)})" for r in candidates)
        raise RoleError(f"{len(candidates)} candidates for the {role}: {listed}; choose one with --pick {role}=ADDRESS")
    return candidates[0] if candidates else None


def _identity(resource: Resource) -> str:
    for key in ("identifier", "replication_group_id", "bucket", "cidr_block", "id"):
        if resource.attributes.get(key):
            return str(resource.attributes[key])
    return "?"


def _named(by_type: Mapping[str, list[Resource]], kind: str, key: str, value: Any) -> Resource | None:
    if not value:
        return None
    return next((r for r in by_type.get(kind, []) if r.attributes.get(key) == value), None)


def _route_table_of_subnets(by_type: Mapping[str, list[Resource]]) -> dict[str, str]:
    """Each subnet's route table, from the associations (explicit ones; the main table otherwise)."""
    return {
        a.attributes["subnet_id"]: a.attributes["route_table_id"]
        for a in by_type.get("aws_route_table_association", [])
        if a.attributes.get("subnet_id")
    }


def _default_routes(table: str, by_type: Mapping[str, list[Resource]]) -> list[Mapping[str, Any]]:
    """The 0.0.0.0/0 routes of ``table``: inline ``route`` blocks and separate aws_route resources."""
    routes: list[Mapping[str, Any]] = []
    for rt in by_type.get("aws_route_table", []):
        if rt.attributes.get("id") == table:
            routes += [r for r in rt.attributes.get("route") or [] if r.get("cidr_block") == "0.0.0.0/0"]
    routes += [
        {"gateway_id": r.attributes.get("gateway_id"), "nat_gateway_id": r.attributes.get("nat_gateway_id")}
        for r in by_type.get("aws_route", [])
        if r.attributes.get("route_table_id") == table and r.attributes.get("destination_cidr_block") == "0.0.0.0/0"
    ]
    return routes


def _is_public(subnet: Resource, route_of: Mapping[str, str], by_type: Mapping[str, list[Resource]]) -> bool:
    table = route_of.get(subnet.attributes["id"], "")
    return any(str(r.get("gateway_id") or "").startswith("igw-") for r in _default_routes(table, by_type))


def _subnet(resource: Resource, route_of: Mapping[str, str]) -> Subnet:
    a = resource.attributes
    return Subnet(
        id=a["id"],
        zone=a.get("availability_zone", ""),
        cidr=a.get("cidr_block", ""),
        route_table=route_of.get(a["id"], ""),
    )


def _in_zone_order(subnets: list[Subnet]) -> list[Subnet]:
    return sorted(subnets, key=lambda s: (s.zone, s.id))


def _record_and_load_balancer(by_type: Mapping[str, list[Resource]]) -> tuple[Resource | None, Resource | None]:
    """The alias record that sends the API's name to a load balancer of the state, and that load balancer."""
    balancers = by_type.get("aws_lb", []) + by_type.get("aws_alb", [])
    for record in by_type.get("aws_route53_record", []):
        for alias in record.attributes.get("alias") or []:
            name = str(alias.get("name", "")).rstrip(".").lower().removeprefix("dualstack.")
            for balancer in balancers:
                if str(balancer.attributes.get("dns_name", "")).lower() == name:
                    return record, balancer
    return None, balancers[0] if len(balancers) == 1 else None
