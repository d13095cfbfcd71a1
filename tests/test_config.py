"""Configuration: defaults, overrides, and one clear line for every bad input."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, load_config, read_context
from config.keys import KEYS
from config.limits import LOG_RETENTION
from config.rules import connection_room
from tests.conftest import CDK_CONTEXT, EXAMPLE_ZONE_ID, ROOT, elf_header


def load(**overrides: Any) -> Any:
    return load_config({**CDK_CONTEXT, **overrides}, ROOT)


def test_prod_defaults_follow_the_seed() -> None:
    config = load()
    assert config.env == "prod"
    assert config.region == "ap-southeast-1"
    assert config.function.function_name == "anigmaa-backend"
    assert config.function.memory_mb == 512
    assert config.function.timeout_seconds == 24  # the seed's 30 s less a cold start's 6 s (docs/configuration.md)
    assert config.function.runtime == "provided.al2"
    assert config.function.architecture == "x86_64"
    assert config.network.nat_gateways == 2  # one per zone: losing a zone leaves the other its way out
    assert config.network.nat_provider == "gateway"
    assert not config.network.ssm_endpoint
    assert config.database.instance_class == "db.t3.micro"
    assert config.cache.node_type == "cache.t3.micro"
    assert config.backend.midtrans_is_production is True
    assert config.secret_parameter_names == {
        "DB_PASSWORD": "/anigmaa/prod/DB_PASSWORD",
        "JWT_SECRET": "/anigmaa/prod/JWT_SECRET",
        "REDIS_PASSWORD": "/anigmaa/prod/REDIS_PASSWORD",
        "MIDTRANS_SERVER_KEY": "/anigmaa/prod/MIDTRANS_SERVER_KEY",
    }


def test_dev_is_cheaper_and_named_apart_from_prod() -> None:
    config = load(env="dev")
    assert config.function.function_name == "anigmaa-backend-dev"
    assert config.api.name == "anigmaa-dev"
    assert config.stack_name("network") == "anigmaa-dev-network"
    assert not config.database.multi_az
    assert config.cache.nodes == 1
    assert not config.termination_protection
    assert config.ssm_prefix == "/anigmaa/dev"
    # The cheapest sane choices: a NAT instance, Graviton everywhere.
    assert (config.network.nat_provider, config.network.nat_instance_type) == ("instance", "t4g.nano")
    assert config.function.architecture == "arm64"
    assert config.database.instance_class == "db.t4g.micro"
    assert config.cache.node_type == "cache.t4g.micro"


def test_command_line_strings_are_parsed() -> None:
    config = load(
        lambda_memory="1024",
        db_multi_az="false",
        allowed_origins="https://a.example.com, https://b.example.com",
        lambda_architecture="arm64",
    )
    assert config.function.memory_mb == 1024
    assert config.function.goarch == "arm64"
    assert config.database.multi_az is False
    assert config.api.allowed_origins == ("https://a.example.com", "https://b.example.com")


def test_a_top_level_key_overrides_the_selected_environment() -> None:
    assert load(env="dev", lambda_memory=2048).function.memory_mb == 2048
    assert load(env="dev").function.memory_mb == 512


def test_cdk_internal_context_keys_are_ignored() -> None:
    config = load(**{"aws:cdk:bundling-stacks": ["**"], "@aws-cdk/core:newStyleStackSynthesis": True})
    assert config.env == "prod"


def test_the_retention_table_names_the_cdk_member_of_each_period() -> None:
    """The CDK's Python enum carries member names; what each one means shows in the template."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_logs as logs
    from aws_cdk.assertions import Template

    stack = Stack(App(), "Probe")
    for days, member in LOG_RETENTION.items():
        logs.LogGroup(stack, f"Days{days}", retention=getattr(logs.RetentionDays, member))
    kept = [r["Properties"]["RetentionInDays"] for r in Template.from_stack(stack).to_json()["Resources"].values()]
    assert kept == list(LOG_RETENTION)


def test_the_model_hands_the_stacks_cdk_enums() -> None:
    config = load(lambda_runtime="provided.al2023", lambda_architecture="arm64", log_retention_days=14)
    assert config.function.cdk_runtime.name == "provided.al2023"
    assert config.function.cdk_architecture.name == "arm64"
    assert config.log_retention.name == "TWO_WEEKS"


def test_every_key_has_a_value_in_both_environments() -> None:
    for env in ("prod", "dev"):
        assert set(CDK_CONTEXT["environments"][env]) == set(KEYS)


def test_prod_backs_up_outside_its_region_under_a_compliance_lock_and_dev_does_not() -> None:
    backup = load().backup
    assert backup is not None
    assert (backup.retention_days, backup.pitr_days, backup.copy_retention_days) == (35, 14, 35)
    assert (backup.copy_region, backup.copy_account_vault_arn, backup.lock) == ("ap-southeast-3", None, "compliance")
    # Both may be deployed already: a key change would replace the database, so they stay on the AWS-managed keys.
    assert load().database.encryption_key == load(env="dev").database.encryption_key == "aws-managed"
    assert load(env="dev").backup is None
    # The daily rule's hour is checked against RDS's windows only when there is a plan.
    assert load(env="dev", db_backup_window="21:30-22:00").backup is None
    # RDS's own retention is the continuous rule's once AWS Backup manages it; without a plan it is free.
    assert load().database.backup_retention_days == 14
    assert load(env="dev").database.backup_retention_days == 1
    # The lock's fixed minimum binds only a locked vault.
    unlocked = load(backup_vault_lock="off", backup_pitr_days=1, db_backup_retention_days=1, backup_retention_days=1)
    assert unlocked.backup is not None
    assert unlocked.backup.pitr_days == 1


DOMAIN = {
    "domain_name": "api.anigmaa.example",
    "hosted_zone_id": "Z0EXAMPLE0ZONE0ID0000",
    "hosted_zone_name": "anigmaa.example",
}

EXISTING_VPC = {
    "vpc_id": "vpc-0123456789abcdef0",
    "public_subnet_ids": "subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2",
    "private_subnet_ids": "subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2",
    "private_route_table_ids": "rtb-0ccccccccccccccc1,rtb-0ccccccccccccccc2",
}
EXTERNAL_ALB = {
    "dns_name": "anigmaa-alb-123456789.ap-southeast-1.elb.amazonaws.com",
    "hosted_zone_id": "Z1LMS91P8CMLE5",
}

BAD_INPUTS = [
    pytest.param({"env": "staging"}, r"^env: 'staging' is not a known environment; accepted: prod \| dev$", id="env"),
    pytest.param(
        {"compute": "k8s"},
        r"^compute: 'k8s' is not a known compute mode; accepted: lambda \| ecs \| split$",
        id="compute",
    ),
    pytest.param(
        {"ecs_memory": 4096},
        r"^ecs_memory: 4096 is not a Fargate size for ecs_cpu 256; accepted: 512\.\.2048 in steps of 512$",
        id="ecs-memory",
    ),
    pytest.param({"ecs_cpu": 300}, r"^ecs_cpu: 300 is not known; accepted: 256 \| 512", id="ecs-cpu"),
    pytest.param({"ecs_desired_count": 0}, r"^ecs_desired_count: 0 is out of range 1\.\.20$", id="ecs-count"),
    pytest.param({"ecs_image_uri": "anigmaa:latest"}, r"^ecs_image_uri: 'anigmaa:latest' is malformed", id="ecs-image"),
    pytest.param({"lambda_memory": 64}, r"^lambda_memory: 64 is out of range 128\.\.10240$", id="memory-low"),
    pytest.param({"lambda_memory": "10241"}, r"^lambda_memory: 10241 is out of range 128\.\.10240$", id="memory-high"),
    pytest.param(
        {"lambda_memory": "lots"},
        r"^lambda_memory: 'lots' is not a whole number; accepted: a whole number in 128\.\.10240$",
        id="memory-nan",
    ),
    pytest.param({"lambda_memory": True}, r"^lambda_memory: True is not a whole number", id="memory-bool"),
    pytest.param(
        {"lambda_timeout": 25},
        r"^lambda_timeout: 25 is out of range 4\.\.24 "
        r"\(the HTTP API waits 30 s at most, a cold start's 6 s included; a deadline holds /health/ready's checks\)$",
        id="timeout",
    ),
    pytest.param(
        {"lambda_runtime": "go1.x"},
        r"^lambda_runtime: 'go1\.x' is not known; accepted: provided\.al2 \| provided\.al2023$",
        id="runtime",
    ),
    pytest.param(
        {"nat_provider": "nat-gateway"},
        r"^nat_provider: 'nat-gateway' is not known; accepted: gateway \| instance$",
        id="nat-provider",
    ),
    pytest.param(
        {"nat_instance_type": "db.t4g.micro"},
        r"^nat_instance_type: 'db\.t4g\.micro' is malformed; accepted: an EC2 instance type such as t4g\.nano$",
        id="nat-instance-type",
    ),
    pytest.param(
        {"ssm_endpoint": "yes please"},
        r"^ssm_endpoint: 'yes please' is not a boolean; accepted: true \| false$",
        id="ssm-endpoint",
    ),
    pytest.param(
        {"lambda_architecture": "amd64"},
        r"^lambda_architecture: 'amd64' is not known; accepted: x86_64 \| arm64$",
        id="architecture",
    ),
    pytest.param(
        {"domain_name": "API.Example.com", "hosted_zone_id": "Z123", "hosted_zone_name": "example.com"},
        r"^domain_name: 'API\.Example\.com' is malformed; accepted: a lower-case host name",
        id="domain-malformed",
    ),
    pytest.param(
        {"domain_name": "api.example.com"},
        r"^domain_name: 'api\.example\.com' has no hosted zone; accepted: set both hosted_zone_id and hosted_zone_name",
        id="domain-without-zone",
    ),
    pytest.param(
        {"domain_name": "api.example.com", "hosted_zone_id": EXAMPLE_ZONE_ID, "hosted_zone_name": "other.com"},
        r"^domain_name: 'api\.example\.com' is not inside hosted_zone_name 'other\.com'",
        id="domain-outside-zone",
    ),
    pytest.param(
        {"hosted_zone_id": EXAMPLE_ZONE_ID, "hosted_zone_name": "example.com"},
        r"^domain_name: '' is empty while a hosted zone is set",
        id="zone-without-domain",
    ),
    pytest.param(
        {"domain_name": "api.example.com", "hosted_zone_id": "abc", "hosted_zone_name": "example.com"},
        r"^hosted_zone_id: 'abc' is malformed",
        id="zone-id",
    ),
    pytest.param(
        {"domain_name": "api.example.com", "hosted_zone_id": "Z123", "hosted_zone_name": "example.com"},
        r"^hosted_zone_id: 'Z123' is malformed; accepted: a Route 53 zone id such as Z0123456789ABCDEFGHIJ, or empty$",
        id="zone-id-short",
    ),
    pytest.param(
        {"cache_node_type": "cache.x9.huge"},
        r"^cache_node_type: 'cache\.x9\.huge' is not known; accepted: a known type such as cache\.t4g\.micro "
        r"\(the list: ELASTICACHE_NODE_TYPES in config/limits\.py\)$",
        id="cache-unknown",
    ),
    pytest.param(
        {"cache_node_type": "cache.t4g.mirco"},
        r"^cache_node_type: 'cache\.t4g\.mirco' is not known \(did you mean 'cache\.t4g\.micro'\?\)",
        id="cache-typo",
    ),
    pytest.param(
        {"LAMBDA_MEMORY": 1024},
        r"^LAMBDA_MEMORY: unknown configuration key in the context \(-c or cdk\.json\) "
        r"\(did you mean 'lambda_memory'\?\)",
        id="typo-case",
    ),
    pytest.param(
        {"lamda_memory": 1024},
        r"^lamda_memory: unknown configuration key in the context \(-c or cdk\.json\) "
        r"\(did you mean 'lambda_memory'\?\)",
        id="typo",
    ),
    pytest.param(
        {"nat_gateways": 3},
        r"^nat_gateways: 3 is out of range 1\.\.2 \(one per availability zone; 2 zones are set\)$",
        id="nat",
    ),
    pytest.param(
        {"nat_gateways": 0},
        r"^nat_gateways: 0 is out of range 1\.\.2 \(one per availability zone; 2 zones are set\)$",
        id="nat-zero",
    ),
    pytest.param(
        {"availability_zones": "us-east-1a,us-east-1b"},
        r"^availability_zones: 'us-east-1a' is not in region ap-southeast-1",
        id="zones-region",
    ),
    pytest.param(
        {"availability_zones": "ap-southeast-1a"},
        r"^availability_zones: 'ap-southeast-1a' names the wrong number of zones; accepted: 2 or 3 zones$",
        id="zones-count",
    ),
    pytest.param({"vpc_cidr": "8.8.0.0/16"}, r"^vpc_cidr: '8\.8\.0\.0/16' is not a private", id="cidr-public"),
    pytest.param({"vpc_cidr": "10.0.0.0"}, r"^vpc_cidr: '10\.0\.0\.0' is malformed", id="cidr-malformed"),
    pytest.param(
        {"log_retention_days": 10},
        r"^log_retention_days: 10 is not a CloudWatch Logs retention period; accepted: 1, 3, 5, 7, 14",
        id="retention",
    ),
    pytest.param(
        {"allowed_origins": "https://app.example.com/"},
        r"^allowed_origins: 'https://app\.example\.com/' is malformed",
        id="origin-slash",
    ),
    pytest.param({"allowed_origins": "*,https://a.example.com"}, r"^allowed_origins: .* mixes \*", id="origin-star"),
    pytest.param({"lambda_zip": "missing/lambda-function.zip"}, r"^lambda_zip: .* does not exist", id="zip-missing"),
    pytest.param({"lambda_zip": "bootstrap"}, r"^lambda_zip: 'bootstrap' is not a \.zip file", id="zip-kind"),
    pytest.param({"lambda_layer_arns": "arn:aws:lambda:layer"}, r"^lambda_layer_arns: .* is malformed", id="layer"),
    pytest.param(
        {"db_backup_retention_days": 0}, r"^db_backup_retention_days: 0 is out of range 1\.\.35$", id="backup"
    ),
    pytest.param({"db_instance_class": "t3.micro"}, r"^db_instance_class: 't3\.micro' is malformed", id="db-class"),
    pytest.param({"db_engine_version": "12"}, r"^db_engine_version: '12' is not known; accepted: 14", id="db-version"),
    pytest.param(
        {"db_max_allocated_storage": 20, "db_allocated_storage": 50},
        r"^db_max_allocated_storage: 20 is below db_allocated_storage 50",
        id="db-storage",
    ),
    pytest.param({"cache_nodes": 0}, r"^cache_nodes: 0 is out of range 1\.\.6$", id="cache-nodes"),
    pytest.param(
        {"cache_node_type": "t3.micro"},
        r"^cache_node_type: 't3\.micro' is not known \(did you mean 'cache\.t3\.micro'\?\)",
        id="cache-type",
    ),
    pytest.param({"db_multi_az": "yes"}, r"^db_multi_az: 'yes' is not a boolean; accepted: true \| false$", id="bool"),
    pytest.param({"account": "1234"}, r"^account: '1234' is malformed; accepted: a 12-digit", id="account"),
    pytest.param({"region": "Singapore"}, r"^region: 'Singapore' is malformed", id="region"),
    pytest.param({"ssm_prefix": "anigmaa/prod/"}, r"^ssm_prefix: 'anigmaa/prod/' is malformed", id="ssm-prefix"),
    pytest.param({"api_throttle_burst": -1}, r"^api_throttle_burst: -1 is out of range 0\.\.5000$", id="burst"),
    pytest.param(
        {"lambda_deployment": "canary-50-5m"},
        r"^lambda_deployment: 'canary-50-5m' is not known; accepted: all-at-once \| canary-10-5m \| ",
        id="deployment",
    ),
    pytest.param(
        {"lambda_provisioned_concurrency": 17},
        r"^lambda_provisioned_concurrency: 17 exceeds lambda_reserved_concurrency 16 \(Lambda refuses more\); "
        r"accepted: at most 16$",
        id="provisioned-beyond-reserved",
    ),
    pytest.param(
        {"compute": "split", "lambda_weight": "5"},
        r"^compute: 'split' has no domain_name to split: without a domain each path has its own address; accepted: "
        r"set domain_name, hosted_zone_id and hosted_zone_name, or -c compute=lambda \| ecs$",
        id="split-without-domain",
    ),
    pytest.param(
        {**DOMAIN, "compute": "split"},
        r"^lambda_weight: no value with compute=split; accepted: -c lambda_weight=<0\.\.100>, the percent of DNS "
        r"answers that point at Lambda$",
        id="split-without-weight",
    ),
    pytest.param(
        {**DOMAIN, "compute": "split", "lambda_weight": "101"},
        r"^lambda_weight: 101 is out of range 0\.\.100$",
        id="weight-out-of-range",
    ),
    pytest.param(
        {**DOMAIN, "compute": "split", "lambda_weight": "half"},
        r"^lambda_weight: 'half' is not a whole number; accepted: a whole number in 0\.\.100$",
        id="weight-not-a-number",
    ),
    pytest.param(
        {"lambda_weight": "5"},
        r"^lambda_weight: '5' is given with compute=lambda; accepted: lambda_weight with -c compute=split only",
        id="weight-outside-split",
    ),
    pytest.param(
        {"midtrans_client_key": "key with spaces"},
        r"^midtrans_client_key: 'key with spaces' is malformed",
        id="midtrans-key",
    ),
    # The keys that hold adopted resources (tests/test_adopted.py synthesizes them all).
    pytest.param({"vpc_id": "vpc-123"}, r"^vpc_id: 'vpc-123' is malformed; accepted: a VPC id such as", id="vpc-id"),
    pytest.param(
        {"private_subnet_ids": "subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2"},
        r"^private_subnet_ids: 'subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2' is set without vpc_id; "
        r"accepted: empty, unless vpc_id names the VPC they are in$",
        id="subnets-without-vpc",
    ),
    pytest.param(
        {**EXISTING_VPC, "public_subnet_ids": "subnet-0aaaaaaaaaaaaaaa1"},
        r"^public_subnet_ids: 1 ids with vpc_id 'vpc-0123456789abcdef0' for 2 availability zones; "
        r"accepted: one per availability zone, in availability_zones order$",
        id="subnets-not-one-per-zone",
    ),
    pytest.param(
        {**EXISTING_VPC, "private_route_table_ids": "rtb-0ccccccccccccccc1"},
        r"^private_route_table_ids: 1 ids with vpc_id 'vpc-0123456789abcdef0' for 2 private subnets; "
        r"accepted: one per private subnet, in private_subnet_ids order$",
        id="route-tables-not-one-per-subnet",
    ),
    pytest.param(
        {**EXISTING_VPC, "public_subnet_ids": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb1"},
        r"^private_subnet_ids: 'subnet-0bbbbbbbbbbbbbbb1' is named twice; accepted: each subnet once$",
        id="subnet-twice",
    ),
    pytest.param(
        {**EXISTING_VPC, "private_subnet_ids": "subnet-0bbbbbbbbbbbbbbb1,subnet-xyz"},
        r"^private_subnet_ids: 'subnet-xyz' is malformed; accepted: ids such as subnet-0123456789abcdef0",
        id="subnet-id",
    ),
    pytest.param(
        {**EXISTING_VPC, "nat_provider": "instance"},
        r"^nat_provider: 'instance' with vpc_id 'vpc-0123456789abcdef0': the app builds no NAT in a VPC it "
        r"references; accepted: gateway",
        id="nat-instance-in-existing-vpc",
    ),
    pytest.param(
        {**EXISTING_VPC, "vpc_cidr": "8.8.8.0/24"},
        r"^vpc_cidr: '8\.8\.8\.0/24' is not a private /16\.\./28 range; accepted: the existing VPC's own range",
        id="existing-vpc-cidr",
    ),
    pytest.param(
        {"db_instance_identifier": "Anigmaa-Postgres"},
        r"^db_instance_identifier: 'Anigmaa-Postgres' is malformed; accepted: an RDS instance identifier: 1 to 63 "
        r"lower-case letters",
        id="db-identifier",
    ),
    pytest.param(
        {"db_instance_identifier": "anigmaa--postgres"},
        r"^db_instance_identifier: 'anigmaa--postgres' is malformed",
        id="db-identifier-double-hyphen",
    ),
    pytest.param(
        {"cache_replication_group_id": "a" * 41},
        rf"^cache_replication_group_id: '{'a' * 41}' is malformed; accepted: an ElastiCache replication group id: "
        r"1 to 40",
        id="cache-id-too-long",
    ),
    pytest.param(
        {"bucket_name": "Anigmaa_Assets"}, r"^bucket_name: 'Anigmaa_Assets' is not an S3 bucket name", id="bucket"
    ),
    pytest.param(
        {"bucket_name": "192.168.1.1"}, r"^bucket_name: '192\.168\.1\.1' is formatted as an IP address", id="bucket-ip"
    ),
    pytest.param(
        {"bucket_name": "assets--ol-s3"},
        r"^bucket_name: 'assets--ol-s3' starts or ends with a part S3 reserves",
        id="bucket-reserved",
    ),
    pytest.param(
        {"db_extra_security_group_ids": "sg-01,sg-02"},
        r"^db_extra_security_group_ids: 'sg-01' is malformed; accepted: ids such as sg-0123456789abcdef0",
        id="db-extra-group-id",
    ),
    pytest.param(
        {"cache_extra_security_group_ids": ",".join(f"sg-0000000{n}" for n in range(5))},
        r"^cache_extra_security_group_ids: 5 groups, and the resource takes 5 \(the app's own and 4 more\); "
        r"accepted: at most 4$",
        id="cache-extra-groups-too-many",
    ),
    pytest.param(
        {"db_extra_security_group_ids": "sg-00000001,sg-00000001"},
        r"^db_extra_security_group_ids: 'sg-00000001' is named twice; accepted: each group once$",
        id="db-extra-group-twice",
    ),
    pytest.param(
        {"db_storage_encrypted": "no"}, r"^db_storage_encrypted: 'no' is not a boolean", id="db-storage-encrypted"
    ),
    pytest.param(
        {"external_alb": EXTERNAL_ALB},
        r"^external_alb: 'anigmaa-alb-123456789\.ap-southeast-1\.elb\.amazonaws\.com' has no domain_name whose "
        r"ecs record could point at it; accepted: set domain_name, hosted_zone_id and hosted_zone_name, or no "
        r"external_alb$",
        id="external-alb-without-domain",
    ),
    pytest.param(
        {**DOMAIN, "external_alb": "{not json"}, r"^external_alb: '\{not json' is not a JSON object", id="alb-json"
    ),
    pytest.param(
        {**DOMAIN, "external_alb": {"dns_name": "example.com", "hosted_zone_id": "Z1LMS91P8CMLE5"}},
        r"^external_alb: 'example\.com' is not a load balancer's DNS name",
        id="alb-dns-name",
    ),
    pytest.param(
        {**DOMAIN, "external_alb": {"dns_name": "a-1.ap-southeast-1.elb.amazonaws.com"}},
        r"^external_alb: \{'dns_name': .*\} is not an object of dns_name and hosted_zone_id",
        id="alb-fields",
    ),
    pytest.param(
        {**DOMAIN, "external_alb": {"dns_name": "a-1.us-east-1.elb.amazonaws.com", "hosted_zone_id": "Z35SXDOTRQ7X7K"}},
        r"^external_alb: 'a-1\.us-east-1\.elb\.amazonaws\.com' is not in region ap-southeast-1",
        id="alb-region",
    ),
    pytest.param(
        {"adopt_import": "no-such-file.json"},
        r"^adopt_import: 'no-such-file\.json' does not exist; accepted: a JSON file \{",
        id="import-missing",
    ),
    pytest.param({"backup": "yes"}, r"^backup: 'yes' is not a boolean; accepted: true \| false$", id="backup-bool"),
    pytest.param({"backup_pitr_days": "36"}, r"^backup_pitr_days: 36 is out of range 1\.\.35$", id="backup-pitr"),
    pytest.param(
        {"backup_retention_days": "0"}, r"^backup_retention_days: 0 is out of range 1\.\.3650$", id="backup-days"
    ),
    pytest.param(
        {"backup_copy_retention_days": "x"},
        r"^backup_copy_retention_days: 'x' is not a whole number",
        id="backup-copy-days",
    ),
    pytest.param(
        {"backup_pitr_days": "5", "db_backup_retention_days": "5"},
        r"^backup_pitr_days: 5 is below the vault lock's fixed minimum of 7 days \(.*a compliance lock is "
        r"immutable\); accepted: 7 or more, or backup_vault_lock off$",
        id="backup-pitr-below-lock",
    ),
    pytest.param(
        {"backup_retention_days": "6"},
        r"^backup_retention_days: 6 is below the vault lock's fixed minimum of 7 days",
        id="backup-days-below-lock",
    ),
    pytest.param(
        {"backup_copy_retention_days": "1", "backup_vault_lock": "governance"},
        r"^backup_copy_retention_days: 1 is below the vault lock's fixed minimum of 7 days",
        id="backup-copy-days-below-lock",
    ),
    pytest.param(
        {"db_backup_retention_days": "7"},
        r"^db_backup_retention_days: 7 differs from backup_pitr_days 14: AWS Backup's continuous backup sets the "
        r"instance's retention to its own, and RDS then refuses any other \(CloudFormation would drift, a deploy "
        r"fail\); accepted: 14, as backup_pitr_days$",
        id="backup-db-retention-differs",
    ),
    pytest.param(
        {"backup_vault_lock": "legal-hold"},
        r"^backup_vault_lock: 'legal-hold' is not known; accepted: compliance \| governance \| off$",
        id="backup-lock",
    ),
    pytest.param(
        {"db_encryption_key": "aws/rds"},
        r"^db_encryption_key: 'aws/rds' is not known; accepted: aws-managed \| customer-managed$",
        id="db-key",
    ),
    pytest.param(
        {"db_encryption_key": "customer-managed", "db_storage_encrypted": "false"},
        r"^db_encryption_key: 'customer-managed' is given with db_storage_encrypted false",
        id="db-key-unencrypted",
    ),
    pytest.param(
        {"backup_copy_region": "ap-southeast-1"},
        r"^backup_copy_region: 'ap-southeast-1' is region itself, where the copy would share the source's blast "
        r"radius; accepted: another region, or empty$",
        id="backup-copy-same-region",
    ),
    pytest.param(
        {"backup_copy_region": "ap-southeast-9"},
        r"^backup_copy_region: 'ap-southeast-9' is not a region the app knows \(near it: .*\); accepted: a region of "
        r"AWS_ZONES$",
        id="backup-copy-unknown-region",
    ),
    pytest.param(
        {"backup_copy_region": "Jakarta"},
        r"^backup_copy_region: 'Jakarta' is malformed; accepted: an AWS region name such as ap-southeast-3, or empty$",
        id="backup-copy-region-form",
    ),
    pytest.param(
        {"backup_copy_account_vault_arn": "arn:aws:backup:ap-southeast-1:210987654321:vault/x"},
        r"^backup_copy_account_vault_arn: '.*' is malformed; accepted: a backup vault ARN such as",
        id="backup-account-vault-form",
    ),
    pytest.param(
        {
            "account": "210987654321",
            "db_encryption_key": "customer-managed",
            "backup_copy_account_vault_arn": "arn:aws:backup:ap-southeast-1:210987654321:backup-vault:copies",
        },
        r"^backup_copy_account_vault_arn: '.*' is in this account \(210987654321\), whose credentials could delete "
        r"it; accepted: a vault in another account",
        id="backup-account-vault-same-account",
    ),
    pytest.param(
        {
            "db_encryption_key": "customer-managed",
            "backup_copy_account_vault_arn": "arn:aws:backup:ap-southeast-3:210987654321:backup-vault:copies",
        },
        r"^backup_copy_account_vault_arn: '.*' is in ap-southeast-3, and AWS Backup copies RDS to another account "
        r"or another region, not both at once; accepted: a vault of the other account in ap-southeast-1$",
        id="backup-account-vault-other-region",
    ),
    pytest.param(
        {"backup_copy_account_vault_arn": "arn:aws:backup:ap-southeast-1:210987654321:backup-vault:copies"},
        r"^backup_copy_account_vault_arn: '.*' needs the database on a customer-managed key: snapshots under aws/rds "
        r"cannot be shared with another account; accepted: db_encryption_key customer-managed",
        id="backup-account-vault-aws-managed-key",
    ),
    pytest.param(
        {"db_backup_window": "21:30-22:00"},
        r"^db_backup_window: '21:30-22:00' is within an hour of AWS Backup's daily start at 22:00 UTC \(RDS runs one "
        r"backup or maintenance at a time\); accepted: a window outside 21:00-00:00 UTC$",
        id="backup-start-near-rds-backup",
    ),
    pytest.param(
        {"db_maintenance_window": "mon:23:00-mon:23:30"},
        r"^db_maintenance_window: 'mon:23:00-mon:23:30' is within an hour of AWS Backup's daily start",
        id="backup-start-near-maintenance",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_line(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load(**overrides)
    assert "\n" not in str(raised.value)


def test_unknown_key_inside_an_environment_is_rejected() -> None:
    context = copy.deepcopy(CDK_CONTEXT)
    context["environments"]["prod"]["lambda_memmory"] = 256
    with pytest.raises(
        ConfigError, match=r"^lambda_memmory: unknown configuration key in cdk\.json environments\.prod"
    ):
        load_config(context, ROOT)


def test_an_environment_missing_a_key_is_rejected() -> None:
    context = copy.deepcopy(CDK_CONTEXT)
    del context["environments"]["dev"]["lambda_memory"]
    with pytest.raises(ConfigError, match=r"^lambda_memory: no value for env 'dev'"):
        load_config({**context, "env": "dev"}, ROOT)


def test_too_many_layers_are_rejected(tmp_path: Path) -> None:
    arns = ",".join(f"arn:aws:lambda:ap-southeast-1:123456789012:layer:deps:{n}" for n in range(6))
    with pytest.raises(ConfigError, match=r"^lambda_layer_arns: 6 layers \(with lambda_layer_zip\) is more than"):
        load(lambda_layer_arns=arns)


def test_the_connection_budget_is_the_classes_estimate_or_the_given_value() -> None:
    assert load().database.max_connections == 84  # db.t3.micro, 1 GiB
    assert load(db_instance_class="db.t4g.medium").database.max_connections == 337
    assert load(db_instance_class="db.x2g.large", db_max_connections=500).database.max_connections == 500
    unreserved = load(lambda_reserved_concurrency=0, api_throttle_rate=100, api_throttle_burst=50)
    assert unreserved.function.reserved_concurrency is None


def test_prod_fits_its_connection_budget_with_an_ecs_deploy_and_headroom() -> None:
    """16 x 2 + 2 tasks at 200% x 10 = 72: what 84 connections leave after RDS's 3 and the 9 (10%) kept free."""
    assert connection_room(84) == 72
    assert load().function.reserved_concurrency == 16
    with pytest.raises(
        ConfigError,
        match=r"^lambda_reserved_concurrency: 17 x 2 connections \+ 4 tasks \(2 desired, 200% while a deploy runs\) "
        r"x 10 = 74 exceeds the 72 the database can give \(84 max_connections less 3 RDS keeps and 9 kept free\); "
        r"accepted: at most 16, or a larger db_instance_class$",
    ):
        load(lambda_reserved_concurrency=17)
    # The service's own deploy counts without any Lambda reservation too.
    with pytest.raises(
        ConfigError,
        match=r"^ecs_desired_count: 8 tasks \(4 desired, 200% while a deploy runs\) x 10 connections = 80 "
        r"exceeds the 72 .*; accepted: at most 3, or a larger db_instance_class$",
    ):
        load(lambda_reserved_concurrency=0, api_throttle_rate=100, api_throttle_burst=50, ecs_desired_count=4)
    # A larger class makes room: db.t3.small's 168 connections take 30 environments with the deploy.
    assert load(db_instance_class="db.t3.small", lambda_reserved_concurrency=30).function.reserved_concurrency == 30


def test_the_api_throttle_is_derived_from_the_reservation_unless_set() -> None:
    derived = load().api
    assert (derived.throttle_rate, derived.throttle_burst) == (160, 16)  # 16 x 1000 / 100 ms; 16 at once
    faster = load(lambda_average_duration_ms=40).api
    assert (faster.throttle_rate, faster.throttle_burst) == (400, 16)
    explicit = load(api_throttle_rate=120, api_throttle_burst=10).api
    assert (explicit.throttle_rate, explicit.throttle_burst) == (120, 10)
    # At least one request a second, however slow the function.
    assert load(lambda_reserved_concurrency=1, lambda_average_duration_ms=30000).api.throttle_rate == 1


def test_a_burst_beyond_the_reservation_is_refused_with_the_arithmetic() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^api_throttle_burst: 500 exceeds lambda_reserved_concurrency 16: past 16 requests in flight Lambda "
        r"throttles, and the HTTP API answers them with 500 instead of 429; accepted: at most 16, or 0 to derive it$",
    ):
        load(api_throttle_burst=500)


@pytest.mark.parametrize("key", ["api_throttle_rate", "api_throttle_burst"])
def test_a_throttle_to_derive_needs_a_reservation(key: str) -> None:
    explicit = {"api_throttle_rate": 100, "api_throttle_burst": 50}
    with pytest.raises(
        ConfigError,
        match=rf"^{key}: 0 \(derive it from the reservation\) needs lambda_reserved_concurrency above 0; "
        r"accepted: a value of its own, or a reservation$",
    ):
        load(lambda_reserved_concurrency=0, **{**explicit, key: 0})


def test_a_database_class_without_an_estimate_is_named_as_such() -> None:
    """The class is named, not only db_max_connections, with the nearest class the app knows for a typo."""
    with pytest.raises(
        ConfigError,
        match=r"^db_instance_class: 'db\.t3\.mirco' is not a class whose memory the app knows \(the nearest it "
        r"knows: 'db\.t3\.micro'\), so db_max_connections \(0: estimate\) cannot be estimated; accepted: a class of "
        r"DB_CLASS_MEMORY_GIB in config/limits\.py, or -c db_max_connections=",
    ):
        load(db_instance_class="db.t3.mirco")
    # A real class the table lacks still works with its max_connections given.
    assert load(db_instance_class="db.m6i.large", db_max_connections=800).database.max_connections == 800


def test_versions_written_as_numbers_in_cdk_json_are_accepted() -> None:
    config = load(db_engine_version=16, cache_engine_version=7.0)
    assert config.database.engine_version == "16"
    assert config.cache.engine_version == "7.0"


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return path


def test_a_prebuilt_zip_needs_bootstrap_at_its_root(tmp_path: Path) -> None:
    nested = _zip(tmp_path / "nested.zip", ["build/bootstrap"])
    with pytest.raises(ConfigError, match=r"^lambda_zip: '.*nested\.zip' has no bootstrap at its root"):
        load(lambda_zip=str(nested))
    not_a_zip = tmp_path / "fake.zip"
    not_a_zip.write_text("not a zip")
    with pytest.raises(ConfigError, match=r"^lambda_zip: '.*fake\.zip' is not a zip archive"):
        load(lambda_zip=str(not_a_zip))
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("bootstrap", elf_header(0x3E))
    assert load(lambda_zip=str(good)).function.code_zip == good


@pytest.mark.parametrize(
    ("bootstrap", "architecture", "message"),
    [
        (
            elf_header(0xB7),
            "x86_64",
            r"holds a bootstrap built for arm64, not for x86_64; accepted: a Linux executable for lambda_architecture "
            r"x86_64 \(GOOS=linux GOARCH=amd64\), or set lambda_architecture to arm64$",
        ),
        (elf_header(0x3E), "arm64", r"holds a bootstrap built for x86_64, not for arm64; .*GOARCH=arm64\)"),
        (
            elf_header(0x28),
            "x86_64",
            r"holds a bootstrap built for another processor, not for x86_64; accepted: .*GOARCH=amd64\)$",
        ),  # 32-bit ARM's machine id
        (b"#!/bin/sh\necho hello\n", "x86_64", r"holds a bootstrap that is not a 64-bit Linux executable"),
        (
            b"\xcf\xfa\xed\xfe" + bytes(60),
            "arm64",
            r"holds a bootstrap that is not a 64-bit Linux executable; .*GOOS=linux GOARCH=arm64\)$",
        ),
    ],
    ids=["arm64-on-x86", "x86-on-arm64", "other-machine", "script", "mach-o"],
)
def test_a_prebuilt_bootstrap_must_be_a_linux_executable_for_the_architecture(
    tmp_path: Path, bootstrap: bytes, architecture: str, message: str
) -> None:
    path = tmp_path / "lambda-function.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bootstrap", bootstrap)
    with pytest.raises(ConfigError, match=r"^lambda_zip: '.*lambda-function\.zip' " + message):
        load(lambda_zip=str(path), lambda_architecture=architecture)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"context": {"env": "prod",}}',
            r"^cdk\.json: not valid JSON \(Expecting property name enclosed in double quotes at line 1",
        ),
        ('{"app": "python3 app.py"}', r"^cdk\.json: has no context object; accepted: a JSON object with a context$"),
    ],
)
def test_a_broken_cdk_json_is_one_line_for_the_tools(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "cdk.json").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_context(tmp_path)


def test_the_operations_tools_report_a_broken_cdk_json_in_one_line(tmp_path: Path) -> None:
    from tools.ops.aws import AwsError, load_environment

    (tmp_path / "cdk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(AwsError, match=r"^cdk\.json: not valid JSON \(.*line 1, column 2\); accepted: "):
        load_environment("prod", tmp_path)


def test_prod_on_ecs_without_a_domain_must_accept_plain_http_explicitly() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^compute: 'ecs' in env=prod has no domain_name, so the load balancer would serve JWTs and payment "
        r"calls over plain HTTP; accepted: set domain_name \(HTTPS with its certificate\), or -c "
        r"ecs_allow_plain_http=true to accept plain HTTP$",
    ):
        load(compute="ecs")
    assert load(compute="ecs", ecs_allow_plain_http="true").ecs.allow_plain_http
    assert load(env="dev", compute="ecs").compute == "ecs"  # dev keeps working as it did
    with_domain = {
        "domain_name": "api.example.com",
        "hosted_zone_id": EXAMPLE_ZONE_ID,
        "hosted_zone_name": "example.com",
    }
    assert load(compute="ecs", **with_domain).api.domain is not None
