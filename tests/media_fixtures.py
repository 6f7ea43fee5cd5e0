"""Generate small media files with the bundled ffmpeg, for any test that needs real media.

Everything is synthetic (lavfi testsrc2 / sine), tiny and encoded with the fastest settings, so a
clip costs a few tens of milliseconds.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import imageio_ffmpeg


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str]) -> None:
    cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {done.stderr[-2000:]}\nargv: {cmd}")


def make_clip(
    path: str | Path,
    seconds: float = 2,
    width: int = 320,
    height: int = 240,
    fps: int = 25,
    audio: bool = True,
    video: bool = True,
    faststart: bool = True,
    rotation: int | None = None,
) -> Path:
    """An H.264/AAC clip; the container follows the suffix (.mp4, .mkv, .ts, ...).

    ``rotation`` is ffmpeg's ``-display_rotation`` (degrees counter-clockwise): 90 or -90 turn a
    landscape stream into a portrait clip, as phones record them.
    """
    path = Path(path)
    if not (audio or video):
        raise ValueError("a clip needs audio or video")
    target = path.with_name(f".unrotated-{path.name}") if rotation is not None else path
    args: list[str] = []
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps)]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k"]
    if faststart and target.suffix.lower() in (".mp4", ".mov", ".m4a"):
        args += ["-movflags", "+faststart"]
    _run([*args, str(target)])
    if rotation is not None:
        _run(["-display_rotation", str(rotation), "-i", str(target), "-c", "copy", str(path)])
        target.unlink()
    return path


def make_audio(path: str | Path, seconds: float = 2) -> Path:
    """Audio only: AAC in .m4a/.mp4, MP3 in .mp3, by suffix."""
    path = Path(path)
    codec = ["-c:a", "libmp3lame"] if path.suffix.lower() == ".mp3" else ["-c:a", "aac", "-b:a", "64k"]
    _run(["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}", *codec, str(path)])
    return path


def make_mp3_with_cover(path: str | Path, seconds: float = 2) -> Path:
    """An MP3 whose cover art is an attached-picture video stream (a still, not a video)."""
    path = Path(path)
    cover = path.with_name(f".cover-{path.stem}.jpg")
    _run(["-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", "-update", "1", str(cover)])
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            f"sine=sample_rate=44100:duration={seconds}",
            "-i",
            str(cover),
            "-map",
            "0",
            "-map",
            "1",
            "-c:a",
            "libmp3lame",
            "-c:v",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-id3v2_version",
            "3",
            str(path),
        ]
    )
    cover.unlink()
    return path


def make_truncated(src: str | Path, dst: str | Path, fraction: float = 0.5) -> Path:
    """The first ``fraction`` of ``src``'s bytes, as an interrupted upload leaves them."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


def make_garbage(path: str | Path, size: int = 64 * 1024) -> Path:
    """Random bytes (the same on every run, so a failure reproduces) that no demuxer recognises."""
    path = Path(path)
    path.write_bytes(random.Random(20240601).randbytes(size))
    return path


def make_empty(path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(b"")
    return path


def make_text(path: str | Path) -> Path:
    path = Path(path)
    path.write_text("this is not a video\n" * 100, encoding="utf-8")
    return path


__all__ = [
    "ffmpeg",
    "make_audio",
    "make_clip",
    "make_empty",
    "make_garbage",
    "make_mp3_with_cover",
    "make_text",
    "make_truncated",
]
