"""The outside-in probe's script (probe_src/python/probe.py) against local HTTP(S) servers on loopback."""

from __future__ import annotations

import importlib.util
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from tests.fake_http import JsonHandler

PROBE_PATH = Path(__file__).resolve().parent.parent / "probe_src" / "python" / "probe.py"
READY = {"status": "ready", "checks": {"postgres": {"status": "up", "latency_ms": 3}}}


def _load_probe() -> ModuleType:
    # A canary script, not a package of the project: load it from its file.
    spec = importlib.util.spec_from_file_location("probe", PROBE_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


probe = _load_probe()


class Backend(JsonHandler):
    """Answers GET with what the test set: a status, a body, a content type, a delay."""

    status: ClassVar[int] = 200
    body: ClassVar[Any] = READY
    content_type: ClassVar[str] = "application/json"
    delay: ClassVar[float] = 0.0
    location: ClassVar[str | None] = None

    def do_GET(self) -> None:  # noqa: N802 (BaseHTTPRequestHandler's name)
        time.sleep(self.delay)
        data = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.location is not None:
            self.send_header("Location", self.location)
        self.end_headers()
        self.wfile.write(data)


class QuietServer(ThreadingHTTPServer):
    """A client that gives up mid-answer is what some tests do: no traceback for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


Serve = Callable[..., str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(**answer)`` starts a server on 127.0.0.1 that answers so, and returns its /health/ready URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(tls: ssl.SSLContext | None = None, host: str = "127.0.0.1", **answer: Any) -> str:
        handler = type("Answer", (Backend,), answer)
        server = QuietServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        scheme = "https" if tls is not None else "http"
        return f"{scheme}://{host}:{server.server_address[1]}/health/ready"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_ready_answer_passes_with_the_report(serve: Serve) -> None:
    assert probe.check(serve()) == READY


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 503, "body": {"status": "not_ready", "checks": {}}}, "status 503, not 200"),
        ({"body": {"status": "not_ready"}}, "status 'not_ready' in the body, not 'ready'"),
        ({"body": ["ready"]}, "status None in the body"),
        ({"body": b"<html>ready</html>", "content_type": "text/html"}, "Content-Type 'text/html'"),
        ({"body": b"ready", "content_type": "application/json"}, "the body is not JSON"),
        ({"body": b"x" * (64 * 1024)}, "is not the readiness report"),
        ({"status": 302, "location": "https://elsewhere.example/"}, "status 302, not 200"),
    ],
)
def test_anything_but_ready_json_with_200_fails(serve: Serve, answer: dict[str, Any], reason: str) -> None:
    with pytest.raises(probe.ProbeError, match=reason):
        probe.check(serve(**answer))


def test_an_answer_slower_than_the_timeout_fails(serve: Serve) -> None:
    url = serve(delay=1.0)
    started = time.monotonic()
    with pytest.raises(probe.ProbeError, match="no answer"):
        probe.check(url, timeout=0.3)
    assert time.monotonic() - started < 0.9  # it gave up, rather than waiting for the answer


def test_a_closed_port_fails() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), Backend) as server:
        port = server.server_address[1]  # bound, then closed: nothing listens there
    with pytest.raises(probe.ProbeError, match="no answer"):
        probe.check(f"http://127.0.0.1:{port}/health/ready", timeout=1)


def test_https_to_a_server_that_speaks_plain_http_fails(serve: Serve) -> None:
    url = serve().replace("http://", "https://")
    with pytest.raises(probe.ProbeError, match="no answer"):
        probe.check(url, timeout=2)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost only (no IP address), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_the_certificate_must_verify(serve: Serve, certificate: tuple[Path, Path]) -> None:
    url = serve(tls=_server_tls(*certificate), host="localhost")
    with pytest.raises(probe.ProbeError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        probe.check(url, timeout=2)


def test_a_trusted_certificate_passes_for_its_host_only(
    serve: Serve, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    # Trust the test's certificate as a root, as the canary trusts the public ones.
    trusting = ssl.create_default_context

    def with_test_root(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = trusting(*args, **kwargs)
        context.load_verify_locations(cert)
        return context

    monkeypatch.setattr(probe.ssl, "create_default_context", with_test_root)
    tls = _server_tls(cert, key)
    assert probe.check(serve(tls=tls, host="localhost"), timeout=2) == READY
    with pytest.raises(probe.ProbeError, match=r"IP address mismatch|doesn't match|Hostname mismatch"):
        probe.check(serve(tls=tls, host="127.0.0.1"), timeout=2)


def test_the_handler_probes_the_configured_url(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    url = serve()
    monkeypatch.setenv(probe.URL_ENV, url)
    assert probe.handler({}, None).startswith(f"GET {url}: ready in ")
    monkeypatch.setenv(probe.URL_ENV, serve(status=503, body={"status": "not_ready"}))
    with pytest.raises(probe.ProbeError, match="status 503"):
        probe.handler({}, None)


def test_the_handler_fails_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(probe.URL_ENV, raising=False)
    with pytest.raises(probe.ProbeError, match="PROBE_URL=''"):
        probe.handler({}, None)
