"""One run of an AI engine: its deadline, its progress, its result file and record summary.

Every engine starts with ``start_run`` (absolute paths, checked names, the input probed with
playlists refused) and ends by writing ``result_file`` and keeping a ``compact`` summary.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError
from shared.media.contract import Progress
from shared.media.ffmpeg.command import check_paths
from shared.media.ffmpeg.probe import MediaInfo, probe_input
from shared.media.outputs import md5_file

RESULT_JSON_LIMIT = 16 * 1024 * 1024  # bytes; the full result file
MISSING_AUDIO = media_errors.MEDIA_NO_AUDIO


class Deadline:
    """One time budget shared by every step of an engine run."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def left(self, what: str = "the engine") -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise EngineTimeoutError(
                f"{what} did not finish within {self.timeout:g} s", code=media_errors.ENGINE_TIMEOUT
            )
        return remaining

    def check(self, what: str = "the engine") -> None:
        self.left(what)


class ProgressSpan:
    """Maps a step's own 0-100 onto a slice of the run's progress; never goes backwards."""

    def __init__(self, on_progress: Progress | None) -> None:
        self._cb = on_progress
        self._best = -1.0

    def report(self, percent: float) -> None:
        if self._cb is None:
            return
        percent = min(100.0, max(0.0, percent))
        if percent > self._best:
            self._best = percent
            self._cb(percent)  # may raise to abort the run: let it propagate

    def span(self, start: float, end: float) -> Progress:
        def report(percent: float) -> None:
            self.report(start + (end - start) * min(100.0, max(0.0, percent)) / 100.0)

        return report


def result_file(work: Path, stem: str, result: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """Write the full result as ``{stem}_result.json`` in ``work``; returns the path and its metadata."""
    path = work / f"{stem}_result.json"
    data = json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")
    if len(data) > RESULT_JSON_LIMIT:
        raise EngineError(f"the result is too large to store ({len(data)} bytes)", code=media_errors.ENGINE_FAILED)
    path.write_bytes(data)
    return path, {"format": "json", "size": len(data), "md5": md5_file(path)}


def image_meta(path: Path, width: int, height: int, time_offset: float | None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "format": "jpg",
        "width": width,
        "height": height,
        "size": path.stat().st_size,
        "md5": md5_file(path),
    }
    if time_offset is not None:
        meta["time_offset"] = round(time_offset, 3)
    return meta


def compact(value: Any, *, max_items: int = 20, max_chars: int = 300) -> Any:
    """A bounded copy of a JSON-able value for the subtask record (the full one is in the result file)."""
    if isinstance(value, dict):
        return {k: compact(v, max_items=max_items, max_chars=max_chars) for k, v in value.items()}
    if isinstance(value, list):
        items = [compact(v, max_items=max_items, max_chars=max_chars) for v in value[:max_items]]
        if len(value) > max_items:
            items.append({"truncated": len(value) - max_items})
        return items
    if isinstance(value, str) and len(value) > max_chars:
        return value[: max_chars - 1] + "…"
    return value


def r3(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


@dataclass(frozen=True)
class EngineRun:
    """What every engine call starts from: absolute paths, its deadline, its progress span and
    the probed input (playlists and other indirect inputs refused)."""

    src: Path
    out_dir: Path
    deadline: Deadline
    progress: ProgressSpan
    info: MediaInfo


def start_run(
    src: Path, out_dir: Path, stem: str, timeout: float, on_progress: Progress | None, probe: MediaInfo | None = None
) -> EngineRun:
    """``probe``: the input's probe when the worker already has it (the task keeps it)."""
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    check_paths(src, out_dir, stem)
    deadline, progress = Deadline(timeout), ProgressSpan(on_progress)
    return EngineRun(src, out_dir, deadline, progress, probe_input(src, probe))
