"""Decoding for the AI engines: sampled or grabbed frames, and what a failed decode means.

Frames are decoded by the bundled ffmpeg (argv lists, the file protocol only) into a private work
directory inside ``out_dir``; results are written there under their final names and moved into
``out_dir`` only when the whole run succeeded (``shared.media.outputs``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError, MediaError
from shared.media.ai.run import Deadline
from shared.media.contract import Progress
from shared.media.ffmpeg.command import INPUT_GUARD, base_argv, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import RunResult, ffmpeg_exe, run_ffmpeg

# ffmpeg's messages when the data it decodes is damaged, as opposed to a failure of its own.
_DAMAGED_HINTS = (
    "invalid data found when processing input",
    "error while decoding",
    "corrupt",
    "invalid nal unit",
    "moov atom not found",
    "end of file",
)
_NO_DATA_HINTS = ("received no packets", "nothing was written", "output file is empty", "does not contain any stream")
# Share of the expected frames a decode must deliver; fewer means the file stops early.
COMPLETE_RATIO = 0.9


def filter_path(path: str | Path) -> str:
    """A file path as the value of a filter option inside a filtergraph (both escaping levels)."""
    text = str(path)
    # Level 1: the option value (':' separates options, '\\' and "'" quote).
    for ch in ("\\", "'", ":"):
        text = text.replace(ch, "\\" + ch)
    # Level 2: the filtergraph description.
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "\\'[],;" else ch)
    return "".join(out)


def rate_text(fps: float) -> str:
    """A frame rate as an exact small fraction ffmpeg accepts ("1/2", "10/1")."""
    frac = Fraction(fps).limit_denominator(1000)
    return f"{frac.numerator}/{frac.denominator}"


def fit_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Even dimensions no larger than the source, with the long side at most ``long_side``."""
    width, height = max(width, 2), max(height, 2)
    scale = min(1.0, long_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def run_decode(
    argv: list[str],
    deadline: Deadline,
    *,
    duration_hint: float | None,
    on_progress: Progress | None,
    log_lines: int = 60,
    what: str = "decoding",
) -> RunResult:
    """run_ffmpeg for a step that reads the input: damaged data becomes a MediaError."""
    try:
        return run_ffmpeg(
            argv, timeout=deadline.left(what), duration_hint=duration_hint, on_progress=on_progress, log_lines=log_lines
        )
    except EngineTimeoutError:
        raise
    except EngineError as exc:
        raise classify_failure(exc) from exc


def classify_failure(exc: EngineError) -> EngineError | MediaError:
    log = exc.log_tail.lower()
    if any(h in log for h in _NO_DATA_HINTS):
        return MediaError(
            "no picture or sound could be decoded; the file may be truncated or damaged",
            code=media_errors.MEDIA_TRUNCATED,
        )
    if any(h in log for h in _DAMAGED_HINTS):
        return MediaError(
            f"the media data is damaged and cannot be decoded: {exc.message}", code=media_errors.MEDIA_UNREADABLE
        )
    return exc


def check_decoded(count: int, expected: int, what: str) -> None:
    if count == 0:
        raise MediaError(
            f"no {what} could be decoded; the file may be truncated or damaged", code=media_errors.MEDIA_TRUNCATED
        )
    if expected >= 3 and count < COMPLETE_RATIO * expected - 1:
        raise MediaError(
            f"the file is truncated or damaged: only {count} of {expected} expected {what} could be decoded",
            code=media_errors.MEDIA_TRUNCATED,
        )


@dataclass(frozen=True)
class SampledFrame:
    index: int
    time: float  # seconds from the start of the picture
    path: Path


@dataclass(frozen=True)
class FrameSample:
    frames: list[SampledFrame]
    interval: float  # seconds between frames, after the cap on their number
    width: int
    height: int
    log_tail: str


def sample_plan(info: MediaInfo, interval: float, max_frames: int) -> tuple[float, int]:
    """(interval, expected frame count) for one frame every ``interval`` s, at most ``max_frames``."""
    end = info.video_end
    if end > 0:
        interval = max(interval, end / max_frames)
    interval = float(fmt_seconds(interval)) or 0.001
    expected = max(1, min(max_frames, math.ceil(end / interval - 1e-6))) if end > 0 else 1
    return interval, expected


def sample_frames(
    src: Path,
    info: MediaInfo,
    work: Path,
    prefix: str,
    *,
    interval: float,
    max_frames: int,
    long_side: int,
    deadline: Deadline,
    on_progress: Progress | None,
) -> FrameSample:
    """Decode the picture once and keep a JPEG every ``interval`` seconds (frame k shows time k*interval)."""
    interval, expected = sample_plan(info, interval, max_frames)
    width, height = fit_size(info.display_width, info.display_height, long_side)
    vf = f"fps={rate_text(1 / interval)},scale={width}:{height}:flags=area,setsar=1"
    argv = base_argv(ffmpeg_exe()) + [
        "-i",
        str(src),
        "-map",
        "0:V:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        vf,
        "-frames:v",
        str(max_frames),
        "-q:v",
        "3",
        "-start_number",
        "0",
        "-f",
        "image2",
        str(work / f"{prefix}_%06d.jpg"),
    ]
    result = run_decode(
        argv, deadline, duration_hint=info.video_end or None, on_progress=on_progress, what="decoding the frames"
    )
    pattern = re.compile(rf"^{re.escape(prefix)}_(\d{{6}})\.jpg$")
    found = sorted((int(m.group(1)), p) for p in work.iterdir() if (m := pattern.match(p.name)))
    frames = [SampledFrame(i, round(n * interval, 3), p) for i, (n, p) in enumerate(found)]
    check_decoded(len(frames), expected, "frames")
    return FrameSample(frames, interval, width, height, result.log_tail)


def safe_times(info: MediaInfo, times: Iterable[float]) -> list[float]:
    """Offsets inside the picture: seeking at or past the last frame yields nothing."""
    fps = info.video.fps if info.video else 0.0
    last = max(0.0, info.video_end - max(1.5 / fps if fps > 0 else 0.1, 0.05))
    return [round(min(max(t, 0.0), last), 3) for t in times]


def grab_frames(
    src: Path,
    info: MediaInfo,
    times: list[float],
    work: Path,
    prefix: str,
    *,
    deadline: Deadline,
    vf: str | None = None,
    raw_gray: bool = False,
    chunk_size: int = 12,
) -> list[Path]:
    """One picture per offset with accurate input seeking (only a GOP around each is decoded).

    JPEGs (quality 2) or, with ``raw_gray``, 8-bit luma planes (``vf`` must then fix the size).
    """
    times = safe_times(info, times)
    paths = [work / f"{prefix}_{n}.{'gray' if raw_gray else 'jpg'}" for n in range(len(times))]
    codec = ["-f", "rawvideo", "-pix_fmt", "gray"] if raw_gray else ["-c:v", "mjpeg", "-q:v", "2", "-update", "1"]
    for first in range(0, len(times), chunk_size):
        argv = base_argv(ffmpeg_exe())
        chunk = list(range(first, min(first + chunk_size, len(times))))
        for i, k in enumerate(chunk):
            threads = ["-threads", "1"] if len(chunk) > 1 else []
            argv += ([] if i == 0 else INPUT_GUARD) + threads + ["-ss", fmt_seconds(times[k]), "-i", str(src)]
        for i, k in enumerate(chunk):
            argv += ["-map", f"{i}:V:0", "-frames:v", "1", *(["-vf", vf] if vf else []), *codec, str(paths[k])]
        run_decode(argv, deadline, duration_hint=None, on_progress=None, what="grabbing frames")
    missing = [p.name for p in paths if not p.is_file() or p.stat().st_size == 0]
    if missing:
        raise MediaError(
            "no picture could be decoded at some times; the file may be truncated or damaged",
            code=media_errors.MEDIA_TRUNCATED,
        )
    return paths
