"""Template parameters and presets for content review, content analysis and enhancement.

The three families follow MPS's ContentReview / AIAnalysis templates and the EnhanceConfig of its
transcode templates (MPS-REFERENCE.md sections 2.5 and 2.7), in snake_case and with what the local
engines can actually do. ``validate_*_params`` turn a (partial) JSON object into frozen parameters,
filling defaults and rejecting every bad field with ``InvalidParameterValue.<Field>``; they are also
how a subtask's parameter snapshot (``ai_params_to_dict``) is read back.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, cast

from shared.domain.errors import BadInputError, shown
from shared.domain.templates import Template

AI_SUBTASK_TYPES = ("ContentReview", "ContentAnalysis", "Enhancement")

# --- content review ------------------------------------------------------------------------------

OCR_CATEGORIES = ("Porn", "Terrorism", "Political", "Prohibited", "Ad", "UserDefine")
PORN_LABELS = ("porn", "sexy")
MAX_KEYWORDS = 1000  # per category
MAX_KEYWORD_CHARS = 64

# On-screen text that makes a frame worth a human look. Lists are matched case-, width- and
# space-insensitively. Political sensitivity depends on the jurisdiction, so that list ships empty:
# an operator fills it in a custom template.
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Porn": (
        "porn",
        "xxx video",
        "nude video",
        "sex video",
        "adult video",
        "onlyfans",
        "camgirl",
        "webcam sex",
        "色情",
        "裸聊",
        "成人视频",
        "黄片",
        "约炮",
        "一夜情",
        "援交",
        "性服务",
    ),
    "Terrorism": (
        "isis",
        "jihad",
        "bomb making",
        "make a bomb",
        "suicide bomber",
        "terrorist attack",
        "behead",
        "martyrdom operation",
        "恐怖袭击",
        "圣战",
        "制造炸弹",
        "人体炸弹",
        "斩首",
        "爆炸袭击",
    ),
    "Political": (),
    "Prohibited": (
        "cocaine",
        "heroin",
        "methamphetamine",
        "buy drugs",
        "weed for sale",
        "buy guns",
        "guns for sale",
        "fake passport",
        "fake id",
        "counterfeit money",
        "money laundering",
        "毒品",
        "冰毒",
        "海洛因",
        "大麻",
        "摇头丸",
        "出售枪支",
        "假证",
        "代开发票",
        "洗钱",
        "网络赌博",
    ),
    "Ad": (
        "casino",
        "free money",
        "click the link",
        "limited offer",
        "discount code",
        "promo code",
        "whatsapp",
        "telegram",
        "add wechat",
        "scan the qr",
        "加微信",
        "加v",
        "加群",
        "扫码",
        "优惠券",
        "免费领取",
        "代购",
        "刷单",
        "兼职日结",
        "点击链接",
        "私聊",
    ),
    "UserDefine": (),
}


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


# --- content analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisParams:
    scenes: bool = True
    scene_threshold: float = 0.3  # 0.05-0.95: lower finds more cuts
    min_scene_duration: float = 0.5  # seconds
    cover: bool = True
    cover_count: int = 1  # candidates ranked; the best one is stored as a picture
    tags: bool = True  # from on-screen text (OCR) and the file's metadata
    max_tags: int = 20
    ocr_interval: float = 2.0  # seconds between frames read for text and cover candidates
    max_ocr_frames: int = 120
    black: bool = True
    black_min_duration: float = 0.5
    black_luma_threshold: float = 0.1  # share of full scale below which a pixel is black
    silence: bool = True
    silence_threshold_db: float = -50.0
    silence_min_duration: float = 1.0
    loudness: bool = True
    highlights: bool = True
    highlight_count: int = 3
    highlight_duration: float = 5.0
    summary: bool = True


# --- enhancement ---------------------------------------------------------------------------------

LEVELS = ("off", "weak", "normal", "strong")
DENOISE_METHODS = ("hqdn3d", "nlmeans")
DEINTERLACE_MODES = ("off", "auto", "all")
INTERPOLATION_MODES = ("mci", "blend", "dup")
ENCODER_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


@dataclass(frozen=True)
class EnhanceParams:
    # video (MPS VideoEnhanceConfig)
    deinterlace: str = "off"  # off | auto (frames flagged interlaced) | all
    denoise: str = "off"  # off | weak | normal | strong
    denoise_method: str = "hqdn3d"  # hqdn3d (fast) | nlmeans (better, much slower)
    sharpen: str = "off"
    color_enhance: str = "off"
    super_resolution: bool = False  # 2x: high-quality scaling plus adaptive sharpening
    frame_rate: int = 0  # 0 = source; above the source rate, frames are interpolated
    frame_interpolation: str = "mci"  # mci (motion compensated) | blend | dup
    stabilize: bool = False  # vid.stab two passes
    stabilize_smoothing: int = 15  # frames either side averaged into the camera path
    # audio (MPS AudioEnhanceConfig)
    audio_denoise: str = "off"
    volume_balance: bool = False  # dynamic normalisation: quiet passages up, loud ones down
    loudness_normalize: bool = False  # two-pass EBU R128 to the target
    loudness_target: float = -16.0  # LUFS
    true_peak: float = -1.5  # dBTP
    loudness_range: float = 11.0  # LU
    # encoding of the result
    video_crf: int = 20
    encoder_preset: str = "veryfast"
    audio_bitrate_kbps: int = 192

    def video_operations(self) -> list[str]:
        ops = []
        if self.deinterlace != "off":
            ops.append("deinterlace")
        if self.stabilize:
            ops.append("stabilize")
        if self.denoise != "off":
            ops.append("denoise")
        if self.frame_rate:
            ops.append("frame_rate")
        if self.super_resolution:
            ops.append("super_resolution")
        if self.sharpen != "off":
            ops.append("sharpen")
        if self.color_enhance != "off":
            ops.append("color_enhance")
        return ops

    def audio_operations(self) -> list[str]:
        ops = []
        if self.audio_denoise != "off":
            ops.append("audio_denoise")
        if self.volume_balance:
            ops.append("volume_balance")
        if self.loudness_normalize:
            ops.append("loudness_normalize")
        return ops


AiParams = ReviewParams | AnalysisParams | EnhanceParams

# --- validation ----------------------------------------------------------------------------------


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _bad(path: str, message: str) -> BadInputError:
    leaf = path.rsplit(".", 1)[-1]
    return BadInputError(f"{path}: {message}", code=f"InvalidParameterValue.{_camel(leaf)}")


def _as_bool(path: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.upper() in ("ON", "OFF"):  # MPS's Switch spelling
        return value.upper() == "ON"
    raise _bad(path, f'expected true/false (or "ON"/"OFF"), got {shown(value)}')


def _as_int(path: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(path, f"expected an integer, got {shown(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise _bad(path, f"expected an integer, got {value}")
        value = int(value)
    if not low <= value <= high:
        raise _bad(path, f"must be between {low} and {high}, got {value}")
    return int(value)


def _as_float(path: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(path, f"expected a number, got {shown(value)}")
    if not low <= value <= high:
        raise _bad(path, f"must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def _as_choice(path: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _bad(path, f"must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def _as_keywords(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise _bad(path, f"expected a list of strings, got {shown(value)}")
    if len(value) > MAX_KEYWORDS:
        raise _bad(path, f"at most {MAX_KEYWORDS} keywords are allowed, got {len(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _bad(path, f"item {i} must be a string, got {shown(item)}")
        text = item.strip()
        if not text or len(text) > MAX_KEYWORD_CHARS:
            raise _bad(path, f"item {i} must have 1 to {MAX_KEYWORD_CHARS} characters")
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
            raise _bad(path, f"item {i} contains control characters")
        if sum(ch.isalnum() for ch in text) < 2:
            raise _bad(path, f"item {i} ({text!r}) needs at least two letters or digits")
        if text not in out:
            out.append(text)
    return tuple(out)


def _as_labels(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise _bad(path, f"expected a non-empty list of labels from {', '.join(PORN_LABELS)}")
    labels = []
    for item in value:
        label = _as_choice(path, item, PORN_LABELS)
        if label not in labels:
            labels.append(label)
    return tuple(labels)


def _object(path: str, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _bad(path, f"expected an object, got {shown(data)}")
    return data


def _check_known(path: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in data:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise BadInputError(
                f"{where}: unknown field (known fields: {', '.join(sorted(known))})",
                code=f"InvalidParameterValue.{_camel(str(key))}",
            )


def _check_thresholds(path: str, review: int, block: int) -> None:
    if review > block:
        raise _bad(f"{path}.review_confidence", f"must not exceed block_confidence ({review} > {block})")


def _rules_as_mapping(value: Any) -> dict[str, Any]:
    """The ``ocr_rules`` list form (what ``dataclasses.asdict`` writes) as the ``ocr`` mapping."""
    if not isinstance(value, list | tuple):
        raise _bad("ocr_rules", f"expected a list of objects, got {shown(value)}")
    out: dict[str, Any] = {}
    for i, item in enumerate(value):
        rule = dict(_object(f"ocr_rules.{i}", item))
        category = rule.pop("category", None)
        if category not in OCR_CATEGORIES or category in out:
            raise _bad("ocr_rules", f"item {i} needs a category from {', '.join(OCR_CATEGORIES)}, each once")
        out[category] = rule
    return out


def validate_review_params(data: Mapping[str, Any] | None) -> ReviewParams:
    data = _object("params", data if data is not None else {})
    _check_known("", data, {f.name for f in fields(ReviewParams)} | {"ocr"})
    if "ocr_rules" in data:
        if "ocr" in data:
            raise _bad("ocr_rules", "give either ocr or ocr_rules, not both")
        data = {**{k: v for k, v in data.items() if k != "ocr_rules"}, "ocr": _rules_as_mapping(data["ocr_rules"])}
    base = ReviewParams()
    interval = _as_float("sample_interval", data.get("sample_interval", base.sample_interval), 0.2, 60.0)
    max_frames = _as_int("max_frames", data.get("max_frames", base.max_frames), 1, 5000)
    max_evidence = _as_int("max_evidence_frames", data.get("max_evidence_frames", base.max_evidence_frames), 0, 200)
    image = base.porn_image
    if "porn_image" in data:
        raw = _object("porn_image", data["porn_image"])
        _check_known("porn_image", raw, {f.name for f in fields(ImageReviewRule)})
        image = ImageReviewRule(
            switch=_as_bool("porn_image.switch", raw.get("switch", image.switch)),
            labels=_as_labels("porn_image.labels", raw.get("labels", list(image.labels))),
            review_confidence=_as_int(
                "porn_image.review_confidence", raw.get("review_confidence", image.review_confidence), 0, 100
            ),
            block_confidence=_as_int(
                "porn_image.block_confidence", raw.get("block_confidence", image.block_confidence), 0, 100
            ),
        )
        _check_thresholds("porn_image", image.review_confidence, image.block_confidence)
    rules = list(base.ocr_rules)
    if "ocr" in data:
        raw_ocr = _object("ocr", data["ocr"])
        _check_known("ocr", raw_ocr, set(OCR_CATEGORIES))
        for i, rule in enumerate(rules):
            if rule.category not in raw_ocr:
                continue
            path = f"ocr.{rule.category}"
            raw = _object(path, raw_ocr[rule.category])
            _check_known(path, raw, {f.name for f in fields(OcrReviewRule)} - {"category"})
            rules[i] = OcrReviewRule(
                category=rule.category,
                switch=_as_bool(f"{path}.switch", raw.get("switch", rule.switch)),
                keywords=_as_keywords(f"{path}.keywords", raw.get("keywords", list(rule.keywords))),
                review_confidence=_as_int(
                    f"{path}.review_confidence", raw.get("review_confidence", rule.review_confidence), 0, 100
                ),
                block_confidence=_as_int(
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


_ANALYSIS_RANGES: dict[str, tuple[float, float]] = {
    "scene_threshold": (0.05, 0.95),
    "min_scene_duration": (0.0, 60.0),
    "ocr_interval": (0.2, 60.0),
    "black_min_duration": (0.1, 60.0),
    "black_luma_threshold": (0.0, 0.5),
    "silence_threshold_db": (-90.0, -10.0),
    "silence_min_duration": (0.1, 60.0),
    "highlight_duration": (1.0, 60.0),
}
_ANALYSIS_INT_RANGES: dict[str, tuple[int, int]] = {
    "cover_count": (1, 5),
    "max_tags": (1, 100),
    "max_ocr_frames": (1, 1000),
    "highlight_count": (1, 20),
}


def validate_analysis_params(data: Mapping[str, Any] | None) -> AnalysisParams:
    data = _object("params", data if data is not None else {})
    _check_known("", data, {f.name for f in fields(AnalysisParams)})
    base = AnalysisParams()
    values: dict[str, Any] = {}
    for f in fields(AnalysisParams):
        value = data.get(f.name, getattr(base, f.name))
        if f.name in _ANALYSIS_RANGES:
            values[f.name] = _as_float(f.name, value, *_ANALYSIS_RANGES[f.name])
        elif f.name in _ANALYSIS_INT_RANGES:
            values[f.name] = _as_int(f.name, value, *_ANALYSIS_INT_RANGES[f.name])
        else:
            values[f.name] = _as_bool(f.name, value)
    params = AnalysisParams(**values)
    if not any(
        (params.scenes, params.cover, params.tags, params.black, params.silence, params.loudness, params.highlights)
    ):
        raise BadInputError(
            "an analysis template must switch on at least one analysis", code="InvalidParameterValue.Switch"
        )
    return params


_ENHANCE_CHOICES: dict[str, tuple[str, ...]] = {
    "deinterlace": DEINTERLACE_MODES,
    "denoise": LEVELS,
    "denoise_method": DENOISE_METHODS,
    "sharpen": LEVELS,
    "color_enhance": LEVELS,
    "frame_interpolation": INTERPOLATION_MODES,
    "audio_denoise": LEVELS,
    "encoder_preset": ENCODER_PRESETS,
}
_ENHANCE_BOOLS = ("super_resolution", "stabilize", "volume_balance", "loudness_normalize")
_ENHANCE_INTS: dict[str, tuple[int, int]] = {
    "frame_rate": (0, 120),
    "stabilize_smoothing": (1, 100),
    "video_crf": (0, 51),
    "audio_bitrate_kbps": (32, 512),
}
_ENHANCE_FLOATS: dict[str, tuple[float, float]] = {
    "loudness_target": (-70.0, -5.0),
    "true_peak": (-9.0, 0.0),
    "loudness_range": (1.0, 50.0),
}


def validate_enhance_params(data: Mapping[str, Any] | None) -> EnhanceParams:
    data = _object("params", data if data is not None else {})
    _check_known("", data, {f.name for f in fields(EnhanceParams)})
    base = EnhanceParams()
    values: dict[str, Any] = {}
    for f in fields(EnhanceParams):
        value = data.get(f.name, getattr(base, f.name))
        if f.name in _ENHANCE_CHOICES:
            values[f.name] = _as_choice(f.name, value, _ENHANCE_CHOICES[f.name])
        elif f.name in _ENHANCE_BOOLS:
            values[f.name] = _as_bool(f.name, value)
        elif f.name in _ENHANCE_INTS:
            values[f.name] = _as_int(f.name, value, *_ENHANCE_INTS[f.name])
        else:
            values[f.name] = _as_float(f.name, value, *_ENHANCE_FLOATS[f.name])
    if values["frame_rate"] and values["frame_rate"] < 5:
        raise _bad("frame_rate", f"must be 0 (keep the source's) or between 5 and 120, got {values['frame_rate']}")
    params = EnhanceParams(**values)
    if not params.video_operations() and not params.audio_operations():
        raise BadInputError(
            "an enhancement template must switch on at least one enhancement", code="InvalidParameterValue.Switch"
        )
    return params


_VALIDATORS: dict[str, Callable[[Mapping[str, Any] | None], AiParams]] = {
    "ContentReview": validate_review_params,
    "ContentAnalysis": validate_analysis_params,
    "Enhancement": validate_enhance_params,
}


def validate_ai_params(subtask_type: str, data: Mapping[str, Any] | None) -> AiParams:
    """Parameters of a custom template (or a subtask's snapshot) of one of the three AI types."""
    validator = _VALIDATORS.get(subtask_type)
    if validator is None:
        raise BadInputError(
            f"unknown subtask type {subtask_type!r}; expected one of {AI_SUBTASK_TYPES}",
            code="InvalidParameterValue.SubtaskType",
        )
    return validator(data)


ai_params_from_dict = validate_ai_params


def ai_params_to_dict(params: AiParams) -> dict[str, Any]:
    """JSON-able form that ``validate_ai_params`` reads back to equal parameters."""
    if isinstance(params, ReviewParams):
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
    return {f.name: getattr(params, f.name) for f in fields(params)}


def ai_subtask_type(params: AiParams) -> str:
    if isinstance(params, ReviewParams):
        return "ContentReview"
    if isinstance(params, AnalysisParams):
        return "ContentAnalysis"
    return "Enhancement"


# --- presets -------------------------------------------------------------------------------------


def _template(definition: int, subtask_type: str, name: str, params: AiParams) -> Template:
    # Template.params is typed for the transcode/snapshot families; the AI families reuse the record.
    return Template(definition, subtask_type, name, cast(Any, params))


AI_PRESETS: dict[tuple[str, int], Template] = {
    ("ContentReview", 10): _template(10, "ContentReview", "Review-Image-And-Text", ReviewParams()),
    ("ContentReview", 20): _template(
        20,
        "ContentReview",
        "Review-Image-Only",
        ReviewParams(
            ocr_rules=tuple(
                OcrReviewRule(category=c, switch=False, keywords=DEFAULT_KEYWORDS[c]) for c in OCR_CATEGORIES
            )
        ),
    ),
    ("ContentReview", 30): _template(
        30, "ContentReview", "Review-Text-Only", ReviewParams(porn_image=ImageReviewRule(switch=False))
    ),
    ("ContentAnalysis", 10): _template(10, "ContentAnalysis", "Analysis-All", AnalysisParams()),
    ("ContentAnalysis", 20): _template(
        20,
        "ContentAnalysis",
        "Analysis-Scenes-And-Cover",
        AnalysisParams(tags=False, black=False, silence=False, loudness=False, highlights=False),
    ),
    ("ContentAnalysis", 30): _template(
        30,
        "ContentAnalysis",
        "Analysis-Audio",
        AnalysisParams(scenes=False, cover=False, tags=False, black=False, highlights=False),
    ),
    ("Enhancement", 10): _template(
        10, "Enhancement", "Denoise-And-Sharpen", EnhanceParams(denoise="normal", sharpen="weak")
    ),
    ("Enhancement", 20): _template(
        20, "Enhancement", "Upscale-2x", EnhanceParams(super_resolution=True, sharpen="weak")
    ),
    ("Enhancement", 30): _template(
        30, "Enhancement", "Loudness-To-Minus-16-LUFS", EnhanceParams(loudness_normalize=True, loudness_target=-16.0)
    ),
    ("Enhancement", 40): _template(40, "Enhancement", "Stabilise", EnhanceParams(stabilize=True)),
    ("Enhancement", 50): _template(
        50, "Enhancement", "Frame-Rate-60-Interpolated", EnhanceParams(frame_rate=60, frame_interpolation="mci")
    ),
    ("Enhancement", 60): _template(
        60, "Enhancement", "Audio-Denoise-And-Balance", EnhanceParams(audio_denoise="normal", volume_balance=True)
    ),
    ("Enhancement", 70): _template(
        70,
        "Enhancement",
        "Restore-Old-Footage",
        EnhanceParams(
            deinterlace="auto", denoise="strong", sharpen="normal", color_enhance="weak", audio_denoise="weak"
        ),
    ),
    ("Enhancement", 80): _template(80, "Enhancement", "Colour-Enhance", EnhanceParams(color_enhance="normal")),
    ("Enhancement", 90): _template(
        90,
        "Enhancement",
        "Loudness-To-Minus-23-LUFS-Broadcast",
        EnhanceParams(loudness_normalize=True, loudness_target=-23.0, true_peak=-1.0, loudness_range=15.0),
    ),
}


def resolve_ai_template(subtask_type: str, definition: int) -> Template:
    """The system preset for an AI subtask spec, or BadInputError naming what is unknown."""
    if subtask_type not in AI_SUBTASK_TYPES:
        raise BadInputError(
            f"unknown subtask type {subtask_type!r}; expected one of {AI_SUBTASK_TYPES}",
            code="InvalidParameterValue.SubtaskType",
        )
    template = AI_PRESETS.get((subtask_type, definition))
    if template is None:
        raise BadInputError(
            f"no {subtask_type} template with definition {definition}", code="InvalidParameterValue.Definition"
        )
    return template


__all__ = [
    "AI_PRESETS",
    "AI_SUBTASK_TYPES",
    "DEFAULT_KEYWORDS",
    "OCR_CATEGORIES",
    "PORN_LABELS",
    "AiParams",
    "AnalysisParams",
    "EnhanceParams",
    "ImageReviewRule",
    "OcrReviewRule",
    "ReviewParams",
    "ai_params_from_dict",
    "ai_params_to_dict",
    "ai_subtask_type",
    "resolve_ai_template",
    "validate_ai_params",
    "validate_analysis_params",
    "validate_enhance_params",
    "validate_review_params",
]
