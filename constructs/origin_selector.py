"""The CloudFront Function that splits requests between the Lambda and ECS origins, with its weights
written into its code at synth (`edge_src/origin_selector.js`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

# The function's source, with the one line the weights go into.
EDGE_SOURCE_DIR = Path(__file__).resolve().parent.parent / "edge_src"
ORIGIN_SELECTOR_SOURCE = EDGE_SOURCE_DIR / "origin_selector.js"
# The distribution's origin ids, in the order the function lays their weights end to end.
ORIGIN_IDS = ("lambda", "ecs")
# The whole line, alone: a mention of WEIGHTS in a comment or an expression is not it.
WEIGHTS_LINE = re.compile(r"^var WEIGHTS = .*;$", re.MULTILINE)


def origin_selector_code(weights: Mapping[str, int]) -> str:
    """The function's code with ``weights`` (origin id to percent, as `stacks.edge_stack.record_weights`
    gives them) in its ``var WEIGHTS = {...};`` line.

    ``weights`` names ``lambda``, ``ecs`` or both, each an int from 0 to 100, summing to 100; they are
    written in that order as JSON, so the same weights always give the same code, and a change of
    weight is a change of code that `cdk diff` shows. Raises ValueError for any other weights, or
    if the source has not exactly one such line.
    """
    unknown = sorted(set(weights) - set(ORIGIN_IDS))
    if unknown:
        raise ValueError(f"origin ids {unknown} are not origins of the distribution; accepted: {list(ORIGIN_IDS)}")
    for origin_id, weight in weights.items():
        # bool is an int to Python and would be written as true or false.
        if type(weight) is not int or not 0 <= weight <= 100:
            raise ValueError(f"weight of {origin_id}: {weight!r}; accepted: an int from 0 to 100")
    total = sum(weights.values())
    if total != 100:
        raise ValueError(f"weights {dict(weights)} sum to {total}; accepted: a sum of 100")
    source = ORIGIN_SELECTOR_SOURCE.read_text(encoding="utf-8")
    found = len(WEIGHTS_LINE.findall(source))
    if found != 1:
        raise ValueError(f"{ORIGIN_SELECTOR_SOURCE}: {found} 'var WEIGHTS = ...;' lines; accepted: exactly one")
    ordered = {origin_id: weights[origin_id] for origin_id in ORIGIN_IDS if origin_id in weights}
    line = f"var WEIGHTS = {json.dumps(ordered)};"
    # A function as the replacement: the JSON is taken as it is, never as a template with escapes.
    return WEIGHTS_LINE.sub(lambda _: line, source)
