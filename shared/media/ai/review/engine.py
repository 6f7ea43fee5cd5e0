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
import os
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shared.domain import media_errors
from shared.domain.ai_templates import OCR_CATEGORIES, ImageReviewRule, OcrReviewRule, ReviewParams
from shared.domain.errors import MediaError
from shared.media.ai import models as ai_models
from shared.media.ai.decode import SampledFrame, sample_frames
from shared.media.ai.models import NUDENET_LABELS, Detection, NudityDetector, TextLine, TextReader
from shared.media.ai.ports import ReviewEngine, engine_for, register_engine
from shared.media.ai.run import Deadline, compact, image_meta, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.outputs import publish, work_dir

ANALYSIS_LONG_SIDE = 960  # pixels: enough for subtitles in 1080p, small enough for two cores
SUGGESTIONS = ("pass", "review", "block")
_LOOSE_FACTOR = 0.9  # confidence kept by a match that needed OCR look-alike folding (0/o, 1/l, ...)
_LOOSE_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "$": "s", "8": "b"})
NOT_SUPPORTED = {
    "asr": "speech recognition needs a speech model; none ships for offline use",
    "Porn.Asr": "speech recognition is not available offline",
    "Political.Asr": "speech recognition is not available offline",
    "Prohibited.Asr": "speech recognition is not available offline",
    "Terrorism": "no offline model recognises weapons, flags or violence in pictures",
    "Political": "no offline model recognises people or political symbols in pictures",
}


def task_key(task_type: str) -> str:
    """ "Porn.Ocr" -> "porn_ocr_task", "UserDefine.Ocr" -> "user_define_ocr_task" (MPS PornOcrTask...)."""
    out = []
    for part in task_type.split("."):
        snake = "".join("_" + ch.lower() if ch.isupper() else ch for ch in part).lstrip("_")
        out.append(snake)
    return "_".join(out) + "_task"


def normalize_text(text: str) -> str:
    """Width-, case- and space-insensitive form used for keyword matching."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _loose(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LOOSE_FOLD)
    return "".join(ch for ch in folded if ch.isalnum())


def suggestion_for(confidence: float, review_confidence: int, block_confidence: int) -> str:
    if confidence >= block_confidence:
        return "block"
    if confidence >= review_confidence:
        return "review"
    return "pass"


@dataclass(frozen=True)
class Hit:
    task: str  # "Porn" (image) or "<Category>.Ocr"
    label: str  # porn | sexy for pictures; the category for text
    time: float
    frame: int  # index of the sampled frame
    confidence: float  # 0-100
    keywords: tuple[str, ...] = ()
    boxes: tuple[tuple[int, int, int, int], ...] = ()  # x0, y0, x1, y1 in the analysed frame
    text: str = ""
    details: tuple[dict[str, Any], ...] = ()


@dataclass
class Segment:
    task: str
    label: str
    start: float
    end: float
    confidence: float
    suggestion: str
    keywords: list[str] = field(default_factory=list)
    best: Hit | None = None
    frames: list[int] = field(default_factory=list)
    pic_file: str | None = None


class KeywordMatcher:
    """Keyword lists of the switched-on text categories, prepared once per run."""

    def __init__(self, rules: tuple[OcrReviewRule, ...]) -> None:
        self.rules = [r for r in rules if r.switch and r.keywords]
        self._prepared = [(r, [(k, normalize_text(k), _loose(k)) for k in r.keywords]) for r in self.rules]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, lines: list[TextLine], time: float, frame: int) -> list[Hit]:
        if not lines:
            return []
        norm = [normalize_text(line.text) for line in lines]
        loose = [_loose(line.text) for line in lines]
        joined, joined_loose = "".join(norm), "".join(loose)
        joined_score = float(np.mean([line.score for line in lines]))
        hits = []
        for rule, keywords in self._prepared:
            found: dict[str, float] = {}
            boxes: list[tuple[int, int, int, int]] = []
            texts: list[str] = []
            for keyword, exact, folded in keywords:
                score, where = _find(exact, folded, norm, loose, lines, joined, joined_loose, joined_score)
                if score <= 0:
                    continue
                found[keyword] = max(found.get(keyword, 0.0), score)
                for i in where:
                    if lines[i].box not in boxes:
                        boxes.append(lines[i].box)
                        texts.append(lines[i].text)
            if found:
                hits.append(
                    Hit(
                        task=f"{rule.category}.Ocr",
                        label=rule.category,
                        time=time,
                        frame=frame,
                        confidence=round(max(found.values()) * 100.0, 2),
                        keywords=tuple(found),
                        boxes=tuple(boxes),
                        text=" / ".join(texts)[:500],
                    )
                )
        return hits


def _find(
    exact: str,
    folded: str,
    norm: list[str],
    loose: list[str],
    lines: list[TextLine],
    joined: str,
    joined_loose: str,
    joined_score: float,
) -> tuple[float, list[int]]:
    if not exact:
        return 0.0, []
    best, where = 0.0, []
    for i, text in enumerate(norm):
        if exact in text:
            score = lines[i].score
        elif len(folded) >= 4 and folded in loose[i]:
            score = lines[i].score * _LOOSE_FACTOR
        else:
            continue
        if score > best:
            best, where = score, [i]
    if best > 0:
        return best, where
    # A keyword split over two lines of the same frame.
    if exact in joined:
        return joined_score * _LOOSE_FACTOR, list(range(len(lines)))
    if len(folded) >= 4 and folded in joined_loose:
        return joined_score * _LOOSE_FACTOR * _LOOSE_FACTOR, list(range(len(lines)))
    return 0.0, []


def porn_hits(detections: list[Detection], rule: ImageReviewRule, time: float, frame: int) -> list[Hit]:
    """One hit per MPS label (porn, sexy) the template reviews, with the best detection's confidence."""
    best: dict[str, list[Detection]] = {}
    for d in detections:
        label = NUDENET_LABELS.get(d.label)
        if label is not None and label in rule.labels:
            best.setdefault(label, []).append(d)
    hits = []
    for label, found in best.items():
        top = max(found, key=lambda d: d.score)
        boxes = tuple((d.box[0], d.box[1], d.box[0] + d.box[2], d.box[1] + d.box[3]) for d in found)
        details = tuple({"class": d.label, "score": round(d.score, 4)} for d in found)
        hits.append(
            Hit(
                task="Porn",
                label=label,
                time=time,
                frame=frame,
                confidence=round(top.score * 100.0, 2),
                boxes=boxes,
                details=details,
            )
        )
    return hits


def merge_segments(
    hits: list[Hit], thresholds: dict[str, tuple[int, int]], interval: float, duration: float
) -> list[Segment]:
    """Hits of one task (and label, for pictures) on consecutive sampled frames become one segment.

    A segment spans from half an interval before its first hit to half an interval after its last
    (the unseen edges are best estimated in the middle). Hits under the review threshold pass.
    """
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        review, _block = thresholds[hit.task]
        if hit.confidence >= review:
            groups.setdefault((hit.task, hit.label if hit.task == "Porn" else ""), []).append(hit)
    segments: list[Segment] = []
    for (task, _label), group in groups.items():
        group.sort(key=lambda h: h.time)
        run: list[Hit] = []
        for hit in group:
            if run and hit.time - run[-1].time > 1.5 * interval + 1e-6:
                segments.append(_segment(task, run, thresholds[task], interval, duration))
                run = []
            run.append(hit)
        if run:
            segments.append(_segment(task, run, thresholds[task], interval, duration))
    segments.sort(key=lambda s: (s.start, s.task, s.label))
    return segments


def _segment(task: str, run: list[Hit], threshold: tuple[int, int], interval: float, duration: float) -> Segment:
    best = max(run, key=lambda h: h.confidence)
    keywords: list[str] = []
    for hit in run:
        keywords += [k for k in hit.keywords if k not in keywords]
    start = max(0.0, run[0].time - interval / 2)
    end = run[-1].time + interval / 2
    if duration > 0:
        end = min(end, duration)
    end = max(end, start)
    return Segment(
        task=task,
        label=best.label,
        start=round(start, 3),
        end=round(end, 3),
        confidence=best.confidence,
        suggestion=suggestion_for(best.confidence, *threshold),
        keywords=keywords,
        best=best,
        frames=[h.frame for h in run],
    )


def _worst(suggestions: list[str]) -> str:
    return max(suggestions, key=SUGGESTIONS.index, default="pass")


@dataclass
class FrameFindings:
    frame: SampledFrame
    hits: list[Hit]
    reused: bool


class LocalReviewEngine(ReviewEngine):
    """nudenet + rapidocr on frames decoded by the bundled ffmpeg."""

    name = "local"

    def __init__(self, detector: NudityDetector | None = None, reader: TextReader | None = None) -> None:
        self._detector = detector
        self._reader = reader

    @property
    def detector(self) -> NudityDetector:
        return self._detector or ai_models.nudity_detector()

    @property
    def reader(self) -> TextReader:
        return self._reader or ai_models.text_reader()

    def review(
        self,
        src: Path,
        params: ReviewParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress)
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
            files = _evidence(result, findings, params.max_evidence_frames, work, stem, sample.width, sample.height)
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


def build_result(
    params: ReviewParams,
    findings: list[FrameFindings],
    interval: float,
    duration: float,
    scale: float,
    engine: dict[str, Any],
) -> dict[str, Any]:
    """The full review result (pure: evidence file names are filled in afterwards)."""
    thresholds: dict[str, tuple[int, int]] = {
        "Porn": (params.porn_image.review_confidence, params.porn_image.block_confidence)
    }
    for rule in params.ocr_rules:
        thresholds[f"{rule.category}.Ocr"] = (rule.review_confidence, rule.block_confidence)
    hits = [h for f in findings for h in f.hits]
    segments = merge_segments(hits, thresholds, interval, duration)
    tasks: list[tuple[str, dict[str, Any]]] = []
    if params.porn_image.switch:
        tasks.append(
            (
                "Porn",
                {
                    "switch": True,
                    "label_set": list(params.porn_image.labels),
                    "review_confidence": params.porn_image.review_confidence,
                    "block_confidence": params.porn_image.block_confidence,
                },
            )
        )
    for rule in params.ocr_rules:
        if rule.switch:
            tasks.append(
                (
                    f"{rule.category}.Ocr",
                    {
                        "switch": True,
                        "keyword_count": len(rule.keywords),
                        "review_confidence": rule.review_confidence,
                        "block_confidence": rule.block_confidence,
                    },
                )
            )
    result_set = []
    for task_type, task_input in tasks:
        mine = [s for s in segments if s.task == task_type]
        top = max(mine, key=lambda s: (SUGGESTIONS.index(s.suggestion), s.confidence), default=None)
        output: dict[str, Any] = {
            "confidence": top.confidence if top else 0.0,
            "suggestion": top.suggestion if top else "pass",
            "segment_set": [_segment_dict(s, scale) for s in mine],
        }
        if task_type == "Porn":
            output["label"] = top.label if top else ""
        result_set.append(
            {
                "type": task_type,
                task_key(task_type): {
                    "status": "SUCCESS",
                    "err_code_ext": "",
                    "err_code": 0,
                    "message": "SUCCESS",
                    "input": task_input,
                    "output": output,
                },
            }
        )
    top_segment = max(segments, key=lambda s: (SUGGESTIONS.index(s.suggestion), s.confidence), default=None)
    reviewed = sum(1 for f in findings if not f.reused)
    return {
        "type": "ContentReview",
        "suggestion": top_segment.suggestion if top_segment else "pass",
        "confidence": top_segment.confidence if top_segment else 0.0,
        "label": top_segment.label if top_segment else "",
        "top_segment_type": top_segment.task if top_segment else "",
        "duration": round(duration, 3),
        "sample_rate": round(1.0 / interval, 4) if interval > 0 else 0.0,  # frames per second reviewed
        "sample_interval": interval,
        "frames_sampled": len(findings),
        "frames_analysed": reviewed,
        "asr": "not_supported",
        "not_supported": [{"type": k, "reason": v} for k, v in NOT_SUPPORTED.items()],
        "engine": engine,
        "segments": [{"type": s.task, **_segment_dict(s, scale)} for s in segments],
        "result_set": result_set,
        "files": [],
    }


def _segment_dict(s: Segment, scale: float) -> dict[str, Any]:
    best = s.best
    out: dict[str, Any] = {
        "start_time_offset": s.start,
        "end_time_offset": s.end,
        "confidence": s.confidence,
        "suggestion": s.suggestion,
        "label": s.label,
        "frame_time_offset": best.time if best else None,
        "area_coord_set": [[round(v * scale) for v in box] for box in (best.boxes if best else ())],
        "pic_file": s.pic_file,
    }
    if s.task != "Porn":
        out["keyword_set"] = list(s.keywords)
        out["text"] = best.text if best else ""
    elif best and best.details:
        out["detections"] = list(best.details)
    return out


def _evidence(
    result: dict[str, Any], findings: list[FrameFindings], limit: int, work: Path, stem: str, width: int, height: int
) -> list[OutputFile]:
    """Store the best frame of each segment (worst suggestion first, up to ``limit`` pictures)."""
    by_index = {f.frame.index: f.frame for f in findings}
    entries = [seg for seg in result["segments"]]
    for item in result["result_set"]:
        entries += next(v for k, v in item.items() if k != "type")["output"]["segment_set"]
    ranked = sorted(result["segments"], key=lambda s: (-SUGGESTIONS.index(s["suggestion"]), -s["confidence"]))
    names: dict[float, str] = {}
    files: list[OutputFile] = []
    for seg in ranked:
        t = seg["frame_time_offset"]
        if t in names or t is None:
            continue
        if len(names) >= limit:
            break
        frame = next((fr for fr in by_index.values() if fr.time == t), None)
        if frame is None:
            continue
        name = f"{stem}_evidence_{len(names)}.jpg"
        dest = work / name
        try:
            os.link(frame.path, dest)
        except OSError:
            shutil.copyfile(frame.path, dest)
        names[t] = name
        files.append(OutputFile(name, dest, image_meta(dest, width, height, t)))
    for seg in entries:
        seg["pic_file"] = names.get(seg["frame_time_offset"])
    result["files"] = [f.name for f in files]
    return files


def summary_of(result: dict[str, Any], result_name: str) -> dict[str, Any]:
    """The compact summary kept on the subtask; the full result is the ``result_file``."""
    tasks = []
    for item in result["result_set"]:
        body = next(v for k, v in item.items() if k != "type")
        out = body["output"]
        tasks.append(
            {
                "type": item["type"],
                "suggestion": out["suggestion"],
                "confidence": out["confidence"],
                "segment_count": len(out["segment_set"]),
            }
        )
    segments = [
        {
            k: s.get(k)
            for k in (
                "type",
                "start_time_offset",
                "end_time_offset",
                "confidence",
                "suggestion",
                "label",
                "keyword_set",
                "pic_file",
            )
            if k in s
        }
        for s in result["segments"]
    ]
    return compact(
        {
            "type": "ContentReview",
            "suggestion": result["suggestion"],
            "confidence": result["confidence"],
            "label": result["label"],
            "duration": result["duration"],
            "sample_interval": result["sample_interval"],
            "frames_sampled": result["frames_sampled"],
            "asr": result["asr"],
            "tasks": tasks,
            "segment_count": len(result["segments"]),
            "segments": segments,
            "files": result["files"],
            "result_file": result_name,
            "engine": result["engine"],
        },
        max_items=50,
    )


def run_review(
    src: Path, params: ReviewParams, out_dir: Path, stem: str, *, timeout: float, on_progress: Progress | None = None
) -> EngineResult:
    """Review ``src`` with the selected engine: files (evidence JPGs, ``{stem}_result.json``), log, summary."""
    engine: ReviewEngine = engine_for("review")
    return engine.review(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress)


register_engine("review", "local", LocalReviewEngine)

__all__ = [
    "OCR_CATEGORIES",
    "KeywordMatcher",
    "LocalReviewEngine",
    "build_result",
    "merge_segments",
    "normalize_text",
    "porn_hits",
    "run_review",
    "suggestion_for",
    "task_key",
]
