"""Print docs/configuration.md's configuration table from the code and cdk.json, so it never lies.

Usage: python -m tools.docs.config_table
"""

from __future__ import annotations

import json
import sys
from typing import Any

from config import read_context
from config.keys import KEYS
from tools import ROOT


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ", ".join(value) if value else "(none)"
    elif isinstance(value, dict):
        text = json.dumps(value) if value else "(none)"
    elif value == "":
        text = "(empty)"
    else:
        text = str(value)
    return text


def render(context: dict[str, Any]) -> str:
    """The Markdown table of every key: meaning, accepted values, prod and dev defaults."""
    prod, dev = context["environments"]["prod"], context["environments"]["dev"]
    lines = ["| key | meaning | accepted | prod | dev |", "|---|---|---|---|---|"]
    for key, spec in KEYS.items():
        row = [f"`{key}`", spec.help, spec.accepted, _cell(prod[key]), _cell(dev[key])]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def main() -> int:
    context = read_context(ROOT)
    print(render(context))
    return 0


if __name__ == "__main__":
    sys.exit(main())
