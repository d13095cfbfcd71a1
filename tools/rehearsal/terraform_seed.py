"""The seed's Terraform-era production, made in the emulator with boto3, and the Terraform state that describes it.

What it models: what `terraform apply` of the seed (github.com/muh-hilmi/backend_anigmaa, `aws/terraform/*.tf` at
cbdc661, with the ECS era of its `ecs.tf`, commented out at that commit, and a Route 53 alias record for the API)
leaves in an account, under the seed's addresses, names and settings; and the raw state `terraform state pull` prints
for it: format 4 (hashicorp/terraform `internal/states/statefile/version4.go`), attributes named as the AWS provider v5
names them, every id from the emulator's answers. `create` stands in for the apply, `write_state` for the state pull.

On purpose unlike the seed's files: postgres 17 (parameter group family postgres17), Multi-AZ, Redis 7.1: the
production the app's prod configuration describes, so a takeover plan differs only where a team's would (windows,
retention, parameters, groups). Only the ECS era's four security groups are made (no `lambda_sg` and its rules, no
Lambda or API Gateway), and the listener is the seed's HTTP-only one (no certificate).

What moto 5.2.5 cannot make, so it is neither made nor written:
- Performance Insights: moto keeps no `EnablePerformanceInsights`; the state says ``performance_insights_enabled``
  false, as the emulator's instance is.
- Adjacent windows: moto counts a backup window that ends when the maintenance window starts as an overlap
  (`moto/rds/utils.py` `valid_preferred_maintenance_window`) and refuses the seed's 03:00-04:00 beside
  sun:04:00-sun:05:00, which AWS accepts; the backup window here ends a minute early, 03:59.
- Two Redis nodes from `NumCacheClusters` alone: moto sizes a group by `ReplicasPerNodeGroup` only, so that is sent
  too (1 replica: the same 2 nodes, `-001` and `-002`); moto makes no cache cluster for them and answers no reader
  endpoint, so the state has no `reader_endpoint_address` and `engine_version_actual` is the version asked for.
- ECR (the task's image is named by its URL, not made), the service's auto scaling, the ECS exec log group.

What moto answers unlike AWS, written as answered so state and emulator agree: every DB instance has the same
DbiResourceId; an encrypted instance's KmsKeyId is ``default_kms_key_id`` (there is no aws/rds key); the ALB's
canonical hosted zone id is ``Z2P70J7EXAMPLE``; the Redis endpoint's region part is ``use1``; NAT addresses are 127.x.

Not written although the seed has it: `random_password.redis_auth_token` (no cloud object; its state holds a bcrypt hash
of the token, which the standard library cannot compute). `random_id.bucket_suffix` is written.

Secrets (the DB password, the Redis AUTH token, the SSM values) are the caller's `SeedSecrets`; `SeedProduction` holds
none, and the state holds them only where Terraform does: in attributes its `sensitive_attributes` name, and in a
sensitive output.
"""

from __future__ import annotations

import base64
import json
import secrets as random
import string
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import boto3

from tools.rehearsal.server import FAKE_CREDENTIALS

PROJECT = "anigmaa"
TERRAFORM_VERSION = "1.11.4"
AWS_PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
RANDOM_PROVIDER = 'provider["registry.terraform.io/hashicorp/random"]'
VPC_CIDR = "10.0.0.0/16"
PUBLIC_CIDRS = ("10.0.0.0/24", "10.0.1.0/24")  # cidrsubnet(var.vpc_cidr, 8, count.index)
PRIVATE_CIDRS = ("10.0.10.0/24", "10.0.11.0/24")  # cidrsubnet(var.vpc_cidr, 8, count.index + 10)
ANYWHERE = "0.0.0.0/0"
MANAGED_BY_TERRAFORM = "Managed by Terraform"  # the provider's description when the configuration gives none
MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
SECURITY_GROUPS = ("alb_sg", "ecs_sg", "rds_sg", "redis_sg")
# The seed's SSM parameters: its resource name, the ECS secret that reads it (the for_each key), the name's tail.
SSM_PARAMETERS = (
    ("db_password", "DB_PASSWORD", "db/password"),
    ("jwt_secret", "JWT_SECRET", "jwt/secret"),
    ("midtrans_server_key", "MIDTRANS_SERVER_KEY", "midtrans/server-key"),
    ("redis_auth_token", "REDIS_PASSWORD", "redis/auth-token"),
)
# Objects a production bucket already holds: a takeover must leave them where they are.
BUCKET_OBJECTS = {
    "uploads/avatars/user-0001.png": b"\x89PNG\r\n\x1a\n rehearsal avatar",
    "uploads/events/event-0001/banner.jpg": b"\xff\xd8\xff rehearsal banner",
    "uploads/tickets/ticket-0001.pdf": b"%PDF-1.7 rehearsal ticket",
}
# The settings create sends and write_state records: one table, so the two cannot drift apart.
DB: dict[str, Any] = {
    "engine": "postgres",
    "engine_version": "17",
    "instance_class": "db.t3.micro",
    "allocated_storage": 20,
    "max_allocated_storage": 100,
    "storage_type": "gp3",
    "db_name": "anigmaa",
    "username": "postgres",
    "port": 5432,
    "backup_retention_period": 7,
    "backup_window": "03:00-03:59",  # the seed's 03:00-04:00, a minute shorter (the module's docstring says why)
    "maintenance_window": "sun:04:00-sun:05:00",
    "monitoring_interval": 60,
}
DB_PARAMETERS = {"log_statement": "all", "log_min_duration_statement": "1000"}
DB_FAMILY = "postgres17"
REDIS: dict[str, Any] = {
    "engine": "redis",
    "engine_version": "7.1",
    "node_type": "cache.t3.micro",
    "port": 6379,
    "num_cache_clusters": 2,
    "parameter_group_name": "default.redis7",
    "snapshot_retention_limit": 3,
    "snapshot_window": "03:00-05:00",
    "maintenance_window": "sun:05:00-sun:07:00",
}
CORS_RULE: dict[str, Any] = {
    "AllowedHeaders": ["*"],
    "AllowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
    "AllowedOrigins": ["https://app.anigmaa.example"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 3000,
}
TRANSITIONS = ((30, "STANDARD_IA"), (90, "GLACIER"), (365, "DEEP_ARCHIVE"))
LIFECYCLE_RULES: list[dict[str, Any]] = [
    {
        "ID": "delete_incomplete_multipart_uploads",
        "Status": "Enabled",
        "Filter": {},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    },
    {
        "ID": "transition_to_ia",
        "Status": "Enabled",
        "Filter": {},
        "Transitions": [{"Days": days, "StorageClass": kind} for days, kind in TRANSITIONS],
    },
]
TASK: dict[str, Any] = {
    "family": f"{PROJECT}-backend",
    "cpu": "512",
    "memory": "1024",
    "container_port": 8080,
    "desired_count": 2,
}
Layout = Literal["root", "module"]


@dataclass(frozen=True)
class SeedSecrets:
    """The production's secrets, never shown: the DB password, the Redis AUTH token, the app's keys."""

    db_password: str = field(repr=False)
    redis_auth_token: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    midtrans_server_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> SeedSecrets:
        """Fresh random values (the AUTH token alphanumeric, 32 characters, as the seed's random_password makes it)."""
        alphanumeric = string.ascii_letters + string.digits
        return cls(
            db_password=random.token_urlsafe(24),
            redis_auth_token="".join(random.choice(alphanumeric) for _ in range(32)),
            jwt_secret=random.token_urlsafe(48),
            midtrans_server_key=random.token_urlsafe(24),
        )

    def all(self) -> tuple[str, ...]:
        """Every secret, to check that a text holds none of them."""
        return (self.db_password, self.redis_auth_token, self.jwt_secret, self.midtrans_server_key)

    def parameter_value(self, resource_name: str) -> str:
        """The value of the SSM parameter the seed's ``aws_ssm_parameter.<resource_name>`` holds."""
        return {
            "db_password": self.db_password,
            "jwt_secret": self.jwt_secret,
            "midtrans_server_key": self.midtrans_server_key,
            "redis_auth_token": self.redis_auth_token,
        }[resource_name]


@dataclass(frozen=True)
class SeedProduction:
    """What `create` made: the ids the emulator gave and the names the seed gives. No secret."""

    region: str
    account: str
    env: str
    availability_zones: tuple[str, ...]  # the two used, a and b
    availability_zone_ids: tuple[str, ...]
    region_availability_zones: tuple[str, ...]  # every zone the region answers (data.aws_availability_zones)
    # Network
    vpc_id: str
    vpc_main_route_table_id: str
    vpc_default_security_group_id: str
    vpc_default_network_acl_id: str
    vpc_dhcp_options_id: str
    internet_gateway_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    nat_allocation_ids: tuple[str, ...]
    nat_public_ips: tuple[str, ...]
    nat_association_ids: tuple[str, ...]  # each address's association with its NAT gateway's interface
    nat_gateway_ids: tuple[str, ...]
    nat_network_interface_ids: tuple[str, ...]
    nat_private_ips: tuple[str, ...]
    public_route_table_id: str  # one, shared by both public subnets
    private_route_table_ids: tuple[str, ...]
    public_association_ids: tuple[str, ...]
    private_association_ids: tuple[str, ...]
    security_group_ids: Mapping[str, str]  # by the seed's resource name: alb_sg, ecs_sg, rds_sg, redis_sg
    security_group_names: Mapping[str, str]  # name_prefix plus Terraform's unique suffix
    # Database
    db_subnet_group_name: str
    db_parameter_group_name: str
    monitoring_role_name: str
    monitoring_role_arn: str
    db_instance_identifier: str
    db_resource_id: str  # DbiResourceId: aws_db_instance.id since provider v5
    db_instance_arn: str
    db_address: str
    db_port: int
    db_kms_key_id: str
    # Cache
    cache_subnet_group_name: str
    replication_group_id: str
    replication_group_arn: str
    redis_primary_endpoint: str
    redis_member_clusters: tuple[str, ...]
    # Bucket
    bucket_suffix: str  # random_id.bucket_suffix.hex
    bucket_name: str
    bucket_objects: Mapping[str, str]  # key -> ETag as S3 answers it (quoted)
    # Compute and edge
    execution_role_name: str
    task_role_name: str
    role_unique_ids: Mapping[str, str]  # by role name: IAM's RoleId
    log_group_name: str
    ecs_cluster_name: str
    ecs_cluster_arn: str
    task_definition_arn: str
    task_definition_revision: int
    ecs_service_name: str
    ecs_service_arn: str
    alb_arn: str
    alb_dns_name: str
    alb_zone_id: str  # the ALB's canonical hosted zone id, the alias target's zone
    target_group_arn: str
    listener_arn: str
    hosted_zone_id: str
    zone_name: str
    record_name: str
    # Parameters
    ssm_parameter_names: Mapping[str, str]  # by the seed's resource name: db_password -> /anigmaa/prod/db/password


class _Clients:
    """boto3 clients of one account and region, each made once."""

    def __init__(self, factory: Callable[[str], Any]) -> None:
        self._factory = factory
        self._made: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = self._factory(service)
        return self._made[service]


def _factory(target: str | Callable[[str], Any], region: str) -> Callable[[str], Any]:
    if callable(target):
        return target

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=target,
            region_name=region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    return make


def _tags(name: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}]


def _ec2_tags(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": _tags(name)}]


def _unique_suffix(counter: int) -> str:
    """Terraform's name_prefix suffix (helper/id.PrefixedUniqueId): UTC time to 1/10000 s, then a counter."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%d%H%M%S}{now.microsecond // 100:04d}{counter:08x}"


# --------------------------------------------------------------------------- the apply


def create(
    target: str | Callable[[str], Any],
    region: str,
    *,
    secrets: SeedSecrets,
    env: str = "prod",
    zone_name: str = "anigmaa.example",
) -> SeedProduction:
    """Make the seed's production in the emulator at ``target`` (its URL, or a factory of boto3 clients by service
    name) in ``region``, as `terraform apply` of the seed would, with ``secrets`` as its passwords and parameters."""
    aws = _Clients(_factory(target, region))
    account = str(aws.sts.get_caller_identity()["Account"])
    zones = (f"{region}a", f"{region}b")
    network = _network(aws, zones)
    groups, group_names = _security_groups(aws, network["vpc_id"])
    database = _database(aws, network, groups["rds_sg"], secrets)
    cache = _cache(aws, network, groups["redis_sg"], secrets)
    parameters = _parameters(aws, env, secrets)
    bucket = _bucket(aws, region, account)
    compute = _compute(aws, region, account, env, network, groups, database, cache, bucket, parameters)
    edge = _edge(aws, zone_name, compute)
    role_ids = {
        name: str(aws.iam.get_role(RoleName=name)["Role"]["RoleId"])
        for name in (database["monitoring_role_name"], compute["execution_role_name"], compute["task_role_name"])
    }
    return SeedProduction(
        region=region,
        account=account,
        env=env,
        availability_zones=zones,
        **network,
        security_group_ids=groups,
        security_group_names=group_names,
        **database,
        **cache,
        **bucket,
        **compute,
        role_unique_ids=role_ids,
        **edge,
        ssm_parameter_names=parameters,
    )


def _network(aws: _Clients, zones: tuple[str, str]) -> dict[str, Any]:
    """VPC, internet gateway, 2 public and 2 private subnets, an address and a NAT gateway per zone, the one shared
    public route table and a private one per zone, with their routes and associations."""
    ec2 = aws.ec2
    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=_ec2_tags("vpc", f"{PROJECT}-vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=_ec2_tags("internet-gateway", f"{PROJECT}-igw"))
    igw_id = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

    def subnet(kind: str, index: int, cidr: str) -> dict[str, Any]:
        name = f"{PROJECT}-{kind}-subnet-{index + 1}"
        made = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zones[index], TagSpecifications=_ec2_tags("subnet", name)
        )
        return dict(made["Subnet"])

    public = [subnet("public", i, cidr) for i, cidr in enumerate(PUBLIC_CIDRS)]
    private = [subnet("private", i, cidr)["SubnetId"] for i, cidr in enumerate(PRIVATE_CIDRS)]
    public_ids = [s["SubnetId"] for s in public]
    for subnet_id in public_ids:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    allocations = [
        ec2.allocate_address(Domain="vpc", TagSpecifications=_ec2_tags("elastic-ip", f"{PROJECT}-nat-eip-{i + 1}"))[
            "AllocationId"
        ]
        for i in range(2)
    ]
    nats = [
        ec2.create_nat_gateway(
            AllocationId=allocations[i],
            SubnetId=public_ids[i],
            TagSpecifications=_ec2_tags("natgateway", f"{PROJECT}-nat-gateway-{i + 1}"),
        )["NatGateway"]["NatGatewayId"]
        for i in range(2)
    ]
    public_rt = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_ec2_tags("route-table", f"{PROJECT}-public-rt")
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock=ANYWHERE, GatewayId=igw_id)
    private_rts = []
    for i in range(2):
        table = ec2.create_route_table(
            VpcId=vpc_id, TagSpecifications=_ec2_tags("route-table", f"{PROJECT}-private-rt-{i + 1}")
        )["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=ANYWHERE, NatGatewayId=nats[i])
        private_rts.append(table)
    public_assoc = [ec2.associate_route_table(RouteTableId=public_rt, SubnetId=s)["AssociationId"] for s in public_ids]
    private_assoc = [
        ec2.associate_route_table(RouteTableId=private_rts[i], SubnetId=s)["AssociationId"]
        for i, s in enumerate(private)
    ]
    # What the apply did not choose but the state records: the VPC's defaults, the addresses' associations.
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    main_rt = ec2.describe_route_tables(Filters=[*in_vpc, {"Name": "association.main", "Values": ["true"]}])
    default_sg = ec2.describe_security_groups(Filters=[*in_vpc, {"Name": "group-name", "Values": ["default"]}])
    default_acl = ec2.describe_network_acls(Filters=[*in_vpc, {"Name": "default", "Values": ["true"]}])
    addresses = {a["AllocationId"]: a for a in ec2.describe_addresses(AllocationIds=allocations)["Addresses"]}
    gateways = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways(NatGatewayIds=nats)["NatGateways"]}
    nat_addresses = [gateways[n]["NatGatewayAddresses"][0] for n in nats]
    return {
        "availability_zone_ids": tuple(s["AvailabilityZoneId"] for s in public),
        "region_availability_zones": tuple(
            z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"] if z["State"] == "available"
        ),
        "vpc_id": vpc_id,
        "vpc_main_route_table_id": main_rt["RouteTables"][0]["RouteTableId"],
        "vpc_default_security_group_id": default_sg["SecurityGroups"][0]["GroupId"],
        "vpc_default_network_acl_id": default_acl["NetworkAcls"][0]["NetworkAclId"],
        "vpc_dhcp_options_id": vpc["DhcpOptionsId"],
        "internet_gateway_id": igw_id,
        "public_subnet_ids": tuple(public_ids),
        "private_subnet_ids": tuple(private),
        "nat_allocation_ids": tuple(allocations),
        "nat_public_ips": tuple(addresses[a]["PublicIp"] for a in allocations),
        "nat_association_ids": tuple(addresses[a]["AssociationId"] for a in allocations),
        "nat_gateway_ids": tuple(nats),
        "nat_network_interface_ids": tuple(a["NetworkInterfaceId"] for a in nat_addresses),
        "nat_private_ips": tuple(a["PrivateIp"] for a in nat_addresses),
        "public_route_table_id": public_rt,
        "private_route_table_ids": tuple(private_rts),
        "public_association_ids": tuple(public_assoc),
        "private_association_ids": tuple(private_assoc),
    }


def _security_groups(aws: _Clients, vpc_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """The seed's four groups with their rules. Terraform removes AWS's default allow-all egress from a group whose
    configuration declares no egress (rds_sg, redis_sg)."""
    ec2 = aws.ec2
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for counter, resource in enumerate(SECURITY_GROUPS, start=1):
        names[resource] = _security_group_prefix(resource) + _unique_suffix(counter)
        ids[resource] = ec2.create_security_group(
            GroupName=names[resource],
            Description=MANAGED_BY_TERRAFORM,
            VpcId=vpc_id,
            TagSpecifications=_ec2_tags("security-group", _security_group_prefix(resource)),
        )["GroupId"]
    for resource, (ingress, egress) in _security_group_rules(ids).items():
        ec2.authorize_security_group_ingress(
            GroupId=ids[resource],
            IpPermissions=[
                {
                    "IpProtocol": rule["protocol"],
                    "FromPort": rule["from_port"],
                    "ToPort": rule["to_port"],
                    "IpRanges": [{"CidrIp": cidr} for cidr in rule["cidr_blocks"]],
                    "UserIdGroupPairs": [{"GroupId": group} for group in rule["security_groups"]],
                }
                for rule in ingress
            ],
        )
        if not egress:
            ec2.revoke_security_group_egress(
                GroupId=ids[resource], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANYWHERE}]}]
            )
    return ids, names


def _security_group_prefix(resource: str) -> str:
    return f"{PROJECT}-{resource.replace('_', '-')}"


def _rule(port: int, *, cidrs: Iterable[str] = (), groups: Iterable[str] = ()) -> dict[str, Any]:
    """One `ingress`/`egress` block as the provider records it (port 0 with protocol -1: all traffic)."""
    return {
        "cidr_blocks": list(cidrs),
        "description": "",
        "from_port": port,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "protocol": "tcp" if port else "-1",
        "security_groups": list(groups),
        "self": False,
        "to_port": port,
    }


def _security_group_rules(ids: Mapping[str, str]) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Each group's (ingress, egress), as the seed's main.tf declares them."""
    everywhere = [_rule(0, cidrs=[ANYWHERE])]
    return {
        "alb_sg": ([_rule(80, cidrs=[ANYWHERE]), _rule(443, cidrs=[ANYWHERE])], everywhere),
        "ecs_sg": ([_rule(8080, groups=[ids["alb_sg"]])], everywhere),
        "rds_sg": ([_rule(5432, groups=[ids["ecs_sg"]])], []),
        "redis_sg": ([_rule(6379, groups=[ids["ecs_sg"]])], []),
    }


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}],
        }
    )


def _role(aws: _Clients, name: str, service: str, policy_arn: str | None) -> str:
    arn = aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service), Tags=_tags(name))["Role"]["Arn"]
    if policy_arn:
        aws.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return str(arn)


def _database(aws: _Clients, network: Mapping[str, Any], group_id: str, secrets: SeedSecrets) -> dict[str, Any]:
    rds = aws.rds
    subnet_group = f"{PROJECT}-db-subnet-group"
    rds.create_db_subnet_group(
        DBSubnetGroupName=subnet_group,
        DBSubnetGroupDescription=MANAGED_BY_TERRAFORM,
        SubnetIds=list(network["private_subnet_ids"]),
        Tags=_tags(subnet_group),
    )
    parameter_group = f"{PROJECT}-db-params"
    rds.create_db_parameter_group(
        DBParameterGroupName=parameter_group,
        DBParameterGroupFamily=DB_FAMILY,
        Description=MANAGED_BY_TERRAFORM,
        Tags=_tags(parameter_group),
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=parameter_group,
        Parameters=[
            {"ParameterName": name, "ParameterValue": value, "ApplyMethod": "immediate"}
            for name, value in DB_PARAMETERS.items()
        ],
    )
    role_name = f"{PROJECT}-rds-enhanced-monitoring"
    role_arn = _role(aws, role_name, "monitoring.rds.amazonaws.com", MONITORING_POLICY)
    identifier = f"{PROJECT}-postgres"
    instance = rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine=DB["engine"],
        EngineVersion=DB["engine_version"],
        DBInstanceClass=DB["instance_class"],
        AllocatedStorage=DB["allocated_storage"],
        MaxAllocatedStorage=DB["max_allocated_storage"],
        StorageType=DB["storage_type"],
        StorageEncrypted=True,
        DBName=DB["db_name"],
        MasterUsername=DB["username"],
        MasterUserPassword=secrets.db_password,
        DBSubnetGroupName=subnet_group,
        VpcSecurityGroupIds=[group_id],
        Port=DB["port"],
        MultiAZ=True,
        BackupRetentionPeriod=DB["backup_retention_period"],
        PreferredBackupWindow=DB["backup_window"],
        PreferredMaintenanceWindow=DB["maintenance_window"],
        MonitoringInterval=DB["monitoring_interval"],
        MonitoringRoleArn=role_arn,
        DBParameterGroupName=parameter_group,
        DeletionProtection=True,
        PubliclyAccessible=False,
        Tags=_tags(identifier),
    )["DBInstance"]
    return {
        "db_subnet_group_name": subnet_group,
        "db_parameter_group_name": parameter_group,
        "monitoring_role_name": role_name,
        "monitoring_role_arn": role_arn,
        "db_instance_identifier": instance["DBInstanceIdentifier"],
        "db_resource_id": instance["DbiResourceId"],
        "db_instance_arn": instance["DBInstanceArn"],
        "db_address": instance["Endpoint"]["Address"],
        "db_port": int(instance["Endpoint"]["Port"]),
        "db_kms_key_id": instance["KmsKeyId"],
    }


def _cache(aws: _Clients, network: Mapping[str, Any], group_id: str, secrets: SeedSecrets) -> dict[str, Any]:
    elasticache = aws.elasticache
    subnet_group = f"{PROJECT}-redis-subnet-group"
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=subnet_group,
        CacheSubnetGroupDescription=MANAGED_BY_TERRAFORM,
        SubnetIds=list(network["private_subnet_ids"]),
        Tags=_tags(subnet_group),
    )
    group = elasticache.create_replication_group(
        ReplicationGroupId=f"{PROJECT}-redis",
        ReplicationGroupDescription=f"Redis cluster for {PROJECT}",
        Engine=REDIS["engine"],
        EngineVersion=REDIS["engine_version"],
        CacheNodeType=REDIS["node_type"],
        Port=REDIS["port"],
        NumCacheClusters=REDIS["num_cache_clusters"],
        ReplicasPerNodeGroup=REDIS["num_cache_clusters"] - 1,  # what moto sizes the group by (docstring)
        CacheSubnetGroupName=subnet_group,
        SecurityGroupIds=[group_id],
        CacheParameterGroupName=REDIS["parameter_group_name"],
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        AuthToken=secrets.redis_auth_token,
        SnapshotRetentionLimit=REDIS["snapshot_retention_limit"],
        SnapshotWindow=REDIS["snapshot_window"],
        PreferredMaintenanceWindow=REDIS["maintenance_window"],
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        Tags=_tags(f"{PROJECT}-redis"),
    )["ReplicationGroup"]
    return {
        "cache_subnet_group_name": subnet_group,
        "replication_group_id": group["ReplicationGroupId"],
        "replication_group_arn": group["ARN"],
        "redis_primary_endpoint": group["NodeGroups"][0]["PrimaryEndpoint"]["Address"],
        "redis_member_clusters": tuple(group["MemberClusters"]),
    }


def _parameters(aws: _Clients, env: str, secrets: SeedSecrets) -> dict[str, str]:
    names = {}
    for resource, _, tail in SSM_PARAMETERS:
        names[resource] = f"/{PROJECT}/{env}/{tail}"
        aws.ssm.put_parameter(
            Name=names[resource],
            Type="SecureString",
            Value=secrets.parameter_value(resource),
            Tags=_tags(f"{PROJECT}-{resource.replace('_', '-')}"),
        )
    return names


def _bucket(aws: _Clients, region: str, account: str) -> dict[str, Any]:
    s3 = aws.s3
    suffix = random.token_hex(4)  # random_id.bucket_suffix (byte_length 4)
    name = f"{PROJECT}-uploads-{suffix}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(f"{PROJECT}-uploads")})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [CORS_RULE]})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": LIFECYCLE_RULES})
    s3.put_bucket_policy(Bucket=name, Policy=_bucket_policy(name, account))
    etags = {key: str(s3.put_object(Bucket=name, Key=key, Body=body)["ETag"]) for key, body in BUCKET_OBJECTS.items()}
    return {"bucket_suffix": suffix, "bucket_name": name, "bucket_objects": etags}


def _bucket_policy(bucket: str, account: str) -> str:
    """The seed's policy: the ECS task role reads, writes and lists the bucket."""
    task_role = {"AWS": f"arn:aws:iam::{account}:role/{PROJECT}-ecs-task-role"}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowECSTaskAccess",
                    "Effect": "Allow",
                    "Principal": task_role,
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                },
                {
                    "Sid": "AllowECSTaskListBucket",
                    "Effect": "Allow",
                    "Principal": task_role,
                    "Action": "s3:ListBucket",
                    "Resource": f"arn:aws:s3:::{bucket}",
                },
            ],
        }
    )


def _container(production: Mapping[str, Any], region: str, account: str, env: str) -> dict[str, Any]:
    """The task's one container, as the seed's ecs.tf defines it: secrets by SSM ARN, never by value."""
    environment = {
        "PORT": "8080",
        "ENV": env,
        "DB_HOST": production["db_address"],
        "DB_PORT": str(DB["port"]),
        "DB_USER": DB["username"],
        "DB_NAME": DB["db_name"],
        "DB_SSLMODE": "require",
        "REDIS_HOST": production["redis_primary_endpoint"],
        "REDIS_PORT": str(REDIS["port"]),
        "STORAGE_TYPE": "s3",
        "AWS_REGION": region,
        "AWS_BUCKET": production["bucket_name"],
        "MIDTRANS_IS_PRODUCTION": "true",
    }
    names = production["ssm_parameter_names"]
    return {
        "name": TASK["family"],
        "image": f"{account}.dkr.ecr.{region}.amazonaws.com/{PROJECT}-backend:latest",
        "essential": True,
        "portMappings": [{"containerPort": TASK["container_port"], "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
        "secrets": [
            {"name": key, "valueFrom": f"arn:aws:ssm:{region}:{account}:parameter{names[resource]}"}
            for resource, key, _ in SSM_PARAMETERS
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": production["log_group_name"],
                "awslogs-region": region,
                "awslogs-stream-prefix": "ecs",
            },
        },
    }


def _compute(
    aws: _Clients,
    region: str,
    account: str,
    env: str,
    network: Mapping[str, Any],
    groups: Mapping[str, str],
    database: Mapping[str, Any],
    cache: Mapping[str, Any],
    bucket: Mapping[str, Any],
    parameters: Mapping[str, str],
) -> dict[str, Any]:
    """The ECS era: roles, log group, cluster, task definition, the ALB with its target group and HTTP listener, and
    the service behind them."""
    execution_role = f"{PROJECT}-ecs-execution-role"
    task_role = f"{PROJECT}-ecs-task-role"
    execution_arn = _role(aws, execution_role, "ecs-tasks.amazonaws.com", EXECUTION_POLICY)
    task_arn = _role(aws, task_role, "ecs-tasks.amazonaws.com", None)
    log_group = f"/ecs/{PROJECT}-backend"
    aws.logs.create_log_group(logGroupName=log_group, tags={"Name": f"{PROJECT}-backend-logs"})
    aws.logs.put_retention_policy(logGroupName=log_group, retentionInDays=7)
    ecs = aws.ecs
    cluster = ecs.create_cluster(
        clusterName=f"{PROJECT}-cluster", tags=[{"key": "Name", "value": f"{PROJECT}-cluster"}]
    )
    cluster_arn = cluster["cluster"]["clusterArn"]
    made = {**database, **cache, **bucket, "ssm_parameter_names": parameters, "log_group_name": log_group}
    task = ecs.register_task_definition(
        family=TASK["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=TASK["cpu"],
        memory=TASK["memory"],
        executionRoleArn=execution_arn,
        taskRoleArn=task_arn,
        containerDefinitions=[_container(made, region, account, env)],
        tags=[{"key": "Name", "value": f"{PROJECT}-backend-task"}],
    )["taskDefinition"]
    elbv2 = aws.elbv2
    alb = elbv2.create_load_balancer(
        Name=f"{PROJECT}-alb",
        Subnets=list(network["public_subnet_ids"]),
        SecurityGroups=[groups["alb_sg"]],
        Scheme="internet-facing",
        Type="application",
        IpAddressType="ipv4",
        Tags=_tags(f"{PROJECT}-alb"),
    )["LoadBalancers"][0]
    target_group = elbv2.create_target_group(
        Name=f"{PROJECT}-backend-tg",
        Protocol="HTTP",
        Port=TASK["container_port"],
        VpcId=network["vpc_id"],
        TargetType="ip",
        HealthCheckEnabled=True,
        HealthCheckPath="/health",
        HealthCheckPort="traffic-port",
        HealthCheckProtocol="HTTP",
        HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
        Matcher={"HttpCode": "200"},
        Tags=_tags(f"{PROJECT}-backend-tg"),
    )["TargetGroups"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}],
    )["Listeners"][0]
    service = ecs.create_service(
        cluster=cluster_arn,
        serviceName=f"{PROJECT}-backend",
        taskDefinition=task["taskDefinitionArn"],
        desiredCount=TASK["desired_count"],
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(network["private_subnet_ids"]),
                "securityGroups": [groups["ecs_sg"]],
                "assignPublicIp": "DISABLED",
            }
        },
        loadBalancers=[
            {
                "targetGroupArn": target_group["TargetGroupArn"],
                "containerName": TASK["family"],
                "containerPort": TASK["container_port"],
            }
        ],
        tags=[{"key": "Name", "value": f"{PROJECT}-backend-service"}],
    )["service"]
    return {
        "execution_role_name": execution_role,
        "task_role_name": task_role,
        "log_group_name": log_group,
        "ecs_cluster_name": cluster["cluster"]["clusterName"],
        "ecs_cluster_arn": cluster_arn,
        "task_definition_arn": task["taskDefinitionArn"],
        "task_definition_revision": int(task["revision"]),
        "ecs_service_name": service["serviceName"],
        "ecs_service_arn": service["serviceArn"],
        "alb_arn": alb["LoadBalancerArn"],
        "alb_dns_name": alb["DNSName"],
        "alb_zone_id": alb["CanonicalHostedZoneId"],
        "target_group_arn": target_group["TargetGroupArn"],
        "listener_arn": listener["ListenerArn"],
    }


def _edge(aws: _Clients, zone_name: str, compute: Mapping[str, Any]) -> dict[str, Any]:
    """The public zone (the domain's, made outside Terraform: the state reads it as a data source) and the simple
    alias A record of the API's name to the ALB."""
    zone = aws.route53.create_hosted_zone(Name=zone_name, CallerReference=str(uuid.uuid4()))["HostedZone"]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    record = f"api.{zone_name}"
    alias = {"HostedZoneId": compute["alb_zone_id"], "DNSName": compute["alb_dns_name"], "EvaluateTargetHealth": True}
    aws.route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": {"Name": record, "Type": "A", "AliasTarget": alias}}]
        },
    )
    return {"hosted_zone_id": zone_id, "zone_name": zone_name, "record_name": record}


# --------------------------------------------------------------------------- the state


def write_state(
    production: SeedProduction,
    path: Path,
    *,
    secrets: SeedSecrets,
    layout: Layout = "root",
    serial: int = 1,
) -> tuple[str, ...]:
    """Write to ``path`` the raw state (format 4) `terraform state pull` would print for ``production``, and return
    the addresses of its managed resources as `terraform state list` prints them.

    ``layout`` "root" is the seed's: the network at the root with `count`, routes inline in the route tables, one
    `aws_ssm_parameter` per secret. "module" puts the network in terraform-aws-modules/vpc
    (`module.vpc.aws_vpc.this[0]`, `module.vpc.aws_route.private_nat_gateway[0]`, …) and the parameters under
    `for_each` (`aws_ssm_parameter.secret["DB_PASSWORD"]`). ``secrets`` go only where Terraform keeps them: the
    attributes named in `sensitive_attributes`, and the sensitive output."""
    resources = _StateBuilder(production, secrets, layout).resources()
    document = {
        "version": 4,
        "terraform_version": TERRAFORM_VERSION,
        "serial": serial,
        "lineage": str(uuid.uuid4()),
        "outputs": _outputs(production, secrets),
        "resources": resources,
        "check_results": None,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return tuple(
        f"{entry['module'] + '.' if 'module' in entry else ''}{entry['type']}.{entry['name']}"
        + ("" if "index_key" not in instance else f"[{json.dumps(instance['index_key'])}]")
        for entry in resources
        if entry["mode"] == "managed"
        for instance in entry["instances"]
    )


def _outputs(production: SeedProduction, secrets: SeedSecrets) -> dict[str, Any]:
    """The seed's outputs of the ECS era, and one sensitive output (kept in plain text, as Terraform keeps it)."""

    def text(value: str) -> dict[str, Any]:
        return {"value": value, "type": "string"}

    def ids(values: tuple[str, ...]) -> dict[str, Any]:
        return {"value": list(values), "type": ["tuple", ["string"] * len(values)]}

    return {
        "alb_dns_name": text(production.alb_dns_name),
        "private_subnet_ids": ids(production.private_subnet_ids),
        "public_subnet_ids": ids(production.public_subnet_ids),
        "rds_endpoint": text(production.db_address),
        "redis_auth_token": {**text(secrets.redis_auth_token), "sensitive": True},
        "redis_endpoint": text(production.redis_primary_endpoint),
        "s3_bucket_arn": text(f"arn:aws:s3:::{production.bucket_name}"),
        "s3_bucket_name": text(production.bucket_name),
        "vpc_id": text(production.vpc_id),
    }


def _instance(
    attributes: Mapping[str, Any],
    *,
    index: int | str | None = None,
    schema: int = 0,
    sensitive: Iterable[str] = (),
    dependencies: Iterable[str] = (),
) -> dict[str, Any]:
    instance: dict[str, Any] = {} if index is None else {"index_key": index}
    return {
        **instance,
        "schema_version": schema,
        "attributes": dict(attributes),
        "sensitive_attributes": [[{"type": "get_attr", "value": name}] for name in sensitive],
        "dependencies": sorted(dependencies),
    }


def _with_tags(name: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {**attributes, "tags": {"Name": name}, "tags_all": {"Name": name}}


class _StateBuilder:
    """The resources[] of the state, in Terraform's order (by module, then mode, type, name)."""

    def __init__(self, production: SeedProduction, secrets: SeedSecrets, layout: Layout) -> None:
        self.p = production
        self.secrets = secrets
        self.layout = layout
        self.module = layout == "module"
        self.entries: list[dict[str, Any]] = []
        self.counter = 0

    # ---- helpers

    def arn(self, service: str, rest: str) -> str:
        return f"arn:aws:{service}:{self.p.region}:{self.p.account}:{rest}"

    def add(self, kind: str, name: str, instances: list[dict[str, Any]], *, network: bool = False) -> None:
        entry: dict[str, Any] = {"mode": "managed", "type": kind, "name": name, "provider": AWS_PROVIDER}
        if network and self.module:
            entry = {"module": "module.vpc", **entry}
        self.entries.append({**entry, "instances": instances})

    def one(
        self,
        kind: str,
        name: str,
        attributes: Mapping[str, Any],
        *,
        tag: str | None = None,
        network: bool = False,
        index: int | str | None = None,
        schema: int = 0,
        sensitive: Iterable[str] = (),
        dependencies: Iterable[str] = (),
    ) -> None:
        """A resource of one instance; ``tag`` its Name tag."""
        if tag is not None:
            attributes = _with_tags(tag, attributes)
        instance = _instance(attributes, index=index, schema=schema, sensitive=sensitive, dependencies=dependencies)
        self.add(kind, name, [instance], network=network)

    def net(self, kind: str, root_name: str, module_name: str) -> tuple[str, str]:
        """A network resource's (name, address without index) in this layout."""
        if self.module:
            return module_name, f"module.vpc.{kind}.{module_name}"
        return root_name, f"{kind}.{root_name}"

    def key(self, index: int) -> int | None:
        """The module's single resources have count (index 0); the seed's have none."""
        return index if self.module else None

    def suffix(self) -> str:
        self.counter += 1
        return _unique_suffix(self.counter)

    # ---- the whole state

    def resources(self) -> list[dict[str, Any]]:
        self.data_sources()
        self.network()
        self.security_groups()
        self.database()
        self.cache()
        self.bucket()
        self.compute()
        self.record()
        self.parameters()
        return sorted(
            self.entries, key=lambda e: (e.get("module", ""), e["mode"] != "data", e["mode"], e["type"], e["name"])
        )

    def data_sources(self) -> None:
        zones = self.p.region_availability_zones
        self.entries.append(
            {
                "mode": "data",
                "type": "aws_availability_zones",
                "name": "available",
                "provider": AWS_PROVIDER,
                "instances": [
                    _instance(
                        {
                            "id": self.p.region,
                            "names": list(zones),
                            "state": "available",
                            "all_availability_zones": None,
                        }
                    )
                ],
            }
        )
        self.entries.append(
            {
                "mode": "data",
                "type": "aws_route53_zone",
                "name": "main",
                "provider": AWS_PROVIDER,
                "instances": [
                    _instance(
                        {
                            "id": self.p.hosted_zone_id,
                            "zone_id": self.p.hosted_zone_id,
                            "name": self.p.zone_name,
                            "private_zone": False,
                            "arn": f"arn:aws:route53:::hostedzone/{self.p.hosted_zone_id}",
                        }
                    )
                ],
            }
        )

    # ---- network

    def network(self) -> None:
        p = self.p
        vpc_name, vpc = self.net("aws_vpc", "anigmaa_vpc", "this")
        self.one(
            "aws_vpc",
            vpc_name,
            {
                "id": p.vpc_id,
                "arn": self.arn("ec2", f"vpc/{p.vpc_id}"),
                "cidr_block": VPC_CIDR,
                "enable_dns_hostnames": True,
                "enable_dns_support": True,
                "enable_network_address_usage_metrics": False,
                "instance_tenancy": "default",
                "assign_generated_ipv6_cidr_block": False,
                "ipv6_association_id": "",
                "ipv6_cidr_block": "",
                "default_network_acl_id": p.vpc_default_network_acl_id,
                "default_route_table_id": p.vpc_main_route_table_id,
                "default_security_group_id": p.vpc_default_security_group_id,
                "dhcp_options_id": p.vpc_dhcp_options_id,
                "main_route_table_id": p.vpc_main_route_table_id,
                "owner_id": p.account,
            },
            tag=f"{PROJECT}-vpc",
            index=self.key(0),
            schema=1,
            network=True,
        )
        igw_name, igw = self.net("aws_internet_gateway", "anigmaa_igw", "this")
        self.one(
            "aws_internet_gateway",
            igw_name,
            {
                "id": p.internet_gateway_id,
                "arn": self.arn("ec2", f"internet-gateway/{p.internet_gateway_id}"),
                "owner_id": p.account,
                "vpc_id": p.vpc_id,
            },
            tag=f"{PROJECT}-igw",
            index=self.key(0),
            dependencies=[vpc],
            network=True,
        )
        subnets = {}
        for kind, ids, cidrs, public in (
            ("public", p.public_subnet_ids, PUBLIC_CIDRS, True),
            ("private", p.private_subnet_ids, PRIVATE_CIDRS, False),
        ):
            name, subnets[kind] = self.net("aws_subnet", f"{kind}_subnets", kind)
            self.add(
                "aws_subnet",
                name,
                [
                    _instance(
                        _with_tags(
                            f"{PROJECT}-{kind}-subnet-{i + 1}",
                            {
                                "id": ids[i],
                                "arn": self.arn("ec2", f"subnet/{ids[i]}"),
                                "vpc_id": p.vpc_id,
                                "cidr_block": cidrs[i],
                                "availability_zone": p.availability_zones[i],
                                "availability_zone_id": p.availability_zone_ids[i],
                                "map_public_ip_on_launch": public,
                                "assign_ipv6_address_on_creation": False,
                                "enable_dns64": False,
                                "ipv6_cidr_block": "",
                                "ipv6_native": False,
                                "owner_id": p.account,
                                "private_dns_hostname_type_on_launch": "ip-name",
                            },
                        ),
                        index=i,
                        schema=1,
                        dependencies=[vpc],
                    )
                    for i in range(2)
                ],
                network=True,
            )
        eip_name, eip = self.net("aws_eip", "nat_eip", "nat")
        self.add(
            "aws_eip",
            eip_name,
            [
                _instance(
                    _with_tags(
                        f"{PROJECT}-nat-eip-{i + 1}",
                        {
                            "id": p.nat_allocation_ids[i],
                            "allocation_id": p.nat_allocation_ids[i],
                            "arn": self.arn("ec2", f"elastic-ip/{p.nat_allocation_ids[i]}"),
                            "association_id": p.nat_association_ids[i],
                            "domain": "vpc",
                            "network_border_group": p.region,
                            "network_interface": p.nat_network_interface_ids[i],
                            "private_ip": p.nat_private_ips[i],
                            "public_ip": p.nat_public_ips[i],
                            "public_ipv4_pool": "amazon",
                            "vpc": True,
                        },
                    ),
                    index=i,
                    dependencies=[vpc] if self.module else [],
                )
                for i in range(2)
            ],
            network=True,
        )
        nat_name, nat = self.net("aws_nat_gateway", "nat_gateway", "this")
        self.add(
            "aws_nat_gateway",
            nat_name,
            [
                _instance(
                    _with_tags(
                        f"{PROJECT}-nat-gateway-{i + 1}",
                        {
                            "id": p.nat_gateway_ids[i],
                            "allocation_id": p.nat_allocation_ids[i],
                            "association_id": p.nat_association_ids[i],
                            "connectivity_type": "public",
                            "network_interface_id": p.nat_network_interface_ids[i],
                            "private_ip": p.nat_private_ips[i],
                            "public_ip": p.nat_public_ips[i],
                            "secondary_allocation_ids": [],
                            "secondary_private_ip_address_count": 0,
                            "secondary_private_ip_addresses": [],
                            "subnet_id": p.public_subnet_ids[i],
                        },
                    ),
                    index=i,
                    dependencies=[eip, igw, subnets["public"], vpc],
                )
                for i in range(2)
            ],
            network=True,
        )
        public_route = {**_route(), "cidr_block": ANYWHERE, "gateway_id": p.internet_gateway_id}
        private_routes = [{**_route(), "cidr_block": ANYWHERE, "nat_gateway_id": n} for n in p.nat_gateway_ids]
        rt_public_name, rt_public = self.net("aws_route_table", "public_rt", "public")
        rt_private_name, rt_private = self.net("aws_route_table", "private_rt", "private")

        def table(table_id: str, name: str, route: dict[str, Any], index: int | None) -> dict[str, Any]:
            depends = [vpc] if self.module else [igw, nat, eip, subnets["public"], vpc]
            attributes = {
                "id": table_id,
                "arn": self.arn("ec2", f"route-table/{table_id}"),
                "owner_id": p.account,
                "propagating_vgws": [],
                "route": [route],
                "vpc_id": p.vpc_id,
            }
            return _instance(_with_tags(name, attributes), index=index, dependencies=depends)

        self.add(
            "aws_route_table",
            rt_public_name,
            [table(p.public_route_table_id, f"{PROJECT}-public-rt", public_route, self.key(0))],
            network=True,
        )
        self.add(
            "aws_route_table",
            rt_private_name,
            [
                table(p.private_route_table_ids[i], f"{PROJECT}-private-rt-{i + 1}", private_routes[i], i)
                for i in range(2)
            ],
            network=True,
        )
        if self.module:  # terraform-aws-modules/vpc keeps its routes as separate aws_route resources
            self.add(
                "aws_route",
                "public_internet_gateway",
                [self.route(p.public_route_table_id, "gateway_id", p.internet_gateway_id, 0, [igw, rt_public])],
                network=True,
            )
            self.add(
                "aws_route",
                "private_nat_gateway",
                [
                    self.route(
                        p.private_route_table_ids[i], "nat_gateway_id", p.nat_gateway_ids[i], i, [nat, rt_private]
                    )
                    for i in range(2)
                ],
                network=True,
            )
        for kind, associations, tables, table_address in (
            ("public", p.public_association_ids, (p.public_route_table_id,) * 2, rt_public),
            ("private", p.private_association_ids, p.private_route_table_ids, rt_private),
        ):
            name, _ = self.net("aws_route_table_association", f"{kind}_rta", kind)
            subnet_ids = p.public_subnet_ids if kind == "public" else p.private_subnet_ids
            self.add(
                "aws_route_table_association",
                name,
                [
                    _instance(
                        {
                            "id": associations[i],
                            "gateway_id": "",
                            "route_table_id": tables[i],
                            "subnet_id": subnet_ids[i],
                            "timeouts": None,
                        },
                        index=i,
                        dependencies=[table_address, subnets[kind], vpc],
                    )
                    for i in range(2)
                ],
                network=True,
            )

    def route(self, table_id: str, target: str, target_id: str, index: int, depends: list[str]) -> dict[str, Any]:
        # The provider's id: "r-" + table id + the CRC-32 of the destination (create.StringHashcode).
        return _instance(
            {
                **{k: v for k, v in _route().items() if k != "cidr_block"},
                "id": f"r-{table_id}{zlib.crc32(ANYWHERE.encode())}",
                "destination_cidr_block": ANYWHERE,
                "destination_ipv6_cidr_block": "",
                "route_table_id": table_id,
                target: target_id,
                "instance_id": "",
                "instance_owner_id": "",
                "origin": "CreateRoute",
                "state": "active",
                "timeouts": None,
            },
            index=index,
            dependencies=depends,
        )

    def vpc_address(self) -> str:
        return "module.vpc.aws_vpc.this" if self.module else "aws_vpc.anigmaa_vpc"

    def subnets_address(self, kind: str) -> str:
        return f"module.vpc.aws_subnet.{kind}" if self.module else f"aws_subnet.{kind}_subnets"

    # ---- security groups

    def security_groups(self) -> None:
        p = self.p
        rules = _security_group_rules(p.security_group_ids)
        for resource in SECURITY_GROUPS:
            group_id = p.security_group_ids[resource]
            ingress, egress = rules[resource]
            sources = {f"aws_security_group.{s}" for rule in ingress for s in _group_names(rule, p.security_group_ids)}
            self.one(
                "aws_security_group",
                resource,
                {
                    "id": group_id,
                    "arn": self.arn("ec2", f"security-group/{group_id}"),
                    "description": MANAGED_BY_TERRAFORM,
                    "egress": egress,
                    "ingress": ingress,
                    "name": p.security_group_names[resource],
                    "name_prefix": _security_group_prefix(resource),
                    "owner_id": p.account,
                    "revoke_rules_on_delete": False,
                    "timeouts": None,
                    "vpc_id": p.vpc_id,
                },
                tag=_security_group_prefix(resource),
                schema=1,
                dependencies=[self.vpc_address(), *sources],
            )

    # ---- database

    def role(self, resource: str, name: str, service: str, policies: list[str]) -> None:
        self.one(
            "aws_iam_role",
            resource,
            {
                "id": name,
                "arn": f"arn:aws:iam::{self.p.account}:role/{name}",
                "assume_role_policy": _trust(service),
                "description": "",
                "force_detach_policies": False,
                "inline_policy": [],
                "managed_policy_arns": policies,
                "max_session_duration": 3600,
                "name": name,
                "name_prefix": "",
                "path": "/",
                "permissions_boundary": "",
                "unique_id": self.p.role_unique_ids[name],
            },
            tag=name,
        )

    def attachment(self, resource: str, role_resource: str, role: str, policy: str) -> None:
        self.one(
            "aws_iam_role_policy_attachment",
            resource,
            {"id": f"{role}-{self.suffix()}", "policy_arn": policy, "role": role},
            dependencies=[f"aws_iam_role.{role_resource}"],
        )

    def database(self) -> None:
        p = self.p
        private = self.subnets_address("private")
        self.one(
            "aws_db_subnet_group",
            "anigmaa_db_subnet_group",
            {
                "id": p.db_subnet_group_name,
                "arn": self.arn("rds", f"subgrp:{p.db_subnet_group_name}"),
                "description": MANAGED_BY_TERRAFORM,
                "name": p.db_subnet_group_name,
                "name_prefix": "",
                "subnet_ids": sorted(p.private_subnet_ids),
                "supported_network_types": ["IPV4"],
                "vpc_id": p.vpc_id,
            },
            tag=p.db_subnet_group_name,
            dependencies=[private, self.vpc_address()],
        )
        self.one(
            "aws_db_parameter_group",
            "anigmaa_db_params",
            {
                "id": p.db_parameter_group_name,
                "arn": self.arn("rds", f"pg:{p.db_parameter_group_name}"),
                "description": MANAGED_BY_TERRAFORM,
                "family": DB_FAMILY,
                "name": p.db_parameter_group_name,
                "name_prefix": "",
                "parameter": [
                    {"apply_method": "immediate", "name": name, "value": value}
                    for name, value in sorted(DB_PARAMETERS.items())
                ],
                "skip_destroy": False,
            },
            tag=p.db_parameter_group_name,
        )
        self.role(
            "rds_enhanced_monitoring", p.monitoring_role_name, "monitoring.rds.amazonaws.com", [MONITORING_POLICY]
        )
        self.attachment("rds_enhanced_monitoring", "rds_enhanced_monitoring", p.monitoring_role_name, MONITORING_POLICY)
        self.one(
            "aws_db_instance",
            "anigmaa_db",
            {
                **DB,
                "id": p.db_resource_id,
                "resource_id": p.db_resource_id,
                "identifier": p.db_instance_identifier,
                "identifier_prefix": "",
                "arn": p.db_instance_arn,
                "address": p.db_address,
                "endpoint": f"{p.db_address}:{p.db_port}",
                "port": p.db_port,
                "engine_version_actual": DB["engine_version"],
                "storage_encrypted": True,
                "kms_key_id": p.db_kms_key_id,
                "password": self.secrets.db_password,
                "password_wo": None,
                "password_wo_version": None,
                "manage_master_user_password": None,
                "master_user_secret": [],
                "db_subnet_group_name": p.db_subnet_group_name,
                "parameter_group_name": p.db_parameter_group_name,
                "option_group_name": f"default:postgres-{DB['engine_version'].split('.')[0]}",
                "vpc_security_group_ids": [p.security_group_ids["rds_sg"]],
                "multi_az": True,
                "availability_zone": p.availability_zones[0],
                "publicly_accessible": False,
                "monitoring_role_arn": p.monitoring_role_arn,
                "performance_insights_enabled": False,
                "iam_database_authentication_enabled": False,
                "enabled_cloudwatch_logs_exports": [],
                "copy_tags_to_snapshot": False,
                "deletion_protection": True,
                "auto_minor_version_upgrade": True,
                "allow_major_version_upgrade": None,
                "apply_immediately": False,
                "ca_cert_identifier": "rds-ca-default",
                "network_type": "IPV4",
                "skip_final_snapshot": False,
                "final_snapshot_identifier": f"{PROJECT}-final-snapshot-{datetime.now(UTC):%Y-%m-%d-%H%M}",
                "delete_automated_backups": True,
                "status": "available",
                "replicas": [],
                "replicate_source_db": "",
                "timeouts": None,
            },
            tag=p.db_instance_identifier,
            schema=2,
            sensitive=("password", "password_wo"),
            dependencies=[
                "aws_db_parameter_group.anigmaa_db_params",
                "aws_db_subnet_group.anigmaa_db_subnet_group",
                "aws_iam_role.rds_enhanced_monitoring",
                "aws_security_group.alb_sg",
                "aws_security_group.ecs_sg",
                "aws_security_group.rds_sg",
                private,
                self.vpc_address(),
            ],
        )

    # ---- cache

    def cache(self) -> None:
        p = self.p
        private = self.subnets_address("private")
        self.one(
            "aws_elasticache_subnet_group",
            "anigmaa_redis_subnet_group",
            {
                "id": p.cache_subnet_group_name,
                "arn": self.arn("elasticache", f"subnetgroup:{p.cache_subnet_group_name}"),
                "description": MANAGED_BY_TERRAFORM,
                "name": p.cache_subnet_group_name,
                "subnet_ids": sorted(p.private_subnet_ids),
                "vpc_id": p.vpc_id,
            },
            tag=p.cache_subnet_group_name,
            dependencies=[private, self.vpc_address()],
        )
        self.one(
            "aws_elasticache_replication_group",
            "anigmaa_redis",
            {
                **REDIS,
                "id": p.replication_group_id,
                "replication_group_id": p.replication_group_id,
                "arn": p.replication_group_arn,
                "description": f"Redis cluster for {PROJECT}",
                "engine_version_actual": REDIS["engine_version"],
                "subnet_group_name": p.cache_subnet_group_name,
                "security_group_ids": [p.security_group_ids["redis_sg"]],
                "security_group_names": [],
                "at_rest_encryption_enabled": "true",  # a string in the provider's schema
                "transit_encryption_enabled": True,
                "transit_encryption_mode": "required",
                "kms_key_id": "",
                "auth_token": self.secrets.redis_auth_token,
                "auth_token_update_strategy": "ROTATE",
                "automatic_failover_enabled": True,
                "multi_az_enabled": True,
                "cluster_enabled": False,
                "cluster_mode": "disabled",
                "num_node_groups": 1,
                "replicas_per_node_group": REDIS["num_cache_clusters"] - 1,
                "member_clusters": sorted(p.redis_member_clusters),
                "primary_endpoint_address": p.redis_primary_endpoint,
                "configuration_endpoint_address": None,
                "preferred_cache_cluster_azs": None,
                "auto_minor_version_upgrade": "true",
                "apply_immediately": None,
                "data_tiering_enabled": False,
                "network_type": "ipv4",
                "ip_discovery": "ipv4",
                "log_delivery_configuration": [],
                "notification_topic_arn": "",
                "user_group_ids": [],
                "timeouts": None,
            },
            tag=p.replication_group_id,
            schema=2,
            sensitive=("auth_token",),
            dependencies=[
                "aws_elasticache_subnet_group.anigmaa_redis_subnet_group",
                "aws_security_group.alb_sg",
                "aws_security_group.ecs_sg",
                "aws_security_group.redis_sg",
                private,
                self.vpc_address(),
            ],
        )

    # ---- bucket

    def bucket(self) -> None:
        p = self.p
        name = p.bucket_name
        raw = bytes.fromhex(p.bucket_suffix)
        self.entries.append(
            {
                "mode": "managed",
                "type": "random_id",
                "name": "bucket_suffix",
                "provider": RANDOM_PROVIDER,
                "instances": [
                    _instance(
                        {
                            "id": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                            "b64_std": base64.b64encode(raw).decode(),
                            "b64_url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                            "byte_length": len(raw),
                            "dec": str(int.from_bytes(raw, "big")),
                            "hex": p.bucket_suffix,
                            "keepers": None,
                            "prefix": None,
                        }
                    )
                ],
            }
        )
        policy = _bucket_policy(name, p.account)
        self.one(
            "aws_s3_bucket",
            "anigmaa_uploads",
            {
                "id": name,
                "bucket": name,
                "bucket_prefix": "",
                "arn": f"arn:aws:s3:::{name}",
                "bucket_domain_name": f"{name}.s3.amazonaws.com",
                "bucket_regional_domain_name": f"{name}.s3.{p.region}.amazonaws.com",
                "region": p.region,
                "force_destroy": False,
                "object_lock_enabled": False,
                "policy": policy,
                "request_payer": "BucketOwner",
                "versioning": [{"enabled": True, "mfa_delete": False}],
                "server_side_encryption_configuration": [
                    {
                        "rule": [
                            {
                                "apply_server_side_encryption_by_default": [
                                    {"kms_master_key_id": "", "sse_algorithm": "AES256"}
                                ],
                                "bucket_key_enabled": False,
                            }
                        ]
                    }
                ],
                "timeouts": None,
            },
            tag=f"{PROJECT}-uploads",
            dependencies=["random_id.bucket_suffix"],
        )
        bucket_deps = ["aws_s3_bucket.anigmaa_uploads", "random_id.bucket_suffix"]

        def settings(kind: str, resource: str, attributes: Mapping[str, Any], *, schema: int = 0) -> None:
            extra = [] if kind != "aws_s3_bucket_policy" else ["aws_iam_role.ecs_task_role"]
            self.one(
                kind,
                resource,
                {"id": name, "bucket": name, **attributes},
                schema=schema,
                dependencies=bucket_deps + extra,
            )

        settings(
            "aws_s3_bucket_versioning",
            "anigmaa_uploads_versioning",
            {
                "expected_bucket_owner": "",
                "mfa": None,
                "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}],
            },
        )
        settings(
            "aws_s3_bucket_server_side_encryption_configuration",
            "anigmaa_uploads_encryption",
            {
                "expected_bucket_owner": "",
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"kms_master_key_id": "", "sse_algorithm": "AES256"}
                        ],
                        "bucket_key_enabled": False,
                    }
                ],
            },
        )
        settings(
            "aws_s3_bucket_public_access_block",
            "anigmaa_uploads_pab",
            {
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        )
        settings("aws_s3_bucket_policy", "anigmaa_uploads_policy", {"policy": policy})
        settings(
            "aws_s3_bucket_cors_configuration",
            "anigmaa_uploads_cors",
            {
                "expected_bucket_owner": "",
                "cors_rule": [
                    {
                        "allowed_headers": CORS_RULE["AllowedHeaders"],
                        "allowed_methods": CORS_RULE["AllowedMethods"],
                        "allowed_origins": CORS_RULE["AllowedOrigins"],
                        "expose_headers": CORS_RULE["ExposeHeaders"],
                        "id": "",
                        "max_age_seconds": CORS_RULE["MaxAgeSeconds"],
                    }
                ],
            },
        )
        settings(
            "aws_s3_bucket_lifecycle_configuration",
            "anigmaa_uploads_lifecycle",
            {
                "expected_bucket_owner": "",
                "rule": [
                    _lifecycle_rule("delete_incomplete_multipart_uploads", abort_days=1),
                    _lifecycle_rule("transition_to_ia", transitions=TRANSITIONS),
                ],
                "timeouts": None,
                "transition_default_minimum_object_size": "all_storage_classes_128K",
            },
            schema=1,
        )

    # ---- compute

    def compute(self) -> None:
        p = self.p
        self.role("ecs_execution_role", p.execution_role_name, "ecs-tasks.amazonaws.com", [EXECUTION_POLICY])
        self.role("ecs_task_role", p.task_role_name, "ecs-tasks.amazonaws.com", [])
        self.attachment("ecs_execution_role_policy", "ecs_execution_role", p.execution_role_name, EXECUTION_POLICY)
        self.one(
            "aws_cloudwatch_log_group",
            "anigmaa_backend",
            {
                "id": p.log_group_name,
                "arn": self.arn("logs", f"log-group:{p.log_group_name}"),
                "kms_key_id": "",
                "log_group_class": "STANDARD",
                "name": p.log_group_name,
                "name_prefix": "",
                "retention_in_days": 7,
                "skip_destroy": False,
            },
            tag=f"{PROJECT}-backend-logs",
        )
        self.one(
            "aws_ecs_cluster",
            "anigmaa_cluster",
            {
                "id": p.ecs_cluster_arn,
                "arn": p.ecs_cluster_arn,
                "name": p.ecs_cluster_name,
                "configuration": [],
                "service_connect_defaults": [],
                "setting": [{"name": "containerInsights", "value": "disabled"}],
            },
            tag=p.ecs_cluster_name,
        )
        made = {
            "db_address": p.db_address,
            "redis_primary_endpoint": p.redis_primary_endpoint,
            "bucket_name": p.bucket_name,
            "ssm_parameter_names": p.ssm_parameter_names,
            "log_group_name": p.log_group_name,
        }
        container = _container(made, p.region, p.account, p.env)
        role_arn = f"arn:aws:iam::{p.account}:role/"
        self.one(
            "aws_ecs_task_definition",
            "anigmaa_backend",
            {
                "id": TASK["family"],
                "arn": p.task_definition_arn,
                "arn_without_revision": p.task_definition_arn.rsplit(":", 1)[0],
                "container_definitions": json.dumps([container], sort_keys=True),
                "cpu": TASK["cpu"],
                "memory": TASK["memory"],
                "execution_role_arn": role_arn + p.execution_role_name,
                "task_role_arn": role_arn + p.task_role_name,
                "family": TASK["family"],
                "network_mode": "awsvpc",
                "requires_compatibilities": ["FARGATE"],
                "revision": p.task_definition_revision,
                "skip_destroy": False,
                "track_latest": False,
                "volume": [],
            },
            tag=f"{PROJECT}-backend-task",
            schema=1,
            dependencies=[
                "aws_cloudwatch_log_group.anigmaa_backend",
                "aws_db_instance.anigmaa_db",
                "aws_elasticache_replication_group.anigmaa_redis",
                "aws_iam_role.ecs_execution_role",
                "aws_iam_role.ecs_task_role",
                "aws_s3_bucket.anigmaa_uploads",
                *self.parameter_addresses(),
            ],
        )
        alb_suffix = p.alb_arn.split(":loadbalancer/", 1)[1]
        self.one(
            "aws_lb",
            "anigmaa_alb",
            {
                "id": p.alb_arn,
                "arn": p.alb_arn,
                "arn_suffix": alb_suffix,
                "name": f"{PROJECT}-alb",
                "name_prefix": "",
                "dns_name": p.alb_dns_name,
                "zone_id": p.alb_zone_id,
                "internal": False,
                "load_balancer_type": "application",
                "ip_address_type": "ipv4",
                "security_groups": [p.security_group_ids["alb_sg"]],
                "subnets": sorted(p.public_subnet_ids),
                "subnet_mapping": [
                    {
                        "allocation_id": "",
                        "ipv6_address": "",
                        "outpost_id": "",
                        "private_ipv4_address": "",
                        "subnet_id": s,
                    }
                    for s in sorted(p.public_subnet_ids)
                ],
                "vpc_id": p.vpc_id,
                "access_logs": [{"bucket": "", "enabled": False, "prefix": ""}],
                "enable_deletion_protection": False,
                "enable_http2": True,
                "drop_invalid_header_fields": False,
                "idle_timeout": 60,
                "timeouts": None,
            },
            tag=f"{PROJECT}-alb",
            dependencies=["aws_security_group.alb_sg", self.subnets_address("public"), self.vpc_address()],
        )
        tg_name = f"{PROJECT}-backend-tg"
        self.one(
            "aws_lb_target_group",
            "anigmaa_backend",
            {
                "id": p.target_group_arn,
                "arn": p.target_group_arn,
                "arn_suffix": p.target_group_arn.split(":", 5)[5],
                "name": tg_name,
                "name_prefix": "",
                "port": TASK["container_port"],
                "protocol": "HTTP",
                "protocol_version": "HTTP1",
                "target_type": "ip",
                "ip_address_type": "ipv4",
                "vpc_id": p.vpc_id,
                "deregistration_delay": "300",
                "load_balancing_algorithm_type": "round_robin",
                "load_balancer_arns": [p.alb_arn],
                "slow_start": 0,
                "health_check": [
                    {
                        "enabled": True,
                        "healthy_threshold": 2,
                        "interval": 30,
                        "matcher": "200",
                        "path": "/health",
                        "port": "traffic-port",
                        "protocol": "HTTP",
                        "timeout": 5,
                        "unhealthy_threshold": 2,
                    }
                ],
                "stickiness": [{"cookie_duration": 86400, "cookie_name": "", "enabled": False, "type": "lb_cookie"}],
            },
            tag=tg_name,
            dependencies=[self.vpc_address()],
        )
        self.one(
            "aws_lb_listener",
            "anigmaa_backend_http_only",
            {
                "id": p.listener_arn,
                "arn": p.listener_arn,
                "load_balancer_arn": p.alb_arn,
                "port": 80,
                "protocol": "HTTP",
                "ssl_policy": "",
                "certificate_arn": None,
                "alpn_policy": None,
                "default_action": [
                    {
                        "type": "forward",
                        "target_group_arn": p.target_group_arn,
                        "order": 1,
                        "authenticate_cognito": [],
                        "authenticate_oidc": [],
                        "fixed_response": [],
                        "forward": [],
                        "redirect": [],
                    }
                ],
                "mutual_authentication": [],
                "tags": {},
                "tags_all": {},
                "timeouts": None,
            },
            index=0,  # the seed's count = var.certificate_arn == "" ? 1 : 0
            dependencies=["aws_lb.anigmaa_alb", "aws_lb_target_group.anigmaa_backend"],
        )
        self.one(
            "aws_ecs_service",
            "anigmaa_backend",
            {
                "id": p.ecs_service_arn,
                "name": p.ecs_service_name,
                "cluster": p.ecs_cluster_arn,
                "task_definition": p.task_definition_arn,
                "desired_count": TASK["desired_count"],
                "launch_type": "FARGATE",
                "platform_version": "LATEST",
                "scheduling_strategy": "REPLICA",
                "deployment_maximum_percent": 200,
                "deployment_minimum_healthy_percent": 100,
                "enable_ecs_managed_tags": False,
                "enable_execute_command": False,
                "health_check_grace_period_seconds": 0,
                "iam_role": "",
                "propagate_tags": "NONE",
                "wait_for_steady_state": False,
                "network_configuration": [
                    {
                        "assign_public_ip": False,
                        "security_groups": [p.security_group_ids["ecs_sg"]],
                        "subnets": sorted(p.private_subnet_ids),
                    }
                ],
                "load_balancer": [
                    {
                        "container_name": TASK["family"],
                        "container_port": TASK["container_port"],
                        "elb_name": "",
                        "target_group_arn": p.target_group_arn,
                    }
                ],
                "triggers": {},
                "timeouts": None,
            },
            tag=f"{PROJECT}-backend-service",
            schema=1,
            dependencies=[
                "aws_ecs_cluster.anigmaa_cluster",
                "aws_ecs_task_definition.anigmaa_backend",
                "aws_iam_role_policy_attachment.ecs_execution_role_policy",
                "aws_lb_listener.anigmaa_backend_http_only",
                "aws_lb_target_group.anigmaa_backend",
                "aws_security_group.ecs_sg",
                self.subnets_address("private"),
            ],
        )

    # ---- edge

    def record(self) -> None:
        p = self.p
        self.one(
            "aws_route53_record",
            "api",
            {
                "id": f"{p.hosted_zone_id}_{p.record_name}_A",
                "zone_id": p.hosted_zone_id,
                "name": p.record_name,
                "fqdn": p.record_name,
                "type": "A",
                "ttl": None,
                "records": None,
                "set_identifier": "",
                "alias": [
                    {
                        "evaluate_target_health": True,
                        "name": p.alb_dns_name.lower().rstrip("."),
                        "zone_id": p.alb_zone_id,
                    }
                ],
                "allow_overwrite": None,
                "health_check_id": "",
                "multivalue_answer_routing_policy": False,
                "cidr_routing_policy": [],
                "failover_routing_policy": [],
                "geolocation_routing_policy": [],
                "geoproximity_routing_policy": [],
                "latency_routing_policy": [],
                "weighted_routing_policy": [],
                "timeouts": None,
            },
            schema=2,
            dependencies=["aws_lb.anigmaa_alb", "data.aws_route53_zone.main"],
        )

    # ---- parameters

    def parameter_addresses(self) -> list[str]:
        if self.module:
            return ["aws_ssm_parameter.secret"]
        return [f"aws_ssm_parameter.{resource}" for resource, _, _ in SSM_PARAMETERS]

    def parameters(self) -> None:
        p = self.p
        instances = []
        for resource, key, _ in SSM_PARAMETERS:
            name = p.ssm_parameter_names[resource]
            attributes = {
                "id": name,
                "arn": self.arn("ssm", f"parameter{name}"),
                "name": name,
                "type": "SecureString",
                "value": self.secrets.parameter_value(resource),
                "insecure_value": None,
                "value_wo": None,
                "value_wo_version": None,
                "has_value_wo": None,
                "key_id": "alias/aws/ssm",
                "tier": "Standard",
                "data_type": "text",
                "description": "",
                "allowed_pattern": "",
                "overwrite": None,
                "version": 1,
            }
            instance = _instance(
                _with_tags(f"{PROJECT}-{resource.replace('_', '-')}", attributes),
                index=key if self.module else None,
                sensitive=("value", "value_wo"),
            )
            if self.module:
                instances.append(instance)
            else:
                self.add("aws_ssm_parameter", resource, [instance])
        if self.module:
            self.add("aws_ssm_parameter", "secret", instances)


def _route() -> dict[str, Any]:
    """An inline `route` block of aws_route_table with every target empty."""
    return {
        "carrier_gateway_id": "",
        "cidr_block": "",
        "core_network_arn": "",
        "destination_prefix_list_id": "",
        "egress_only_gateway_id": "",
        "gateway_id": "",
        "ipv6_cidr_block": "",
        "local_gateway_id": "",
        "nat_gateway_id": "",
        "network_interface_id": "",
        "transit_gateway_id": "",
        "vpc_endpoint_id": "",
        "vpc_peering_connection_id": "",
    }


def _group_names(rule: Mapping[str, Any], ids: Mapping[str, str]) -> list[str]:
    by_id = {group_id: resource for resource, group_id in ids.items()}
    return [by_id[group] for group in rule["security_groups"]]


def _lifecycle_rule(
    rule_id: str, *, abort_days: int | None = None, transitions: Iterable[tuple[int, str]] = ()
) -> dict[str, Any]:
    return {
        "id": rule_id,
        "status": "Enabled",
        "prefix": "",
        "filter": [
            {"and": [], "object_size_greater_than": None, "object_size_less_than": None, "prefix": "", "tag": []}
        ],
        "abort_incomplete_multipart_upload": [] if abort_days is None else [{"days_after_initiation": abort_days}],
        "expiration": [],
        "noncurrent_version_expiration": [],
        "noncurrent_version_transition": [],
        "transition": [{"date": None, "days": days, "storage_class": kind} for days, kind in transitions],
    }
