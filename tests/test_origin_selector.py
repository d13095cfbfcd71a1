"""The CloudFront Function that splits requests between the Lambda and ECS origins
(edge_src/origin_selector.js), as constructs/origin_selector.py renders it at synth.

Each rendering runs under njs, nginx's JavaScript engine, whose dialect is the one CloudFront
Functions documents (Debian's package, `make system-packages`), in its sandbox (no file system) and
safe mode (no Function constructor), and again under the venv's Node 24 as a second engine. A stub of the
runtime's ``cloudfront`` module records the origin each request selects, and a fixed sequence of
draws stands in for Math.random. Every case runs in one process per engine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from constructs import origin_selector
from constructs.origin_selector import ORIGIN_SELECTOR_SOURCE, origin_selector_code
from tools import ROOT

NODE = ROOT / ".venv" / "bin" / "node"
# CloudFront Functions' quota on a function's code.
MAX_CODE_BYTES = 10 * 1024
# One draw per hundredth of [0, 1): with weights in whole percent, each draw stands for 1% of requests.
PERCENT_DRAWS = tuple(i / 100 for i in range(100))
MARKER = "ORIGIN-SELECTOR-OUTCOME "
DONE = "ORIGIN-SELECTOR-DONE"

# A viewer-request event as CloudFront Functions passes it (event structure, version 1.0).
EVENT: dict[str, Any] = {
    "version": "1.0",
    "context": {
        "distributionDomainName": "d111111abcdef8.cloudfront.net",
        "distributionId": "EDFDVBD6EXAMPLE",
        "eventType": "viewer-request",
        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
    },
    "viewer": {"ip": "198.51.100.11"},
    "request": {
        "method": "GET",
        "uri": "/health/ready",
        "querystring": {"verbose": {"value": "1"}},
        "headers": {"host": {"value": "api.example.com"}, "accept": {"value": "application/json"}},
        "cookies": {"session": {"value": "abc123"}},
    },
}

# The runtime's built-in module, as the function uses it. It selects only the distribution's origin
# ids (anything else is a bug the test should see), records each selection, and takes away the
# timers njs's and Node's command lines have and CloudFront Functions does not, so that a use fails
# here as it would there. It is imported before the function's code runs.
CLOUDFRONT_STUB = """\
var ORIGIN_IDS = ['lambda', 'ecs'];
var calls = [];
['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].forEach(
    function (name) { delete globalThis[name]; });
export default {
    selectRequestOriginById: function (id) {
        if (ORIGIN_IDS.indexOf(id) === -1) {
            throw new Error('selectRequestOriginById: no origin with id ' + JSON.stringify(id));
        }
        calls.push(id);
    },
    calls: calls
};
"""

# Calls each case's handler once per draw, one request after another, and prints what each did,
# then DONE.
# Promise.resolve takes a plain and an async handler alike.
DRIVER = """\
var EVENT = %(event)s;
var CASES = [%(cases)s];

function invoke(handler, draw) {
    var event = JSON.parse(JSON.stringify(EVENT));
    var draws = 0;
    Math.random = function () { draws += 1; return draw; };
    cf.calls.length = 0;
    function outcome(returned, error) {
        return {
            selected: cf.calls.slice(),
            draws: draws,
            same: returned === event.request,
            request: returned === undefined ? null : JSON.parse(JSON.stringify(returned)),
            error: error
        };
    }
    return Promise.resolve()
        .then(function () { return handler(event); })
        .then(function (returned) { return outcome(returned, null); },
              function (e) { return outcome(undefined, String(e)); });
}

// A line per request: njs's console.log cuts a line at 2048 bytes.
var chain = Promise.resolve();
CASES.forEach(function (c) {
    c.draws.forEach(function (draw) {
        chain = chain
            .then(function () { return invoke(c.handler, draw); })
            .then(function (o) { console.log(%(marker)s + JSON.stringify([c.name, o])); });
    });
});
chain.then(function () { console.log(%(done)s); },
           function (e) { console.log('driver failed: ' + e); });
"""


@dataclass(frozen=True)
class Case:
    """A code to run, and the draws its requests get, one request per draw."""

    code: str
    draws: tuple[float, ...] = PERCENT_DRAWS


@dataclass(frozen=True)
class Outcome:
    """What one request did: the origins it selected, the draws it took, what the handler returned."""

    selected: tuple[str, ...]
    draws: int
    same: bool
    request: dict[str, Any] | None
    error: str | None


def _weights_line(code: str, line: str | None) -> str:
    """``code`` with its WEIGHTS line replaced by ``line``, or removed (None)."""
    lines = code.splitlines(keepends=True)
    found = [i for i, text in enumerate(lines) if text.startswith("var WEIGHTS = ")]
    assert len(found) == 1, found
    lines[found[0]] = "" if line is None else line + "\n"
    return "".join(lines)


# WEIGHTS lines the app never writes (None: no line at all), each in a code otherwise as rendered:
# the function must neither throw nor select, so that the distribution's default origin serves.
UNUSABLE_WEIGHTS: dict[str, str | None] = {
    "weights summing to 0": 'var WEIGHTS = {"lambda": 0, "ecs": 0};',
    "no WEIGHTS line": None,
    "WEIGHTS null": "var WEIGHTS = null;",
    "WEIGHTS a string": 'var WEIGHTS = "lambda";',
    "WEIGHTS empty": "var WEIGHTS = {};",
    "WEIGHTS not numbers": 'var WEIGHTS = {"lambda": "100", "ecs": -5, "other": 100};',
}
CASES: dict[str, Case] = {
    "lambda 100, ecs 0": Case(origin_selector_code({"lambda": 100, "ecs": 0})),
    "lambda 0, ecs 100": Case(origin_selector_code({"lambda": 0, "ecs": 100})),
    "lambda 25, ecs 75": Case(origin_selector_code({"lambda": 25, "ecs": 75})),
    "lambda 25, ecs 75 at the boundary": Case(
        origin_selector_code({"lambda": 25, "ecs": 75}), draws=(0.0, 0.2499999999, 0.25, 0.9999999999)
    ),
    "ecs alone": Case(origin_selector_code({"ecs": 100})),
    "lambda alone": Case(origin_selector_code({"lambda": 100})),
    **{
        name: Case(_weights_line(origin_selector_code({"lambda": 100}), line))
        for name, line in UNUSABLE_WEIGHTS.items()
    },
}


def _command(runtime: str, driver: Path, modules: Path) -> list[str]:
    if runtime == "njs":
        njs = shutil.which("njs")
        if njs is None:
            pytest.fail("njs is missing: make system-packages installs it")
        # -s: no file system module; -u: no Function constructor (eval is absent from njs either way).
        return [njs, "-q", "-s", "-u", "-p", str(modules), str(driver)]
    if not NODE.exists():
        pytest.fail(f"{NODE} is missing: make setup installs it")
    return [str(NODE), str(driver)]


def _run(runtime: str, folder: Path) -> dict[str, list[Outcome]]:
    # njs finds `import cf from 'cloudfront'` as the file modules/cloudfront, Node as a package.
    modules = folder / "modules"
    modules.mkdir()
    (modules / "cloudfront").write_text(CLOUDFRONT_STUB, encoding="utf-8")
    package = folder / "node_modules" / "cloudfront"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "cloudfront", "type": "module", "main": "index.js"}\n')
    (package / "index.js").write_text(CLOUDFRONT_STUB, encoding="utf-8")
    imports = ["import cf from 'cloudfront';"]
    entries = []
    for i, (name, case) in enumerate(CASES.items()):
        # CloudFront calls the function's handler by name; here the driver imports it.
        (folder / f"case_{i}.mjs").write_text(case.code + "\nexport default handler;\n", encoding="utf-8")
        imports.append(f"import handler_{i} from './case_{i}.mjs';")
        entries.append(f"{{name: {json.dumps(name)}, handler: handler_{i}, draws: {json.dumps(list(case.draws))}}}")
    driver = folder / "driver.mjs"
    marks = {
        "event": json.dumps(EVENT),
        "cases": ", ".join(entries),
        "marker": json.dumps(MARKER),
        "done": json.dumps(DONE),
    }
    driver.write_text("\n".join(imports) + "\n" + DRIVER % marks, encoding="utf-8")
    result = subprocess.run(
        _command(runtime, driver, modules), cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert result.stdout.splitlines()[-1:] == [DONE], output
    outcomes: dict[str, list[Outcome]] = {name: [] for name in CASES}
    for line in result.stdout.splitlines():
        if line.startswith(MARKER):
            name, o = json.loads(line[len(MARKER) :])
            outcomes[name].append(Outcome(tuple(o["selected"]), o["draws"], o["same"], o["request"], o["error"]))
    return outcomes


@pytest.fixture(scope="module", params=["njs", "node"])
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    """Every case's outcomes under njs, the closest engine to CloudFront Functions', then under Node 24."""
    runtime: str = request.param
    return _run(runtime, tmp_path_factory.mktemp(f"origin-selector-{runtime}"))


def _selected(outcomes: list[Outcome]) -> list[str | None]:
    assert all(len(o.selected) <= 1 for o in outcomes), [o.selected for o in outcomes]
    return [o.selected[0] if o.selected else None for o in outcomes]


def test_every_request_succeeds_and_draws_once(outcomes: dict[str, list[Outcome]]) -> None:
    """One draw per request is what makes the split follow the weights."""
    assert set(outcomes) == set(CASES)
    for name, case in CASES.items():
        assert len(outcomes[name]) == len(case.draws), name
        assert [o.error for o in outcomes[name]] == [None] * len(case.draws), name
        assert {o.draws for o in outcomes[name]} == {1}, name


def test_every_request_is_returned_unchanged(outcomes: dict[str, list[Outcome]]) -> None:
    for name, results in outcomes.items():
        for o in results:
            assert o.same, name
            assert o.request == EVENT["request"], name


def test_all_to_lambda(outcomes: dict[str, list[Outcome]]) -> None:
    assert _selected(outcomes["lambda 100, ecs 0"]) == ["lambda"] * 100


def test_all_to_ecs(outcomes: dict[str, list[Outcome]]) -> None:
    assert _selected(outcomes["lambda 0, ecs 100"]) == ["ecs"] * 100


def test_a_quarter_to_lambda(outcomes: dict[str, list[Outcome]]) -> None:
    """Lambda's weight comes first: draws below 0.25 go to lambda, the rest to ecs."""
    assert _selected(outcomes["lambda 25, ecs 75"]) == ["lambda"] * 25 + ["ecs"] * 75


def test_a_draw_on_the_boundary_goes_to_the_next_origin(outcomes: dict[str, list[Outcome]]) -> None:
    assert _selected(outcomes["lambda 25, ecs 75 at the boundary"]) == ["lambda", "lambda", "ecs", "ecs"]


def test_a_single_origin_is_still_selected(outcomes: dict[str, list[Outcome]]) -> None:
    assert _selected(outcomes["ecs alone"]) == ["ecs"] * 100
    assert _selected(outcomes["lambda alone"]) == ["lambda"] * 100


@pytest.mark.parametrize("name", UNUSABLE_WEIGHTS)
def test_unusable_weights_select_nothing(outcomes: dict[str, list[Outcome]], name: str) -> None:
    """The distribution's default origin serves: the function neither throws nor selects."""
    assert _selected(outcomes[name]) == [None] * 100


def test_the_source_holds_the_rendering_of_its_default_weights() -> None:
    """The source's WEIGHTS line is in the form the app writes, so only the weights ever change."""
    assert origin_selector_code({"lambda": 100, "ecs": 0}) == ORIGIN_SELECTOR_SOURCE.read_text(encoding="utf-8")


def test_only_the_weights_line_changes() -> None:
    source = ORIGIN_SELECTOR_SOURCE.read_text(encoding="utf-8").splitlines()
    rendered = origin_selector_code({"ecs": 75, "lambda": 25}).splitlines()
    changed = [(a, b) for a, b in zip(source, rendered, strict=True) if a != b]
    assert changed == [('var WEIGHTS = {"lambda": 100, "ecs": 0};', 'var WEIGHTS = {"lambda": 25, "ecs": 75};')]


def test_the_same_weights_give_the_same_bytes() -> None:
    first = origin_selector_code({"lambda": 40, "ecs": 60}).encode()
    assert origin_selector_code({"ecs": 60, "lambda": 40}).encode() == first
    assert origin_selector_code({"lambda": 40, "ecs": 60}).encode() == first
    assert 'var WEIGHTS = {"ecs": 100};' in origin_selector_code({"ecs": 100})


@pytest.mark.parametrize("weights", [{"lambda": 100, "ecs": 0}, {"lambda": 50, "ecs": 50}, {"ecs": 100}])
def test_the_code_is_within_cloudfront_functions_size_quota(weights: dict[str, int]) -> None:
    assert len(origin_selector_code(weights).encode()) <= MAX_CODE_BYTES


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"lambda": 50, "fargate": 50}, "not origins of the distribution"),
        ({"lambda": 50.0, "ecs": 50}, "weight of lambda"),
        ({"lambda": True, "ecs": 99}, "weight of lambda"),
        ({"lambda": "50", "ecs": 50}, "weight of lambda"),
        ({"lambda": 101, "ecs": -1}, "weight of lambda"),
        ({"lambda": 100, "ecs": -1}, "weight of ecs"),
        ({"lambda": 50}, "sum to 50"),
        ({"lambda": 60, "ecs": 60}, "sum to 120"),
        ({}, "sum to 0"),
    ],
)
def test_weights_the_distribution_cannot_use_are_refused(weights: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        origin_selector_code(weights)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("function handler(event) { return event.request; }\n", 0),
        ("// var WEIGHTS = {};\nvar  WEIGHTS = {};\n", 0),
        ('var WEIGHTS = {"lambda": 100};\nvar WEIGHTS = {"ecs": 100};\n', 2),
    ],
)
def test_a_source_without_exactly_one_weights_line_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, found: int
) -> None:
    path = tmp_path / "origin_selector.js"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setattr(origin_selector, "ORIGIN_SELECTOR_SOURCE", path)
    with pytest.raises(ValueError, match=f"{found} 'var WEIGHTS"):
        origin_selector_code({"lambda": 100})
