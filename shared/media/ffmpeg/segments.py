"""A transcode in parts: the input's frame index, which outputs can be split, and the argv of a
video part, of the audio part and of the join (which copies, never re-encodes).

Every part is encoded with the single run's own options (``argv._video_options`` and
``argv._audio_options``), so the parts carry the same encoder settings and time base; x264 starts
each part on an IDR frame with closed GOPs, so each join is a keyframe. The audio is one part of
its own: cut audio frames would click or leave gaps at the joins. HLS parts start on the
output's fixed GOP grid (``gop_frames``) and the join runs the single run's HLS muxer over the
copied streams, so the segments are cut where one run cuts them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.domain.segments import Segment
from shared.media.ffmpeg.argv import _MUXERS, DEFAULT_FPS, _audio_options, _video_options, kept_streams, output_fps
from shared.media.ffmpeg.command import INPUT_GUARD, base_argv
from shared.media.ffmpeg.probe import MediaInfo, _is_picture

SPLIT_CONTAINERS = ("mp4", "hls")
SPLIT_VIDEO_CODECS = ("h264",)  # x264 GOPs are closed by default; x265's are open


@dataclass(frozen=True)
class VideoIndex:
    """Presentation times (seconds from the file's start) of the input's video frames."""

    frames: list[float]
    keyframes: list[float]


def split_refusal(info: MediaInfo, params: TranscodeParams) -> str | None:
    """Why this transcode cannot run in parts (it then runs whole), or None if it can."""
    video, _audio = kept_streams(info, params)
    if not video:
        return "the output has no video"
    if params.container not in SPLIT_CONTAINERS:
        return f"{params.container} outputs run whole (only MP4 and HLS are split so far)"
    if params.container == "hls" and params.gop_seconds <= 0:
        return "HLS with the encoder's own GOP runs whole (its keyframes cannot be matched part by part)"
    if params.video_codec not in SPLIT_VIDEO_CODECS:
        return f"{params.video_codec} runs whole (only H.264 is split so far)"
    if output_fps(info, params.fps) is not None:
        # the fps filter lays its frame grid from each part's start, not from the input's
        return "a frame rate change runs whole"
    return None


def gop_frames(info: MediaInfo, params: TranscodeParams) -> int:
    """Frames between the keyframes parts must be cut at: HLS encodes with a fixed GOP (see
    ``argv._video_options``), so its parts start on that grid; any keyframe does for the rest."""
    if params.container != "hls" or params.gop_seconds <= 0:
        return 1
    rate = info.video.fps if info.video and info.video.fps > 0 else DEFAULT_FPS
    return max(1, math.ceil(params.gop_seconds * rate - 0.01))


def video_index(src: Path) -> VideoIndex:
    """Every video packet's time, read by demuxing only (no decoding)."""
    try:
        with av.open(str(src)) as container:
            stream = next((s for s in container.streams.video if not _is_picture(s)), None)
            if stream is None or stream.time_base is None:
                raise MediaError("the input has no video stream to split", code=media_errors.MEDIA_NO_VIDEO)
            origin = (container.start_time or 0) / 1_000_000
            frames, keyframes = [], []
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * stream.time_base) - origin
                frames.append(t)
                if packet.is_keyframe:
                    keyframes.append(t)
    except av.error.FFmpegError as exc:
        raise MediaError(f"the input's frames cannot be listed: {exc}", code=media_errors.MEDIA_UNREADABLE) from exc
    return VideoIndex(frames, keyframes)


def seek_time(seconds: float) -> str:
    """``-ss`` in ffmpeg's microseconds, rounded down: a seek a hair late would drop the keyframe
    the part starts at, while a hair early only decodes (and drops) the frames before it."""
    return f"{math.floor(seconds * 1_000_000 + 1e-3) / 1_000_000:.6f}"


def video_part_argv(
    ffmpeg: str,
    src: Path,
    info: MediaInfo,
    params: TranscodeParams,
    segment: Segment,
    out: Path,
    *,
    threads: int | None = None,
) -> list[str]:
    """One part's video, alone, in an MP4 of its own: from its keyframe to before the next part's."""
    argv = base_argv(ffmpeg)
    if segment.number > 1:
        argv += ["-ss", seek_time(segment.start)]
    if segment.read_until is not None:
        argv += ["-t", f"{segment.read_until - (segment.start if segment.number > 1 else 0.0):.6f}"]
    hls = params.container == "hls"
    argv += [*_threads(threads), "-i", str(src), "-map", "0:V:0", *_video_options(info, params, hls)]
    argv += [*_threads(threads, x264=True), "-an", "-sn", "-dn", "-f", "mp4", str(out)]
    return argv


def audio_part_argv(
    ffmpeg: str, src: Path, info: MediaInfo, params: TranscodeParams, out: Path, *, threads: int | None = None
) -> list[str]:
    """The whole audio in one piece (MP4 audio), with the single run's audio options."""
    argv = base_argv(ffmpeg) + [*_threads(threads), "-i", str(src), "-map", "0:a:0", *_audio_options(info, params)]
    return argv + ["-vn", "-sn", "-dn", "-f", "mp4", str(out)]


def _threads(threads: int | None, x264: bool = False) -> list[str]:
    if threads is None:
        return []
    return ["-threads", str(threads), *(["-x264-params", f"threads={threads}"] if x264 else [])]


def concat_list(names: Sequence[str], durations: Sequence[float | None]) -> str:
    """The concat demuxer's script: each part placed at the sum of the durations before it, so a
    frame keeps its input time (a part file's own duration is only as exact as its last frame's)."""
    lines = ["ffconcat version 1.0"]
    for name, duration in zip(names, durations, strict=True):
        if "'" in name or "/" in name or name.startswith("."):
            raise ValueError(f"unsafe part name {name!r}")
        lines.append(f"file '{name}'")
        if duration is not None:
            lines.append(f"duration {duration:.6f}")
    return "\n".join(lines) + "\n"


def join_argv(
    ffmpeg: str, concat: Path, audio: Path | None, params: TranscodeParams, out: Path, *, video_offset: float = 0.0
) -> list[str]:
    """Video parts and the audio part into the final file, streams copied. ``video_offset``: where
    the first frame sits in the input (the concat demuxer starts the first part at 0)."""
    argv = base_argv(ffmpeg)
    if video_offset > 0:
        argv += ["-itsoffset", f"{video_offset:.6f}"]
    argv += ["-f", "concat", "-i", str(concat)]
    if audio is not None:
        argv += [*INPUT_GUARD, "-i", str(audio)]
    argv += ["-map", "0:v:0", *(["-map", "1:a:0"] if audio is not None else []), "-c", "copy", "-sn", "-dn"]
    if params.container != "hls":
        return argv + [*_MUXERS[params.container], str(out)]
    # the single run's HLS muxer (argv.transcode_argv): the same cuts at the same keyframes
    segments = str(out.parent / f"{out.stem}_%d.ts")
    return argv + [
        *["-f", "hls", "-hls_time", str(params.hls_time), "-hls_playlist_type", "vod"],
        *["-hls_list_size", "0", "-start_number", "0", "-hls_segment_filename", segments, str(out)],
    ]
