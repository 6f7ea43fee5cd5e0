"""What a joined output must share with a single-run encode of the same input (issue 12 §3), read
back from both files with PyAV: frame count and timestamps, keyframes at the joins, duration, A/V
sync and bitrate. Also the short clips the split tests need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from tests.media_fixtures import _run

TIME_SLACK = 0.001  # seconds: one tick of a 1/1000 time base; the encoders' own are finer
SYNC_SLACK = 0.020  # A/V sync at a join, as the issue states it
BITRATE_SLACK = 0.05


@dataclass(frozen=True)
class Streams:
    video_pts: list[float]  # presentation order
    keyframes: list[float]
    video_bytes: int
    audio_pts: list[float]
    duration: float
    fps: float


def read_streams(path: Path) -> Streams:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        tb = video.time_base
        fps = float(video.average_rate or 25)
        packets = [(p.pts, p.is_keyframe, p.size) for p in container.demux(video) if p.pts is not None]
        duration = (container.duration or 0) / 1_000_000
    with av.open(str(path)) as container:
        audio = container.streams.audio[0] if container.streams.audio else None
        atb = audio.time_base if audio is not None else None
        audio_pts = [] if audio is None else [float(p.pts * atb) for p in container.demux(audio) if p.pts is not None]
    # times from the first picture: MPEG-TS (HLS) starts its clock at 1.4 s, MP4 at 0
    origin = min(float(pts * tb) for pts, _k, _s in packets)
    return Streams(
        video_pts=sorted(float(pts * tb) - origin for pts, _k, _s in packets),
        keyframes=sorted(float(pts * tb) - origin for pts, key, _s in packets if key),
        video_bytes=sum(size for _p, _k, size in packets),
        audio_pts=sorted(t - origin for t in audio_pts),
        duration=duration,
        fps=fps,
    )


def assert_joins_like_single_run(single: Path, joined: Path, joins: list[float]) -> None:
    one, parts = read_streams(single), read_streams(joined)
    # no frame duplicated or dropped, each where the single run put it
    assert len(parts.video_pts) == len(one.video_pts), (len(parts.video_pts), len(one.video_pts))
    drift = max(abs(a - b) for a, b in zip(one.video_pts, parts.video_pts, strict=True))
    assert drift <= TIME_SLACK, f"frame times differ by up to {drift:.4f} s"
    assert abs(parts.duration - one.duration) <= 1 / one.fps, (parts.duration, one.duration)
    for t in joins:
        assert any(abs(k - t) <= TIME_SLACK for k in parts.keyframes), f"no keyframe at the join at {t:.3f} s"
        # A/V sync at the join: the picture and the sound playing at t are those of the single run
        frame = min(parts.video_pts, key=lambda p: abs(p - t))
        sound = max((p for p in parts.audio_pts if p <= t), default=None)
        single_sound = max((p for p in one.audio_pts if p <= t), default=None)
        assert abs(frame - min(one.video_pts, key=lambda p: abs(p - t))) <= SYNC_SLACK
        if single_sound is not None:
            assert sound is not None and abs(sound - single_sound) <= SYNC_SLACK, (t, sound, single_sound)
    # the audio is one piece: no gap or overlap anywhere
    assert len(parts.audio_pts) == len(one.audio_pts)
    assert max((abs(a - b) for a, b in zip(one.audio_pts, parts.audio_pts, strict=True)), default=0) <= TIME_SLACK
    ratio = parts.video_bytes / one.video_bytes
    assert abs(ratio - 1) <= BITRATE_SLACK, f"bitrate {ratio:.3f} x the single run's"


def make_split_clip(
    path: Path, seconds: float, *, audio_seconds: float | None = None, bframes: int = 3, vfr: bool = False
) -> Path:
    """A 320x240 H.264/AAC clip with a keyframe every second, B-frames, optionally variable frame
    rate (frames dropped in an irregular pattern) and audio longer than the video."""
    audio_seconds = seconds if audio_seconds is None else audio_seconds
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"]
    args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={audio_seconds}"]
    if vfr:
        args += ["-vf", r"select='not(eq(mod(n\,5)\,2))*not(eq(mod(n\,7)\,3))'", "-fps_mode", "vfr"]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-bf", str(bframes), "-pix_fmt", "yuv420p"]
    args += ["-force_key_frames", "expr:gte(t,n_forced*1)", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"]
    _run([*args, str(path)])
    return path
