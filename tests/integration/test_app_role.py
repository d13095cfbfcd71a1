"""The database-role provider (lambda_src/cmd/dbrole) under the Lambda emulator, against the real
PostgreSQL the local harness runs, answering CloudFormation's requests as it does on deploy.

The cluster is set up the way RDS sets one up, as far as a local PostgreSQL can be: the master
is not a superuser but has CREATEROLE and CREATEDB, is a member of a stand-in ``rds_superuser``
and may grant ``rds_iam``, and owns the database and its tables (``postgres`` is the bootstrap
superuser here, so the stand-in master is ``anigmaa_master``). ``rds_iam`` and ``rds_superuser``
exist only on RDS: here they are plain roles created for the test. A member of ``rds_iam``
logs in with IAM tokens on RDS; here the test gives the app role a password of its own (as
the superuser) to log in as it and try what it may and may not do.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tools import ROOT
from tools.build.go import build_bootstrap
from tools.local.harness import (
    FAKE_CREDENTIALS,
    REGION,
    Emulator,
    Postgres,
    aws_endpoints,
    certificates,
    lambda_emulator,
    postgres,
)

MASTER = "anigmaa_master"
APP = "anigmaa_app"


class Responses(BaseHTTPRequestHandler):
    """CloudFormation's side of the exchange: the provider PUTs its answer to the ResponseURL."""

    answers: ClassVar[dict[str, dict[str, Any]]] = {}

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Responses.answers[self.path] = json.loads(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Cluster:
    """The local cluster, the provider under the emulator, and what they were started with."""

    pg: Postgres
    master_password: str
    ca: Path
    emulator: Emulator
    responses_url: str
    ssm_prefix: str

    def psql(
        self, query: str, *, user: str = "postgres", password: str | None = None, database: str = "anigmaa"
    ) -> str:
        """Run ``query`` as ``user`` and return its rows; raise with PostgreSQL's message when it fails."""
        result = self.try_psql(query, user=user, password=password, database=database)
        if result.returncode != 0:
            raise AssertionError(f"{user}: {query}: {result.stderr.strip()}")
        return result.stdout.strip()

    def try_psql(
        self, query: str, *, user: str = "postgres", password: str | None = None, database: str = "anigmaa"
    ) -> subprocess.CompletedProcess[str]:
        secret = password if password is not None else self.pg.password
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", user, "-d", database]
        return subprocess.run(
            # Rows only, unaligned, no command tags; stop at the first error.
            [*command, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query],
            env={**os.environ, "PGPASSWORD": secret, "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "5"},
            capture_output=True,
            text=True,
            check=False,
        )

    def request(self, request_type: str, **properties: str) -> dict[str, Any]:
        """Send one CloudFormation request to the provider and return the answer it PUT back."""
        path = f"/response/{uuid.uuid4()}"
        event = {
            "RequestType": request_type,
            "RequestId": str(uuid.uuid4()),
            "ResponseURL": f"{self.responses_url}{path}",
            "ResourceType": "Custom::DatabaseRole",
            "LogicalResourceId": "AppRoleResource",
            "StackId": "arn:aws:cloudformation:ap-southeast-1:123456789012:stack/anigmaa-local-data/x",
            "ResourceProperties": {
                "ServiceToken": "arn:aws:lambda:ap-southeast-1:123456789012:function:anigmaa-local-database-role",
                "Host": "localhost",
                "Port": str(self.pg.port),
                "DatabaseName": "anigmaa",
                "MasterUsername": MASTER,
                "MasterPasswordParameter": f"{self.ssm_prefix}/DB_PASSWORD",
                "RoleName": APP,
                "SslMode": "verify-full",
                "SslRootCert": str(self.ca),
                **properties,
            },
        }
        if request_type != "Create":
            event["PhysicalResourceId"] = properties.get("RoleName", APP)
        self.emulator.invoke(event, timeout=60)
        return Responses.answers.pop(path)

    def grants(self) -> str:
        """Everything the SQL may change, as the catalog says it: the role, its memberships, its privileges."""
        return self.psql(
            f"""
            SELECT row(r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
                       r.rolinherit, r.rolconnlimit)::text FROM pg_roles r WHERE r.rolname = '{APP}'
            UNION ALL SELECT string_agg(g.rolname || ' admin=' || m.admin_option, ',' ORDER BY g.rolname)
                FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = '{APP}')
            UNION ALL SELECT string_agg(datname || '=' || coalesce(datacl::text, ''), ',' ORDER BY datname)
                FROM pg_database
            UNION ALL SELECT string_agg(nspname || '=' || coalesce(nspacl::text, ''), ',' ORDER BY nspname)
                FROM pg_namespace
            UNION ALL SELECT string_agg(relname || '=' || coalesce(relacl::text, ''), ',' ORDER BY relname)
                FROM pg_class WHERE relnamespace = 'public'::regnamespace
            UNION ALL SELECT string_agg(defaclobjtype::text || '=' || defaclacl::text, ',' ORDER BY defaclobjtype)
                FROM pg_default_acl
            """
        )


@contextlib.contextmanager
def responses_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Responses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("app-role")
    provider = folder / "bootstrap"
    build_bootstrap(ROOT / "lambda_src", "amd64", provider, package="./cmd/dbrole")
    master_password = secrets.token_urlsafe(18)
    with contextlib.ExitStack() as stack:
        certs = stack.enter_context(certificates(folder / "tls"))
        pg = stack.enter_context(postgres(certs))
        values = {"DB_PASSWORD": master_password, "WRONG_PASSWORD": secrets.token_urlsafe(18)}
        aws = stack.enter_context(aws_endpoints(values))
        environment = {
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_SSM": aws.url,
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "60",
            **FAKE_CREDENTIALS,
        }
        emulator = stack.enter_context(lambda_emulator(provider, environment, folder / "rie"))
        url = stack.enter_context(responses_server())
        database = Cluster(pg, master_password, certs.ca, emulator, url, aws.ssm_prefix)
        _as_rds_sets_it_up(database)
        yield database


def _as_rds_sets_it_up(db: Cluster) -> None:
    """An RDS-like master that owns the database and its data, and the roles RDS has and PostgreSQL has not."""
    db.psql(
        f"""
        CREATE ROLE rds_iam NOLOGIN;
        CREATE ROLE rds_superuser NOLOGIN;
        CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{db.master_password}';
        GRANT rds_superuser TO {MASTER};
        GRANT rds_iam TO {MASTER} WITH ADMIN OPTION;
        ALTER DATABASE anigmaa OWNER TO {MASTER};
        """
    )
    db.psql(f"CREATE DATABASE other OWNER {MASTER}")  # not inside the block above: psql -c runs one transaction
    # The data of a database that already holds some, as the Terraform-era master left it.
    master = {"user": MASTER, "password": db.master_password}
    db.psql(
        "CREATE TABLE events (id bigserial PRIMARY KEY, title text NOT NULL);"
        "INSERT INTO events (title) VALUES ('launch'), ('meetup');",
        **master,
    )
    db.psql(
        "CREATE TABLE elsewhere (secret text); INSERT INTO elsewhere VALUES ('not yours');", database="other", **master
    )


@pytest.fixture(scope="module")
def app(cluster: Cluster) -> dict[str, str]:
    """The provider has run once (Create), and the app role has a password to log in with (test only)."""
    answer = cluster.request("Create")
    assert answer["Status"] == "SUCCESS", answer
    password = secrets.token_urlsafe(18)
    cluster.psql(f"ALTER ROLE {APP} PASSWORD '{password}'")  # stands in for an IAM token
    return {"user": APP, "password": password}


def test_create_answers_success_with_the_role_as_its_physical_id(cluster: Cluster, app: dict[str, str]) -> None:
    answer = cluster.request("Create")
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", APP, {"RoleName": APP})


def test_the_role_logs_in_and_holds_no_attribute_beyond_login(cluster: Cluster, app: dict[str, str]) -> None:
    attributes = cluster.psql(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
        f"FROM pg_roles WHERE rolname = '{APP}'"
    )
    assert attributes == "t|f|f|f|f|f"
    memberships = cluster.psql(
        f"SELECT pg_has_role('{APP}', 'rds_iam', 'MEMBER'), pg_has_role('{APP}', 'rds_superuser', 'MEMBER'), "
        f"pg_has_role('{APP}', '{MASTER}', 'MEMBER')"
    )
    assert memberships == "t|f|f"
    assert cluster.psql("SELECT current_user", **app) == APP


def test_the_role_reads_and_writes_the_rows_of_existing_tables(cluster: Cluster, app: dict[str, str]) -> None:
    assert cluster.psql("SELECT title FROM events ORDER BY id", **app).splitlines()[:2] == ["launch", "meetup"]
    new_id = cluster.psql("INSERT INTO events (title) VALUES ('from the app') RETURNING id", **app)
    cluster.psql(f"UPDATE events SET title = 'renamed' WHERE id = {new_id}", **app)
    assert cluster.psql(f"SELECT title FROM events WHERE id = {new_id}", **app) == "renamed"
    cluster.psql(f"DELETE FROM events WHERE id = {new_id}", **app)


def test_tables_the_master_creates_later_are_usable_without_another_run(cluster: Cluster, app: dict[str, str]) -> None:
    master = {"user": MASTER, "password": cluster.master_password}
    cluster.psql("CREATE TABLE payments (id integer GENERATED ALWAYS AS IDENTITY, amount numeric)", **master)
    cluster.psql("INSERT INTO payments (amount) VALUES (10.5)", **app)
    assert cluster.psql("SELECT amount FROM payments", **app) == "10.5"


@pytest.mark.parametrize(
    ("statement", "database", "refusal"),
    [
        ("CREATE ROLE intruder LOGIN", "anigmaa", "permission denied to create role"),
        (f"ALTER ROLE {MASTER} PASSWORD 'taken-over'", "anigmaa", "permission denied"),
        (f"ALTER ROLE {APP} CREATEDB", "anigmaa", "permission denied"),
        (f"GRANT rds_superuser TO {APP}", "anigmaa", "must have admin option on role"),
        ("CREATE DATABASE mine", "anigmaa", "permission denied to create database"),
        ("CREATE TABLE mine (x integer)", "anigmaa", "permission denied for schema public"),
        ("DROP TABLE events", "anigmaa", "must be owner of table events"),
        ("TRUNCATE events", "anigmaa", "permission denied for table events"),
        ("SELECT secret FROM elsewhere", "other", "permission denied for table elsewhere"),
    ],
)
def test_the_role_cannot(cluster: Cluster, app: dict[str, str], statement: str, database: str, refusal: str) -> None:
    result = cluster.try_psql(statement, database=database, **app)
    assert result.returncode != 0, f"{statement}: allowed"
    assert refusal in result.stderr, result.stderr


def test_running_it_again_changes_nothing(cluster: Cluster, app: dict[str, str]) -> None:
    before = cluster.grants()
    for request in ("Update", "Create"):
        assert cluster.request(request)["Status"] == "SUCCESS"
        assert cluster.grants() == before, request


def test_delete_leaves_the_role_and_its_grants(cluster: Cluster, app: dict[str, str]) -> None:
    before = cluster.grants()
    answer = cluster.request("Delete")
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", APP)
    assert cluster.grants() == before
    assert cluster.psql("SELECT count(*) > 0 FROM events", **app) == "t"


def test_a_role_that_already_holds_more_fails_the_deploy_and_is_left_as_it_was(cluster: Cluster) -> None:
    cluster.psql("CREATE ROLE anigmaa_wide LOGIN CREATEDB")
    answer = cluster.request("Create", RoleName="anigmaa_wide")
    assert answer["Status"] == "FAILED"
    assert "role anigmaa_wide exists and holds CREATEDB" in answer["Reason"]
    # Nothing revoked, nothing granted: the transaction was rolled back.
    assert cluster.psql("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'anigmaa_wide'") == "t"
    assert cluster.psql("SELECT has_table_privilege('anigmaa_wide', 'events', 'SELECT')") == "f"


def test_a_role_that_reads_every_table_fails_the_deploy(cluster: Cluster) -> None:
    """Membership of a predefined role that reaches past the backend's tables (here pg_read_all_data)."""
    cluster.psql("CREATE ROLE anigmaa_reader LOGIN")
    cluster.psql("GRANT pg_read_all_data TO anigmaa_reader")
    answer = cluster.request("Create", RoleName="anigmaa_reader")
    assert answer["Status"] == "FAILED"
    assert "role anigmaa_reader exists and holds membership of pg_read_all_data" in answer["Reason"]


def test_a_wrong_master_password_fails_with_a_reason_that_quotes_no_password(cluster: Cluster) -> None:
    answer = cluster.request("Create", MasterPasswordParameter=f"{cluster.ssm_prefix}/WRONG_PASSWORD")
    assert answer["Status"] == "FAILED"
    assert f"as {MASTER}" in answer["Reason"]
    assert "password authentication failed" in answer["Reason"]
    assert cluster.master_password not in json.dumps(answer)
    log = cluster.emulator.log_text()
    assert cluster.master_password not in log


def test_a_server_certificate_from_another_authority_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    # The RDS bundle does not hold the local CA: verify-full must refuse the local server's certificate.
    answer = cluster.request("Create", SslRootCert="rds")
    assert answer["Status"] == "FAILED"
    assert "certificate" in answer["Reason"]


def test_an_existing_role_that_cannot_log_in_is_let_in_and_granted(cluster: Cluster) -> None:
    cluster.psql("CREATE ROLE anigmaa_quiet NOLOGIN")
    answer = cluster.request("Create", RoleName="anigmaa_quiet")
    assert answer["Status"] == "SUCCESS", answer
    assert cluster.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'anigmaa_quiet'") == "t"
    assert (
        cluster.psql("SELECT has_table_privilege('anigmaa_quiet', 'events', 'SELECT, INSERT, UPDATE, DELETE')") == "t"
    )
