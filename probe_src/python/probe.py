"""The outside-in probe: is the API ready, asked the way a user's client asks it?

CloudWatch Synthetics runs ``handler`` on the canary's schedule (runtime syn-python-selenium-7.0,
Python 3.11; constructs/probe.py). It sends GET to PROBE_URL (``https://<domain>/health/ready``,
or the stack's own public address) from outside the VPC, through public DNS, and passes only
on status 200 with a JSON body whose ``status`` is ``"ready"``, answered within TIMEOUT_SECONDS.
Anything else raises ProbeError, which fails the run: a refused or reset connection, a
certificate that does not verify for the host, a redirect, another status, a body that is not
that JSON, a slow answer. The canary's alarm counts failed runs.

The standard library only, so tests/test_probe.py runs the same check against a local server.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

URL_ENV = "PROBE_URL"
# A cold start's budget (6 s: the secrets, the frame's start) and the readiness checks' 2 s, with
# room to spare: a slower answer fails the run, as a user's client would give up.
TIMEOUT_SECONDS = 10.0
# /health/ready answers a few hundred bytes; a longer body is not its answer.
MAX_BODY_BYTES = 16 * 1024
USER_AGENT = "anigmaa-probe"


class ProbeError(Exception):
    """The API did not answer ready: the run fails with this message."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 200, not a hop to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # The default TLS context verifies the certificate chain and the host name; no proxy is consulted.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
        _NoRedirects(),
    )


def check(url: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """The readiness report of ``url`` when it answers ready within ``timeout`` seconds; ProbeError otherwise."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    started = time.monotonic()
    try:
        with _opener().open(request, timeout=timeout) as response:
            status, content_type = response.status, response.headers.get("Content-Type", "")
            body = response.read(MAX_BODY_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise ProbeError(f"GET {url}: status {error.code}, not 200") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:  # refused, reset, DNS, TLS, slow
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        raise ProbeError(f"GET {url}: no answer ({reason})") from None
    elapsed = time.monotonic() - started
    if elapsed > timeout:
        raise ProbeError(f"GET {url}: answered in {elapsed:.1f} s, more than {timeout:g} s")
    if status != 200:
        raise ProbeError(f"GET {url}: status {status}, not 200")
    if not content_type.startswith("application/json"):
        raise ProbeError(f"GET {url}: Content-Type {content_type!r}, not application/json")
    if len(body) > MAX_BODY_BYTES:
        raise ProbeError(f"GET {url}: a body over {MAX_BODY_BYTES} bytes is not the readiness report")
    try:
        report = json.loads(body)
    except ValueError:
        raise ProbeError(f"GET {url}: the body is not JSON") from None
    if not isinstance(report, dict) or report.get("status") != "ready":
        status_field = report.get("status") if isinstance(report, dict) else None
        raise ProbeError(f"GET {url}: status {status_field!r} in the body, not 'ready'")
    return report


def handler(event: Any, context: Any) -> str:
    """The canary's entry point: raises (the run fails) unless the API answers ready."""
    url = os.environ.get(URL_ENV, "")
    if not url.startswith(("https://", "http://")):
        raise ProbeError(f"{URL_ENV}={url!r} is not an http(s) URL")
    started = time.monotonic()
    report = check(url)
    message = f"GET {url}: ready in {time.monotonic() - started:.2f} s ({sorted(report.get('checks', {}))})"
    print(message)
    return message
