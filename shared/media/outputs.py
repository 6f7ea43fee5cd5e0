"""How an engine's files come out: a private work directory, checks, then their final names.

Every engine writes into a work directory inside ``out_dir``; files get their final names only
once the whole run succeeded, so a crash never leaves a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from shared.domain import media_errors
from shared.domain.errors import EngineError, MediaError
from shared.media.ffmpeg.probe import MediaInfo, probe

# An output shorter than this share of the input means ffmpeg stopped at damaged or missing data:
# it exits 0 on a cut-off file and just encodes what it could read.
COMPLETE_RATIO = 0.9
_MIN_CHECKED_DURATION = 1.0  # seconds; below this, container rounding dominates


def md5_file(path: str | Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def work_dir(out_dir: Path, stem: str) -> Iterator[Path]:
    path = out_dir / f".work-{stem}-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish(path: Path, out_dir: Path) -> Path:
    """Give a finished file its final name in ``out_dir`` (an atomic rename on the same disk)."""
    final = out_dir / path.name
    os.replace(path, final)
    return final


def probe_output(path: Path, log_tail: str) -> MediaInfo:
    # The input was readable, so an unreadable output is ffmpeg's fault, not the user's.
    try:
        return probe(path)
    except MediaError as exc:
        raise EngineError(
            f"ffmpeg produced an unusable output: {exc.message}", code=media_errors.ENGINE_FAILED, log_tail=log_tail
        ) from exc


def check_complete(src: MediaInfo, out: MediaInfo, video: bool = True, audio: bool = True) -> None:
    # Only the streams the output keeps count: a removed video may last longer than the audio.
    streams = [s for s, keep in ((src.video, video), (src.audio, audio)) if s is not None and keep]
    known = [s.duration for s in streams if s.duration]
    expected = max(known) if streams and len(known) == len(streams) else src.streams_duration
    if expected >= _MIN_CHECKED_DURATION and out.duration < COMPLETE_RATIO * expected:
        raise MediaError(
            f"the file is truncated or damaged: only {out.duration:.1f} s of its declared "
            f"{expected:.1f} s could be decoded",
            code=media_errors.MEDIA_TRUNCATED,
        )
