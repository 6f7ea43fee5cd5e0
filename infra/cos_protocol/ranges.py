"""HTTP Range for GetObject: one byte range, as COS serves (RFC 9110 section 14.1.2).

Kept as a small parser rather than a dependency: the stack's runtime dependencies have no HTTP
toolkit, and a single byte range is all COS clients send (the SDK's ranged download included).
"""

from __future__ import annotations

import re

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive), or None for 'not satisfiable'. Raises ValueError if malformed."""
    match = _RANGE_RE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise ValueError(header)
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None
    return start, end
