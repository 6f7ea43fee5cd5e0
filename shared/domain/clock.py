"""One time format everywhere: ISO-8601 UTC ending in Z, fixed width so strings sort as times."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    # isoformat, not strftime: glibc's %Y writes the year 207 as "207", which no parser reads back.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_iso() -> str:
    return iso(now())


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def from_epoch(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))
