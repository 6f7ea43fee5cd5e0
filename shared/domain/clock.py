"""One time format everywhere: ISO-8601 UTC ending in Z, fixed width so strings sort as times."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def from_epoch(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))
