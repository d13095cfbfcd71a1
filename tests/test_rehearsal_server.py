"""The rehearsal's environment sends every AWS call to the emulator and anything else into a tripwire."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.request

from tools.rehearsal.server import Emulator, Tripwire


def test_a_request_for_any_other_address_reaches_only_the_tripwire() -> None:
    tripwire = Tripwire()
    try:
        env = Emulator("http://localhost:1", tripwire).environment()
        assert env["AWS_ENDPOINT_URL"] == "http://localhost:1"
        assert not any(k.startswith("AWS_PROFILE") for k in env)
        proxies = {"http": env["HTTP_PROXY"], "https": env["HTTPS_PROXY"]}
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
        with contextlib.suppress(urllib.error.URLError, ConnectionError, OSError):
            opener.open("http://example.com/", timeout=5)  # answered by nobody: the tripwire closes it
        deadline = time.monotonic() + 5
        while tripwire.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert tripwire.connections == 1
    finally:
        tripwire.close()
