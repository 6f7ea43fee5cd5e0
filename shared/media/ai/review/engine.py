"""Content review (审核) on one machine: nudity on sampled frames, keywords in the on-screen text.

Frames are decoded once (one every ``sample_interval`` s, capped by ``max_frames``), downscaled to a
960-pixel long side, and each is looked at by nudenet (porn / sexy) and by the OCR, whose text is
matched against the keyword list of each category. Hits on consecutive frames merge into segments
with a suggestion from the template's thresholds; the worst segment decides the overall suggestion.
Speech cannot be reviewed offline: the result says ``asr: not_supported``.

The result follows MPS's AiContentReviewResult in snake_case (MPS-REFERENCE.md section 2.2), plus a
flat ``segments`` list and the evidence pictures, referenced by file name.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.review import ReviewParams
from shared.media.ai import models as ai_models
from shared.media.ai.decode import SampledFrame, sample_frames
from shared.media.ai.models import NudityDetector, TextReader
from shared.media.ai.ports import LOCAL_ENGINES, EngineChoice, ReviewEngine, engine_for, register_engine
from shared.media.ai.review.result import build_result, evidence_files, summary_of
from shared.media.ai.review.rules import FrameFindings, Hit, KeywordMatcher, porn_hits
from shared.media.ai.run import Deadline, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.outputs import publish, work_dir

ANALYSIS_LONG_SIDE = 960  # pixels: enough for subtitles in 1080p, small enough for two cores


class LocalReviewEngine(ReviewEngine):
    """nudenet + rapidocr on frames decoded by the bundled ffmpeg."""

    name = "local"

    def __init__(
        self, detector: NudityDetector | None = None, reader: TextReader | None = None, *, onnx_threads: int = 0
    ) -> None:
        self._onnx_threads = onnx_threads
        self._detector = detector
        self._reader = reader

    @property
    def detector(self) -> NudityDetector:
        return self._detector or ai_models.nudity_detector(self._onnx_threads)

    @property
    def reader(self) -> TextReader:
        return self._reader or ai_models.text_reader(self._onnx_threads)

    def review(
        self,
        src: Path,
        params: ReviewParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress, probe)
        src, out_dir, deadline, progress, info = run.src, run.out_dir, run.deadline, run.progress, run.info
        if info.video is None:
            raise MediaError(
                "the input has no video stream to review (speech cannot be reviewed offline)",
                code=media_errors.MEDIA_NO_VIDEO,
            )
        matcher = KeywordMatcher(params.ocr_rules)
        use_image = params.porn_image.switch
        with work_dir(out_dir, stem) as work:
            sample = sample_frames(
                src,
                info,
                work,
                "frame",
                interval=params.sample_interval,
                max_frames=params.max_frames,
                long_side=ANALYSIS_LONG_SIDE,
                deadline=deadline,
                on_progress=progress.span(0, 30),
            )
            findings = self._look(sample.frames, params, matcher, use_image, deadline, progress.span(30, 95))
            scale = info.display_width / sample.width if sample.width else 1.0
            result = build_result(
                params,
                findings,
                sample.interval,
                info.duration,
                scale,
                engine={
                    "name": self.name,
                    "image": self.detector.name if use_image else None,
                    "ocr": self.reader.name if matcher else None,
                },
            )
            files = evidence_files(
                result, findings, params.max_evidence_frames, work, stem, sample.width, sample.height
            )
            path, meta = result_file(work, stem, result)
            # A review has no outputs to play or download: its evidence frames and JSON belong to the result.
            kept = [OutputFile(f.name, publish(f.path, out_dir), f.metadata) for f in files]
            kept.append(OutputFile(path.name, publish(path, out_dir), meta))
            progress.report(100.0)
            return EngineResult([], sample.log_tail, summary_of(result, path.name), result_files=kept)

    def _look(
        self,
        frames: list[SampledFrame],
        params: ReviewParams,
        matcher: KeywordMatcher,
        use_image: bool,
        deadline: Deadline,
        on_progress: Progress,
    ) -> list[FrameFindings]:
        findings: list[FrameFindings] = []
        last_thumb: np.ndarray | None = None
        last_hits: list[Hit] = []
        for n, frame in enumerate(frames):
            deadline.check("the review")
            image = ai_models.load_bgr(frame.path)
            thumb = ai_models.thumbnail(image)
            if last_thumb is not None and ai_models.same_picture(last_thumb, thumb):
                hits = [dataclasses.replace(h, time=frame.time, frame=frame.index) for h in last_hits]
                findings.append(FrameFindings(frame, hits, reused=True))
            else:
                hits = []
                if use_image:
                    hits += porn_hits(self.detector.detect(image), params.porn_image, frame.time, frame.index)
                if matcher:
                    hits += matcher.match(self.reader.read(image), frame.time, frame.index)
                findings.append(FrameFindings(frame, hits, reused=False))
                last_thumb, last_hits = thumb, hits
            on_progress((n + 1) * 100.0 / len(frames))
        return findings


def run_review(
    src: Path,
    params: ReviewParams,
    out_dir: Path,
    stem: str,
    *,
    timeout: float,
    on_progress: Progress | None = None,
    choice: EngineChoice = LOCAL_ENGINES,
    probe: MediaInfo | None = None,
) -> EngineResult:
    """Review ``src`` with the chosen engine: files (evidence JPGs, ``{stem}_result.json``), log, summary."""
    engine: ReviewEngine = engine_for("review", choice)
    return engine.review(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress, probe=probe)


register_engine("review", "local", lambda choice: LocalReviewEngine(onnx_threads=choice.onnx_threads))
