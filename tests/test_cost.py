"""The cost report: hand-computed cases, the break-even, errors, and that it prices the synth."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from tests.conftest import Synth
from tools.cost import CostError, inventory, prices, refresh
from tools.cost.__main__ import DEFAULT_VOLUMES, main, volume
from tools.cost.model import GIB, Usage, cdn_lines, ecs_lines, lambda_lines, shared_lines
from tools.cost.report import Comparison, compare, render, render_edge, render_sources

ROOT = Path(__file__).resolve().parent.parent

# Round test prices, so every expected figure below can be checked with pencil and paper.
TEST_PRICES = {
    "natgateway.hour": 0.05,
    "natgateway.gb": 0.05,
    "ipv4.public.hour": 0.005,
    "rds.postgres.db.t3.micro.multi_az_hour": 0.06,
    "rds.gp3.multi_az.gb_month": 0.25,
    "elasticache.redis.cache.t3.micro.hour": 0.02,
    "cloudwatch.alarm_month": 0.10,
    "cloudwatch.dashboard_month": 3.0,
    "cloudwatch.logs.ingest_gb": 0.5,
    "lambda.request_million": 0.20,
    "lambda.gb_second.x86_64": 0.00001,
    "apigateway.http.request_million": 1.0,
    "elb.alb.hour": 0.02,
    "elb.alb.lcu_hour": 0.01,
    "fargate.x86_64.vcpu_hour": 0.04,
    "fargate.x86_64.gb_hour": 0.004,
}


def _price_file(folder: Path, values: dict[str, float], region: str = "ap-southeast-1") -> Path:
    entries = {
        key: {"usd": usd, "unit": "unit", "source": "test figure", "date": "2026-11-01", "confidence": "price-list"}
        for key, usd in values.items()
    }
    path = folder / f"{region}.json"
    path.write_text(json.dumps({"region": region, "hours_per_month": 730, "prices": entries}), encoding="utf-8")
    return path


def _assembly(
    folder: Path,
    stacks: dict[str, dict[str, Any]],
    region: str = "ap-southeast-1",
    *,
    regions: dict[str, str] | None = None,
) -> Path:
    """A minimal cloud assembly: a manifest and one template per stack (in ``region``, or as ``regions`` says)."""
    folder.mkdir(parents=True)
    artifacts = {}
    for name, resources in stacks.items():
        (folder / f"{name}.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://unknown-account/{(regions or {}).get(name, region)}",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (folder / "manifest.json").write_text(json.dumps({"artifacts": artifacts}), encoding="utf-8")
    return folder


def _permanent(db_class: str = "db.t3.micro", storage: str = "gp3") -> dict[str, dict[str, Any]]:
    alarm = {"Type": "AWS::CloudWatch::Alarm", "Properties": {}}
    return {
        "Network": {
            "Eip": {"Type": "AWS::EC2::EIP", "Properties": {}},
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        },
        "Data": {
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBInstanceClass": db_class,
                    "MultiAZ": True,
                    "AllocatedStorage": "20",
                    "StorageType": storage,
                },
            },
            "Redis": {
                "Type": "AWS::ElastiCache::ReplicationGroup",
                "Properties": {"CacheNodeType": "cache.t3.micro", "NumCacheClusters": 2},
            },
            "A1": alarm,
            "A2": alarm,
        },
    }


LAMBDA_STACK = {
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 512, "Architectures": ["x86_64"]}},
    "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
    "Integration": {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {"IntegrationUri": {"Fn::GetAtt": ["Fn", "Arn"]}},
    },
    "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
}
ECS_STACK = {
    "Alb": {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b"], "Type": "application"},
    },
    "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "256", "Memory": "512"}},
    "Service": {
        "Type": "AWS::ECS::Service",
        "Properties": {"DesiredCount": 2, "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "Task"}},
    },
    "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
}


@pytest.fixture
def hand(tmp_path: Path) -> tuple[inventory.Inventory, inventory.Inventory, prices.PriceTable]:
    lam = inventory.read(_assembly(tmp_path / "lambda", {**_permanent(), "Lambda": LAMBDA_STACK}))
    ecs = inventory.read(_assembly(tmp_path / "ecs", {**_permanent(), "Ecs": ECS_STACK}))
    return lam, ecs, prices.load(_price_file(tmp_path, TEST_PRICES))


def test_shared_lines_match_a_hand_calculation(hand: Any) -> None:
    lam, _, table = hand
    usage = Usage(requests=1e6, nat_gb=10)
    got = {line.label: round(line.usd, 6) for line in shared_lines(lam, table, usage)}
    assert got == {
        "NAT gateway x1, 730 h": 36.5,  # 730 h x 0.05
        "NAT gateway data, 10 GB (assumed)": 0.5,
        "Public IPv4 x1 (NAT)": 3.65,  # the NAT gateway's Elastic IP, 730 h x 0.005
        "RDS PostgreSQL db.t3.micro Multi-AZ": 43.8,  # 730 x 0.06
        "RDS storage 20 GB gp3 Multi-AZ": 5.0,
        "ElastiCache Redis cache.t3.micro x2": 29.2,  # 2 x 730 x 0.02
        "CloudWatch alarm metrics x2": 0.2,
    }


def test_lambda_lines_match_a_hand_calculation(hand: Any) -> None:
    lam, _, table = hand
    usage = Usage(requests=2e6, avg_ms=250, log_bytes_lambda=1000)
    got = {line.label: round(line.usd, 6) for line in lambda_lines(lam, table, usage)}
    # 2M x 0.25 s x 0.5 GB = 250,000 GB-s; logs 2e9 B = 1.8626 GiB.
    assert got == {
        "Lambda requests": 0.4,
        "Lambda duration, 512 MB x86_64 x 250 ms": 2.5,
        "HTTP API requests": 2.0,
        "CloudWatch Logs, 1000 B/request": round(2e9 / GIB * 0.5, 6),
        "CloudWatch alarm metrics x1": 0.1,
    }


def test_ecs_lines_count_the_tasks_and_the_load_balancer(hand: Any) -> None:
    _, ecs, table = hand
    usage = Usage(requests=0, log_bytes_ecs=0)
    got = {line.label: round(line.usd, 6) for line in ecs_lines(ecs, table, usage)}
    assert got["Fargate 2 tasks x 0.25 vCPU, 0.5 GB x86_64"] == round(2 * 730 * (0.25 * 0.04 + 0.5 * 0.004), 6)
    assert got["Load balancer, hours"] == 14.6
    assert got["Public IPv4 x2 (load balancer)"] == 7.3  # one address per zone the ALB spans
    assert got["Load balancer, LCUs (one new connection per request)"] == 0
    assert got["CloudWatch dashboard x1"] == 3.0
    # 25 new connections a second for the whole month is one LCU.
    busy = Usage(requests=25 * 730 * 3600, response_kb=0)
    [lcu] = [line for line in ecs_lines(ecs, table, busy) if line.label.startswith("Load balancer, LCUs")]
    assert lcu.usd == pytest.approx(730 * 0.01)


def test_break_even_is_where_the_totals_cross(hand: Any) -> None:
    lam, ecs, table = hand
    usage = Usage(requests=0, avg_ms=100, response_kb=0, log_bytes_lambda=0, log_bytes_ecs=0)
    comparison = compare("prod", table, lam, ecs, usage, [1e6])
    # Both totals are linear in requests here: fixed + per-request.
    fixed_lambda, fixed_ecs = comparison.totals(0)
    per_request_lambda = (comparison.totals(1e6)[0] - fixed_lambda) / 1e6
    per_request_ecs = (comparison.totals(1e6)[1] - fixed_ecs) / 1e6
    expected = (fixed_ecs - fixed_lambda) / (per_request_lambda - per_request_ecs)
    # Hand check of the Lambda slope: 0.2e-6 + 0.05 GB-s x 1e-5 + 1e-6 per request.
    assert per_request_lambda == pytest.approx(0.2e-6 + 0.05 * 0.00001 + 1e-6)
    even = comparison.break_even()
    assert even is not None
    assert even == pytest.approx(expected, abs=2)
    low, high = comparison.totals(even - 10), comparison.totals(even + 10)
    assert low[0] < low[1]
    assert high[0] > high[1]


def test_prod_figures_match_the_hand_calculation_from_the_committed_prices(prod: Synth, ecs: Synth) -> None:
    table = prices.load(prices.default_path("ap-southeast-1"))
    usage = Usage(requests=1e6)
    comparison = compare("prod", table, inventory.read(prod.outdir), inventory.read(ecs.outdir), usage, [1e6])
    lambda_total, ecs_total = comparison.totals(1e6)
    # Prod: a NAT gateway in each of two zones, db.t3.micro Multi-AZ with 20 GB gp3, two
    # cache.t3.micro, 512 MB x86_64 Lambda or two 0.25 vCPU / 0.5 GB tasks behind an ALB,
    # and the outside-in probe of the compute stack's own address every 5 minutes.
    shared = (
        2 * 730 * 0.059 + 1 * 0.059  # NAT gateway hours, 1 GB through them
        + 2 * 730 * 0.005  # their Elastic IPs
        + 730 * 0.056 + 20 * 0.276  # RDS Multi-AZ instance and storage
        + 2 * 730 * 0.025  # Redis nodes
        + 11 * 0.10  # the data stack's alarms: five on RDS, three on each Redis node
        # AWS Backup of the 20 GB database and a 5 GB bucket, 2% changing a day: daily (35 days) and continuous
        # (14) in the region, two copies a day kept 35 days in ap-southeast-3, and the changes they carry there
        + (20 * 0.095 + 5 * 0.05) * ((1 + 34 * 0.02) + (1 + 13 * 0.02) + (1 + 68 * 0.02))
        + 2 * 730 / 24 * 0.02 * 25 * 0.09
        + 3 * 1.0  # KMS keys: the secrets key, the backup vault's, the copy vault's
    )  # fmt: skip
    probe = 730 * 12 * 0.0012  # 8,760 canary runs
    lambda_only = (
        0.20 + 1e6 * 0.1 * 0.5 * 0.0000166667 + 1.23  # requests, GB-seconds, HTTP API
        + 1e6 * 1100 / 2**30 * 0.70  # logs
        # 16 alarm metrics: nine alarms on one, the 5XX, 4XX, 429 and release 5XX rates on two each,
        # and the probe's; the dashboard; three custom metrics (429s, and the version's requests and 5XX)
        + 16 * 0.10 + 3.0 + 3 * 0.30 + probe
    )  # fmt: skip
    ecs_only = (
        730 * 0.0252 + (1e6 / (730 * 3600) / 25) * 730 * 0.008  # ALB hours and LCUs
        + 2 * 730 * 0.005  # its two public addresses
        + 2 * 730 * (0.25 * 0.05056 + 0.5 * 0.00553)  # Fargate
        + 1e6 * 250 / 2**30 * (0.70 + 0.059)  # logs, sent through the NAT gateway
        + 10 * 0.10 + 3.0 + probe  # seven alarms, the target 4XX rate on two metrics, the probe's
    )  # fmt: skip
    assert lambda_total == pytest.approx(shared + lambda_only, abs=0.005)
    assert ecs_total == pytest.approx(shared + ecs_only, abs=0.005)


def test_the_report_prices_what_the_synth_produced(prod: Synth, custom: Synth, dev: Synth) -> None:
    table = prices.load(prices.default_path("ap-southeast-1"))
    usage = Usage(requests=1e6)

    def duration(synth: Synth) -> tuple[str, float]:
        inv = inventory.read(synth.outdir)
        assert inv.function is not None
        on_demand = replace(inv, function=replace(inv.function, provisioned=0))
        [line] = [x for x in lambda_lines(on_demand, table, usage) if "duration" in x.label]
        return line.label, line.usd

    # prod-custom keeps 2 environments provisioned on the alias: billed while idle, with no sourced price.
    custom_inventory = inventory.read(custom.outdir)
    assert custom_inventory.function is not None
    assert custom_inventory.function.provisioned == 2
    with pytest.raises(CostError, match=r"^lambda_provisioned_concurrency: 2 environments are billed while idle"):
        lambda_lines(custom_inventory, table, usage)
    # prod-custom sets lambda_memory=1024 and lambda_architecture=arm64.
    prod_label, prod_usd = duration(prod)
    custom_label, custom_usd = duration(custom)
    assert prod_label == "Lambda duration, 512 MB x86_64 x 100 ms"
    assert prod_usd == pytest.approx(1e5 * 0.5 * 0.0000166667)  # 1M x 0.1 s x 0.5 GB
    assert custom_label == "Lambda duration, 1024 MB arm64 x 100 ms"
    assert custom_usd == pytest.approx(1e5 * 1.0 * 0.0000133334)

    labels = {x.label for x in shared_lines(inventory.read(custom.outdir), table, usage)}
    assert {"NAT gateway x2, 730 h", "Public IPv4 x2 (NAT)", "SSM interface endpoint x 3 zones"} <= labels
    # dev's defaults: one t4g.nano NAT instance, Graviton classes, Single-AZ.
    dev_lines = {x.label: x.usd for x in shared_lines(inventory.read(dev.outdir), table, usage)}
    assert dev_lines["NAT instance t4g.nano x1"] == pytest.approx(730 * 0.0053)
    assert dev_lines["NAT instance root volumes, 8 GB gp3"] == pytest.approx(8 * 0.096)
    assert dev_lines["Public IPv4 x1 (NAT)"] == pytest.approx(730 * 0.005)
    assert dev_lines["RDS PostgreSQL db.t4g.micro Single-AZ"] == pytest.approx(730 * 0.025)
    assert dev_lines["ElastiCache Redis cache.t4g.micro x1"] == pytest.approx(730 * 0.024)
    assert not any(label.startswith("NAT gateway") for label in dev_lines)


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        pytest.param(
            _permanent(db_class="db.r7g.large"),
            r"^RDS class db\.r7g\.large \(Multi-AZ\): no price in ap-southeast-1\.json "
            r"\(key 'rds\.postgres\.db\.r7g\.large\.multi_az_hour'\); accepted: the types that file lists",
            id="rds-class",
        ),
        pytest.param(
            _permanent(storage="io2"),
            r"^RDS storage type io2 \(Multi-AZ\): no price in ap-southeast-1\.json",
            id="rds-storage",
        ),
        pytest.param(
            {
                "Network": {
                    "Nat": {
                        "Type": "AWS::EC2::Instance",
                        "Properties": {"InstanceType": "c7gn.large", "SourceDestCheck": False},
                    }
                }
            },
            r"^NAT instance c7gn\.large: no price in ap-southeast-1\.json",
            id="nat-instance",
        ),
    ],
)
def test_an_unknown_type_is_a_clear_error_not_a_zero(tmp_path: Path, stacks: dict[str, Any], message: str) -> None:
    inv = inventory.read(_assembly(tmp_path / "a", stacks))
    table = prices.load(prices.default_path("ap-southeast-1"))
    with pytest.raises(CostError, match=message):
        shared_lines(inv, table, Usage(requests=1))


def test_the_probe_is_priced_per_run_and_the_alarms_custom_metrics_per_metric(tmp_path: Path) -> None:
    """8,760 runs at rate(5 minutes) over 730 h; one custom metric per name and dimensions, AWS's own free."""
    canary = {"Type": "AWS::Synthetics::Canary", "Properties": {"Schedule": {"Expression": "rate(5 minutes)"}}}

    def alarm(namespace: str, name: str, version: str = "1") -> dict[str, Any]:
        dimensions = [{"Name": "Version", "Value": version}]
        metric = {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}
        return {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"Metrics": [{"Id": "m", "MetricStat": {"Metric": metric}}]},
        }

    edge = {
        "Probe": canary,
        "A": alarm("anigmaa/backend", "ServerErrors"),
        "B": alarm("anigmaa/backend", "ServerErrors"),  # the same metric twice: billed once
        "C": alarm("anigmaa/backend", "Requests"),
        "D": alarm("AWS/Lambda", "Errors"),
        "E": alarm("CloudWatchSynthetics", "SuccessPercent"),
    }
    inv = inventory.read(_assembly(tmp_path / "a", {"Edge": edge}))
    assert (inv.probe_runs_per_hour, inv.custom_metrics) == (12.0, 2)
    lines = {
        line.label: round(line.usd, 2)
        for line in shared_lines(inv, prices.load(prices.default_path("ap-southeast-1")), Usage(requests=1))
    }
    assert lines["Outside-in probe, 8,760 canary runs"] == 10.51
    assert lines["CloudWatch custom metrics x2"] == 0.6
    hourly = {"Type": "AWS::Synthetics::Canary", "Properties": {"Schedule": {"Expression": "cron(0 * * * ? *)"}}}
    with pytest.raises(CostError, match=r"^Edge/Probe: Schedule 'cron\(0 \* \* \* \? \*\)' is not a rate\(N minutes\)"):
        inventory.read(_assembly(tmp_path / "b", {"Edge": {"Probe": hourly}}))


def test_an_endpoint_or_function_the_report_cannot_read_is_an_error(tmp_path: Path) -> None:
    endpoint = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "ServiceName": "ssm"}}
    with pytest.raises(CostError, match=r"^Network/Ssm: SubnetIds is None, not a literal list"):
        inventory.read(_assembly(tmp_path / "a", {"Network": {"Ssm": endpoint}}))
    function = {**LAMBDA_STACK, "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Architectures": ["risc"]}}}
    with pytest.raises(CostError, match=r"^Lambda/Fn: Architectures is \['risc'\]; the report prices x86_64 or arm64$"):
        inventory.read(_assembly(tmp_path / "b", {"Lambda": function}))


def test_usage_must_be_finite_and_not_negative() -> None:
    with pytest.raises(CostError, match=r"^avg_ms: nan is not a usable amount; accepted: a finite number >= 0$"):
        Usage(requests=1, avg_ms=float("nan"))
    with pytest.raises(CostError, match=r"^requests: inf is not a usable amount"):
        Usage(requests=float("inf"))
    with pytest.raises(CostError, match=r"^nat_gb: -1 is not a usable amount"):
        Usage(requests=1, nat_gb=-1)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"usd": "cheap"}, r"usd 'cheap' is not a price"),
        ({"usd": 1, "unit": "hour", "date": "2026-01-01", "confidence": "price-list"}, r"has no source"),
        ({"usd": 1, "unit": "h", "source": "s", "date": "Jan 2026", "confidence": "price-list"}, r"not YYYY-MM-DD"),
        ({"usd": 1, "unit": "h", "source": "s", "date": "2026-01-01", "confidence": "trust me"}, r"is not known"),
    ],
)
def test_a_malformed_price_file_is_one_clear_error(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"region": "ap-southeast-1", "prices": {"natgateway.hour": entry}}), encoding="utf-8")
    with pytest.raises(CostError, match=message):
        prices.load(path)


def test_a_price_file_prices_only_node_types_the_configuration_accepts(tmp_path: Path) -> None:
    path = _price_file(tmp_path, {"elasticache.redis.cache.x9.huge.hour": 1.0})
    with pytest.raises(CostError, match=r"cache\.x9\.huge is not an ElastiCache node type the app can create"):
        prices.load(path)


def test_every_committed_figure_has_a_source_a_date_and_a_refreshable_usage_type() -> None:
    table = prices.load(prices.default_path("ap-southeast-1"))
    raw = json.loads(prices.default_path("ap-southeast-1").read_text(encoding="utf-8"))["prices"]
    for key, price in table.prices.items():
        assert price.source, key
        assert price.date <= datetime.date.today().isoformat(), f"{key}: dated in the future"
        if price.confidence == "estimate":
            assert price.note, f"{key}: an estimate says how it was derived"
        # Not in the Price List, and no sourced usage type for a canary run: the refresh keeps them.
        if key not in ("cloudwatch.dashboard_month", "cloudwatch.synthetics.canary_run"):
            assert raw[key]["usage_type"].startswith("APS1-"), key
            refresh.service_for(key)


def test_the_cli_prints_both_paths_the_break_even_and_the_seed(
    prod: Synth, ecs: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--lambda-assembly", str(prod.outdir), "--ecs-assembly", str(ecs.outdir), "--requests", "1M", "50M"])
    out = capsys.readouterr().out
    assert code == 0
    assert "| **Total, Lambda** | ~$35 + API usage |" in out
    assert "| **Total, ECS** | ~$81 |" in out
    assert 'API Gateway: "$0.035 per request"' in out
    assert "Break-even: ECS costs no more than Lambda from about **" in out
    assert "| 1M | 50M |" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lambda-assembly", "cdk.out"], "--lambda-assembly and --ecs-assembly go together"),
        (["-c", "compute=ecs"], "-c compute=ecs: accepted: KEY=VALUE for a configuration key"),
        (["--lambda-assembly", "nowhere", "--ecs-assembly", "nowhere"], "nowhere: no manifest.json"),
    ],
)
def test_cli_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"cost: {message}")
    assert err.count("\n") == 1


def test_a_price_file_for_another_region_is_refused(hand: Any, tmp_path: Path) -> None:
    lam, ecs, _ = hand
    other = prices.load(_price_file(tmp_path, TEST_PRICES, region="eu-west-1"))
    with pytest.raises(CostError, match=r"stacks are in ap-southeast-1 but eu-west-1\.json prices eu-west-1"):
        compare("prod", other, lam, ecs, Usage(requests=1), [1])


# --------------------------------------------------------------------------- edge protection (CloudFront and WAF)

# Round us-east-1 test prices, beside TEST_PRICES' file: the cdn stack's figures come from there.
TEST_US_EAST_1_PRICES = {
    "waf.webacl_month": 5.0,
    "waf.rule_month": 1.0,
    "waf.request_million": 0.6,
    "cloudfront.asia.https.request_million": 1.0,
    "cloudfront.asia.dto.gb": 0.1,
    "cloudfront.function.invocation_million": 0.1,
    "cloudwatch.logs.vended_gb": 0.5,
    "cloudwatch.alarm_month": 0.2,
    "secretsmanager.secret_month": 0.4,
}


def _cdn_stack(
    rules: list[dict[str, Any]] | None = None, price_class: str = "PriceClass_200", keep: tuple[str, ...] = ("BLOCK",)
) -> dict[str, dict[str, Any]]:
    """A distribution behind a web ACL (a rate rule and CRS: 2 + 700 WCU) that logs what ``keep`` names."""
    rate = {"Name": "Rate", "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}
    common = {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
    logging_filter = {
        "DefaultBehavior": "DROP",
        "Filters": [
            {
                "Behavior": "KEEP",
                "Requirement": "MEETS_ANY",
                "Conditions": [{"ActionCondition": {"Action": action}} for action in keep],
            }
        ],
    }
    return {
        "Acl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Scope": "CLOUDFRONT",
                "Rules": rules or [rate, {"Name": "Common", "Statement": {"ManagedRuleGroupStatement": common}}],
            },
        },
        "Logging": {
            "Type": "AWS::WAFv2::LoggingConfiguration",
            "Properties": {
                "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-api"],
                "LoggingFilter": logging_filter,
            },
        },
        "Distribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "PriceClass": price_class,
                    "WebACLId": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "DefaultCacheBehavior": {
                        "ViewerProtocolPolicy": "https-only",
                        "FunctionAssociations": [{"EventType": "viewer-request", "FunctionARN": "arn"}],
                    },
                }
            },
        },
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Namespace": "AWS/WAFV2"}},
    }


def _secret(*replicas: str) -> dict[str, Any]:
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {"ReplicaRegions": [{"Region": region} for region in replicas]},
    }


def test_the_cdn_stack_is_priced_at_its_own_regions_prices(tmp_path: Path) -> None:
    """The us-east-1 stack is not refused as another region: its lines come from us-east-1's file beside the table."""
    stacks = {**_permanent(), "Lambda": LAMBDA_STACK, "Cdn": _cdn_stack()}
    stacks["Network"] = {**stacks["Network"], "Secret": _secret("us-east-1")}
    inv = inventory.read(_assembly(tmp_path / "a", stacks, regions={"Cdn": "us-east-1"}))
    assert inv.region == "ap-southeast-1"
    assert ("Cdn", "us-east-1") in inv.stack_regions
    assert inv.cdn == inventory.Cdn(
        region="us-east-1",
        web_acls=1,
        waf_rules=2,
        waf_capacity=702,
        waf_inspected=True,
        waf_logs_filtered=True,
        waf_logs=True,
        functions_per_request=1,
        alarms=1,
    )
    assert inv.alarms == 2  # the data stack's two, not the cdn stack's
    _price_file(tmp_path, TEST_US_EAST_1_PRICES, region="us-east-1")
    table = prices.load(_price_file(tmp_path, {**TEST_PRICES, "secretsmanager.secret_month": 0.5}))
    usage = Usage(requests=2e6, response_kb=8, waf_logged_share=0.05, waf_log_bytes=1000)
    got = {line.label: line.usd for line in shared_lines(inv, table, usage)}
    expected = {
        "Secrets Manager secrets x1": 0.5,  # at ap-southeast-1's test price
        "Secrets Manager replicas x1 (us-east-1)": 0.4,  # the replica at us-east-1's
        "AWS WAF web ACL x1": 5.0,
        "AWS WAF rules and rule groups x2 (702 WCU, no surcharge)": 2.0,
        "AWS WAF requests inspected": 2 * 0.6,
        "CloudFront HTTPS requests (Asia)": 2 * 1.0,
        "CloudFront data transfer out, 8 KB/response (Asia)": 2e6 * 8 * 1024 / GIB * 0.1,
        "CloudFront Functions, 1 a request": 2 * 0.1,
        "AWS WAF logs, 5% of requests x 1000 B": 2e6 * 0.05 * 1000 / GIB * 0.5,
        "CloudWatch alarm metrics x1": 0.2,  # the cdn stack's, at us-east-1's test price
    }
    for label, usd in expected.items():
        assert got[label] == pytest.approx(usd), label
    assert [line.group for line in cdn_lines(inv, table, usage)] == ["cdn"] * 8
    # A web ACL that logs every request is priced so.
    logs_all = _cdn_stack()
    logs_all["Logging"]["Properties"].pop("LoggingFilter")
    everything = inventory.read(
        _assembly(tmp_path / "b", {"Cdn": logs_all, **_permanent()}, regions={"Cdn": "us-east-1"})
    )
    [log_line] = [line for line in cdn_lines(everything, table, usage) if line.label.startswith("AWS WAF logs")]
    assert log_line.label == "AWS WAF logs, 100% of requests x 1000 B"


@pytest.mark.parametrize(
    ("cdn", "message"),
    [
        pytest.param(
            _cdn_stack(
                rules=[
                    {
                        "Name": "Bots",
                        "Statement": {
                            "ManagedRuleGroupStatement": {
                                "VendorName": "AWS",
                                "Name": "AWSManagedRulesBotControlRuleSet",
                            }
                        },
                    }
                ]
            ),
            r"^Cdn/Acl: rule Bots runs AWS's AWSManagedRulesBotControlRuleSet, whose fees and WCU the report does not "
            r"know",
            id="paid-rule-group",
        ),
        pytest.param(
            _cdn_stack(price_class="PriceClass_100"),
            r"^Cdn/Distribution: PriceClass 'PriceClass_100' serves Indonesia from edges outside Asia",
            id="price-class",
        ),
        pytest.param(
            _cdn_stack(
                rules=[
                    {
                        "Name": group,
                        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
                    }
                    for group in (
                        "AWSManagedRulesCommonRuleSet",
                        "AWSManagedRulesCommonRuleSet",
                        "AWSManagedRulesCommonRuleSet",
                    )
                ]
            ),
            r"^Cdn/Acl: 2100 WCU is above the 1,500 a web ACL includes; the report does not price the surcharge$",
            id="capacity",
        ),
    ],
)
def test_an_edge_the_report_cannot_price_is_a_clear_error(tmp_path: Path, cdn: dict[str, Any], message: str) -> None:
    with pytest.raises(CostError, match=message):
        inventory.read(_assembly(tmp_path / "a", {**_permanent(), "Cdn": cdn}, regions={"Cdn": "us-east-1"}))


def test_a_replica_in_a_region_without_a_price_file_is_refused(tmp_path: Path) -> None:
    inv = inventory.read(_assembly(tmp_path / "a", {"Network": {"Secret": _secret("eu-south-2")}}))
    table = prices.load(prices.default_path("ap-southeast-1"))
    with pytest.raises(CostError, match=r"^price file .*eu-south-2\.json: not found"):
        shared_lines(inv, table, Usage(requests=1))


def test_every_committed_us_east_1_figure_says_where_it_comes_from() -> None:
    """The edge's prices: sourced and dated; what the research files do not verify says so."""
    table = prices.load(prices.default_path("us-east-1"))
    raw = json.loads(prices.default_path("us-east-1").read_text(encoding="utf-8"))["prices"]
    assert table.region == "us-east-1"
    for key, price in table.prices.items():
        assert price.date <= datetime.date.today().isoformat(), f"{key}: dated in the future"
        if price.confidence == "estimate":
            assert price.note, f"{key}: an estimate says how it was derived"
        assert "research" in price.source, f"{key}: says whether the project's research has it"
        if "usage_type" in raw[key]:
            refresh.service_for(key)
    # The research's own figures (edge-protection.md section 5), and its unverified request price marked so.
    assert {k: table.prices[k].usd for k in ("waf.webacl_month", "waf.rule_month", "waf.request_million")} == {
        "waf.webacl_month": 5.0,
        "waf.rule_month": 1.0,
        "waf.request_million": 0.6,
    }
    assert table.prices["cloudfront.asia.dto.gb"].usd == 0.12
    assert table.prices["cloudfront.asia.https.request_million"].confidence == "estimate"
    assert "not verified" in table.prices["cloudfront.asia.https.request_million"].source


def _edge_comparisons(synth: Callable[[str], Synth], volumes: list[float]) -> tuple[Comparison, Comparison]:
    """prod with a domain, edge protection on (prod-edge) and off (prod-domain), each in both compute modes."""
    table = prices.load(prices.default_path("ap-southeast-1"))
    usage = Usage(requests=volumes[0])
    on, off = (
        compare(
            "prod",
            table,
            inventory.read(synth(name).outdir),
            inventory.read(synth(f"{name}-ecs").outdir),
            usage,
            volumes,
        )
        for name in ("prod-edge", "prod-domain")
    )
    return on, off


def test_edge_protection_costs_what_its_prices_say(synth: Callable[[str], Synth]) -> None:
    """prod with a domain, edge protection on against off: the difference, worked out from the committed prices."""
    volumes = [volume(DEFAULT_VOLUMES[0]), 1e6, 10e6]
    on, off = _edge_comparisons(synth, volumes)
    cdn = on.lambda_inventory.cdn
    assert cdn is not None
    assert (cdn.region, cdn.web_acls, cdn.waf_rules, cdn.waf_capacity) == ("us-east-1", 1, 5, 978)
    assert (on.lambda_inventory.secrets, on.lambda_inventory.secret_replicas) == (1, ("us-east-1",))

    def by_hand(n: float) -> float:
        # The rate rule (2 WCU, +1 for its IP set) and four managed groups: 25 + 50 + 700 + 200.
        return (
            5.00 + 5 * 1.00  # the web ACL, its rate rule and four managed rule groups
            + n / 1e6 * 0.60  # requests inspected
            + n / 1e6 * 1.20  # CloudFront HTTPS requests, Asia ($0.012 per 10,000)
            + n * 4 * 1024 / 2**30 * 0.120  # 4 KB out per response, Asia
            + n / 1e6 * 0.10  # the origin selector, once a request
            + n * 0.02 * 2000 / 2**30 * 0.50  # 2% of requests logged, 2,000 B each
            + 2 * 0.10  # the edge's two alarms, in us-east-1
            + 0.40 + 0.40  # the origin secret and its us-east-1 replica
        )  # fmt: skip

    for n in volumes:
        (lambda_on, ecs_on), (lambda_off, ecs_off) = on.totals(n), off.totals(n)
        assert lambda_on - lambda_off == pytest.approx(by_hand(n), abs=0.005), n
        assert ecs_on - ecs_off == pytest.approx(by_hand(n), abs=0.005), n
    assert round(by_hand(1e5), 2) == 11.24
    assert round(by_hand(1e6), 2) == 13.38
    assert round(by_hand(1e7), 2) == 34.76
    text = render(on)
    assert "| **Edge protection: CloudFront and AWS WAF (us-east-1)** |" in text
    assert "always-free 1 TB, 10M requests and 2M function invocations a month per account" in text
    assert "are not credited, as no free tier is in this report" in text
    assert "Flat-rate alternative, not modelled: CloudFront's Pro plan is $15 a month" in text
    assert "Edge protection" not in render(off)
    sources = render_sources(on)
    assert sources.startswith("**Prices used (ap-southeast-1.json, us-east-1.json)**")
    assert "| `us-east-1:waf.webacl_month` | 5 | web ACL-month |" in sources


# --------------------------------------------------------------------------- refresh


def _product(usd_by_begin: dict[str, str]) -> str:
    dimensions = {
        f"rate{i}": {"beginRange": begin, "pricePerUnit": {"USD": usd}, "unit": "Hrs"}
        for i, (begin, usd) in enumerate(usd_by_begin.items())
    }
    return json.dumps({"product": {}, "terms": {"OnDemand": {"term": {"priceDimensions": dimensions}}}})


def _fake_api(answers: dict[str, list[str]]) -> Callable[..., dict[str, Any]]:
    def get_products(ServiceCode: str, Filters: list[dict[str, str]], **_: Any) -> dict[str, Any]:  # noqa: N803
        [usage_type] = [f["Value"] for f in Filters if f["Field"] == "usagetype"]
        return {"PriceList": answers.get(usage_type, [])}

    return get_products


def test_refresh_replaces_what_the_api_answers_and_keeps_the_rest() -> None:
    table = json.loads(prices.default_path("ap-southeast-1").read_text(encoding="utf-8"))
    api = _fake_api(
        {
            "APS1-NatGateway-Hours": [_product({"0": "0.0620000000"})],
            # Tiered: the first tier is the one priced.
            "APS1-Lambda-GB-Second": [_product({"0": "0.0000166667", "6000000000": "0.0000150000"})],
            # Per request in the Price List, per million in the table.
            "APS1-ApiGatewayHttpRequest": [_product({"0": "0.0000012000"})],
            # Two products with different prices: no single answer, so the figure is kept.
            "APS1-LCUUsage": [_product({"0": "0.008"}), _product({"0": "0.009"})],
        }
    )
    new, refreshed, kept = refresh.refresh(table, "ap-southeast-1", api, "2026-11-28")
    assert sorted(refreshed) == ["apigateway.http.request_million", "lambda.gb_second.x86_64", "natgateway.hour"]
    assert new["prices"]["natgateway.hour"]["usd"] == 0.062
    assert new["prices"]["natgateway.hour"]["confidence"] == "price-list"
    assert new["prices"]["natgateway.hour"]["date"] == "2026-11-28"
    assert new["prices"]["apigateway.http.request_million"]["usd"] == pytest.approx(1.2)
    assert new["prices"]["lambda.gb_second.x86_64"]["usd"] == 0.0000166667
    assert new["prices"]["elb.alb.lcu_hour"] == table["prices"]["elb.alb.lcu_hour"]
    assert "elb.alb.lcu_hour" in kept
    assert "cloudwatch.dashboard_month" in kept


def test_refresh_for_another_region_swaps_the_usage_type_prefix() -> None:
    table = json.loads(prices.default_path("ap-southeast-1").read_text(encoding="utf-8"))
    asked: list[str] = []

    def get_products(ServiceCode: str, Filters: list[dict[str, str]], **_: Any) -> dict[str, Any]:  # noqa: N803
        asked.extend(f["Value"] for f in Filters if f["Field"] == "usagetype")
        return {"PriceList": []}

    new, _, _ = refresh.refresh(table, "eu-west-1", get_products, "2026-11-28")
    assert new["region"] == "eu-west-1"
    assert "EU-NatGateway-Hours" in asked
    assert "EU-InstanceUsage:db.t3.micro" in asked
    assert not [u for u in asked if u.startswith("APS1-")]


def test_refresh_calls_the_price_list_api_as_botocore_defines_it() -> None:
    # Placeholder credentials on a session of its own; the stubbed client sends nothing.
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    client = session.client("pricing", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [_product({"0": "0.0250000000"})], "FormatVersion": "aws_v1"},
            {
                "ServiceCode": "AmazonRDS",
                "Filters": [
                    {"Type": "TERM_MATCH", "Field": "usagetype", "Value": "APS1-InstanceUsage:db.t4g.micro"},
                    {"Type": "TERM_MATCH", "Field": "databaseEngine", "Value": "PostgreSQL"},
                ],
            },
        )
        usd = refresh.lookup(
            client.get_products, "rds.postgres.db.t4g.micro.single_az_hour", "APS1-InstanceUsage:db.t4g.micro"
        )
        stub.assert_no_pending_responses()
    assert usd == 0.025


def test_refresh_without_credentials_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class NoCredentials:
        """A pricing client as boto3 behaves with no credentials (nothing is sent)."""

        def get_products(self, **_: Any) -> dict[str, Any]:
            raise NoCredentialsError

    monkeypatch.setattr(refresh, "client", lambda service, region: NoCredentials())
    out = tmp_path / "out.json"
    assert refresh.main(["--out", str(out)]) == 1
    assert (
        capsys.readouterr().err
        == "cost.refresh: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/…) and retry\n"
    )
    assert not out.exists()


def test_refresh_refuses_a_missing_start_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refresh.main(["--from", str(tmp_path / "typo.json"), "--out", str(tmp_path / "out.json")]) == 1
    assert capsys.readouterr().err.startswith(f"cost.refresh: price file {tmp_path / 'typo.json'}: not found")


def test_refresh_does_not_take_a_zero_or_carry_a_region_over_as_verified() -> None:
    table = json.loads(prices.default_path("ap-southeast-1").read_text(encoding="utf-8"))
    free_tier = _fake_api({"EU-NatGateway-Hours": [_product({"0": "0.0000000000"})]})
    new, refreshed, kept = refresh.refresh(table, "eu-west-1", free_tier, "2026-11-28")
    assert refreshed == []
    nat = new["prices"]["natgateway.hour"]
    assert (nat["usd"], nat["confidence"]) == (0.059, "estimate")
    assert nat["note"] == "Not refreshed: carried over from ap-southeast-1."
    assert len(kept) == len(table["prices"])


# --------------------------------------------------------------------------- docs/costs.md


def _comparison(synth: Callable[[str], Synth], name: str, env: str) -> Comparison:
    table = prices.load(prices.default_path("ap-southeast-1"))
    lam, ecs = inventory.read(synth(name).outdir), inventory.read(synth(f"{name}-ecs").outdir)
    volumes = [volume(v) for v in DEFAULT_VOLUMES]
    return compare(env, table, lam, ecs, Usage(requests=volumes[0]), volumes)


COSTS_GUIDE = ROOT / "docs" / "costs.md"


def _guide_block(name: str) -> str:
    text = COSTS_GUIDE.read_text(encoding="utf-8")
    start, end = f"<!-- cost:{name}:start -->\n", f"\n<!-- cost:{name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_the_cost_guide_s_tables_are_the_tools_output(synth: Callable[[str], Synth], env: str) -> None:
    assert _guide_block(env) == render(_comparison(synth, env, env)), (
        f"docs/costs.md's {env} cost table is stale: paste the output of make cost env={env}"
    )


def test_the_cost_guide_s_figures_for_the_cheapest_prod_are_the_tools(synth: Callable[[str], Synth]) -> None:
    lean = _comparison(synth, "prod-lean", "prod").totals(1e6)
    seed_shape = _comparison(synth, "prod", "prod").totals(1e6)
    block = _guide_block("lean")
    assert f"**${lean[0]:.2f} on Lambda and ${lean[1]:.2f} on ECS**" in block
    assert f"against ${seed_shape[0]:.2f} and\n${seed_shape[1]:.2f}" in block
    saving = round(100 * (1 - lean[0] / seed_shape[0]))
    assert f"(-{saving}% on Lambda)" in block


def _guide_option_effect(setting: str) -> str:
    """The effect cell of docs/costs.md's cost-option row for ``setting``."""
    text = COSTS_GUIDE.read_text(encoding="utf-8")
    [row] = [line for line in text.splitlines() if line.startswith("| ") and f"| `{setting}`" in line]
    return row.split(" | ")[2]


def test_the_cost_guide_s_option_effects_are_the_models(synth: Callable[[str], Synth]) -> None:
    seed_shape = _comparison(synth, "prod", "prod")
    lam, ecs = seed_shape.lambda_inventory, seed_shape.ecs_inventory
    assert lam.function is not None
    assert lam.database is not None
    assert lam.cache is not None

    def delta(volume: float, mode: int, **changes: Any) -> str:
        changed = replace(seed_shape, lambda_inventory=replace(lam, **changes), ecs_inventory=replace(ecs, **changes))
        amount = changed.totals(volume)[mode] - seed_shape.totals(volume)[mode]
        return f"{'+' if amount > 0 else '-'}${abs(amount):.2f}"

    nat_instance = {
        "nat_gateways": 0,
        "elastic_ips": 0,
        "nat_instances": ("t4g.nano", "t4g.nano"),
        "nat_instance_public_ips": 2,
    }
    effects = {
        "nat_provider=instance": (
            f"{delta(1e6, 0, **nat_instance)} (ECS: {delta(1e6, 1, **nat_instance)}, "
            "its logs no longer pay NAT processing)"
        ),
        "nat_gateways=1": delta(1e6, 0, nat_gateways=1, elastic_ips=1),
        "lambda_architecture=arm64": (
            f"{delta(1e6, 0, function=replace(lam.function, architecture='arm64'))} "
            f"({delta(1e8, 0, function=replace(lam.function, architecture='arm64'))} at 100M)"
        ),
        "db_instance_class=db.t4g.micro": delta(1e6, 0, database=replace(lam.database, instance_class="db.t4g.micro")),
        "cache_node_type=cache.t4g.micro": delta(1e6, 0, cache=replace(lam.cache, node_type="cache.t4g.micro")),
        "ssm_endpoint=true": delta(1e6, 0, interface_endpoints=(("ssm", 2),)),
    }
    for setting, effect in effects.items():
        assert _guide_option_effect(setting) == effect, setting

    # The four options of the cheapest prod add up to what its real synth costs.
    lean = _comparison(synth, "prod-lean", "prod").totals(1e6)[0] - seed_shape.totals(1e6)[0]
    parts = [
        "nat_provider=instance",
        "lambda_architecture=arm64",
        "db_instance_class=db.t4g.micro",
        "cache_node_type=cache.t4g.micro",
    ]
    total_of_parts = sum(float(_guide_option_effect(p).split()[0].replace("$", "")) for p in parts)
    assert lean == pytest.approx(total_of_parts, abs=0.02)


def test_the_cost_guide_s_edge_protection_table_is_the_tools(synth: Callable[[str], Synth]) -> None:
    on, off = _edge_comparisons(synth, [1e6, 10e6])
    assert _guide_block("edge") == render_edge(on, off), (
        "docs/costs.md's edge protection table is stale: paste render_edge's output for prod-edge against prod-domain"
    )
    # The paragraph after it: the fixed part, and what each further million requests adds.
    added = [on.totals(n)[0] - off.totals(n)[0] for n in (1e6, 10e6)]
    per_million = (added[1] - added[0]) / 9
    fixed = 5.00 + 5 * 1.00
    assert added[0] == pytest.approx(fixed + 0.80 + 0.20 + per_million, abs=0.005)  # + the secret, its replica, alarms
    text = COSTS_GUIDE.read_text(encoding="utf-8")
    assert f"The web ACL and its rules are ${fixed:.2f} a month whatever the traffic" in text
    assert f"about ${per_million:.2f} a million requests" in text
