"""What content review looks for: keywords in the on-screen text, nudity in the pictures, and how
hits on consecutive frames merge into segments with a suggestion from the template's thresholds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.domain.kinds.review import ImageReviewRule, OcrReviewRule
from shared.media.ai.decode import SampledFrame
from shared.media.ai.models import NUDENET_LABELS, Detection, TextLine

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


@dataclass
class FrameFindings:
    frame: SampledFrame
    hits: list[Hit]
    reused: bool
