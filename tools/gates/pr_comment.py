"""Post the review as one sticky pull-request comment: update the one that carries the marker, or add it.

Usage: python -m tools.gates.pr_comment --repo OWNER/NAME --pr N --head-sha SHA --body FILE
       (the token in GITHUB_TOKEN; the API at GITHUB_API_URL, default https://api.github.com)

The review workflow runs it; a comment is found by the hidden marker `make review` writes first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- anigmaa-review -->"
# The comment it updates is the workflow's own: a person's comment with the marker is left alone.
AUTHOR = "github-actions[bot]"
LIMIT = 65_536


class CommentError(RuntimeError):
    """The API refused; the message is one line."""


def _call(api: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{api.rstrip('/')}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise CommentError(f"{method} {path}: HTTP {error.code}") from None


def check_head(api: str, token: str, repo: str, pr: int, head_sha: str) -> None:
    """The pull request's head is the commit the review ran on: an artifact cannot aim at another one."""
    pull = _call(api, token, "GET", f"/repos/{repo}/pulls/{pr}")
    if (pull.get("head") or {}).get("sha") != head_sha:
        raise CommentError(f"pull request {pr}'s head is not {head_sha[:12]}: not commenting")


def upsert(api: str, token: str, repo: str, pr: int, body: str) -> str:
    """Update the workflow's marked comment, or create it; returns "updated" or "created"."""
    if MARKER not in body:
        body = f"{MARKER}\n{body}"
    if len(body) > LIMIT:
        note = "\n\n_Cut to GitHub's comment limit; the whole report is the run's artifact._"
        body = body[: LIMIT - len(note)] + note
    page = 1
    while True:
        comments = _call(api, token, "GET", f"/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}")
        for comment in comments:
            if MARKER in (comment.get("body") or "") and (comment.get("user") or {}).get("login") == AUTHOR:
                _call(api, token, "PATCH", f"/repos/{repo}/issues/comments/{comment['id']}", {"body": body})
                return "updated"
        if len(comments) < 100:
            break
        page += 1
    _call(api, token, "POST", f"/repos/{repo}/issues/{pr}/comments", {"body": body})
    return "created"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gates.pr_comment", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="OWNER/NAME")
    parser.add_argument("--pr", required=True, type=int, help="pull request number")
    parser.add_argument("--body", required=True, type=Path, help="the comment's Markdown")
    parser.add_argument("--head-sha", required=True, help="the commit the review ran on (the run's head)")
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token:
        print("pr_comment: no token: set GITHUB_TOKEN (the workflow's github.token)", file=sys.stderr)
        return 1
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    try:
        check_head(api, token, args.repo, args.pr, args.head_sha)
        done = upsert(api, token, args.repo, args.pr, args.body.read_text(encoding="utf-8"))
    except (CommentError, OSError) as error:
        print(f"pr_comment: {error}", file=sys.stderr)
        return 1
    print(f"pr_comment: {done} the review comment on {args.repo}#{args.pr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
