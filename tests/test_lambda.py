"""Lambda compute stack: the function, its environment, IAM, logs, HTTP API and domain."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from tests.conftest import EXAMPLE_LAYER_ARN, Synth, kept_log_group_name


def _function(synth: Synth) -> dict[str, Any]:
    functions: list[dict[str, Any]] = [
        r
        for r in synth.json("compute")["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("FunctionName") == synth.config.function.function_name
    ]
    [function] = functions
    return function


def _backend_policy(synth: Synth) -> dict[str, Any]:
    """The function's own policy (not the pre-traffic hook's or CodeDeploy's)."""
    role = _function(synth)["Properties"]["Role"]["Fn::GetAtt"][0]
    policies: list[dict[str, Any]] = [
        r
        for r in synth.json("compute")["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role}]
    ]
    [policy] = policies
    return policy


def _import(export_fragment: str) -> dict[str, Any]:
    return {"Fn::ImportValue": Match.string_like_regexp(export_fragment)}


def test_function_follows_the_seed(prod: Synth) -> None:
    prod.templates["compute"].has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "anigmaa-backend",
            "Runtime": "provided.al2",
            "Handler": "bootstrap",
            "MemorySize": 512,
            "Timeout": 24,
            "Architectures": ["x86_64"],
            "TracingConfig": {"Mode": "Active"},
            "VpcConfig": {
                "SubnetIds": [_import("PrivateSubnet1"), _import("PrivateSubnet2")],
                "SecurityGroupIds": [_import("LambdaSecurityGroup")],
            },
        },
    )


def test_environment_is_the_seeds_table_without_aws_region(prod: Synth) -> None:
    variables = _function(prod)["Properties"]["Environment"]["Variables"]
    plain = {k: v for k, v in variables.items() if isinstance(v, str)}
    assert plain == {
        "PORT": "8080",
        "ENV": "prod",
        "DB_PORT": "5432",
        "DB_USER": "anigmaa_app",
        "DB_NAME": "anigmaa",
        "DB_IAM_AUTH": "true",
        "DB_SSLMODE": "verify-full",
        "DB_SSLROOTCERT": "rds",
        "DB_MAX_CONNS": "2",
        "REQUEST_DEADLINE_MS": "23000",
        "REDIS_PORT": "6379",
        "REDIS_TLS": "true",
        "STORAGE_TYPE": "s3",
        "ALLOWED_ORIGINS": "",
        "MIDTRANS_CLIENT_KEY": "",
        "MIDTRANS_IS_PRODUCTION": "true",
        "JWT_SECRET_PARAM": "/anigmaa/prod/JWT_SECRET",
        "REDIS_PASSWORD_PARAM": "/anigmaa/prod/REDIS_PASSWORD",
        "MIDTRANS_SERVER_KEY_PARAM": "/anigmaa/prod/MIDTRANS_SERVER_KEY",
    }
    assert "DatabaseInstance" in variables["DB_HOST"]["Fn::ImportValue"]
    assert "EndpointAddress" in variables["DB_HOST"]["Fn::ImportValue"]
    assert "PrimaryEndPointAddress" in variables["REDIS_HOST"]["Fn::ImportValue"]
    assert variables["AWS_BUCKET"]["Fn::ImportValue"].startswith("anigmaa-prod-data:ExportsOutputRefAssetsBucket")
    assert "AWS_REGION" not in variables  # reserved: the Lambda runtime sets it


def test_no_secret_value_or_secret_variable_reaches_the_function(prod: Synth, custom: Synth) -> None:
    for synth in (prod, custom):
        variables = _function(synth)["Properties"]["Environment"]["Variables"]
        for secret in ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY"):
            assert secret not in variables
        assert "resolve:ssm" not in json.dumps(synth.json("compute"))


def test_function_reads_exactly_its_three_parameters_and_never_the_database_password(prod: Synth) -> None:
    policy = _backend_policy(prod)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    [ssm] = [s for s in statements if "ssm" in json.dumps(s["Action"])]
    assert ssm["Action"] == "ssm:GetParameters"
    resources = sorted(json.dumps(arn) for arn in ssm["Resource"])
    assert len(resources) == 3
    for name in ("JWT_SECRET", "MIDTRANS_SERVER_KEY", "REDIS_PASSWORD"):
        assert any(f":parameter/anigmaa/prod/{name}" in arn for arn in resources)
    # It connects as anigmaa_app with IAM tokens: the master password is for break-glass only.
    assert "DB_PASSWORD" not in json.dumps(policy)


def test_function_may_connect_to_the_database_as_the_app_role_only(prod: Synth) -> None:
    statements = _backend_policy(prod)["Properties"]["PolicyDocument"]["Statement"]
    [connect] = [s for s in statements if "rds-db:" in json.dumps(s["Action"])]
    assert connect["Action"] == "rds-db:connect"
    # arn:${Partition}:rds-db:${Region}:${Account}:dbuser:*/anigmaa_app: any instance of the account, so a
    # promoted restore (a new DbiResourceId under the same identifier) still lets the backend in.
    assert connect["Resource"] == {
        "Fn::Join": ["", ["arn:aws:rds-db:ap-southeast-1:", {"Ref": "AWS::AccountId"}, ":dbuser:*/anigmaa_app"]]
    }
    assert "Condition" not in connect


def test_function_decrypts_with_the_secrets_key_through_ssm_for_its_three_parameters_only(prod: Synth) -> None:
    statements = _backend_policy(prod)["Properties"]["PolicyDocument"]["Statement"]
    [decrypt] = [s for s in statements if "kms:" in json.dumps(s["Action"])]
    assert decrypt["Action"] == "kms:Decrypt"
    key = decrypt["Resource"]["Fn::ImportValue"]
    assert key.startswith("anigmaa-prod-network:")
    assert "SecretsKey" in key
    condition = decrypt["Condition"]["StringEquals"]
    assert condition["kms:ViaService"] == "ssm.ap-southeast-1.amazonaws.com"
    parameters = [json.dumps(arn) for arn in condition["kms:EncryptionContext:PARAMETER_ARN"]]
    assert len(parameters) == 3
    for name in ("JWT_SECRET", "MIDTRANS_SERVER_KEY", "REDIS_PASSWORD"):
        assert sum(f":parameter/anigmaa/prod/{name}" in arn for arn in parameters) == 1


def _roles_and_policies(synth: Synth, function_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The role of the function named ``function_name`` and the statements of the policies attached to it."""
    resources = synth.json("compute")["Resources"]
    [function] = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == function_name
    ]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    return resources[role_id], statements


def _log_group_id(synth: Synth, name: str) -> str:
    """The logical ID of the kept log group whose name starts with ``name``."""
    resources = synth.json("compute")["Resources"]
    [log_id] = [
        str(k)
        for k, r in resources.items()
        if r["Type"] == "AWS::Logs::LogGroup" and r["Properties"].get("LogGroupName") == kept_log_group_name(name)
    ]
    return log_id


def test_the_function_and_its_hook_write_to_their_own_log_groups_only(prod: Synth) -> None:
    """No AWSLambdaBasicExecutionRole (logs on any group): each role writes to its function's group, nowhere else."""
    for function_name in ("anigmaa-backend", "anigmaa-prod-pre-traffic"):
        role, statements = _roles_and_policies(prod, function_name)
        assert "ManagedPolicyArns" not in role["Properties"]
        assert "Policies" not in role["Properties"]
        logs = [s for s in statements if "logs:" in json.dumps(s["Action"])]
        own = {"Fn::GetAtt": [_log_group_id(prod, f"/aws/lambda/{function_name}"), "Arn"]}
        assert logs == [
            {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow", "Resource": own}
        ], function_name


def test_the_functions_role_keeps_the_logical_id_it_had_so_it_is_updated_in_place(prod: Synth) -> None:
    """A replaced role would be deleted after the update, and a version published before could not start."""
    resources = prod.json("compute")["Resources"]
    [function] = [r for r in resources.values() if r["Properties"].get("FunctionName") == "anigmaa-backend"]
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["BackendFunctionServiceRoleE32AFFE8", "Arn"]}
    assert resources["BackendFunctionServiceRoleE32AFFE8"]["Type"] == "AWS::IAM::Role"


def test_the_function_manages_network_interfaces_in_its_account_and_region_only(prod: Synth) -> None:
    _, statements = _roles_and_policies(prod, "anigmaa-backend")
    [interfaces] = [s for s in statements if "ec2:CreateNetworkInterface" in json.dumps(s["Action"])]
    assert interfaces["Action"] == [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
    ]
    assert interfaces["Resource"] == {
        "Fn::Join": ["", ["arn:aws:ec2:ap-southeast-1:", {"Ref": "AWS::AccountId"}, ":*/*"]]
    }
    # The hook reaches nothing in the VPC: it has no network interface to manage.
    _, hook = _roles_and_policies(prod, "anigmaa-prod-pre-traffic")
    assert not [s for s in hook if "ec2:" in json.dumps(s["Action"])]


def test_function_reads_and_writes_exactly_its_bucket(prod: Synth) -> None:
    policy = _backend_policy(prod)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    s3 = [s for s in statements if "s3:" in json.dumps(s["Action"])]
    bucket_arn = {"Fn::ImportValue": "anigmaa-prod-data:ExportsOutputFnGetAttAssetsBucket252B3DF7ArnCAD0E1B6"}
    assert s3 == [
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": bucket_arn},
        {
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [bucket_arn, "/*"]]},
        },
    ]
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == [
        ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    ]


def test_log_group_is_explicit_retained_for_a_period_and_handed_to_the_function(prod: Synth) -> None:
    resources = prod.json("compute")["Resources"]
    log_id = _log_group_id(prod, "/aws/lambda/anigmaa-backend")
    assert resources[log_id]["Properties"]["RetentionInDays"] == 90
    assert _function(prod)["Properties"]["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": {"Ref": log_id}}


def test_every_log_group_of_the_stack_outlives_it_under_a_name_of_its_own(prod: Synth) -> None:
    """A rollback deletes the compute stack: its logs stay, and a new stack's groups take new names."""
    groups = {k: r for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    names = {
        "/aws/lambda/anigmaa-backend",
        "/aws/lambda/anigmaa-prod-pre-traffic",
        "/aws/apigateway/anigmaa",
    }
    assert len(groups) == len(names)
    assert {_log_group_id(prod, name) for name in names} == set(groups)
    for group in groups.values():
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_a_request_deadline_leaves_the_frame_a_second_to_answer_within_the_timeout(prod: Synth, custom: Synth) -> None:
    """30 s of the HTTP API = 6 s of a cold start + the timeout; the frame answers 1 s before it."""
    for synth, timeout in ((prod, 24), (custom, 20)):
        function = _function(synth)["Properties"]
        assert function["Timeout"] == timeout
        assert function["Environment"]["Variables"]["REQUEST_DEADLINE_MS"] == str((timeout - 1) * 1000)


def test_http_api_sends_everything_to_the_live_alias_with_payload_v2(prod: Synth) -> None:
    """The API invokes the alias, never the function's $LATEST: CodeDeploy decides which version answers."""
    template = prod.templates["compute"]
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"Name": "anigmaa", "ProtocolType": "HTTP"})
    [alias_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::Lambda::Alias"]
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0", "IntegrationUri": {"Ref": alias_id}},
    )
    template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default"})
    [permission] = [
        r["Properties"] for r in prod.json("compute")["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"
    ]
    assert (permission["Principal"], permission["FunctionName"]) == ("apigateway.amazonaws.com", {"Ref": alias_id})


def test_default_stage_throttles_at_what_the_reservation_serves_and_writes_json_access_logs(prod: Synth) -> None:
    template = prod.templates["compute"]
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": kept_log_group_name("/aws/apigateway/anigmaa"), "RetentionInDays": 90},
    )
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            # 16 reserved environments at 100 ms each: 160 requests/s, 16 at once.
            "DefaultRouteSettings": {"ThrottlingRateLimit": 160, "ThrottlingBurstLimit": 16},
            "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("requestId")},
        },
    )
    stage = next(r for r in prod.json("compute")["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    access_log = json.loads(stage["Properties"]["AccessLogSettings"]["Format"])
    assert access_log["requestId"] == "$context.requestId"
    assert access_log["status"] == "$context.status"


def test_no_cors_without_origins_and_cors_from_allowed_origins(prod: Synth, custom: Synth) -> None:
    api = next(r for r in prod.json("compute")["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    assert "CorsConfiguration" not in api["Properties"]
    custom.templates["compute"].has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "CorsConfiguration": {
                "AllowOrigins": ["https://app.anigmaa.example", "https://admin.anigmaa.example"],
                "AllowMethods": ["*"],
                "AllowHeaders": ["Authorization", "Content-Type", "X-Requested-With"],
                "MaxAge": 3600,
            }
        },
    )
    variables = _function(custom)["Properties"]["Environment"]["Variables"]
    assert variables["ALLOWED_ORIGINS"] == "https://app.anigmaa.example,https://admin.anigmaa.example"


def test_outputs_include_the_seeds_api_gateway_endpoint(prod: Synth) -> None:
    outputs = prod.json("compute")["Outputs"]
    assert set(outputs) == {
        "ApiGatewayEndpoint",
        "FunctionName",
        "FunctionArn",
        "AliasArn",
        "DeploymentApplication",
        "DeploymentGroup",
        "FunctionLogGroup",
        "ApiId",
        "ApiAccessLogGroup",
    }
    [api_id] = [k for k, r in prod.json("compute")["Resources"].items() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    assert outputs["ApiGatewayEndpoint"]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    assert all("Export" not in output for output in outputs.values())  # without a domain, nothing imports from it


def test_no_custom_domain_unless_configured(prod: Synth) -> None:
    for kind in ("AWS::ApiGatewayV2::DomainName", "AWS::ApiGatewayV2::ApiMapping", "AWS::Route53::RecordSet"):
        prod.templates["compute"].resource_count_is(kind, 0)
    assert prod.stacks.edge is None


def test_custom_domain_uses_the_shared_certificate_and_maps_after_the_stage(custom: Synth) -> None:
    template = custom.templates["compute"]
    template.has_resource_properties(
        "AWS::ApiGatewayV2::DomainName",
        {
            "DomainName": "api.anigmaa.example",
            "DomainNameConfigurations": [
                Match.object_like(
                    {
                        "EndpointType": "REGIONAL",
                        "SecurityPolicy": "TLS_1_2",
                        "CertificateArn": {"Fn::ImportValue": Match.string_like_regexp("DomainCertificate")},
                    }
                )
            ],
        },
    )
    resources = custom.json("compute")["Resources"]
    [stage_id] = [k for k, r in resources.items() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    [mapping] = [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::ApiMapping"]
    assert stage_id in mapping["DependsOn"]
    assert mapping["Properties"]["Stage"] == "$default"
    assert "ApiMappingKey" not in mapping["Properties"]
    # The certificate and the DNS record belong to other stacks (network, edge).
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.resource_count_is("AWS::Route53::RecordSet", 0)
    assert custom.json("compute")["Outputs"]["CustomDomainUrl"]["Value"] == "https://api.anigmaa.example"


def test_runtime_architecture_memory_and_timeout_are_configurable(custom: Synth) -> None:
    custom.templates["compute"].has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "provided.al2023", "Architectures": ["arm64"], "MemorySize": 1024, "Timeout": 20},
    )


def test_layers_from_a_zip_and_from_arns(prod: Synth, custom: Synth) -> None:
    assert "Layers" not in _function(prod)["Properties"]
    custom.templates["compute"].has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["provided.al2023"], "CompatibleArchitectures": ["arm64"]},
    )
    layers = _function(custom)["Properties"]["Layers"]
    assert "DependenciesLayer" in layers[0]["Ref"]
    assert layers[1] == EXAMPLE_LAYER_ARN


def test_code_is_built_from_lambda_src_or_taken_from_the_prebuilt_zip(prod: Synth, prebuilt: Synth) -> None:
    built = _function(prod)["Metadata"]
    assert built["aws:asset:is-bundled"] is True
    assert (prod.outdir / built["aws:asset:path"] / "bootstrap").is_file()

    shipped = _function(prebuilt)["Metadata"]
    assert shipped["aws:asset:is-bundled"] is False
    assert shipped["aws:asset:path"].endswith(".zip")
    assert _function(prebuilt)["Properties"]["Code"]["S3Key"] != _function(prod)["Properties"]["Code"]["S3Key"]


def test_bundled_bootstrap_is_a_static_linux_binary_for_the_architecture(prod: Synth, custom: Synth) -> None:
    elf_machine = {"x86_64": 0x3E, "arm64": 0xB7}
    for synth, arch in ((prod, "x86_64"), (custom, "arm64")):
        binary = (synth.outdir / _function(synth)["Metadata"]["aws:asset:path"] / "bootstrap").read_bytes()
        assert binary[:4] == b"\x7fELF"
        assert int.from_bytes(binary[18:20], "little") == elf_machine[arch]


def test_provided_al2_raises_a_deprecation_warning_and_al2023_does_not(prod: Synth, custom: Synth) -> None:
    ours = [f for f in prod.findings if f.rule.endswith("anigmaa:runtime-provided-al2-deprecated")]
    assert len(ours) == 1
    assert ours[0].severity == "warning"
    for fact in ("2026-07-31", "2027-02-01", "2027-03-03", "lambda_runtime", "provided.al2023"):
        assert fact in ours[0].message
    assert not [f for f in custom.findings if "provided-al2" in f.rule or f.rule == "W2531"]
