"""The ContentReview kind (审核): nudity review of sampled frames and keyword review of the on-screen
text, after MPS's content review templates (MPS-REFERENCE.md section 2.7), in snake_case and with
what the local engines can do. ``validate_review_params`` turns a (partial) JSON object into frozen
parameters, filling defaults and rejecting every bad field with ``InvalidParameterValue.<Field>``;
it is also how a subtask's parameter snapshot (``review_params_json``) is read back.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from shared.domain.errors import BadInputError, shown
from shared.domain.kinds.checks import at, check_known, float_between, int_between, json_object, one_of, switch
from shared.domain.kinds.registry import MpsTaskName, SubtaskKind
from shared.domain.kinds.review_keywords import DEFAULT_KEYWORDS
from shared.domain.templates import Template

NAME = "ContentReview"

OCR_CATEGORIES = ("Porn", "Terrorism", "Political", "Prohibited", "Ad", "UserDefine")
PORN_LABELS = ("porn", "sexy")
MAX_KEYWORDS = 1000  # per category
MAX_KEYWORD_CHARS = 64


@dataclass(frozen=True)
class ImageReviewRule:
    """Nudity review of sampled frames (MPS PornConfigure.ImgReviewInfo)."""

    switch: bool = True
    labels: tuple[str, ...] = PORN_LABELS
    review_confidence: int = 60  # 0-100: at or above, a human should look
    block_confidence: int = 85  # 0-100: at or above, block


@dataclass(frozen=True)
class OcrReviewRule:
    """Keywords looked for in the on-screen text (MPS *Configure.OcrReviewInfo)."""

    category: str
    switch: bool = True
    keywords: tuple[str, ...] = ()
    review_confidence: int = 70
    block_confidence: int = 90


def _default_ocr_rules() -> tuple[OcrReviewRule, ...]:
    return tuple(OcrReviewRule(category=c, keywords=DEFAULT_KEYWORDS[c]) for c in OCR_CATEGORIES)


@dataclass(frozen=True)
class ReviewParams:
    sample_interval: float = 1.0  # seconds between reviewed frames
    max_frames: int = 600  # cap: longer media get a wider interval
    max_evidence_frames: int = 20  # evidence pictures stored with the result
    porn_image: ImageReviewRule = field(default_factory=ImageReviewRule)
    ocr_rules: tuple[OcrReviewRule, ...] = field(default_factory=_default_ocr_rules)

    def ocr_rule(self, category: str) -> OcrReviewRule | None:
        return next((r for r in self.ocr_rules if r.category == category), None)


def _as_keywords(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise at(path, f"expected a list of strings, got {shown(value)}")
    if len(value) > MAX_KEYWORDS:
        raise at(path, f"at most {MAX_KEYWORDS} keywords are allowed, got {len(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise at(path, f"item {i} must be a string, got {shown(item)}")
        text = item.strip()
        if not text or len(text) > MAX_KEYWORD_CHARS:
            raise at(path, f"item {i} must have 1 to {MAX_KEYWORD_CHARS} characters")
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
            raise at(path, f"item {i} contains control characters")
        if sum(ch.isalnum() for ch in text) < 2:
            raise at(path, f"item {i} ({text!r}) needs at least two letters or digits")
        if text not in out:
            out.append(text)
    return tuple(out)


def _as_labels(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise at(path, f"expected a non-empty list of labels from {', '.join(PORN_LABELS)}")
    labels = []
    for item in value:
        label = one_of(path, item, PORN_LABELS)
        if label not in labels:
            labels.append(label)
    return tuple(labels)


def _check_thresholds(path: str, review: int, block: int) -> None:
    if review > block:
        raise at(f"{path}.review_confidence", f"must not exceed block_confidence ({review} > {block})")


def _rules_as_mapping(value: Any) -> dict[str, Any]:
    """The ``ocr_rules`` list form (what ``dataclasses.asdict`` writes) as the ``ocr`` mapping."""
    if not isinstance(value, list | tuple):
        raise at("ocr_rules", f"expected a list of objects, got {shown(value)}")
    out: dict[str, Any] = {}
    for i, item in enumerate(value):
        rule = dict(json_object(f"ocr_rules.{i}", item))
        category = rule.pop("category", None)
        if category not in OCR_CATEGORIES or category in out:
            raise at("ocr_rules", f"item {i} needs a category from {', '.join(OCR_CATEGORIES)}, each once")
        out[category] = rule
    return out


def validate_review_params(data: Mapping[str, Any] | None) -> ReviewParams:
    data = json_object("params", data if data is not None else {})
    check_known("", data, {f.name for f in fields(ReviewParams)} | {"ocr"})
    if "ocr_rules" in data:
        if "ocr" in data:
            raise at("ocr_rules", "give either ocr or ocr_rules, not both")
        data = {**{k: v for k, v in data.items() if k != "ocr_rules"}, "ocr": _rules_as_mapping(data["ocr_rules"])}
    base = ReviewParams()
    interval = float_between("sample_interval", data.get("sample_interval", base.sample_interval), 0.2, 60.0)
    max_frames = int_between("max_frames", data.get("max_frames", base.max_frames), 1, 5000)
    max_evidence = int_between("max_evidence_frames", data.get("max_evidence_frames", base.max_evidence_frames), 0, 200)
    image = base.porn_image
    if "porn_image" in data:
        raw = json_object("porn_image", data["porn_image"])
        check_known("porn_image", raw, {f.name for f in fields(ImageReviewRule)})
        image = ImageReviewRule(
            switch=switch("porn_image.switch", raw.get("switch", image.switch)),
            labels=_as_labels("porn_image.labels", raw.get("labels", list(image.labels))),
            review_confidence=int_between(
                "porn_image.review_confidence", raw.get("review_confidence", image.review_confidence), 0, 100
            ),
            block_confidence=int_between(
                "porn_image.block_confidence", raw.get("block_confidence", image.block_confidence), 0, 100
            ),
        )
        _check_thresholds("porn_image", image.review_confidence, image.block_confidence)
    rules = list(base.ocr_rules)
    if "ocr" in data:
        raw_ocr = json_object("ocr", data["ocr"])
        check_known("ocr", raw_ocr, set(OCR_CATEGORIES))
        for i, rule in enumerate(rules):
            if rule.category not in raw_ocr:
                continue
            path = f"ocr.{rule.category}"
            raw = json_object(path, raw_ocr[rule.category])
            check_known(path, raw, {f.name for f in fields(OcrReviewRule)} - {"category"})
            rules[i] = OcrReviewRule(
                category=rule.category,
                switch=switch(f"{path}.switch", raw.get("switch", rule.switch)),
                keywords=_as_keywords(f"{path}.keywords", raw.get("keywords", list(rule.keywords))),
                review_confidence=int_between(
                    f"{path}.review_confidence", raw.get("review_confidence", rule.review_confidence), 0, 100
                ),
                block_confidence=int_between(
                    f"{path}.block_confidence", raw.get("block_confidence", rule.block_confidence), 0, 100
                ),
            )
            _check_thresholds(path, rules[i].review_confidence, rules[i].block_confidence)
    params = ReviewParams(
        sample_interval=interval,
        max_frames=max_frames,
        max_evidence_frames=max_evidence,
        porn_image=image,
        ocr_rules=tuple(rules),
    )
    if not params.porn_image.switch and not any(r.switch and r.keywords for r in params.ocr_rules):
        raise BadInputError(
            "a review template must switch on the image review or at least one text category with keywords",
            code="InvalidParameterValue.Switch",
        )
    return params


def review_params_json(params: ReviewParams) -> dict[str, Any]:
    """JSON-able form that ``validate_review_params`` reads back to equal parameters."""
    image = params.porn_image
    return {
        "sample_interval": params.sample_interval,
        "max_frames": params.max_frames,
        "max_evidence_frames": params.max_evidence_frames,
        "porn_image": {
            "switch": image.switch,
            "labels": list(image.labels),
            "review_confidence": image.review_confidence,
            "block_confidence": image.block_confidence,
        },
        "ocr": {
            r.category: {
                "switch": r.switch,
                "keywords": list(r.keywords),
                "review_confidence": r.review_confidence,
                "block_confidence": r.block_confidence,
            }
            for r in params.ocr_rules
        },
    }


PRESETS: dict[tuple[str, int], Template[ReviewParams]] = {
    (NAME, 10): Template(10, NAME, "Review-Image-And-Text", ReviewParams()),
    (NAME, 20): Template(
        20,
        "ContentReview",
        "Review-Image-Only",
        ReviewParams(
            ocr_rules=tuple(
                OcrReviewRule(category=c, switch=False, keywords=DEFAULT_KEYWORDS[c]) for c in OCR_CATEGORIES
            )
        ),
    ),
    (NAME, 30): Template(30, NAME, "Review-Text-Only", ReviewParams(porn_image=ImageReviewRule(switch=False))),
}

KIND = SubtaskKind(
    name=NAME,
    function="review",
    params_type=ReviewParams,
    validate=validate_review_params,
    from_json=validate_review_params,
    to_json=review_params_json,
    presets=tuple(PRESETS.values()),
    stems={"": "{name}_contentReview_{definition}"},
    example_outputs=lambda stem, _params: [f"{stem}_result.json"],
    label_key="type.ContentReview",
    view_kind="result",
    downloadable=False,
    mps=lambda _params: MpsTaskName(
        task="AiContentReviewTask", result_type="AiContentReviewResultSet", in_media_process_task=False
    ),
)
