"""ContentReviewTemplate over our ContentReview kind: nudity review of sampled frames and keyword
review of the on-screen text (OCR).

- PornConfigure.ImgReviewInfo {Switch, LabelSet porn | sexy, BlockConfidence, ReviewConfidence}: the
  frame review (vulgar and intimacy labels refused: the local model has no such classes).
- {Porn,Terrorism,Political,Prohibited}Configure.OcrReviewInfo {Switch, BlockConfidence,
  ReviewConfidence}: the text review of that category, with openmps's keyword lists.
- UserDefineConfigure.OcrReviewInfo {Switch, LabelSet, ...}: the text review of your own words; with
  no keyword library in openmps, LabelSet holds the words themselves.
Speech (AsrReviewInfo), faces (FaceReviewInfo) and terrorism or political pictures (ImgReviewInfo)
have no engine: accepted switched off, refused on.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.templates.family import KindKey, TemplateFamily
from shared.api.mps.templates.fields import Fields, on_off
from shared.domain.kinds import review

KIND: KindKey = (review.NAME, "")
CATEGORIES = ("Porn", "Terrorism", "Political", "Prohibited", "UserDefine")
_NO_ENGINE = "openmps reviews frames for nudity and on-screen text only"
_REFUSED = {
    "Porn": ("AsrReviewInfo",),
    "Terrorism": ("ImgReviewInfo",),
    "Political": ("ImgReviewInfo", "AsrReviewInfo"),
    "Prohibited": ("AsrReviewInfo",),
    "UserDefine": ("FaceReviewInfo", "AsrReviewInfo"),
}
_OFF_SHAPES = {"ImgReviewInfo": True, "FaceReviewInfo": True, "AsrReviewInfo": False}
CODES = {
    "ReviewConfidence": ("InvalidParameterValue.ReviewConfidence", "ReviewConfidence"),
    "BlockConfidence": ("InvalidParameterValue.BlockConfidence", "BlockConfidence"),
    "Labels": ("InvalidParameterValue.LabelSet", "PornConfigure.ImgReviewInfo.LabelSet"),
    "Keywords": ("InvalidParameterValue.LabelSet", "UserDefineConfigure.OcrReviewInfo.LabelSet"),
    "Switch": ("InvalidParameterValue.Switch", "Switch"),
}


def _confidences(info: Fields, out: dict[str, Any]) -> None:
    switch = info.switch()
    if switch is not None:
        out["switch"] = switch
    for mps, ours in (("ReviewConfidence", "review_confidence"), ("BlockConfidence", "block_confidence")):
        value = info.integer(mps, f"InvalidParameterValue.{mps}")
        if value is not None:
            out[ours] = value


def to_params(fields: Fields, _was: KindKey | None, stored: dict[str, Any] | None) -> tuple[KindKey, dict[str, Any]]:
    out: dict[str, Any] = dict(stored or {})
    ocr: dict[str, Any] = {k: dict(v) for k, v in out.get("ocr", {}).items()}
    for category in CATEGORIES:
        config = fields.obj(f"{category}Configure")
        if config is None:
            continue
        config.refuse_switched_on(_REFUSED[category], _NO_ENGINE)
        image = config.obj("ImgReviewInfo") if category == "Porn" else None
        if image is not None:
            rule = dict(out.get("porn_image", {}))
            _confidences(image, rule)
            labels = image.strings("LabelSet", "InvalidParameterValue.LabelSet")
            if labels:
                rule["labels"] = labels
            out["porn_image"] = rule
        text = config.obj("OcrReviewInfo")
        if text is not None:
            rule = ocr.get(category, {})
            _confidences(text, rule)
            words = text.strings("LabelSet", "InvalidParameterValue.LabelSet") if category == "UserDefine" else None
            if words is not None:
                rule["keywords"] = words
            ocr[category] = rule
    if ocr:
        out["ocr"] = ocr
    return KIND, out


def _info(rule: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "Switch": on_off(rule["switch"]),
        **more,
        "BlockConfidence": rule["block_confidence"],
        "ReviewConfidence": rule["review_confidence"],
    }


def _off(name: str) -> dict[str, Any]:
    labelled: dict[str, Any] = {"LabelSet": []} if _OFF_SHAPES[name] else {}
    return {"Switch": "OFF", **labelled, "BlockConfidence": 0, "ReviewConfidence": 0}


def to_item(view: dict[str, Any]) -> dict[str, Any]:
    ocr = view["ocr"]
    item: dict[str, Any] = {}
    for category in CATEGORIES:
        more = {"LabelSet": list(ocr[category]["keywords"])} if category == "UserDefine" else {}
        config: dict[str, Any] = {name: _off(name) for name in _REFUSED[category]}
        config["OcrReviewInfo"] = _info(ocr[category], **more)
        if category == "Porn":
            image = view["porn_image"]
            config["ImgReviewInfo"] = _info(image, LabelSet=list(image["labels"]))
        item[f"{category}Configure"] = config
    return item


FAMILY = TemplateFamily(
    noun="ContentReviewTemplate",
    set_name="ContentReviewTemplateSet",
    kinds=(KIND,),
    to_params=to_params,
    to_item=to_item,
    codes=CODES,
)
