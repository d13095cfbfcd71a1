"""The Makefile's check of CONTEXT, before any set-up: every item must be ``-c key=value``.

Usage: python3 -m tools.gates.context_args "<CONTEXT>" "<make goals>"

The CDK CLI takes anything else quietly: ``-c lambda_memory`` only warns "Context argument is
not an assignment" and synthesizes at the default, and a bare ``lambda_memory=1024`` becomes a
stack pattern ("No stacks match"). CONTEXT is split as the recipes' shell splits it (shlex:
nothing in it is run, even under ``make -n``). make review reads no CONTEXT: it synthesizes
cdk.json as the change leaves it, so any is refused there. Prints one line naming the problem
and what is accepted, or nothing. The standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import json
import shlex
import sys


def _assignment(item: str) -> bool:
    key, equals, _ = item.partition("=")
    return bool(equals and key) and not any(character.isspace() for character in key)


def problem(text: str, goals: list[str]) -> str | None:
    """What is wrong with CONTEXT ``text`` for the make ``goals``, in one line; None when nothing is."""

    def refused(what: str, accepted: str) -> str:
        return f"CONTEXT: {what}; accepted: {accepted}"

    try:
        words = shlex.split(text)
    except ValueError as error:
        return refused(f"{text} cannot be split as a shell would ({error})", "-c key=value items, quoted as in a shell")
    if "review" in goals:
        return refused(
            f"{text} is not read by make review (it synthesizes every environment of cdk.json in both modes)",
            "make review [BASE=ref] without CONTEXT, which is for synth, scan, diff, deploy and cost",
        )
    fixed: list[str] = []
    bare: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("-c", "--context"):
            item = words[index + 1] if index + 1 < len(words) else ""
            if not _assignment(item) or item.startswith("-"):
                key = item.partition("=")[0] if item and not item.startswith("-") else "key"
                return refused(
                    f"{word} {item}".strip()
                    + " is not an assignment (the CDK would only warn, and go on at the default)",
                    f"{word} {key}=<value>",
                )
            fixed, index = [*fixed, word, item], index + 2
        elif word.startswith("--context=") and _assignment(word.removeprefix("--context=")):
            fixed, index = [*fixed, word], index + 1
        elif _assignment(word) and not word.startswith("-"):
            fixed, bare, index = [*fixed, "-c", word], [*bare, word], index + 1
        else:
            return refused(
                f"{word} is not a -c key=value item",
                "-c key=value items only (other cdk options: run npx cdk yourself)",
            )
    if bare:
        return refused(
            f"{bare[0]} has no -c before it (the CDK would take it for a stack: No stacks match)",
            "CONTEXT=" + json.dumps(shlex.join(fixed)),
        )
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text, goals = (args[0] if args else ""), (args[1].split() if len(args) > 1 else [])
    found = problem(text, goals)
    if found:
        print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
