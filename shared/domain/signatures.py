"""Comparing a signature someone sent with the one we computed.

``hmac.compare_digest`` raises TypeError on a str with non-ASCII characters (``sig=%C3%A9``), which
turned a forged link into a 500 or a dropped connection; comparing the UTF-8 bytes is constant-time
for any input and simply unequal for a non-hex one.
"""

from __future__ import annotations

import hmac


def same_signature(expected: str, given: str | None) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode("utf-8", "surrogateescape"))
