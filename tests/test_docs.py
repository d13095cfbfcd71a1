"""The README as a front page, and the guides in docs/: every relative link lands on a file and a heading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FRONT_PAGE_LINES = 350

_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def outside_code(text: str) -> list[str]:
    """The lines of a Markdown document outside its fenced code blocks."""
    lines, fence = [], ""
    for line in text.splitlines():
        marker = re.match(r"^\s*(```+|~~~+)", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        elif not fence:
            lines.append(line)
    return lines


def prose(text: str) -> list[str]:
    """The lines of a Markdown document outside fenced code blocks, inline code emptied."""
    return [re.sub(r"`[^`]*`", "``", line) for line in outside_code(text)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lowercase, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"[`*]|<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in ``path``, with GitHub's -1, -2 … for a repeated one."""
    found: set[str] = set()
    for line in outside_code(path.read_text(encoding="utf-8")):
        heading = _HEADING.match(line)
        if heading:
            base = anchor = slug(heading.group(2))
            count = 0
            while anchor in found:
                count += 1
                anchor = f"{base}-{count}"
            found.add(anchor)
    return found


def links(path: Path) -> list[str]:
    """The relative links of ``path``'s prose (not web addresses, not e-mail)."""
    text = "\n".join(prose(path.read_text(encoding="utf-8")))
    return [t for t in _LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def broken(path: Path, root: Path = ROOT) -> list[str]:
    """One line for each relative link of ``path`` whose file or heading does not exist (paths from ``root``)."""
    problems = []
    for target in links(path):
        file_part, _, fragment = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(root)}: ({target})"
        if not destination.exists():
            problems.append(f"{where}: no file {file_part}")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            problems.append(f"{where}: no heading #{fragment} in {destination.relative_to(root)}")
    return problems


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_lands_on_a_file_and_a_heading(path: Path) -> None:
    assert broken(path) == []


def test_the_readme_is_a_front_page_that_sends_each_reader_to_every_guide() -> None:
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= FRONT_PAGE_LINES
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(readme)}
    assert [p.name for p in DOCUMENTS[1:] if p not in linked] == []


def test_the_link_check_sees_a_missing_heading_a_missing_file_and_skips_code(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\n## Runbook: Lambda → ECS (at 3 a.m.)\n\n## Runbook: Lambda → ECS (at 3 a.m.)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "See [it](guide.md#runbook-lambda--ecs-at-3-am), [again](guide.md#runbook-lambda--ecs-at-3-am-1),\n"
        "[gone](guide.md#runbook), [nowhere](missing.md), [the web](https://example.com/x.md#y), `[code](no.md)`.\n"
        "```sh\n# [a comment](nothing.md)\n```\n"
    )
    assert broken(page, tmp_path) == [
        "page.md: (guide.md#runbook): no heading #runbook in guide.md",
        "page.md: (missing.md): no file missing.md",
    ]
    assert slug("The application role (`anigmaa_app`)") == "the-application-role-anigmaa_app"
    assert slug("The Lambda runtime: `provided.al2` is deprecated") == "the-lambda-runtime-providedal2-is-deprecated"
