"""The transcode and snapshot engines: probe the input (unless the worker hands them its probe), run
ffmpeg, check and describe what came out.

ffmpeg writes into a private work directory inside ``out_dir`` (``shared.media.outputs``); files get
their final names only once the whole run succeeded.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError, MediaError
from shared.domain.kinds.snapshot import SnapshotParams
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.domain.sprite_track import sprite_webvtt
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.argv import kept_streams, transcode_argv
from shared.media.ffmpeg.probe import MediaInfo, probe_input
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.ffmpeg.snapshot_argv import SnapshotPlan, snapshot_plan
from shared.media.outputs import check_complete, md5_file, probe_output, publish, work_dir

_NO_PICTURE = ("received no packets", "nothing was written", "output file is empty")


def run_transcode(
    src: Path,
    params: TranscodeParams,
    out_dir: Path,
    stem: str,
    *,
    timeout: float,
    on_progress: Progress | None = None,
    probe: MediaInfo | None = None,
) -> EngineResult:
    """Transcode ``src`` into ``out_dir``: ``{stem}.{ext}`` (mp4, mkv, webm, mov, flv, mp3, m4a, flac, ogg,
    wav), or for HLS ``{stem}.m3u8`` + ``{stem}_{n}.ts``."""
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    info = probe_input(src, probe)
    with work_dir(out_dir, stem) as work:
        argv, names = transcode_argv(ffmpeg_exe(), src, info, params, work, stem)
        result = run_ffmpeg(argv, timeout=timeout, duration_hint=info.streams_duration or None, on_progress=on_progress)
        return transcode_result(info, params, work, names[0], stem, out_dir, result.log_tail)


def transcode_result(
    info: MediaInfo, params: TranscodeParams, work: Path, name: str, stem: str, out_dir: Path, log_tail: str
) -> EngineResult:
    """Check what one transcode wrote into ``work`` and publish it into ``out_dir`` (also the fused run's
    per-output step, shared/media/ffmpeg/fused.py)."""
    main = work / name
    out_info = probe_output(main, log_tail)
    check_complete(info, out_info, *kept_streams(info, params))
    if params.container != "hls":
        meta = out_info.to_metadata() | {"md5": md5_file(main)}
        return EngineResult([OutputFile(name, publish(main, out_dir), meta)], log_tail)
    segments = _segments(work, stem)
    durations = _extinf(main)
    seg_meta = [
        {"size": seg.stat().st_size, "md5": md5_file(seg), "duration": durations[i] if i < len(durations) else None}
        for i, seg in enumerate(segments)
    ]
    total = out_info.size + sum(seg.stat().st_size for seg in segments)
    # The hls demuxer's bitrate describes the playlist text; the stream's is what matters.
    bitrate = int(total * 8 / out_info.duration) if out_info.duration > 0 else out_info.bitrate
    meta = out_info.to_metadata() | {
        "md5": md5_file(main),
        "playlist_size": out_info.size,
        "segment_count": len(segments),
        "size": total,
        "bitrate": bitrate,
    }
    # Segments first: a playlist under its final name always has its segments next to it.
    published = [OutputFile(seg.name, publish(seg, out_dir), m) for seg, m in zip(segments, seg_meta, strict=True)]
    playlist = OutputFile(name, publish(main, out_dir), meta)
    return EngineResult([playlist, *published], log_tail)


def run_snapshot(
    src: Path,
    params: SnapshotParams,
    out_dir: Path,
    stem: str,
    *,
    timeout: float,
    on_progress: Progress | None = None,
    probe: MediaInfo | None = None,
) -> EngineResult:
    """Images ``{stem}_{n}.{format}``; for sprites, sheets plus the ``{stem}.vtt`` thumbnail track."""
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    info = probe_input(src, probe)
    if info.video is None:
        raise MediaError("the input has no video stream to take snapshots from", code=media_errors.MEDIA_NO_VIDEO)
    with work_dir(out_dir, stem) as work:
        plan = snapshot_plan(ffmpeg_exe(), src, info, params, work, stem)
        log_tail = _run_plan(plan, info, work, timeout, on_progress)
        return snapshot_result(plan, work, out_dir, log_tail)


def snapshot_result(plan: SnapshotPlan, work: Path, out_dir: Path, log_tail: str) -> EngineResult:
    """Check what a snapshot plan wrote into ``work`` and publish it into ``out_dir``; for a sprite, also
    write its WebVTT track (also a fused run's step for its sprite, shared/media/ffmpeg/fused.py)."""
    outputs = []
    files = [(name, t) for name, t in plan.files if (work / name).is_file()]
    # A sprite may end with fewer sheets than planned (its cells are dropped from the VTT); a missing
    # snapshot means no picture at that time.
    if not files or (len(files) < len(plan.files) and plan.sprite is None):
        raise MediaError(
            "no picture could be decoded at some of the requested times; the file may be truncated or damaged",
            code=media_errors.MEDIA_TRUNCATED,
        )
    for name, t in files:
        meta = _image_metadata(work / name, t)
        outputs.append(OutputFile(name, publish(work / name, out_dir), meta))
    if plan.sprite is not None:
        s = plan.sprite
        vtt = work / s.vtt_name
        vtt.write_text(
            sprite_webvtt([n for n, _ in files], s.cell_width, s.cell_height, s.columns, s.rows, s.times, s.duration),
            encoding="utf-8",
        )
        cells = min(len(s.times), len(files) * s.columns * s.rows)
        meta = {
            "format": "vtt",
            "size": vtt.stat().st_size,
            "md5": md5_file(vtt),
            "cells": cells,
            "duration": round(s.duration, 3),
        }
        outputs.insert(0, OutputFile(s.vtt_name, publish(vtt, out_dir), meta))
    return EngineResult(outputs, log_tail)


def _run_plan(plan: SnapshotPlan, info: MediaInfo, work: Path, timeout: float, on_progress: Progress | None) -> str:
    deadline = time.monotonic() + timeout
    log_tail = ""
    for k, argv in enumerate(plan.argvs):
        left = deadline - time.monotonic()
        if left <= 0:
            raise EngineTimeoutError(
                f"the snapshots did not finish within {timeout:g} s",
                code=media_errors.ENGINE_TIMEOUT,
                log_tail=log_tail,
            )
        try:
            # A sprite decodes the whole input, so ffmpeg's own progress is meaningful (each run owns
            # its slice of the bar); seeking runs are followed by the pictures they have written.
            sprite = plan.sprite is not None
            with _count_pictures(work, plan, None if sprite else on_progress):
                log_tail = run_ffmpeg(
                    argv,
                    timeout=left,
                    duration_hint=info.video_end if sprite else None,
                    on_progress=_slice(on_progress, k, len(plan.argvs)) if sprite else None,
                ).log_tail
        except EngineTimeoutError:
            raise
        except EngineError as exc:
            if any(hint in exc.log_tail.lower() for hint in _NO_PICTURE):
                raise MediaError(
                    "no picture could be decoded at some of the requested times; the file may be truncated or damaged",
                    code=media_errors.MEDIA_TRUNCATED,
                ) from exc
            raise
        if on_progress is not None:
            on_progress((k + 1) * 100.0 / len(plan.argvs))
    return log_tail


def _slice(on_progress: Progress | None, k: int, n: int) -> Progress | None:
    if on_progress is None:
        return None
    return lambda percent: on_progress((k + percent / 100.0) * 100.0 / n)


@contextlib.contextmanager
def _count_pictures(work: Path, plan: SnapshotPlan, on_progress: Progress | None) -> Iterator[None]:
    """Report the share of planned pictures already on disk, twice a second, while a run lasts:
    one run grabs up to 20 offsets, which on a long input takes tens of seconds."""
    if on_progress is None:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.5):
            done = sum(1 for name, _t in plan.files if (work / name).is_file())
            on_progress(done * 100.0 / max(1, len(plan.files)))

    watcher = threading.Thread(target=watch, name="snapshot-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=2)


def _segments(work: Path, stem: str) -> list[Path]:
    pattern = re.compile(rf"^{re.escape(stem)}_(\d+)\.ts$")
    found = [(int(m.group(1)), p) for p in work.iterdir() if (m := pattern.match(p.name))]
    return [p for _, p in sorted(found)]


def _extinf(playlist: Path) -> list[float]:
    durations = []
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            durations.append(float(line[len("#EXTINF:") :].split(",")[0]))
    return durations


def _image_metadata(path: Path, time_offset: float) -> dict[str, Any]:
    info = probe_output(path, "")
    return {
        "width": info.display_width,
        "height": info.display_height,
        "format": path.suffix.lstrip("."),
        "size": path.stat().st_size,
        "md5": md5_file(path),
        "time_offset": round(time_offset, 3),
    }
