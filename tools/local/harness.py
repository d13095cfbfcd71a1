"""Run the Lambda binary locally against real dependencies, all on loopback.

Each piece is a context manager that starts a real process and stops it on exit:

- `certificates`: a throw-away CA and a `localhost` server certificate (openssl);
- `postgres`: a fresh PostgreSQL cluster with TLS, user `postgres`, database `anigmaa`;
- `redis`: a Redis server that speaks only TLS and requires a password (as ElastiCache
  with AUTH does);
- `aws_endpoints`: moto's server standing in for SSM (the four SecureStrings) and S3
  (the bucket);
- `lambda_emulator`: the AWS Lambda Runtime Interface Emulator running `bootstrap`.

`make invoke-local` and the integration tests use them. Every password here is generated
for the run and lives only as long as it does.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import ROOT

RIE = ROOT / ".bin" / "aws-lambda-rie"
REGION = "ap-southeast-1"
SEED_PAYLOAD = {"path": "/health", "requestContext": {"http": {"method": "GET"}}}
# Moto accepts any credentials; these say plainly that they are not real.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local-test-not-a-key", "AWS_SECRET_ACCESS_KEY": "local-test-not-a-secret"}


class LocalRunError(RuntimeError):
    """A local dependency could not be started; the message says which and why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise LocalRunError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise LocalRunError(f"{command[0]} failed ({result.returncode}): {(result.stderr or result.stdout).strip()}")
    return result


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root and Debian provides a postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


@contextlib.contextmanager
def certificates(folder: Path) -> Iterator[Certificates]:
    """A CA and a certificate for localhost/127.0.0.1 signed by it."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=anigmaa local CA",
          "-keyout", str(ca_key), "-out", str(ca)])  # fmt: skip
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", str(key),
          "-out", str(csr)])  # fmt: skip
    extensions = folder / "san.ext"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n", encoding="utf-8")
    _run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
          "-days", "1", "-extfile", str(extensions), "-out", str(cert)])  # fmt: skip
    yield Certificates(ca=ca, cert=cert, key=key)


# --------------------------------------------------------------------------- postgres


@dataclass(frozen=True)
class Postgres:
    port: int
    password: str
    log: Path


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise LocalRunError("PostgreSQL server not found (/usr/lib/postgresql/*/bin); apt-get install postgresql")
    return Path(found[-1]).parent


@contextlib.contextmanager
def postgres(certs: Certificates, max_connections: int | None = None) -> Iterator[Postgres]:
    """A throw-away cluster on 127.0.0.1 that accepts TLS and password logins.

    With ``max_connections`` it admits that many sessions, and logs each it admits or refuses.
    """
    bin_dir = _postgres_bin()
    # Its own folder directly under the temp root, which the postgres user can traverse.
    folder = Path(tempfile.mkdtemp(prefix="anigmaa-postgres-"))
    data = folder / "data"
    password = secrets.token_urlsafe(18)
    password_file = folder / "pwfile"
    password_file.write_text(password + "\n", encoding="utf-8")
    tls_cert, tls_key = folder / "server.pem", folder / "server.key"
    shutil.copy(certs.cert, tls_cert)
    shutil.copy(certs.key, tls_key)
    tls_key.chmod(0o600)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for path in (password_file, tls_cert, tls_key):
            shutil.chown(path, "postgres")
    _run(_as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                            f"--pwfile={password_file}", "--no-sync"]))  # fmt: skip
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c ssl=on "
        f"-c ssl_cert_file={tls_cert} -c ssl_key_file={tls_key} -c fsync=off"
    )
    if max_connections is not None:
        options += f" -c max_connections={max_connections} -c log_connections=on"
    log = folder / "postgres.log"
    _run(_as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]))
    try:
        env = {**os.environ, "PGPASSWORD": password}
        _run(_as_postgres_user(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "anigmaa"]), env=env)
        yield Postgres(port=port, password=password, log=log)
    finally:
        subprocess.run(
            _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- redis


@dataclass
class Redis:
    port: int
    password: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server now (as an outage would)."""
        stop_process(self.process)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate ``process`` if it still runs; kill it if it has not stopped within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(port: int, name: str, stop: Callable[[], None]) -> Iterator[None]:
    """Wait until ``name`` listens on ``port``, then hold it open; ``stop`` it however the block ends."""
    try:
        wait_for_port(port, 10, name)
        yield
    finally:
        stop()


@contextlib.contextmanager
def redis(certs: Certificates) -> Iterator[Redis]:
    """Redis on 127.0.0.1 with TLS only and a password, like ElastiCache with AUTH."""
    if shutil.which("redis-server") is None:
        raise LocalRunError("redis-server not found; apt-get install redis-server")
    password = secrets.token_urlsafe(24)
    port = free_port()
    # The password goes in on stdin as a config line, never on a command line.
    process = subprocess.Popen(
        ["redis-server", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config = (
        f"port 0\ntls-port {port}\nbind 127.0.0.1\ntls-cert-file {certs.cert}\ntls-key-file {certs.key}\n"
        f'tls-ca-cert-file {certs.ca}\ntls-auth-clients no\nrequirepass {password}\nsave ""\nappendonly no\n'
    )
    assert process.stdin is not None
    process.stdin.write(config.encode())
    process.stdin.close()
    server = Redis(port=port, password=password, process=process)
    with serving(port, "redis-server", server.stop):
        yield server


# --------------------------------------------------------------------------- AWS (moto)


@dataclass(frozen=True)
class AwsEndpoints:
    url: str
    bucket: str
    ssm_prefix: str


@contextlib.contextmanager
def aws_endpoints(secret_values: dict[str, str]) -> Iterator[AwsEndpoints]:
    """moto's server for SSM and S3, with the SecureStrings and the bucket in place."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        # moto keeps its state per Python process: start from none, whatever an earlier server left.
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
        session = boto3.session.Session(region_name=REGION, **_boto_credentials())
        ssm = session.client("ssm", endpoint_url=url)
        prefix = "/anigmaa/local"
        for name, value in secret_values.items():
            ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString")
        bucket = "anigmaa-local-assets"
        session.client("s3", endpoint_url=url).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield AwsEndpoints(url=url, bucket=bucket, ssm_prefix=prefix)
    finally:
        server.stop()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


# --------------------------------------------------------------------------- the function


@dataclass
class Emulator:
    port: int
    process: subprocess.Popen[str]
    log: Path

    def invoke(self, payload: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """Invoke the function with ``payload`` and return its response document."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=json.dumps(payload).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
            return dict(json.loads(response.read()))

    def function_log(self) -> list[dict[str, Any]]:
        """The function's own JSON log lines (the emulator's lines are left out)."""
        lines = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    lines.append(json.loads(line))
        return lines

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def function_environment(pg: Postgres, cache: Redis, aws: AwsEndpoints, certs: Certificates) -> dict[str, str]:
    """The environment the stack gives the function, pointed at the local dependencies."""
    environment = {
        "PORT": "8080",
        "ENV": "local",
        "DB_HOST": "localhost",
        "DB_PORT": str(pg.port),
        "DB_USER": "postgres",
        "DB_NAME": "anigmaa",
        # Verified as on AWS, against the local CA (the stacks name the RDS bundle compiled in: "rds").
        "DB_SSLMODE": "verify-full",
        "DB_SSLROOTCERT": str(certs.ca),
        "REDIS_HOST": "localhost",
        "REDIS_PORT": str(cache.port),
        "REDIS_TLS": "true",
        "STORAGE_TYPE": "s3",
        "DB_MAX_CONNS": "2",  # as the Lambda stack sets it
        "AWS_BUCKET": aws.bucket,
        "ALLOWED_ORIGINS": "",
        "MIDTRANS_CLIENT_KEY": "",
        "MIDTRANS_IS_PRODUCTION": "false",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_SSM": aws.url,
        "AWS_ENDPOINT_URL_S3": aws.url,
        "S3_FORCE_PATH_STYLE": "true",
        # Trust the local CA (Go reads SSL_CERT_FILE), as ElastiCache's certificate is trusted in AWS.
        "SSL_CERT_FILE": str(certs.ca),
        **FAKE_CREDENTIALS,
    }
    for name in ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY"):
        environment[f"{name}_PARAM"] = f"{aws.ssm_prefix}/{name}"
    return environment


@contextlib.contextmanager
def lambda_emulator(bootstrap: Path, environment: dict[str, str], folder: Path) -> Iterator[Emulator]:
    """The Runtime Interface Emulator serving ``bootstrap`` on 127.0.0.1."""
    if not RIE.exists():
        raise LocalRunError(f"{RIE} not found; `make invoke-local` (or `make unit`) builds it")
    port, runtime_port = free_port(), free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "emulator.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [
                str(RIE),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{port}",
                "--runtime-api-address",
                f"127.0.0.1:{runtime_port}",
                str(bootstrap),
            ],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    emulator = Emulator(port=port, process=process, log=log)
    with serving(port, "aws-lambda-rie", lambda: stop_process(process)):
        yield emulator


# --------------------------------------------------------------------------- server mode


@dataclass
class Server:
    """The same binary outside Lambda, serving HTTP on 127.0.0.1:``port``."""

    port: int
    process: subprocess.Popen[str]
    log: Path


@contextlib.contextmanager
def http_server(bootstrap: Path, environment: dict[str, str], folder: Path) -> Iterator[Server]:
    """``bootstrap`` in server mode (as on ECS) on a free loopback port."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [str(bootstrap)],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    with serving(port, "bootstrap (server mode)", lambda: stop_process(process)):
        yield Server(port=port, process=process, log=log)


# --------------------------------------------------------------------------- all of it


@dataclass
class Dependencies:
    """PostgreSQL, Redis and SSM/S3 on loopback, and the environment that points the binary at them."""

    redis: Redis
    secret_values: dict[str, str]
    environment: dict[str, str]
    certs: Certificates


@contextlib.contextmanager
def dependencies(folder: Path) -> Iterator[Dependencies]:
    """Start PostgreSQL, Redis and SSM/S3, with the four secrets in SSM."""
    with contextlib.ExitStack() as stack:
        certs = stack.enter_context(certificates(folder / "tls"))
        pg = stack.enter_context(postgres(certs))
        cache = stack.enter_context(redis(certs))
        values = {
            "DB_PASSWORD": pg.password,
            "REDIS_PASSWORD": cache.password,
            "JWT_SECRET": secrets.token_urlsafe(32),
            "MIDTRANS_SERVER_KEY": secrets.token_urlsafe(16),
        }
        aws = stack.enter_context(aws_endpoints(values))
        yield Dependencies(cache, values, function_environment(pg, cache, aws, certs), certs)


@dataclass
class LocalRun:
    """The function under the emulator with its dependencies, as `local_run` started them."""

    emulator: Emulator
    redis: Redis
    secret_values: dict[str, str]
    bootstrap: Path
    environment: dict[str, str]
    folder: Path


@contextlib.contextmanager
def local_run(folder: Path) -> Iterator[LocalRun]:
    """Build bootstrap, start PostgreSQL, Redis and SSM/S3, and run the function under the emulator."""
    from tools.build.go import build_bootstrap

    bootstrap = folder / "bootstrap"
    build_bootstrap(ROOT / "lambda_src", "amd64", bootstrap)
    with dependencies(folder) as deps, lambda_emulator(bootstrap, deps.environment, folder / "rie") as emulator:
        yield LocalRun(emulator, deps.redis, deps.secret_values, bootstrap, deps.environment, folder)
