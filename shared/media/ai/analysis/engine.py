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

from pathlib import Path
from typing import Any

import numpy as np

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.analysis import AnalysisParams
from shared.media.ai import models as ai_models
from shared.media.ai.analysis.decoding import Decoded, decode_input, write_covers
from shared.media.ai.analysis.result import result_set, summary_of
from shared.media.ai.analysis.signals import (
    black_frames,
    detect_cuts,
    frame_scores,
    pick_highlights,
    runs,
    scenes_from,
)
from shared.media.ai.analysis.summary import describe
from shared.media.ai.analysis.text import metadata_tags, text_segments, text_tags
from shared.media.ai.decode import (
    SampledFrame,
)
from shared.media.ai.models import TextLine, TextReader
from shared.media.ai.ports import LOCAL_ENGINES, AnalysisEngine, EngineChoice, engine_for, register_engine
from shared.media.ai.run import Deadline, r3, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.outputs import publish, work_dir

NOT_SUPPORTED = {
    "Classification": "classifying the content (sport, news, ...) needs a visual model that does not ship",
    "FrameTag": "recognising objects and scenes in pictures needs a visual model that does not ship",
    "asr": "speech recognition needs a speech model; none ships for offline use",
}


# --- the engine ----------------------------------------------------------------------------------


class LocalAnalysisEngine(AnalysisEngine):
    name = "local"

    def __init__(self, reader: TextReader | None = None, *, onnx_threads: int = 0) -> None:
        self._onnx_threads = onnx_threads
        self._reader = reader

    @property
    def reader(self) -> TextReader:
        return self._reader or ai_models.text_reader(self._onnx_threads)

    def analyse(
        self,
        src: Path,
        params: AnalysisParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress, probe)
        src, out_dir, deadline, progress, info = run.src, run.out_dir, run.deadline, run.progress, run.info
        wants_video = params.scenes or params.black or params.highlights or params.cover or params.tags
        wants_audio = params.loudness or params.silence
        if info.video is None and not (wants_audio and info.audio is not None) and not params.tags:
            raise MediaError("the input has no video stream to analyse", code=media_errors.MEDIA_NO_VIDEO)
        with work_dir(out_dir, stem) as work:
            decoded = (
                decode_input(src, info, params, work, deadline, progress.span(0, 45))
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
                covers = write_covers(src, info, params, d, images, scenes, work, stem, deadline, result)
        if params.tags:
            ocr_tags = text_tags(frames_lines, params.max_tags)
            meta = metadata_tags(src, info, d.loudness)
            result["tags"] = (ocr_tags + meta)[: params.max_tags + len(meta)]
            result["ocr_text"] = text_segments(frames_lines, d.ocr_interval, info.video_end)[:500]
        if params.summary:
            result.update(describe(result, info))
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


def run_analysis(
    src: Path,
    params: AnalysisParams,
    out_dir: Path,
    stem: str,
    *,
    timeout: float,
    on_progress: Progress | None = None,
    choice: EngineChoice = LOCAL_ENGINES,
    probe: MediaInfo | None = None,
) -> EngineResult:
    """Analyse ``src`` with the chosen engine: files (covers, ``{stem}_result.json``), log, summary."""
    engine: AnalysisEngine = engine_for("analysis", choice)
    return engine.analyse(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress, probe=probe)


register_engine("analysis", "local", lambda choice: LocalAnalysisEngine(onnx_threads=choice.onnx_threads))
