"""Content analysis (内容理解) on one machine, from a single decode of the input.

One ffmpeg run produces (1) a 64x36 RGB thumbnail stream at up to 10 frames per second, from which
scene cuts, black segments and per-scene motion are measured in numpy; (2) a JPEG every
``ocr_interval`` seconds for the cover choice (sharpness and exposure) and the on-screen text
(OCR -> tags); (3) the EBU R128 loudness and the silent stretches of the first audio stream.
Highlights are the most active windows; a short text summary says what was found.

The result follows MPS's AiAnalysisResult in snake_case (MPS-REFERENCE.md section 2.2): Cover, Tag,
Highlight, SegmentRecognition (scenes) and Description tasks, plus the measurements themselves.
Visual classification and object tags need models that do not ship: they are reported as not supported.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from shared.domain import media_errors
from shared.domain.ai_templates import AnalysisParams
from shared.domain.errors import MediaError
from shared.media.ai import models as ai_models
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
from shared.media.ai.models import TextLine, TextReader
from shared.media.ai.ports import AnalysisEngine, engine_for, register_engine
from shared.media.ai.run import Deadline, compact, image_meta, r3, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.argv import base_argv, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe
from shared.media.outputs import publish, work_dir

SMALL_W, SMALL_H = 64, 36
MAX_ANALYSIS_FPS = 10.0
MAX_SMALL_FRAMES = 20000  # bounds the thumbnail stream (about 140 MB) for very long inputs
OCR_LONG_SIDE = 960
COVER_LONG_SIDE = 1920
_BLACK_SHARE = 0.98  # share of black pixels that makes a frame black (ffmpeg blackdetect's default)
_MIN_TEXT_SCORE = 0.7
_STOPWORDS = frozenset(
    """
a an and are as at be been but by can do for from had has have he her his i if in into is it its me my no not of
on or our she so than that the their them then there these they this to too us was we were what when where which
who will with you your www com http https now get just all more out very only here also
""".split()
)
NOT_SUPPORTED = {
    "Classification": "classifying the content (sport, news, ...) needs a visual model that does not ship",
    "FrameTag": "recognising objects and scenes in pictures needs a visual model that does not ship",
    "asr": "speech recognition needs a speech model; none ships for offline use",
}


# --- the thumbnail stream: cuts, black, motion -----------------------------------------------------


@dataclass(frozen=True)
class Thumbs:
    frames: np.ndarray  # (n, SMALL_H, SMALL_W, 3) uint8
    rate: float  # frames per second
    duration: float  # of the picture


def frame_scores(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step i (frames i-1 -> i): cut score in 0..1 and luma change in percent; index 0 is 0."""
    n = len(frames)
    cut = np.zeros(n)
    motion = np.zeros(n)
    if n < 2:
        return cut, motion
    f = frames.astype(np.float32)
    diff = np.abs(f[1:] - f[:-1]).mean(axis=(1, 2, 3)) / 255.0
    luma = f @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    motion[1:] = np.abs(luma[1:] - luma[:-1]).mean(axis=(1, 2)) / 255.0 * 100.0
    # 16-level histogram per channel and frame, counted in one bincount over offset bins.
    bins = (frames // 16).astype(np.int64).reshape(n, -1, 3)
    offsets = (np.arange(n)[:, None, None] * 3 + np.arange(3)[None, None, :]) * 16
    hists = np.bincount((bins + offsets).ravel(), minlength=n * 3 * 16).reshape(n, 3, 16).astype(np.float64)
    hists /= bins.shape[1]
    hist_diff = 0.5 * np.abs(hists[1:] - hists[:-1]).sum(axis=2).mean(axis=1)
    cut[1:] = 0.5 * np.minimum(1.0, diff / 0.25) + 0.5 * hist_diff
    return cut, motion


def detect_cuts(score: np.ndarray, rate: float, threshold: float, min_scene: float) -> list[int]:
    """Frame indices where a new shot starts: a score over the threshold that also stands out from
    its neighbourhood (so fast motion is not cut into pieces), at least ``min_scene`` s apart."""
    n = len(score)
    window = max(2, int(round(rate)))
    picked: list[int] = []
    for i in range(1, n):
        if score[i] < threshold:
            continue
        lo, hi = max(1, i - window), min(n, i + window + 1)
        around = np.concatenate([score[lo:i], score[i + 1 : hi]])
        base = float(np.median(around)) if len(around) else 0.0
        if score[i] < 2.0 * base + 0.05:
            continue
        if picked and (i - picked[-1]) / rate < min_scene:
            if score[i] > score[picked[-1]]:
                picked[-1] = i
            continue
        picked.append(i)
    return picked


def black_frames(frames: np.ndarray, luma_threshold: float) -> np.ndarray:
    luma = frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    share = (luma < luma_threshold * 255.0).mean(axis=(1, 2))
    return share >= _BLACK_SHARE


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    out = []
    start = None
    for i, value in enumerate(mask):
        if value and start is None:
            start = i
        elif not value and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def scenes_from(cuts: list[int], motion: np.ndarray, rate: float, duration: float) -> list[dict[str, Any]]:
    step = 1.0 / rate
    bounds = [0.0] + [max(0.0, i * step - step / 2) for i in cuts] + [duration]
    starts = [0] + cuts + [len(motion)]
    scenes = []
    for k in range(len(bounds) - 1):
        inner = motion[starts[k] + 1 : starts[k + 1]]
        scenes.append(
            {
                "index": k,
                "start_time_offset": round(bounds[k], 3),
                "end_time_offset": round(bounds[k + 1], 3),
                "duration": round(bounds[k + 1] - bounds[k], 3),
                "motion": round(float(inner.mean()), 3) if len(inner) else 0.0,
            }
        )
    return scenes


def pick_highlights(
    activity: np.ndarray, rate: float, duration: float, length: float, count: int, scenes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``count`` most active non-overlapping windows of ``length`` seconds."""
    n = len(activity)
    if n < 2:
        return []
    w = max(1, min(n, int(round(length * rate))))
    sums = np.convolve(activity, np.ones(w), mode="valid") / w  # sums[j]: window of steps j..j+w-1
    taken = np.zeros(len(sums), dtype=bool)
    picked: list[tuple[int, float]] = []
    for _ in range(count):
        masked = np.where(taken, -1.0, sums)
        j = int(np.argmax(masked))
        if masked[j] <= 0.05:  # below 0.05 % change per step: nothing moves
            break
        last = j  # equally busy windows side by side: take the middle one, centred on the action
        while last + 1 < len(masked) and masked[last + 1] >= masked[j] - 1e-9:
            last += 1
        j = (j + last) // 2
        picked.append((j, float(sums[j])))
        taken[max(0, j - w + 1) : j + w] = True
    if not picked:
        return []
    best = max(v for _, v in picked)
    out = []
    step = 1.0 / rate
    for j, value in picked:
        start = max(0.0, j * step - step / 2)
        end = min(duration, start + length) if duration > 0 else start + length
        mid = (start + end) / 2
        scene = next((s["index"] for s in scenes if s["start_time_offset"] <= mid < s["end_time_offset"]), None)
        out.append(
            {
                "start_time_offset": round(start, 3),
                "end_time_offset": round(end, 3),
                "activity": round(value, 3),
                "confidence": round(100.0 * value / best, 2),
                "scene_index": scene,
            }
        )
    return out


# --- cover ---------------------------------------------------------------------------------------


def cover_scores(images: list[np.ndarray]) -> list[dict[str, float]]:
    """Sharpness (variance of the Laplacian), exposure and contrast of each candidate; score 0..1."""
    import cv2

    stats = []
    for image in images:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape
        gray = cv2.resize(gray, (480, max(2, round(480 * h / w))), interpolation=cv2.INTER_AREA)
        mean, std = float(gray.mean()), float(gray.std())
        clipped = float(((gray < 10) | (gray > 245)).mean())
        stats.append(
            {
                "sharpness": float(cv2.Laplacian(gray, cv2.CV_64F).var()),
                "mean": mean,
                "contrast": std,
                "clipped": clipped,
            }
        )
    median_sharp = float(np.median([s["sharpness"] for s in stats])) if stats else 0.0
    for s in stats:
        exposure = max(0.0, 1.0 - abs(s["mean"] - 120.0) / 120.0) * (1.0 - s["clipped"])
        contrast = min(1.0, s["contrast"] / 60.0)
        sharp = s["sharpness"] / (s["sharpness"] + median_sharp + 1e-6)
        s["exposure"] = exposure
        s["score"] = 0.0 if s["mean"] < 16 else exposure * (0.3 + 0.7 * contrast) * (0.2 + 0.8 * sharp)
    return stats


# --- text and tags -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def text_segments(
    frames_lines: list[tuple[float, list[TextLine]]], interval: float, duration: float
) -> list[dict[str, Any]]:
    """Each distinct line of on-screen text with the time span it was seen over."""
    open_runs: dict[str, dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    for time, lines in frames_lines:
        seen = set()
        for line in lines:
            key = _norm(line.text)
            if not key or line.score < _MIN_TEXT_SCORE or key in seen:
                continue
            seen.add(key)
            run = open_runs.get(key)
            if run is not None and time - run["last"] <= 1.5 * interval + 1e-6:
                run["last"], run["scores"] = time, run["scores"] + [line.score]
            else:
                if run is not None:
                    done.append(run)
                open_runs[key] = {"text": line.text, "first": time, "last": time, "scores": [line.score]}
    done += open_runs.values()
    out = []
    for run in sorted(done, key=lambda r: (r["first"], r["text"])):
        end = run["last"] + interval / 2
        out.append(
            {
                "start_time_offset": round(max(0.0, run["first"] - interval / 2), 3),
                "end_time_offset": round(min(end, duration) if duration > 0 else end, 3),
                "text": run["text"],
                "confidence": round(100.0 * float(np.mean(run["scores"])), 2),
            }
        )
    return out


_WORD_RE = re.compile(r"[a-z][a-z0-9'’\-]{2,}")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,12}")


def text_tags(frames_lines: list[tuple[float, list[TextLine]]], limit: int) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for _time, lines in frames_lines:
        in_frame: set[str] = set()
        for line in lines:
            if line.score < _MIN_TEXT_SCORE:
                continue
            text = unicodedata.normalize("NFKC", line.text).casefold()
            tokens = [w.strip("'’-") for w in _WORD_RE.findall(text)] + _CJK_RE.findall(text)
            for token in tokens:
                if len(token) < 3 and not _CJK_RE.fullmatch(token) or token in _STOPWORDS or token in in_frame:
                    continue
                in_frame.add(token)
                entry = counts.setdefault(token, {"frames": 0, "scores": []})
                entry["frames"] += 1
                entry["scores"].append(line.score)
    if not counts:
        return []
    most = max(e["frames"] for e in counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1]["frames"], -float(np.mean(kv[1]["scores"])), kv[0]))
    tags = []
    for token, e in ranked[:limit]:
        confidence = float(np.mean(e["scores"])) * (0.5 + 0.5 * e["frames"] / most)
        tags.append(
            {
                "tag": token,
                "confidence": round(100.0 * confidence, 2),
                "special_info": f"ocr:frames={e['frames']}",
                "source": "ocr",
            }
        )
    return tags


_META_KEYS = ("title", "artist", "album", "album_artist", "genre", "show", "keywords", "keyword", "category")


def metadata_tags(src: Path, info: MediaInfo, loudness: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Tags from the container's metadata (title, genre, keywords...) and from what was measured."""
    tags: list[dict[str, Any]] = []

    def add(tag: str, source: str, info_text: str, confidence: float = 100.0) -> None:
        tag = " ".join(tag.split())[:64]
        if tag and all(t["tag"].casefold() != tag.casefold() for t in tags):
            tags.append({"tag": tag, "confidence": confidence, "special_info": info_text, "source": source})

    try:
        with av.open(str(src), options={"protocol_whitelist": "file"}, metadata_errors="replace") as container:
            meta = {str(k).lower(): str(v) for k, v in (container.metadata or {}).items()}
            languages = {str(s.metadata.get("language", "")).lower() for s in container.streams}
    except (av.error.FFmpegError, OSError, UnicodeError):
        meta, languages = {}, set()
    for key in _META_KEYS:
        value = meta.get(key, "").strip()
        if not value:
            continue
        parts = re.split(r"[,;|/]", value) if key in ("keywords", "keyword", "genre", "category") else [value]
        for part in parts:
            add(part, "metadata", f"metadata:{key}")
    for lang in sorted(languages - {"", "und"}):
        add(f"language:{lang}", "metadata", "metadata:language")
    if info.video is not None:
        w, h = info.display_width, info.display_height
        short = min(w, h)
        level = (
            "4K"
            if short >= 2160
            else "2K"
            if short >= 1440
            else "1080p"
            if short >= 1080
            else "720p"
            if short >= 720
            else "SD"
        )
        add(level, "technical", f"resolution:{w}x{h}")
        add("portrait" if h > w else "square" if h == w else "landscape", "technical", f"aspect:{w}x{h}")
        if info.video.fps >= 48:
            add("high-frame-rate", "technical", f"fps:{info.video.fps:g}")
    if info.audio is None:
        add("no-audio", "technical", "audio:none")
    elif loudness is not None and loudness.get("integrated") is None:
        add("silent", "technical", "loudness:silent")
    if info.video is None:
        add("audio-only", "technical", "video:none")
    if info.duration < 60:
        add("short", "technical", f"duration:{info.duration:.0f}s")
    elif info.duration > 1200:
        add("long", "technical", f"duration:{info.duration:.0f}s")
    return tags


# --- audio ---------------------------------------------------------------------------------------

_SIL_START = re.compile(r"silence_start:\s*(-?[\d.]+)")
_SIL_END = re.compile(r"silence_end:\s*(-?[\d.]+)")


def parse_silence(log: str, duration: float) -> list[dict[str, float]]:
    out = []
    start: float | None = None
    for line in log.splitlines():
        if "silencedetect" not in line:
            continue
        if (m := _SIL_START.search(line)) is not None:
            start = max(0.0, float(m.group(1)))
        elif (m := _SIL_END.search(line)) is not None and start is not None:
            end = float(m.group(1))
            out.append(
                {
                    "start_time_offset": round(start, 3),
                    "end_time_offset": round(end, 3),
                    "duration": round(end - start, 3),
                }
            )
            start = None
    if start is not None and duration > start:
        out.append(
            {
                "start_time_offset": round(start, 3),
                "end_time_offset": round(duration, 3),
                "duration": round(duration - start, 3),
            }
        )
    return out


# --- the engine ----------------------------------------------------------------------------------


@dataclass
class Decoded:
    thumbs: Thumbs | None = None
    ocr_frames: list[SampledFrame] = field(default_factory=list)
    ocr_interval: float = 0.0
    ocr_size: tuple[int, int] = (0, 0)
    loudness: dict[str, Any] | None = None
    silence: list[dict[str, float]] | None = None
    log_tail: str = ""


class LocalAnalysisEngine(AnalysisEngine):
    name = "local"

    def __init__(self, reader: TextReader | None = None) -> None:
        self._reader = reader

    @property
    def reader(self) -> TextReader:
        return self._reader or ai_models.text_reader()

    def analyse(
        self,
        src: Path,
        params: AnalysisParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress)
        src, out_dir, deadline, progress, info = run.src, run.out_dir, run.deadline, run.progress, run.info
        wants_video = params.scenes or params.black or params.highlights or params.cover or params.tags
        wants_audio = params.loudness or params.silence
        if info.video is None and not (wants_audio and info.audio is not None) and not params.tags:
            raise MediaError("the input has no video stream to analyse", code=media_errors.MEDIA_NO_VIDEO)
        with work_dir(out_dir, stem) as work:
            decoded = (
                self._decode(src, info, params, work, deadline, progress.span(0, 45))
                if (info.video is not None and wants_video) or (info.audio is not None and wants_audio)
                else Decoded()
            )
            result, covers = self._analyse(src, info, params, decoded, work, stem, deadline, progress.span(45, 95))
            path, meta = result_file(work, stem, result)
            # An analysis has no outputs to play or download: its covers and JSON belong to the result.
            kept = [OutputFile(f.name, publish(f.path, out_dir), f.metadata) for f in covers]
            kept.append(OutputFile(path.name, publish(path, out_dir), meta))
            progress.report(100.0)
            return EngineResult([], decoded.log_tail, summary_of(result, path.name), result_files=kept)

    def _decode(
        self, src: Path, info: MediaInfo, params: AnalysisParams, work: Path, deadline: Deadline, on_progress: Progress
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
                np.fromfile(work / "small.rgb", dtype=np.uint8)
                if (work / "small.rgb").is_file()
                else np.zeros(0, np.uint8)
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

    def _analyse(
        self,
        src: Path,
        info: MediaInfo,
        params: AnalysisParams,
        d: Decoded,
        work: Path,
        stem: str,
        deadline: Deadline,
        on_progress: Progress,
    ) -> tuple[dict[str, Any], list[OutputFile]]:
        result: dict[str, Any] = {
            "type": "ContentAnalysis",
            "duration": round(info.duration, 3),
            "media": {k: v for k, v in info.to_metadata().items() if k not in ("size",)},
            "engine": {"name": self.name, "ocr": None},
            "not_supported": [{"type": k, "reason": v} for k, v in NOT_SUPPORTED.items()],
            "files": [],
        }
        scenes: list[dict[str, Any]] = []
        if d.thumbs is not None:
            t = d.thumbs
            cut_score, motion = frame_scores(t.frames)
            black = black_frames(t.frames, params.black_luma_threshold)
            cuts = detect_cuts(cut_score, t.rate, params.scene_threshold, params.min_scene_duration)
            scenes = scenes_from(cuts, motion, t.rate, t.duration)
            result["analysis_rate"] = round(t.rate, 3)
            if params.scenes:
                result["scenes"] = scenes
                result["cuts"] = [s["start_time_offset"] for s in scenes[1:]]
            if params.black:
                step = 1.0 / t.rate
                segs = []
                for a, b in runs(black):
                    start, end = max(0.0, a * step - step / 2), min(t.duration, b * step + step / 2)
                    if end - start >= params.black_min_duration - 1e-6:
                        segs.append(
                            {
                                "start_time_offset": round(start, 3),
                                "end_time_offset": round(end, 3),
                                "duration": round(end - start, 3),
                            }
                        )
                result["black_segments"] = segs
            if params.highlights:
                activity = motion.copy()
                activity[cuts] = 0.0  # a cut is not action
                activity[black] = 0.0
                result["highlights"] = pick_highlights(
                    activity, t.rate, t.duration, params.highlight_duration, params.highlight_count, scenes
                )
        if d.loudness is not None and params.loudness:
            result["loudness"] = {k: r3(v) for k, v in d.loudness.items()}
        elif params.loudness:
            result["loudness"] = None
        if params.silence:
            result["silence_segments"] = d.silence if d.silence is not None else []
            if info.audio is None:
                result["silence_segments"] = None
        covers: list[OutputFile] = []
        frames_lines: list[tuple[float, list[TextLine]]] = []
        if d.ocr_frames:
            images = [ai_models.load_bgr(f.path) for f in d.ocr_frames]
            if params.tags:
                result["engine"]["ocr"] = self.reader.name
                frames_lines = self._read_text(d.ocr_frames, images, deadline, on_progress)
            if params.cover:
                covers = self._covers(src, info, params, d, images, scenes, work, stem, deadline, result)
        if params.tags:
            ocr_tags = text_tags(frames_lines, params.max_tags)
            meta = metadata_tags(src, info, d.loudness)
            result["tags"] = (ocr_tags + meta)[: params.max_tags + len(meta)]
            result["ocr_text"] = text_segments(frames_lines, d.ocr_interval, info.video_end)[:500]
        if params.summary:
            result["summary"] = describe(result, info)
        result["result_set"] = result_set(result, params)
        result["files"] = [c.name for c in covers]
        return result, covers

    def _read_text(
        self, frames: list[SampledFrame], images: list[np.ndarray], deadline: Deadline, on_progress: Progress
    ) -> list[tuple[float, list[TextLine]]]:
        out: list[tuple[float, list[TextLine]]] = []
        last_thumb: np.ndarray | None = None
        last_lines: list[TextLine] = []
        for n, (frame, image) in enumerate(zip(frames, images, strict=True)):
            deadline.check("the analysis")
            thumb = ai_models.thumbnail(image)
            if last_thumb is None or not ai_models.same_picture(last_thumb, thumb):
                last_lines, last_thumb = self.reader.read(image), thumb
            out.append((frame.time, last_lines))
            on_progress((n + 1) * 100.0 / len(frames))
        return out

    def _covers(
        self,
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


def describe(result: dict[str, Any], info: MediaInfo) -> str:
    """A few plain sentences about what was found."""
    parts = []
    kind = "video" if info.video is not None else "audio"
    size = f" {info.display_width}x{info.display_height}" if info.video is not None else ""
    audio = "" if info.video is None else (" with sound" if info.audio is not None else " without sound")
    parts.append(f"{info.duration:.1f} s{size} {kind}{audio}.")
    scenes = result.get("scenes")
    if scenes is not None:
        if len(scenes) <= 1:
            parts.append("One continuous shot.")
        else:
            cuts = ", ".join(f"{c:.1f} s" for c in result["cuts"][:5]) + (" ..." if len(result["cuts"]) > 5 else "")
            parts.append(f"{len(scenes)} scenes (cuts at {cuts}).")
    highlights = result.get("highlights")
    if highlights:
        h = highlights[0]
        parts.append(f"Most active part: {h['start_time_offset']:.1f}-{h['end_time_offset']:.1f} s.")
    black = result.get("black_segments")
    if black:
        parts.append(f"{len(black)} black segment(s), {sum(b['duration'] for b in black):.1f} s in all.")
    silence = result.get("silence_segments")
    if silence:
        parts.append(f"{len(silence)} silent stretch(es), {sum(s['duration'] for s in silence):.1f} s in all.")
    loud = result.get("loudness")
    if loud and loud.get("integrated") is not None:
        lra = f", range {loud['range']:.1f} LU" if loud.get("range") is not None else ""
        parts.append(f"Loudness {loud['integrated']:.1f} LUFS{lra}.")
    elif loud is not None and "loudness" in result and info.audio is not None:
        parts.append("The sound track is silent.")
    texts = result.get("ocr_text")
    if texts:
        shown = "; ".join(f'"{t["text"][:40]}"' for t in texts[:3])
        parts.append(f"On-screen text: {shown}{' ...' if len(texts) > 3 else ''}.")
    tags = [t["tag"] for t in result.get("tags") or [] if t["source"] == "ocr"][:5]
    if tags:
        parts.append(f"Text tags: {', '.join(tags)}.")
    cover = result.get("cover")
    if cover:
        parts.append(f"Cover taken at {cover['time_offset']:.1f} s.")
    return " ".join(parts)


def result_set(result: dict[str, Any], params: AnalysisParams) -> list[dict[str, Any]]:
    """The MPS-shaped AiAnalysisResult entries for what this template asked for."""

    def task(kind: str, key: str, output: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": kind,
            key: {
                "status": "SUCCESS",
                "err_code_ext": "",
                "err_code": 0,
                "message": "SUCCESS",
                "input": {},
                "output": output,
            },
        }

    out = []
    if params.cover:
        out.append(
            task(
                "Cover",
                "cover_task",
                {
                    "cover_set": [
                        {"cover_path": c["cover_file"], "confidence": c["confidence"]}
                        for c in result.get("cover_set") or []
                    ]
                },
            )
        )
    if params.tags:
        out.append(
            task(
                "Tag",
                "tag_task",
                {
                    "tag_set": [
                        {"tag": t["tag"], "confidence": t["confidence"], "special_info": t["special_info"]}
                        for t in result.get("tags") or []
                    ]
                },
            )
        )
    if params.highlights and "highlights" in result:
        out.append(
            task(
                "Highlight",
                "highlight_task",
                {
                    "highlight_set": [
                        {
                            "start_time_offset": h["start_time_offset"],
                            "end_time_offset": h["end_time_offset"],
                            "confidence": h["confidence"],
                        }
                        for h in result["highlights"]
                    ]
                },
            )
        )
    if params.scenes and "scenes" in result:
        out.append(
            task(
                "SegmentRecognition",
                "segment_task",
                {
                    "segment_set": [
                        {
                            "start_time_offset": s["start_time_offset"],
                            "end_time_offset": s["end_time_offset"],
                            "confidence": 100.0,
                        }
                        for s in result["scenes"]
                    ]
                },
            )
        )
    if params.summary:
        out.append(
            task(
                "Description",
                "description_task",
                {"description_set": [{"description": result.get("summary", ""), "confidence": 100.0}]},
            )
        )
    return out


def summary_of(result: dict[str, Any], result_name: str) -> dict[str, Any]:
    keep = (
        "type",
        "duration",
        "summary",
        "cuts",
        "cover",
        "loudness",
        "highlights",
        "black_segments",
        "silence_segments",
        "engine",
        "files",
    )
    out = {k: result[k] for k in keep if k in result}
    if "scenes" in result:
        out["scene_count"] = len(result["scenes"])
    if "tags" in result:
        out["tags"] = [
            {"tag": t["tag"], "confidence": t["confidence"], "source": t["source"]} for t in result["tags"][:20]
        ]
    out["result_file"] = result_name
    return compact(out, max_items=50)


def run_analysis(
    src: Path, params: AnalysisParams, out_dir: Path, stem: str, *, timeout: float, on_progress: Progress | None = None
) -> EngineResult:
    """Analyse ``src`` with the selected engine: files (covers, ``{stem}_result.json``), log, summary."""
    engine: AnalysisEngine = engine_for("analysis")
    return engine.analyse(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress)


register_engine("analysis", "local", LocalAnalysisEngine)

__all__ = [
    "LocalAnalysisEngine",
    "black_frames",
    "cover_scores",
    "describe",
    "detect_cuts",
    "frame_scores",
    "parse_silence",
    "pick_highlights",
    "run_analysis",
    "text_segments",
    "text_tags",
]
