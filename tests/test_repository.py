"""What the repository holds: source and reviewed text, never build output."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT

MAX_BYTES = 1_000_000
# Magic numbers of compiled programs and archives: ELF, Mach-O (both byte orders, 32/64), PE, zip.
BINARY_MAGIC = (
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xfe\xed\xfa\xce",
    b"MZ",
    b"PK\x03\x04",
)


def _tracked() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_is_a_compiled_binary_or_over_a_megabyte() -> None:
    offenders = []
    for name in _tracked():
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        with path.open("rb") as file:
            head = file.read(8)
        if head.startswith(BINARY_MAGIC) or b"\0" in head:
            offenders.append(f"{name}: binary ({head[:4]!r})")
        elif path.stat().st_size > MAX_BYTES:
            offenders.append(f"{name}: {path.stat().st_size} bytes")
    assert offenders == []
