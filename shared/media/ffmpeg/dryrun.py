"""Check a template against the real ffmpeg before it is saved.

The tables in ``shared.domain.templates`` catch what is known to fail; some limits live only inside
the encoders (libvorbis refuses many bitrate / sample rate / channel combinations, for instance). So a
new template is also run, through the same engine a worker uses, on a tiny synthetic clip: if ffmpeg
refuses it, the template is refused at creation with ffmpeg's reason, instead of failing every task
later. Verdicts are cached per parameter set (the parameters are frozen dataclasses), so checking the
same template again costs nothing.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.domain.errors import BadInputError, EngineError, EngineTimeoutError, MediaError
from shared.domain.kinds.snapshot import SnapshotParams
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.media.ffmpeg.engines import run_snapshot, run_transcode
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg

CODE = "InvalidParameterValue.Template"
# 1 s of moving picture (160x120, 25 fps) and a stereo tone (44.1 kHz): tiny, but what a real upload has.
CLIP_SECONDS = 1
CLIP_SIZE = (160, 120)
CLIP_FPS = 25
CLIP_SAMPLE_RATE = 44100
_STEM = "dryrun"
_TRIAL_SIDE = 48
# ffmpeg's plumbing around the real cause, and chatter that says nothing about it.
_NOISE = (
    "error sending frames to consumers",
    "task finished with error code",
    "terminating thread with return code",
    "nothing was written into output file",
    "conversion failed",
    "could not open encoder before eof",
    "error while filtering",
    "error opening output file",
    "error opening output files",
    "could not write header",
    "error while processing the decoded data",
    "exiting with exit code",
    "svt[info]",
    "svt[warn]",
    "press [q]",
    "stream mapping",
    "x265 [info]",
    "[aac @",
    "qavg",
)
_CAUSE_HINTS = (
    "error",
    "invalid",
    "not supported",
    "only supported",
    "unsupported",
    "not compatible",
    "incompatible",
    "failed",
    "cannot",
    "could not",
    "unable",
    "too small",
    "too large",
    "choose from",
    "must be",
    "maybe incorrect",
)
# What the user can do about an encoder's terse refusal.
_HINTS = {
    "libvorbis": " (libvorbis accepts only some bitrates for each sample rate and channel count: try "
    "another audio_bitrate_kbps, or 0 for its default quality)"
}
_PROGRESS_RE = re.compile(r"^(frame|size)=")
_clip_lock = threading.Lock()
_clip_dir: Path | None = None


def dry_run_transcode(params: TranscodeParams, timeout: float = 20) -> None:
    """Run ``params`` through the transcode engine on a tiny clip.

    BadInputError (``InvalidParameterValue.Template``, ffmpeg's reason in the message) if ffmpeg refuses
    them; EngineTimeoutError if the run did not finish within ``timeout`` seconds (not cached).
    Parameters should come from ``validate_transcode_params``: the rules it checks raise their own codes.
    """
    _raise(_transcode_verdict(params, timeout))


def dry_run_snapshot(params: SnapshotParams, timeout: float = 20) -> None:
    """Run ``params`` through the snapshot engine on a tiny clip; BadInputError if ffmpeg refuses them."""
    _raise(_snapshot_verdict(params, timeout))


def dry_run_params(params: TranscodeParams | SnapshotParams, timeout: float = 20) -> None:
    """``dry_run_transcode`` or ``dry_run_snapshot``, by the type of ``params``."""
    if isinstance(params, TranscodeParams):
        dry_run_transcode(params, timeout)
    else:
        dry_run_snapshot(params, timeout)


def clear_cache() -> None:
    _transcode_verdict.cache_clear()
    _snapshot_verdict.cache_clear()


def _raise(verdict: str | None) -> None:
    if verdict is not None:
        raise BadInputError(verdict, code=CODE)


@functools.lru_cache(maxsize=1024)
def _transcode_verdict(params: TranscodeParams, timeout: float) -> str | None:
    # Never upscale: the tiny clip stays tiny, whatever size the template asks for (sizes are checked by the
    # validation tables). x264 and x265 know every preset name the tables allow, and a preset changes only
    # their speed: x265's slowest with a high bitrate would take seconds even on this clip.
    trial = dataclasses.replace(params, allow_upscale=False)
    if params.video_codec in ("h264", "h265"):
        trial = dataclasses.replace(trial, encoder_preset="ultrafast")
    return _verdict(lambda src, out: run_transcode(src, trial, out, _STEM, timeout=timeout), timeout)


@functools.lru_cache(maxsize=1024)
def _snapshot_verdict(params: SnapshotParams, timeout: float) -> str | None:
    trial = _small_pictures(params)
    return _verdict(lambda src, out: run_snapshot(src, trial, out, _STEM, timeout=timeout), timeout)


def _small_pictures(params: SnapshotParams) -> SnapshotParams:
    """The same template with pictures at most ``_TRIAL_SIDE`` px: a 4096 px WebP (or an 8192 px sprite
    sheet) takes seconds to encode and proves nothing more than a small one; sizes are checked by the
    validation tables."""
    width, height = params.width, params.height
    if params.kind == "sprite" and not (width or height):
        width = _TRIAL_SIDE  # the default cell is 160 px wide: 20 columns of it make a large sheet
    longest = max(width, height)
    if longest > _TRIAL_SIDE:
        width, height = (round(side * _TRIAL_SIDE / longest) if side else 0 for side in (width, height))
        width, height = (max(side, 2) if side else 0 for side in (width, height))
    return dataclasses.replace(params, width=width, height=height)


def _verdict(run: Callable[[Path, Path], Any], timeout: float) -> str | None:
    """None if the run succeeds, else the message for the user. A timeout raises EngineTimeoutError."""
    src = sample_clip()
    with tempfile.TemporaryDirectory(prefix="openmps-dryrun-") as out:
        try:
            run(src, Path(out))
        except EngineTimeoutError:
            raise  # the machine was too busy to tell: not the template's fault, and not cached
        except EngineError as exc:
            reason = ffmpeg_reason(exc.log_tail) or exc.message
            hint = next((h for enc, h in _HINTS.items() if enc in reason), "")
            return f"ffmpeg refuses this template: {reason}{hint}"
        except MediaError as exc:  # the engine's own checks of what ffmpeg produced
            return f"ffmpeg cannot produce a usable output with this template: {exc.message}"
    return None


def ffmpeg_reason(log_tail: str, limit: int = 2) -> str:
    """The lines of ffmpeg's log that explain a failure, without addresses and plumbing."""
    found: list[str] = []
    for raw in log_tail.splitlines():
        line = _strip_prefix(raw)
        low = line.lower()
        if not line or raw.startswith(" ") or _PROGRESS_RE.match(low) or any(n in low for n in _NOISE):
            continue
        if any(h in low for h in _CAUSE_HINTS) and line not in found:
            found.append(line)
    return "; ".join(found[:limit])[:400]


def _strip_prefix(line: str) -> str:
    # "[aost#0:0/libvorbis @ 0x55...] [enc:libvorbis @ 0x55...] text" -> "libvorbis: text"
    owner = ""
    text = line.strip()
    while text.startswith("["):
        end = text.find("]")
        if end < 0:
            break
        tag = text[1:end].split(" @ ")[0]
        if "/" in tag:  # "aost#0:0/libvorbis", "out#0/mov": the component after the stream
            owner = tag.rsplit("/", 1)[-1]
        elif "#" not in tag:  # "enc:libvorbis", "mov", "libx264"; "vf#0:0" names a stream, not a component
            owner = tag.split(":", 1)[-1]
        text = text[end + 1 :].strip()
    return f"{owner}: {text}" if owner else text


def sample_clip() -> Path:
    """The synthetic input of every dry run, made once per process (again if it was cleaned away)."""
    global _clip_dir
    with _clip_lock:
        if _clip_dir is not None and (_clip_dir / "clip.mp4").is_file():
            return _clip_dir / "clip.mp4"
        if _clip_dir is not None:
            shutil.rmtree(_clip_dir, ignore_errors=True)
        _clip_dir = Path(tempfile.mkdtemp(prefix="openmps-dryrun-clip-"))
        atexit.register(shutil.rmtree, _clip_dir, ignore_errors=True)
        clip = _clip_dir / "clip.mp4"
        width, height = CLIP_SIZE
        partial = _clip_dir / "partial.mp4"
        run_ffmpeg(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={width}x{height}:rate={CLIP_FPS}:duration={CLIP_SECONDS}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:sample_rate={CLIP_SAMPLE_RATE}:duration={CLIP_SECONDS}",
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-g",
                str(CLIP_FPS),
                "-c:a",
                "aac",
                "-b:a",
                "64k",
                "-ac",
                "2",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(partial),
            ],
            timeout=30,
        )
        partial.replace(clip)
        return clip


__all__ = [
    "CODE",
    "clear_cache",
    "dry_run_params",
    "dry_run_snapshot",
    "dry_run_transcode",
    "ffmpeg_reason",
    "sample_clip",
]
