"""Lambda's GetAccountSettings on the emulator, which moto 5.2.5 does not route (it answers 404), so that
`tools.ops.preflight` runs in the rehearsal, as the CI jobs run it, under IAM.

It models the answer's shape (Lambda API reference, GetAccountSettings): the regional default quota of
1,000 concurrent executions, less what the account's functions reserve, as unreserved.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.awslambda import urls
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend

# Lambda's default concurrency quota per Region (Lambda quotas: "Concurrent executions", 1,000).
CONCURRENT_EXECUTIONS = 1000


@functools.cache
def install() -> None:
    """Route GET /2016-08-19/account-settings/ to an answer (idempotent; before the server starts)."""
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _get_account_settings  # type: ignore[attr-defined]


def _get_account_settings(self: Any) -> tuple[int, dict[str, str], str]:
    backend = get_backend(self.current_account, self.region)
    functions = list(backend.list_functions())
    reserved = sum(int(getattr(f, "reserved_concurrency", None) or 0) for f in functions)
    answer = {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": CONCURRENT_EXECUTIONS,
            "UnreservedConcurrentExecutions": CONCURRENT_EXECUTIONS - reserved,
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(getattr(f, "code_size", 0) or 0) for f in functions),
            "FunctionCount": len(functions),
        },
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(answer)
