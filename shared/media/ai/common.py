"""What the review, analysis and enhancement engines share.

Frames are decoded by the bundled ffmpeg (argv lists, the file protocol only) into a private work
directory inside ``out_dir``; results are written there under their final names and moved into
``out_dir`` only when the whole run succeeded (``shared.media.outputs``).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError, MediaError
from shared.media.contract import Progress
from shared.media.ffmpeg.argv import INPUT_GUARD, base_argv, check_paths, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo, probe_input
from shared.media.ffmpeg.runner import RunResult, ffmpeg_exe, run_ffmpeg
from shared.media.outputs import md5_file

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


_SUMMARY_RE = re.compile(r"\[Parsed_ebur128_\d+ @ [^\]]*\] Summary:")


def parse_ebur128(log: str) -> dict[str, float | None] | None:
    """The last ebur128 summary in a log: integrated loudness, range, true peak (None when silent)."""
    starts = [m.end() for m in _SUMMARY_RE.finditer(log)]
    if not starts:
        return None
    block = log[starts[-1] :]

    def value(label: str) -> float | None:
        m = re.search(rf"^\s*{label}:\s*(-?(?:\d+(?:\.\d+)?|inf))\s", block, re.MULTILINE)
        if m is None or "inf" in m.group(1):
            return None
        return float(m.group(1))

    integrated = value("I")
    silent = integrated is None or integrated <= -70.0
    peak = value("Peak")
    return {
        "integrated": None if silent else integrated,
        "range": None if silent else value("LRA"),
        "true_peak": None if peak is None or peak < -150 else peak,
        "threshold": None if silent else value("Threshold"),
    }


def parse_loudnorm_json(log: str) -> dict[str, Any]:
    """The JSON block loudnorm prints with print_format=json (the last one in the log)."""
    start = log.rfind("{")
    end = log.find("}", start)
    if start < 0 or end < 0:
        raise EngineError("loudnorm printed no measurement", code=media_errors.ENGINE_FAILED, log_tail=log[-4000:])
    try:
        data = json.loads(log[start : end + 1])
    except json.JSONDecodeError as exc:
        raise EngineError(
            f"unreadable loudnorm measurement: {exc}", code=media_errors.ENGINE_FAILED, log_tail=log[-4000:]
        ) from exc
    return data


def parse_astats(log: str) -> dict[str, float | None]:
    """Overall peak, RMS and noise-floor levels (dBFS) from astats' closing report."""
    out: dict[str, float | None] = {}
    for key, label in (
        ("peak_level", "Peak level dB"),
        ("rms_level", "RMS level dB"),
        ("noise_floor", "Noise floor dB"),
    ):
        found = re.findall(rf"\] {label}: (-?(?:\d+(?:\.\d+)?|inf))", log)
        value = found[-1] if found else None
        out[key] = None if value is None or "inf" in value else round(float(value), 2)
    return out


def measure_loudness(src: Path, deadline: Deadline) -> dict[str, float | None]:
    """EBU R128 integrated loudness (LUFS), loudness range (LU), true peak (dBTP), and astats' RMS level
    and noise floor (dBFS) of the first audio stream."""
    argv = base_argv(ffmpeg_exe()) + [
        "-vn",
        "-sn",
        "-dn",
        "-i",
        str(src),
        "-map",
        "0:a:0",
        "-af",
        "ebur128=peak=true:framelog=quiet,astats=measure_perchannel=none:"
        "measure_overall=Noise_floor+RMS_level+Peak_level",
        "-f",
        "null",
        "-",
    ]
    log = run_decode(
        argv, deadline, duration_hint=None, on_progress=None, log_lines=80, what="measuring loudness"
    ).log_tail
    parsed = parse_ebur128(log)
    if parsed is None:
        raise EngineError("ebur128 printed no summary", code=media_errors.ENGINE_FAILED, log_tail=log)
    stats = parse_astats(log)
    return parsed | {"rms_level": stats["rms_level"], "noise_floor": stats["noise_floor"]}


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


def start_run(src: Path, out_dir: Path, stem: str, timeout: float, on_progress: Progress | None) -> EngineRun:
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    check_paths(src, out_dir, stem)
    deadline, progress = Deadline(timeout), ProgressSpan(on_progress)
    return EngineRun(src, out_dir, deadline, progress, probe_input(src))
