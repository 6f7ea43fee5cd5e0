"""A task's attempt history, kept bounded so that restarts never run into the item size limit.

The task item keeps the summaries of its last ``KEEP_ATTEMPTS`` attempts; older summaries are
dropped (the subtasks' current state and the task's ``attempt`` stay exact; only the summaries of
attempts long gone are lost). ``MAX_HISTORY_BYTES`` bounds the kept summaries too, since a task
with many subtasks has large ones: DynamoDB refuses items over 400 KB, and an item that reached
that size could never be restarted again. The newest summary is always kept.
"""

from __future__ import annotations

import json
from typing import Any

KEEP_ATTEMPTS = 20
MAX_HISTORY_BYTES = 96 * 1024


def _size(entry: dict[str, Any]) -> int:
    return len(json.dumps(entry, separators=(",", ":")))


def append_attempt(history: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """``history`` plus ``entry``, less the oldest summaries beyond the count and size caps."""
    kept = [*history[-(KEEP_ATTEMPTS - 1) :], entry] if KEEP_ATTEMPTS > 1 else [entry]
    total = sum(_size(e) for e in kept)
    while len(kept) > 1 and total > MAX_HISTORY_BYTES:
        total -= _size(kept.pop(0))
    return kept
