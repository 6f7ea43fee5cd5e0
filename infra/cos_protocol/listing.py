"""ListObjects semantics over a sorted key sequence: prefix, marker, delimiter, max-keys, CommonPrefixes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    keys: list[str]
    common_prefixes: list[str]
    next_marker: str | None  # None: the listing is complete


def list_page(sorted_keys: Iterable[str], *, prefix: str, marker: str, delimiter: str, max_keys: int) -> Page:
    """COS counts keys and common prefixes together against max-keys; a common prefix is listed
    once, at the position of its first key, and skipped whole when the marker is past it."""
    keys: list[str] = []
    prefixes: list[str] = []
    last = ""
    for key in sorted_keys:
        if not key.startswith(prefix) or key <= marker:
            continue
        rolled = None
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                rolled = key[: cut + len(delimiter)]
        if rolled is not None and prefixes and prefixes[-1] == rolled:
            continue
        if rolled is not None and rolled <= marker:
            continue  # the marker was this common prefix: its keys are done
        if len(keys) + len(prefixes) >= max_keys:
            return Page(keys, prefixes, last)
        if rolled is not None:
            prefixes.append(rolled)
            last = rolled
        else:
            keys.append(key)
            last = key
    return Page(keys, prefixes, None)
