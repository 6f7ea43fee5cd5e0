"""Read what a media file contains, with PyAV (ffmpeg's libraries; the bundled ffmpeg has no ffprobe).

Every way a file can be unusable becomes a MediaError with a stable code and a message meant for the
end user, so the worker can fail the subtask without running ffmpeg on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error

from shared.domain import media_errors
from shared.domain.errors import MediaError

# The file protocol is all a local input needs; refusing the others keeps a crafted playlist from
# making the demuxer fetch URLs.
_OPEN_OPTIONS = {"protocol_whitelist": "file"}
# Packets read while looking for the first decodable frame (which carries the display matrix).
_ROTATION_PACKETS = 200
_MOV_FAMILY = "mov"


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int  # as stored (before rotation)
    height: int
    fps: float
    bitrate: int | None
    rotation: int  # degrees clockwise a player turns the picture (0/90/180/270)
    duration: float | None = None  # seconds, when the container states it


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int
    bitrate: int | None
    duration: float | None = None


@dataclass(frozen=True)
class MediaInfo:
    container: str  # ffprobe-like format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float  # seconds: the container's, else the longest stream's
    size: int  # bytes
    bitrate: int  # bits per second
    video: VideoStream | None
    audio: AudioStream | None

    @property
    def display_width(self) -> int:
        if self.video is None:
            return 0
        return self.video.height if self.video.rotation in (90, 270) else self.video.width

    @property
    def display_height(self) -> int:
        if self.video is None:
            return 0
        return self.video.width if self.video.rotation in (90, 270) else self.video.height

    @property
    def streams_duration(self) -> float:
        """How long the streams an engine maps actually last (falls back to the container's)."""
        known = [s.duration for s in (self.video, self.audio) if s is not None and s.duration]
        return max(known) if known else self.duration

    @property
    def video_end(self) -> float:
        """Time of the end of the picture, which can come before the end of the audio."""
        if self.video is not None and self.video.duration:
            return self.video.duration
        return self.duration

    def to_metadata(self) -> dict[str, Any]:
        v, a = self.video, self.audio
        return {
            "size": self.size,
            "duration": round(self.duration, 3),
            "bitrate": self.bitrate,
            "container": self.container,
            "width": self.display_width if v else None,
            "height": self.display_height if v else None,
            "rotation": v.rotation if v else None,
            "video_codec": v.codec if v else None,
            "fps": v.fps if v else None,
            "audio_codec": a.codec if a else None,
            "sample_rate": a.sample_rate if a else None,
            "channels": a.channels if a else None,
        }


def probe(path: str | Path, *, max_duration: float = 6 * 3600, max_pixels: int = 8192 * 8192) -> MediaInfo:
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaError("the input file does not exist", code=media_errors.INPUT_NOT_FOUND) from None
    if size == 0:
        raise MediaError("the file is empty (0 bytes)", code=media_errors.MEDIA_EMPTY)
    try:
        container = av.open(str(path), options=_OPEN_OPTIONS, metadata_errors="replace")
    except (av.error.FFmpegError, OSError, UnicodeError) as exc:
        raise MediaError(
            f"the file is not a media file ffmpeg can read: {_reason(exc)}", code=media_errors.MEDIA_UNREADABLE
        ) from None
    with container:
        try:
            info = _read(container, size)
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"the file is not a media file ffmpeg can read: {_reason(exc)}", code=media_errors.MEDIA_UNREADABLE
            ) from None
        if _MOV_FAMILY in container.format.name.split(","):
            _check_mov_complete(container, size)
    _check_limits(info, max_duration, max_pixels)
    return info


def _read(container: Any, size: int) -> MediaInfo:
    vstream = next((s for s in container.streams.video if not _is_picture(s)), None)
    astream = next(iter(container.streams.audio), None)
    if vstream is None and astream is None:
        raise MediaError("the file has neither an audio nor a video stream", code=media_errors.MEDIA_NO_STREAMS)
    video = audio = None
    if vstream is not None:
        cc = vstream.codec_context
        rate = vstream.average_rate or vstream.guessed_rate or vstream.base_rate
        video = VideoStream(
            codec=vstream.codec.canonical_name,
            width=cc.width,
            height=cc.height,
            fps=round(float(rate), 3) if rate else 0.0,
            bitrate=vstream.bit_rate or cc.bit_rate or None,
            rotation=_rotation(container, vstream),
            duration=_stream_duration(vstream),
        )
    if astream is not None:
        cc = astream.codec_context
        audio = AudioStream(
            codec=astream.codec.canonical_name,
            sample_rate=cc.sample_rate or 0,
            channels=cc.layout.nb_channels if cc.layout else 0,
            bitrate=astream.bit_rate or cc.bit_rate or None,
            duration=_stream_duration(astream),
        )
    if container.duration:
        duration = container.duration / av.time_base
    else:
        duration = max((d for d in (video and video.duration, audio and audio.duration) if d), default=0.0)
    bitrate = container.bit_rate or (int(size * 8 / duration) if duration > 0 else 0)
    return MediaInfo(
        container=container.format.name,
        duration=max(duration, 0.0),
        size=size,
        bitrate=bitrate,
        video=video,
        audio=audio,
    )


def _is_picture(stream: Any) -> bool:
    # Cover art (mp3/m4a) and thumbnails are video streams holding one still image, not a video.
    flags = av.stream.Disposition.attached_pic | av.stream.Disposition.timed_thumbnails
    return bool(stream.disposition & flags)


def _stream_duration(stream: Any) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base) or None


def _rotation(container: Any, stream: Any) -> int:
    """Clockwise degrees, from the display matrix the decoder attaches to the first frame.

    PyAV reports the matrix angle counter-clockwise (ffmpeg's convention: ``-display_rotation 90``
    turns the picture left), so a player's clockwise turn is its negation.
    """
    try:
        for n, packet in enumerate(container.demux(stream)):
            if n >= _ROTATION_PACKETS:
                break
            try:
                frames = packet.decode()
                if not frames and packet.is_keyframe:
                    # Decoders hold frames back (B-frames, frame threads); draining returns the
                    # keyframe's picture now instead of after many more packets.
                    frames = stream.decode(None)
            except av.error.FFmpegError:
                continue  # a damaged leading packet says nothing about the rotation
            if frames:
                return int(round(-frames[0].rotation / 90.0)) * 90 % 360
    except av.error.FFmpegError:
        pass
    return 0


def _check_mov_complete(container: Any, size: int) -> None:
    # An mp4 whose index (moov) comes first still opens when the data after it was cut off; the sample
    # table says where the last sample ends, and a file shorter than that lost its tail.
    end = 0
    for stream in container.streams:
        entries = stream.index_entries
        if len(entries):
            last = entries[len(entries) - 1]
            end = max(end, last.pos + last.size)
    if end > size:
        raise MediaError(
            f"the file is truncated: it has {size} bytes but its index refers to {end} bytes",
            code=media_errors.MEDIA_TRUNCATED,
        )


def _check_limits(info: MediaInfo, max_duration: float, max_pixels: int) -> None:
    if info.duration > max_duration:
        raise MediaError(
            f"the media is too long ({info.duration:.0f} s; the limit is {max_duration:.0f} s)",
            code=media_errors.MEDIA_TOO_LARGE,
        )
    if info.video and info.video.width * info.video.height > max_pixels:
        raise MediaError(
            f"the picture is too large ({info.video.width}x{info.video.height}; the limit is {max_pixels} pixels)",
            code=media_errors.MEDIA_TOO_LARGE,
        )


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:200]


# Demuxers that open further files named inside the input. An uploaded playlist could otherwise
# make ffmpeg read any local file through the allowed file protocol, so inputs must be
# self-contained media.
INDIRECT_FORMATS = frozenset({"hls", "applehttp", "concat", "ffconcat", "dash", "image2", "tee", "sdp", "rtsp", "rtp"})


def probe_input(src: Path, known: MediaInfo | None = None) -> MediaInfo:
    """``probe`` for an input: playlists and other files that name further files are refused.
    ``known``: the input's probe made earlier (kept on the task); the file is not read again."""
    info = known or probe(src)
    if INDIRECT_FORMATS & set(info.container.split(",")):
        raise MediaError(
            f"{info.container} files refer to other files and are not accepted as input",
            code=media_errors.MEDIA_UNREADABLE,
        )
    return info
