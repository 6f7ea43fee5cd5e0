"""What the COS adapter reads off the SDK's responses: header values as COS sends them, its two
time formats, and an object's body as a stream that gives its connection back when closed."""

from __future__ import annotations

from calendar import timegm
from email.utils import parsedate_to_datetime
from time import strptime
from typing import Any


def header(headers: dict[str, Any], name: str, default: str = "") -> str:
    """Response headers as the SDK returns them: a plain dict, case as the server sent it."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return str(value)
    return default


def http_time(value: str) -> float:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return 0.0


def iso_time(value: str) -> float:
    try:
        return float(timegm(strptime(value.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S")))
    except (TypeError, ValueError):
        return 0.0


class BodyStream:
    """A readable stream of an object's body that releases its connection on close."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(None if size is None or size < 0 else size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            release = getattr(self._raw, "release_conn", None)
            if callable(release):
                release()

    def __enter__(self) -> BodyStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
