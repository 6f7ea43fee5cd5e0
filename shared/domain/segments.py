"""Where a long video is cut into parts (pure): at input keyframes, about every ``target`` seconds.

A part that starts at an input keyframe decodes only its own range (``-ss`` before ``-i`` is exact
at a keyframe), and every part is encoded with the same settings from a fresh IDR frame, so the
parts join without re-encoding. Times are seconds from the file's start (what ``-ss`` counts from).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    number: int  # 1, 2, ... in playing order
    start: float  # the input keyframe the part starts at (the first video frame for part 1)
    end: float | None  # the next part's start; None: the last part runs to the end of the video
    # Where reading stops: halfway between the part's last frame and the next part's first, so
    # rounding the times to ffmpeg's microseconds can neither drop a frame nor take one twice.
    read_until: float | None

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


def segment_seconds(duration: float, target: float, max_parts: int) -> float:
    """The part length to aim at: ``target``, longer where it would make more than ``max_parts``."""
    if duration <= 0 or target <= 0:
        raise ValueError("duration and target must be positive")
    return max(target, duration / max_parts)


def plan_segments(frames: Sequence[float], keyframes: Sequence[float], target: float, every: int = 1) -> list[Segment]:
    """Cut at the first keyframe at least ``target`` seconds after the previous cut (or the first
    frame). ``frames`` are the presentation times of every video frame, ``keyframes`` those of
    the keyframes, both in any order. Every part but the last is at least ``target`` long; the
    last may be short. One part when no cut fits (or there are no frames).

    ``every``: cut only before a frame whose number (from 0) is a multiple of it. An encoder with
    a fixed GOP of that many frames (HLS) then puts its keyframes exactly where one run would.
    """
    if target <= 0 or every < 1:
        raise ValueError("target and every must be positive")
    times = sorted(set(frames))
    if not times:
        return []
    starts = [times[0]]
    for t in sorted(set(keyframes)):
        # 1 µs of slack: keyframe times are read back from a time base, targets are decimal
        if times[0] < t <= times[-1] and t >= starts[-1] + target - 1e-6:
            number = bisect.bisect_left(times, t - 1e-9)
            if number % every == 0:
                starts.append(t)
    segments = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else None
        read_until = None
        if end is not None:
            last = times[bisect.bisect_left(times, end) - 1]
            read_until = (last + end) / 2
        segments.append(Segment(number=n + 1, start=start, end=end, read_until=read_until))
    return segments


AUDIO_SHARE = 0.05  # the audio part's weight in the progress: one pass over the audio is cheap
JOIN_SHARE = 0.05  # what is left for the join once every part is done


def combined_progress(parts: Sequence[tuple[str, float | None, float | None, int]]) -> int:
    """The subtask's one progress (0-99) from its parts' (kind, start, end, progress): video parts
    weigh by their length (the last, open-ended one by the average), the audio part a little."""
    video = [(start, end, progress) for kind, start, end, progress in parts if kind == "video"]
    lengths = [end - start for start, end, _ in video if start is not None and end is not None]
    typical = sum(lengths) / len(lengths) if lengths else 1.0
    weights = [
        (end - start if start is not None and end is not None else typical, progress) for start, end, progress in video
    ]
    total_video = sum(w for w, _ in weights) or 1.0
    weights += [(AUDIO_SHARE * total_video, p) for kind, _s, _e, p in parts if kind == "audio"]
    total = sum(w for w, _ in weights)
    if total <= 0:
        return 0
    done = sum(w * min(100, max(0, p)) for w, p in weights) / total
    return min(99, int(done * (1 - JOIN_SHARE)))
