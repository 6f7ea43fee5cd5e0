"""The WebVTT thumbnail track of a sprite: one cue per cell, naming its sheet and its rectangle.

Written by the snapshot engine next to the sheets; read back by the viewer, so the console can show
which cell covers which time without parsing WebVTT itself. Pure text in and out.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_CUE_TIME = re.compile(r"^(\d+):(\d{2}):(\d{2})\.(\d{3})$")
_XYWH = re.compile(r"^(?P<sheet>[^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$")


@dataclass(frozen=True)
class SpriteCue:
    start: float
    end: float
    sheet: str  # file name of the sheet, as the outputs name it
    x: int
    y: int
    w: int
    h: int

    def as_json(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "sheet": self.sheet, "x": self.x, "y": self.y,
                "w": self.w, "h": self.h}  # fmt: skip


def sprite_webvtt(
    sheet_names: list[str],
    cell_w: int,
    cell_h: int,
    cols: int,
    rows: int,
    times: list[float] | tuple[float, ...],
    duration: float,
) -> str:
    """WebVTT thumbnail track: one cue per cell, pointing at its rectangle in its sheet.

    Cells whose sheet is missing from ``sheet_names`` are left out.
    """
    per_sheet = cols * rows
    lines = ["WEBVTT", ""]
    for i, start in enumerate(times):
        sheet, pos = divmod(i, per_sheet)
        if sheet >= len(sheet_names):
            break
        end = times[i + 1] if i + 1 < len(times) else max(duration, start)
        x, y = (pos % cols) * cell_w, (pos // cols) * cell_h
        lines += [
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"{sheet_names[sheet]}#xywh={x},{y},{cell_w},{cell_h}",
            "",
        ]
    return "\n".join(lines)


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def parse_sprite_webvtt(text: str, limit: int = 100_000) -> list[SpriteCue]:
    """The cues of a track ``sprite_webvtt`` wrote; lines that are not such cues are skipped, so a
    hand-edited or foreign track yields what can be understood of it rather than an error."""
    cues: list[SpriteCue] = []
    lines = [line.strip() for line in text.splitlines()]
    for timing, target in itertools.pairwise(lines):
        start, sep, end = timing.partition(" --> ")
        found = _XYWH.match(target)
        if not sep or found is None:
            continue
        begin, finish = _seconds(start), _seconds(end)
        if begin is None or finish is None:
            continue
        x, y, w, h = (int(found.group(i)) for i in range(2, 6))
        cues.append(SpriteCue(begin, finish, found.group("sheet"), x, y, w, h))
        if len(cues) >= limit:
            break
    return cues


def _seconds(stamp: str) -> float | None:
    found = _CUE_TIME.match(stamp.strip())
    if found is None:
        return None
    hours, minutes, seconds, millis = (int(g) for g in found.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000
