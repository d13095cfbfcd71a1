"""The rehearsal's IAM enforcement decides as AWS does for a role's own policies, through boto3 against
the in-process emulator."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tools.rehearsal import iam
from tools.rehearsal.server import ACCOUNT, FAKE_CREDENTIALS, REGION, Emulator

TEMPLATE = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse"),  # the placeholder template's resource
    pytest.mark.filterwarnings(r"ignore:Exception\(_ServiceError\)"),  # as iam.install() says
]


def admin(server: Emulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def as_role(server: Emulator, credentials: Mapping[str, str], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def role(
    server: Emulator,
    name: str,
    *statements: dict[str, Any],
    managed: tuple[str, ...] = (),
    trust: Mapping[str, Any] = TRUST,
) -> str:
    client = admin(server, "iam")
    arn = str(client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if statements:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        client.put_role_policy(RoleName=name, PolicyName="Policy", PolicyDocument=json.dumps(document))
    for policy_arn in managed:
        client.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def session(server: Emulator, name: str, *statements: dict[str, Any], managed: tuple[str, ...] = ()) -> dict[str, str]:
    return iam.assume(server.url, role(server, name, *statements, managed=managed), name.lower())


def stack(server: Emulator, name: str) -> str:
    cloudformation = admin(server, "cloudformation")
    try:
        return str(cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackId"])
    except ClientError:
        return str(cloudformation.create_stack(StackName=name, TemplateBody=TEMPLATE)["StackId"])


def denied(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def session_arn(name: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{name.lower()}"


# --- CloudFormation: scoped stacks, change set names, explicit deny, PassRole --------------------------


def test_a_review_role_creates_only_review_change_sets_on_prod_stacks(server: Emulator) -> None:
    stack_id = stack(server, "anigmaa-prod-api")
    stack(server, "other-api")
    credentials = session(
        server,
        "Review",
        {
            "Effect": "Allow",
            "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet"],
            "Resource": "arn:aws:cloudformation:*:*:stack/anigmaa-prod-*/*",
            "Condition": {"StringLike": {"cloudformation:ChangeSetName": "review-*"}},
        },
    )
    cloudformation = as_role(server, credentials, "cloudformation")
    with iam.enforced() as record:
        created = cloudformation.create_change_set(
            StackName="anigmaa-prod-api", ChangeSetName="review-x", TemplateBody=TEMPLATE
        )
        # By the change set's ARN: the stack comes from the change set, the name from its ARN.
        cloudformation.describe_change_set(ChangeSetName=created["Id"])
        with pytest.raises(ClientError) as deploy:
            cloudformation.create_change_set(
                StackName="anigmaa-prod-api", ChangeSetName="deploy-x", TemplateBody=TEMPLATE
            )
        with pytest.raises(ClientError) as elsewhere:
            cloudformation.create_change_set(StackName="other-api", ChangeSetName="review-x", TemplateBody=TEMPLATE)
    assert denied(deploy) == (
        "AccessDenied",
        f"User: {session_arn('Review')} is not authorized to perform: cloudformation:CreateChangeSet"
        f" on resource: {stack_id} because no identity-based policy allows the cloudformation:CreateChangeSet action",
    )
    assert deploy.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "stack/other-api/" in denied(elsewhere)[1]
    assert [(d.action, d.resource, d.allowed) for d in record.decisions] == [
        ("cloudformation:CreateChangeSet", stack_id, True),
        ("cloudformation:DescribeChangeSet", stack_id, True),
        ("cloudformation:CreateChangeSet", stack_id, False),
        ("cloudformation:CreateChangeSet", stack(server, "other-api"), False),
    ]


def test_a_stack_that_does_not_exist_yet_is_authorized_by_its_name(server: Emulator) -> None:
    credentials = session(
        server,
        "Creator",
        {"Effect": "Allow", "Action": "cloudformation:CreateChangeSet", "Resource": "*"},
        {"Effect": "Deny", "Action": "cloudformation:*", "NotResource": "arn:aws:cloudformation:*:*:stack/anigmaa-*/*"},
    )
    cloudformation = as_role(server, credentials, "cloudformation")
    with iam.enforced() as record:
        cloudformation.create_change_set(
            StackName="anigmaa-dev-new", ChangeSetName="c1", TemplateBody=TEMPLATE, ChangeSetType="CREATE"
        )
        with pytest.raises(ClientError) as error:
            cloudformation.create_change_set(
                StackName="someone-else", ChangeSetName="c1", TemplateBody=TEMPLATE, ChangeSetType="CREATE"
            )
    assert record.decisions[0].resource == f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/anigmaa-dev-new/*"
    assert denied(error)[1].endswith("stack/someone-else/* with an explicit deny in an identity-based policy")


def test_an_explicit_deny_on_execute_wins_over_cloudformation_star(server: Emulator) -> None:
    stack(server, "anigmaa-prod-data")
    credentials = session(
        server,
        "Planner",
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "cloudformation:ExecuteChangeSet", "Resource": "*"},
    )
    cloudformation = as_role(server, credentials, "cloudformation")
    with iam.enforced():
        created = cloudformation.create_change_set(
            StackName="anigmaa-prod-data", ChangeSetName="deploy-1", TemplateBody=TEMPLATE
        )
        assert cloudformation.describe_stacks(StackName="anigmaa-prod-data")["Stacks"]
        with pytest.raises(ClientError) as error:
            cloudformation.execute_change_set(ChangeSetName=created["Id"])
    code, text = denied(error)
    assert code == "AccessDenied"
    assert text.startswith(
        f"User: {session_arn('Planner')} is not authorized to perform: cloudformation:ExecuteChangeSet"
    )
    assert text.endswith("with an explicit deny in an identity-based policy")


def test_a_change_set_arn_that_no_longer_exists_is_not_found_rather_than_denied(server: Emulator) -> None:
    stack(server, "anigmaa-prod-swap")
    admin_cloudformation = admin(server, "cloudformation")
    planned = admin_cloudformation.create_change_set(
        StackName="anigmaa-prod-swap", ChangeSetName="deploy-1", TemplateBody=TEMPLATE
    )["Id"]
    admin_cloudformation.delete_change_set(ChangeSetName=planned)
    admin_cloudformation.create_change_set(
        StackName="anigmaa-prod-swap", ChangeSetName="deploy-1", TemplateBody=TEMPLATE
    )
    statement = {
        "Effect": "Allow",
        "Action": "cloudformation:ExecuteChangeSet",
        "Resource": "arn:aws:cloudformation:*:*:stack/anigmaa-prod-*/*",
    }
    cloudformation = as_role(server, session(server, "Prod", statement), "cloudformation")
    with iam.enforced() as record, pytest.raises(ClientError) as error:
        cloudformation.execute_change_set(ChangeSetName=planned)  # the plan's ARN: the swap made a new one
    assert denied(error)[0] == "ChangeSetNotFound"
    assert record.decisions[-1].reason == "no such change set"


def test_a_change_set_with_a_service_role_needs_pass_role_to_cloudformation(server: Emulator) -> None:
    stack(server, "anigmaa-prod-edge")
    execution = role(server, "Execution", trust={"Statement": []})
    statement = {"Effect": "Allow", "Action": "cloudformation:CreateChangeSet", "Resource": "*"}
    without = as_role(server, session(server, "NoPass", statement), "cloudformation")
    passing = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": execution,
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }
    with_pass = as_role(server, session(server, "Pass", statement, passing), "cloudformation")
    with iam.enforced():
        with pytest.raises(ClientError) as error:
            without.create_change_set(
                StackName="anigmaa-prod-edge", ChangeSetName="a", TemplateBody=TEMPLATE, RoleARN=execution
            )
        with_pass.create_change_set(
            StackName="anigmaa-prod-edge", ChangeSetName="b", TemplateBody=TEMPLATE, RoleARN=execution
        )
    assert denied(error)[1] == (
        f"User: {session_arn('NoPass')} is not authorized to perform: iam:PassRole on resource: {execution}"
        " because no identity-based policy allows the iam:PassRole action"
    )


def test_account_wide_actions_are_authorized_on_star(server: Emulator) -> None:
    credentials = session(
        server,
        "Scoped",
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "arn:aws:cloudformation:*:*:stack/*"},
    )
    cloudformation = as_role(server, credentials, "cloudformation")
    with iam.enforced(), pytest.raises(ClientError) as error:
        cloudformation.list_exports()
    assert denied(error)[1] == (
        f"User: {session_arn('Scoped')} is not authorized to perform: cloudformation:ListExports"
        " because no identity-based policy allows the cloudformation:ListExports action"
    )


# --- SSM and KMS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parameters(server: Emulator) -> dict[str, str]:
    """A customer-managed key, a SecureString under it, one under aws/ssm, and a String."""
    key = admin(server, "kms").create_key(Description="anigmaa prod secrets")["KeyMetadata"]["Arn"]
    ssm = admin(server, "ssm")
    ssm.put_parameter(Name="/anigmaa/prod/db-password", Value="s3cret", Type="SecureString", KeyId=key)
    ssm.put_parameter(Name="/anigmaa/prod/legacy-token", Value="t0ken", Type="SecureString")
    ssm.put_parameter(Name="/anigmaa/prod/domain", Value="api.anigmaa.example", Type="String")
    return {"key": str(key)}


GET_PROD_PARAMETERS = {
    "Effect": "Allow",
    "Action": ["ssm:GetParameter", "ssm:GetParameters"],
    "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/anigmaa/prod/*",
}


def test_get_parameter_without_kms_decrypt_reads_no_secret_under_a_customer_key(
    server: Emulator, parameters: dict[str, str]
) -> None:
    ssm = as_role(server, session(server, "Reader", GET_PROD_PARAMETERS), "ssm")
    with iam.enforced() as record:
        assert ssm.get_parameter(Name="/anigmaa/prod/domain")["Parameter"]["Value"] == "api.anigmaa.example"
        # Without decryption the ciphertext is all there is: no key is used.
        ssm.get_parameter(Name="/anigmaa/prod/db-password", WithDecryption=False)
        with pytest.raises(ClientError) as error:
            ssm.get_parameter(Name="/anigmaa/prod/db-password", WithDecryption=True)
    assert denied(error) == (
        "AccessDeniedException",
        f"User: {session_arn('Reader')} is not authorized to perform: kms:Decrypt on resource: {parameters['key']}"
        " because no identity-based policy allows the kms:Decrypt action",
    )
    assert record.denied()[0].action == "kms:Decrypt"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400  # as SSM's model has it


def test_the_aws_managed_ssm_key_lets_any_principal_of_the_account_decrypt_through_ssm(
    server: Emulator, parameters: dict[str, str]
) -> None:
    credentials = session(server, "LegacyReader", GET_PROD_PARAMETERS)
    with iam.enforced() as record:
        answer = as_role(server, credentials, "ssm").get_parameter(
            Name="/anigmaa/prod/legacy-token", WithDecryption=True
        )
        # …but not directly: the key policy grants only through SSM.
        key_id = admin(server, "kms").describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
        with pytest.raises(ClientError) as error:
            as_role(server, credentials, "kms").describe_key(KeyId="alias/aws/ssm")
    assert answer["Parameter"]["Value"] == "t0ken"
    assert ("kms:Decrypt", True) in [(d.action, d.allowed) for d in record.decisions]
    assert denied(error)[1] == (
        f"User: {session_arn('LegacyReader')} is not authorized to perform: kms:DescribeKey on resource: {key_id}"
        " because no identity-based policy allows the kms:DescribeKey action"
    )


def test_kms_decrypt_via_ssm_opens_the_customer_key_through_ssm_only(
    server: Emulator, parameters: dict[str, str]
) -> None:
    decrypt = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": parameters["key"],
        "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}},
    }
    credentials = session(server, "Function", GET_PROD_PARAMETERS, decrypt)
    ciphertext = admin(server, "kms").encrypt(KeyId=parameters["key"], Plaintext=b"x")["CiphertextBlob"]
    with iam.enforced():
        answer = as_role(server, credentials, "ssm").get_parameters(
            Names=["/anigmaa/prod/db-password", "/anigmaa/prod/domain"], WithDecryption=True
        )
        with pytest.raises(ClientError) as error:
            as_role(server, credentials, "kms").decrypt(CiphertextBlob=ciphertext)
    assert {p["Name"]: p["Value"] for p in answer["Parameters"]}["/anigmaa/prod/db-password"] == "s3cret"
    assert denied(error) == (
        "AccessDeniedException",
        f"User: {session_arn('Function')} is not authorized to perform: kms:Decrypt on resource: {parameters['key']}"
        " because no identity-based policy allows the kms:Decrypt action",
    )


def test_a_key_policy_that_does_not_name_the_account_denies_whatever_iam_allows(server: Emulator) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = admin(server, "kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    credentials = session(server, "Outsider", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    key_admin = session(server, "KeyAdmin")  # no identity policy at all: the key policy names it
    with iam.enforced():
        as_role(server, key_admin, "kms").describe_key(KeyId=key)
        with pytest.raises(ClientError) as error:
            as_role(server, credentials, "kms").describe_key(KeyId=key)
    assert denied(error)[1].endswith("because no resource-based policy allows the kms:DescribeKey action")


def test_reading_a_path_with_decryption_needs_every_secret_s_key(server: Emulator, parameters: dict[str, str]) -> None:
    by_path = {
        "Effect": "Allow",
        "Action": "ssm:GetParametersByPath",
        "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/anigmaa/prod",
    }
    ssm = as_role(server, session(server, "PathReader", by_path), "ssm")
    with iam.enforced():
        names = {p["Name"] for p in ssm.get_parameters_by_path(Path="/anigmaa/prod")["Parameters"]}
        with pytest.raises(ClientError) as error:
            ssm.get_parameters_by_path(Path="/anigmaa/prod", WithDecryption=True)
    assert "/anigmaa/prod/db-password" in names
    assert f"kms:Decrypt on resource: {parameters['key']}" in denied(error)[1]


def test_every_name_of_a_batch_must_be_allowed(server: Emulator, parameters: dict[str, str]) -> None:
    admin(server, "ssm").put_parameter(Name="/anigmaa/dev/domain", Value="dev", Type="String")
    ssm = as_role(server, session(server, "BatchReader", GET_PROD_PARAMETERS), "ssm")
    with iam.enforced(), pytest.raises(ClientError) as error:
        ssm.get_parameters(Names=["/anigmaa/prod/domain", "/anigmaa/dev/domain"])
    assert f"on resource: arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/anigmaa/dev/domain because" in denied(error)[1]


def test_read_only_access_reads_every_secret_unless_a_deny_stops_it(
    server: Emulator, parameters: dict[str, str]
) -> None:
    read_only = as_role(server, session(server, "ReadOnly", managed=(READ_ONLY,)), "ssm")
    deny_values = {
        "Effect": "Deny",
        "Action": ["ssm:GetParameter*", "kms:Decrypt"],
        "Resource": "*",
    }
    drift = as_role(server, session(server, "Drift", deny_values, managed=(READ_ONLY,)), "ssm")
    with iam.enforced():
        # AWS's ReadOnlyAccess includes ssm:GetParameter*, and aws/ssm lets the account decrypt.
        legacy = read_only.get_parameter(Name="/anigmaa/prod/legacy-token", WithDecryption=True)
        assert legacy["Parameter"]["Value"] == "t0ken"
        assert drift.describe_parameters()["Parameters"]
        with pytest.raises(ClientError) as error:
            drift.get_parameter(Name="/anigmaa/prod/legacy-token", WithDecryption=True)
    assert denied(error) == (
        "AccessDeniedException",
        f"User: {session_arn('Drift')} is not authorized to perform: ssm:GetParameter on resource:"
        f" arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/anigmaa/prod/legacy-token"
        " with an explicit deny in an identity-based policy",
    )


def test_putting_a_secure_string_under_a_customer_key_needs_kms_encrypt(
    server: Emulator, parameters: dict[str, str]
) -> None:
    put = {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*"}
    ssm = as_role(server, session(server, "Writer", put), "ssm")
    with iam.enforced(), pytest.raises(ClientError) as error:
        ssm.put_parameter(Name="/anigmaa/prod/new", Value="v", Type="SecureString", KeyId=parameters["key"])
    assert "kms:Encrypt on resource: " + parameters["key"] in denied(error)[1]


# --- Other services ------------------------------------------------------------------------------------


def test_lambda_is_authorized_on_the_function_and_its_qualifier(server: Emulator) -> None:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("bootstrap", "")
    function = admin(server, "lambda")
    execution = role(server, "FunctionRole", trust={"Statement": []})
    function.create_function(
        FunctionName="anigmaa-prod-backend", Runtime="provided.al2023", Role=execution, Handler="bootstrap",
        Code={"ZipFile": code.getvalue()},
    )  # fmt: skip
    function.publish_version(FunctionName="anigmaa-prod-backend")
    function.create_alias(FunctionName="anigmaa-prod-backend", Name="live", FunctionVersion="1")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:anigmaa-prod-backend"
    credentials = session(
        server,
        "Preflight",
        {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": arn},
        {"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"},
    )
    lambda_client = as_role(server, credentials, "lambda")
    with iam.enforced():
        lambda_client.list_functions()
        lambda_client.get_function(FunctionName="anigmaa-prod-backend")
        with pytest.raises(ClientError) as error:
            lambda_client.get_function(FunctionName="anigmaa-prod-backend:live")
    assert denied(error) == (
        "AccessDeniedException",
        f"User: {session_arn('Preflight')} is not authorized to perform: lambda:GetFunction on resource: {arn}:live"
        " because no identity-based policy allows the lambda:GetFunction action",
    )


def test_logs_are_authorized_on_the_log_group(server: Emulator) -> None:
    admin(server, "logs").create_log_group(logGroupName="/aws/lambda/anigmaa-prod-backend")
    admin(server, "logs").create_log_group(logGroupName="/other")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/anigmaa-prod-backend"
    credentials = session(
        server, "LogReader", {"Effect": "Allow", "Action": "logs:FilterLogEvents", "Resource": f"{group}:*"}
    )
    logs = as_role(server, credentials, "logs")
    with iam.enforced():
        logs.filter_log_events(logGroupName="/aws/lambda/anigmaa-prod-backend")
        with pytest.raises(ClientError) as error:
            logs.filter_log_events(logGroupName="/other")
    assert (
        f"logs:FilterLogEvents on resource: arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/other:log-stream: "
        in denied(error)[1]
    )


def test_s3_keeps_moto_s_bucket_and_object_resources(server: Emulator) -> None:
    admin(server, "s3").create_bucket(Bucket="assets", CreateBucketConfiguration={"LocationConstraint": REGION})
    admin(server, "s3").put_object(Bucket="assets", Key="public/a", Body=b"a")
    admin(server, "s3").put_object(Bucket="assets", Key="private/b", Body=b"b")
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::assets/public/*",
        # As the CDK bootstrap's file-publishing role has it: the bucket must be in this account.
        "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}},
    }
    s3 = as_role(server, session(server, "AssetReader", statement), "s3")
    with iam.enforced():
        assert s3.get_object(Bucket="assets", Key="public/a")["Body"].read() == b"a"
        with pytest.raises(ClientError) as error:
            s3.get_object(Bucket="assets", Key="private/b")
    assert denied(error) == (
        "AccessDenied",
        f"User: {session_arn('AssetReader')} is not authorized to perform: s3:GetObject on resource:"
        ' "arn:aws:s3:::assets/private/b" because no identity-based policy allows the s3:GetObject action',
    )
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_assume_role_needs_the_callers_permission_and_the_roles_trust(server: Emulator) -> None:
    target = role(server, "CdkDeployRole")
    untrusting = role(server, "Untrusting", trust={"Statement": []})
    allowed = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    sts = as_role(server, session(server, "Deployer", allowed), "sts")
    idle = as_role(server, session(server, "Idle"), "sts")
    with iam.enforced():
        sts.assume_role(RoleArn=target, RoleSessionName="cdk")
        assert idle.get_caller_identity()["Arn"] == session_arn("Idle")  # always allowed
        with pytest.raises(ClientError) as no_permission:
            idle.assume_role(RoleArn=target, RoleSessionName="cdk")
        with pytest.raises(ClientError) as no_trust:
            sts.assume_role(RoleArn=untrusting, RoleSessionName="cdk")
    assert denied(no_permission)[1].endswith("because no identity-based policy allows the sts:AssumeRole action")
    assert denied(no_trust)[1].endswith("because no resource-based policy allows the sts:AssumeRole action")


def test_a_web_identity_is_held_to_the_trust_policys_conditions_on_its_claims(server: Emulator) -> None:
    admin(server, "iam").create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": "repo:anigmaa/anigmaa-infra:environment:prod",
                    }
                },
            }
        ],
    }
    deploy = role(server, "GithubDeploy", trust=trust)
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com"}
    with iam.enforced() as record:
        credentials = iam.assume_with_web_identity(
            server.url, deploy, {**claims, "sub": "repo:anigmaa/anigmaa-infra:environment:prod"}
        )
        with pytest.raises(ClientError) as error:
            iam.assume_with_web_identity(
                server.url, deploy, {**claims, "sub": "repo:anigmaa/anigmaa-infra:pull_request"}
            )
        with pytest.raises(ClientError) as elsewhere:
            iam.assume_with_web_identity(server.url, deploy, {**claims, "iss": "https://gitlab.example"})
    assert credentials["AWS_SESSION_TOKEN"]
    assert denied(error) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert denied(elsewhere) == (
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://gitlab.example",
    )
    assert [d.allowed for d in record.decisions] == [True, False, False]


def test_a_role_from_a_template_holds_its_managed_and_inline_policies_through_updates(
    server: Emulator, parameters: dict[str, str]
) -> None:
    def template(managed: list[str], action: str) -> str:
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        properties = {
            "RoleName": "TemplateRole",
            "AssumeRolePolicyDocument": TRUST,
            "ManagedPolicyArns": managed,
            "Policies": [
                {"PolicyName": "Inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
            ],
        }
        return json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": properties}}})

    cloudformation = admin(server, "cloudformation")
    cloudformation.create_stack(StackName="anigmaa-ci", TemplateBody=template([READ_ONLY], "sns:ListTopics"))
    arn = f"arn:aws:iam::{ACCOUNT}:role/TemplateRole"
    with iam.enforced():
        ssm = as_role(server, iam.assume(server.url, arn, "first"), "ssm")
        assert ssm.get_parameter(Name="/anigmaa/prod/domain")  # ReadOnlyAccess, from ManagedPolicyArns
        cloudformation.update_stack(StackName="anigmaa-ci", TemplateBody=template([], "ssm:GetParameter"))
        assert ssm.get_parameter(Name="/anigmaa/prod/domain")  # now the inline policy's
        sns = as_role(server, iam.assume(server.url, arn, "second"), "sns")
        with pytest.raises(ClientError) as error:
            sns.list_topics()  # the old inline statement and ReadOnlyAccess are gone
    assert "sns:ListTopics because no identity-based policy allows" in denied(error)[1]


def test_a_permissions_boundary_and_a_session_policy_limit_what_the_role_allows(
    server: Emulator, parameters: dict[str, str]
) -> None:
    client = admin(server, "iam")
    boundary = client.create_policy(
        PolicyName="OnlyDescribe",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:Describe*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    bounded = role(server, "Bounded", {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"})
    client.put_role_permissions_boundary(RoleName="Bounded", PermissionsBoundary=boundary)
    session_policy = {"Statement": [{"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}]}
    sessioned_role = role(server, "Sessioned", {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"})
    answer = admin(server, "sts").assume_role(
        RoleArn=sessioned_role, RoleSessionName="sessioned", Policy=json.dumps(session_policy)
    )["Credentials"]
    sessioned = {
        "AWS_ACCESS_KEY_ID": answer["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": answer["SecretAccessKey"],
        "AWS_SESSION_TOKEN": answer["SessionToken"],
    }
    with iam.enforced():
        for credentials, reason in (
            (iam.assume(server.url, bounded, "bounded"), "because no permissions boundary allows"),
            (sessioned, "because no session policy allows"),
        ):
            ssm = as_role(server, credentials, "ssm")
            assert ssm.describe_parameters()["Parameters"]
            with pytest.raises(ClientError) as error:
                ssm.get_parameter(Name="/anigmaa/prod/domain")
            assert f"{reason} the ssm:GetParameter action" in denied(error)[1]


# --- Who is evaluated, and when ------------------------------------------------------------------------


def test_an_action_without_a_resolver_is_authorized_on_star_and_recorded(server: Emulator) -> None:
    credentials = session(server, "Everything", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    with iam.enforced() as record:
        as_role(server, credentials, "sns").list_topics()
    assert "sns:ListTopics" in record.unresolved
    assert record.decisions[-1] == iam.Decision(session_arn("Everything"), "sns:ListTopics", "*", True, "allowed")


def test_an_iam_user_is_held_to_its_own_and_its_groups_policies(server: Emulator) -> None:
    client = admin(server, "iam")
    client.create_user(UserName="operator")
    client.create_group(GroupName="operators")
    client.add_user_to_group(GroupName="operators", UserName="operator")
    allow = {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "cloudformation:DescribeStacks", "Resource": "*"}
    client.put_user_policy(
        UserName="operator",
        PolicyName="Own",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    key = client.create_access_key(UserName="operator")["AccessKey"]
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    with iam.enforced():
        cloudformation.describe_stacks()
        client.put_group_policy(
            GroupName="operators",
            PolicyName="Deny",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
        )
        with pytest.raises(ClientError) as error:
            cloudformation.describe_stacks()
    assert denied(error)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/operator is not authorized to perform: cloudformation:DescribeStacks"
        " with an explicit deny in an identity-based policy"
    )


def test_the_administrator_is_unrestricted_and_not_recorded(server: Emulator) -> None:
    stack(server, "anigmaa-prod-admin")
    with iam.enforced() as record:
        admin(server, "cloudformation").create_change_set(
            StackName="anigmaa-prod-admin", ChangeSetName="deploy-admin", TemplateBody=TEMPLATE
        )
        admin(server, "ssm").get_parameter(Name="/anigmaa/prod/legacy-token", WithDecryption=True)
    assert record.decisions == []


def test_a_session_key_with_the_wrong_token_or_an_unknown_key_is_refused(server: Emulator) -> None:
    credentials = session(server, "Tokened", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    forged = {**credentials, "AWS_SESSION_TOKEN": "not-the-token"}
    unknown = {**credentials, "AWS_ACCESS_KEY_ID": "ASIANOTAKEYATALL0000"}
    with iam.enforced():
        for credentials_used in (forged, unknown):
            with pytest.raises(ClientError) as error:
                as_role(server, credentials_used, "cloudformation").list_stacks()
            assert denied(error)[0] == "InvalidClientTokenId"


def test_enforcement_off_changes_nothing(server: Emulator) -> None:
    stack(server, "anigmaa-prod-off")
    nothing = session(server, "Nothing")
    with iam.enforced() as inside:
        pass
    before = list(iam.record().decisions)
    as_role(server, nothing, "cloudformation").create_change_set(
        StackName="anigmaa-prod-off", ChangeSetName="deploy-x", TemplateBody=TEMPLATE
    )
    as_role(server, nothing, "ssm").get_parameter(Name="/anigmaa/prod/legacy-token", WithDecryption=True)
    assert inside.decisions == []
    assert iam.record().decisions == before


# --- The evaluation itself -----------------------------------------------------------------------------


def principal(*statements: dict[str, Any]) -> iam.Principal:
    arn = f"arn:aws:iam::{ACCOUNT}:role/Unit"
    return iam.Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/Unit/s", arn, ACCOUNT, "AssumedRole", statements)


def allows(statement: dict[str, Any], context: dict[str, list[str]], action: str = "s3:GetObject") -> bool:
    return iam.decide(principal(statement), iam.Check(action, "arn:aws:s3:::b/k", context)).allowed


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"k:x": "a"}}, {}, False),  # absent key: no match
        ({"StringNotEquals": {"k:x": "a"}}, {}, True),  # absent key: a negated operator matches
        ({"StringNotLike": {"k:x": "a*"}}, {"k:x": ["abc"]}, False),
        ({"StringLike": {"k:x": ["z*", "a?c"]}}, {"k:x": ["abc"]}, True),
        ({"StringEqualsIfExists": {"k:x": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k:x": "a"}}, {"k:x": ["b"]}, False),
        ({"Null": {"k:x": "true"}}, {}, True),
        ({"Null": {"k:x": "false"}}, {}, False),
        ({"Bool": {"k:x": True}}, {"k:x": ["true"]}, True),
        ({"ArnLike": {"k:x": "arn:aws:iam::*:role/ci-*"}}, {"k:x": [f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"]}, True),
        ({"ArnNotLike": {"k:x": "arn:aws:iam::*:role/ci-*"}}, {}, True),
        ({"ArnEquals": {"k:x": "arn:aws:iam::*:role/x"}}, {"k:x": ["not-an-arn"]}, False),
        ({"ForAllValues:StringEquals": {"k:x": ["a", "b"]}}, {"k:x": ["a", "b"]}, True),
        ({"ForAllValues:StringEquals": {"k:x": ["a"]}}, {"k:x": ["a", "c"]}, False),
        ({"ForAllValues:StringEquals": {"k:x": ["a"]}}, {}, True),
        ({"ForAnyValue:StringEquals": {"k:x": ["c"]}}, {"k:x": ["a", "c"]}, True),
        ({"ForAnyValue:StringEquals": {"k:x": ["c"]}}, {}, False),
        ({"NumericLessThan": {"k:x": "10"}}, {"k:x": ["9"]}, True),
        ({"StringEquals": {"K:X": "a"}}, {"k:x": ["a"]}, True),  # key names are case-insensitive
        ({"StringEquals": {"k:x": "${aws:PrincipalType}"}}, {"k:x": ["AssumedRole"]}, True),  # policy variable
        ({"StringLike": {"k:x": "a${*}"}}, {"k:x": ["abc"]}, False),  # ${*} is a literal asterisk
        ({"StringLike": {"k:x": "a${*}*"}}, {"k:x": ["a*bc"]}, True),
        ({"StringEquals": {"k:x": "a${?}"}}, {"k:x": ["a?"]}, True),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, list[str]], expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
    assert allows(statement, context) is expected


def test_a_deny_with_a_condition_applies_only_when_the_condition_holds() -> None:
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"k:x": "a"}}}
    check = iam.Check("s3:GetObject", "arn:aws:s3:::b/k", {})
    assert iam.decide(principal(allow, deny), check).allowed
    assert not iam.decide(principal(allow, deny), iam.Check("s3:GetObject", "arn:aws:s3:::b/k", {"k:x": ["a"]})).allowed


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    statement = {"Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::b/?"}
    assert allows(statement, {})
    assert not allows({**statement, "Resource": "arn:aws:s3:::B/k"}, {})
    assert not allows({"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}, {})
    assert allows({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::other/*"}, {})


def test_an_unknown_condition_operator_never_applies_and_is_recorded() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateLessThan": {"aws:CurrentTime": "2100-01-01"}},
    }
    with iam.enforced() as record:
        assert not allows(statement, {})
    assert "condition operator DateLessThan" in record.unresolved
