"""What content analysis decodes from its input: one ffmpeg run for the thumbnail stream, the
OCR frames, loudness and silence, and then the cover pictures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from shared.domain.kinds.analysis import AnalysisParams
from shared.media.ai.analysis.signals import (
    SMALL_H,
    SMALL_W,
    Thumbs,
    cover_scores,
    parse_silence,
)
from shared.media.ai.decode import (
    SampledFrame,
    check_decoded,
    fit_size,
    grab_frames,
    rate_text,
    run_decode,
    sample_plan,
)
from shared.media.ai.loudness import parse_ebur128
from shared.media.ai.run import Deadline, image_meta
from shared.media.contract import OutputFile, Progress
from shared.media.ffmpeg.command import base_argv, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe

MAX_ANALYSIS_FPS = 10.0
MAX_SMALL_FRAMES = 20000  # bounds the thumbnail stream (about 140 MB) for very long inputs
OCR_LONG_SIDE = 960
COVER_LONG_SIDE = 1920


@dataclass
class Decoded:
    thumbs: Thumbs | None = None
    ocr_frames: list[SampledFrame] = field(default_factory=list)
    ocr_interval: float = 0.0
    ocr_size: tuple[int, int] = (0, 0)
    loudness: dict[str, Any] | None = None
    silence: list[dict[str, float]] | None = None
    log_tail: str = ""


def decode_input(
    src: Path, info: MediaInfo, params: AnalysisParams, work: Path, deadline: Deadline, on_progress: Progress
) -> Decoded:
    graph: list[str] = []
    outputs: list[str] = []
    out = Decoded()
    end = info.video_end
    small_rate: Fraction | None = None
    expected_small = expected_ocr = 0
    if info.video is not None:
        branches = []
        if params.scenes or params.black or params.highlights:
            fps = info.video.fps or 25.0
            rate = min(fps, MAX_ANALYSIS_FPS, MAX_SMALL_FRAMES / end if end > 0 else MAX_ANALYSIS_FPS)
            small_rate = Fraction(rate).limit_denominator(1000)
            expected_small = max(1, math.ceil(end * float(small_rate) - 1e-6)) if end > 0 else 1
            branches.append(
                f"fps={rate_text(float(small_rate))},scale={SMALL_W}:{SMALL_H}:flags=area,format=rgb24[small]"
            )
            outputs += [
                "-map",
                "[small]",
                "-frames:v",
                str(MAX_SMALL_FRAMES),
                "-f",
                "rawvideo",
                str(work / "small.rgb"),
            ]
        if params.cover or params.tags:
            interval, expected_ocr = sample_plan(info, params.ocr_interval, params.max_ocr_frames)
            w, h = fit_size(info.display_width, info.display_height, OCR_LONG_SIDE)
            out.ocr_interval, out.ocr_size = interval, (w, h)
            branches.append(f"fps={rate_text(1 / interval)},scale={w}:{h}:flags=area,setsar=1[ocr]")
            outputs += [
                "-map",
                "[ocr]",
                "-frames:v",
                str(params.max_ocr_frames),
                "-q:v",
                "3",
                "-start_number",
                "0",
                "-f",
                "image2",
                str(work / "ocr_%06d.jpg"),
            ]
        if len(branches) == 2:
            graph.append("[0:V:0]split=2[vs][vo]")
            graph.append("[vs]" + branches[0])
            graph.append("[vo]" + branches[1])
        elif branches:
            graph.append("[0:V:0]" + branches[0])
    if info.audio is not None and (params.loudness or params.silence):
        chain = ["ebur128=peak=true:framelog=quiet"]
        if params.silence:
            chain.append(
                f"silencedetect=n={params.silence_threshold_db:g}dB:d={fmt_seconds(params.silence_min_duration)}"
            )
        graph.append("[0:a:0]" + ",".join(chain) + "[aud]")
        outputs += ["-map", "[aud]", "-f", "null", "-"]
    if not graph:
        return out
    argv = base_argv(ffmpeg_exe()) + ["-i", str(src), "-filter_complex", ";".join(graph), *outputs]
    # silencedetect prints two lines per silence: keep enough of the log to see them all.
    result = run_decode(
        argv,
        deadline,
        duration_hint=info.duration or None,
        on_progress=on_progress,
        log_lines=20000,
        what="analysing the media",
    )
    log = result.log_tail
    out.log_tail = "\n".join(log.splitlines()[-40:])
    if small_rate is not None:
        raw = (
            np.fromfile(work / "small.rgb", dtype=np.uint8) if (work / "small.rgb").is_file() else np.zeros(0, np.uint8)
        )
        n = raw.size // (SMALL_W * SMALL_H * 3)
        check_decoded(n, expected_small, "frames")
        frames = raw[: n * SMALL_W * SMALL_H * 3].reshape(n, SMALL_H, SMALL_W, 3)
        out.thumbs = Thumbs(frames, float(small_rate), end)
    if expected_ocr:
        pattern = re.compile(r"^ocr_(\d{6})\.jpg$")
        found = sorted((int(m.group(1)), p) for p in work.iterdir() if (m := pattern.match(p.name)))
        out.ocr_frames = [SampledFrame(i, round(k * out.ocr_interval, 3), p) for i, (k, p) in enumerate(found)]
        check_decoded(len(out.ocr_frames), expected_ocr, "frames")
    if info.audio is not None and (params.loudness or params.silence):
        out.loudness = parse_ebur128(log)
        if params.silence:
            audio_end = info.audio.duration or info.duration
            out.silence = parse_silence(log, audio_end)
    return out


def write_covers(
    src: Path,
    info: MediaInfo,
    params: AnalysisParams,
    d: Decoded,
    images: list[np.ndarray],
    scenes: list[dict[str, Any]],
    work: Path,
    stem: str,
    deadline: Deadline,
    result: dict[str, Any],
) -> list[OutputFile]:
    stats = cover_scores(images)
    order = sorted(range(len(stats)), key=lambda i: -stats[i]["score"])
    chosen: list[int] = []
    used_scenes: set[int] = set()

    def scene_of(t: float) -> int:
        return next((s["index"] for s in scenes if s["start_time_offset"] <= t < s["end_time_offset"]), -1)

    for i in order:  # the best of each scene first, then the best of the rest
        if len(chosen) >= params.cover_count:
            break
        scene = scene_of(d.ocr_frames[i].time)
        if scene not in used_scenes or not scenes:
            chosen.append(i)
            used_scenes.add(scene)
    for i in order:
        if len(chosen) >= params.cover_count:
            break
        if i not in chosen:
            chosen.append(i)
    if not chosen or stats[chosen[0]]["score"] <= 0:
        result["cover"] = None
        result["cover_set"] = []
        return []
    times = [d.ocr_frames[i].time for i in chosen]
    w, h = fit_size(info.display_width, info.display_height, COVER_LONG_SIDE)
    paths = grab_frames(src, info, times, work, "cover", deadline=deadline, vf=f"scale={w}:{h}:flags=lanczos")
    files = []
    cover_set = []
    for n, (i, path) in enumerate(zip(chosen, paths, strict=True)):
        name = f"{stem}_cover_{n}.jpg"
        final = path.rename(work / name)
        files.append(OutputFile(name, final, image_meta(final, w, h, times[n])))
        s = stats[i]
        cover_set.append(
            {
                "cover_file": name,
                "time_offset": times[n],
                "confidence": round(100 * s["score"], 2),
                "sharpness": round(s["sharpness"], 2),
                "exposure": round(s["exposure"], 3),
                "mean_luma": round(s["mean"], 1),
                "contrast": round(s["contrast"], 2),
            }
        )
    result["cover"] = cover_set[0]
    result["cover_set"] = cover_set
    return files
