"""The review engine's pure parts: keyword matching, nudity labels, segments, suggestions, result shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.domain.kinds.review import ImageReviewRule, OcrReviewRule, ReviewParams, validate_review_params
from shared.media.ai.decode import SampledFrame
from shared.media.ai.models import Detection, TextLine
from shared.media.ai.review.result import build_result, summary_of
from shared.media.ai.review.rules import (
    FrameFindings,
    Hit,
    KeywordMatcher,
    merge_segments,
    normalize_text,
    porn_hits,
    suggestion_for,
    task_key,
)
from shared.media.ai.run import compact

pytestmark = pytest.mark.unit

BOX = (10, 20, 110, 60)


def line(text: str, score: float = 0.97, box=BOX) -> TextLine:
    return TextLine(text, score, box)


def matcher(**keywords: list[str]) -> KeywordMatcher:
    return KeywordMatcher(tuple(OcrReviewRule(category=c, keywords=tuple(k)) for c, k in keywords.items()))


def test_normalize_text() -> None:
    assert normalize_text("Buy CHEAP  Casino-Chips!") == "buycheapcasinochips"
    assert normalize_text("ＣＡＳＩＮＯ") == "casino"  # full-width letters
    assert normalize_text("加 微信") == "加微信"


@pytest.mark.parametrize(
    ("text", "keyword", "expect"),
    [
        ("Buy cheap casino chips now", "casino", 97.0),
        ("BUY CHEAP CASINOCHIPS", "casino chips", 97.0),  # spaces do not matter
        ("Play at our cas1no", "casino", 97.0 * 0.9),  # OCR look-alikes match, with less confidence
        ("请加微信领取", "加微信", 97.0),
        ("Nothing to see here", "casino", None),
        ("occasion", "casino", None),
    ],
)
def test_keyword_matching(text, keyword, expect) -> None:
    hits = matcher(Ad=[keyword]).match([line(text)], time=3.0, frame=3)
    if expect is None:
        assert hits == []
        return
    [hit] = hits
    assert (hit.task, hit.label, hit.time, hit.frame, hit.keywords) == ("Ad.Ocr", "Ad", 3.0, 3, (keyword,))
    assert hit.confidence == pytest.approx(expect, abs=0.01)
    assert hit.boxes == (BOX,) and hit.text == text


def test_keyword_split_over_two_lines_and_several_categories() -> None:
    m = matcher(Prohibited=["buy guns"], Ad=["whatsapp"], Political=[])
    hits = m.match(
        [
            line("where to buy", 0.9, (0, 0, 50, 10)),
            line("guns today", 0.8, (0, 12, 50, 22)),
            line("WhatsApp me", 0.95, (0, 30, 50, 40)),
        ],
        time=1.0,
        frame=1,
    )
    by_task = {h.task: h for h in hits}
    assert set(by_task) == {"Prohibited.Ocr", "Ad.Ocr"}  # the empty Political list matches nothing
    assert by_task["Ad.Ocr"].confidence == pytest.approx(95.0)
    assert by_task["Prohibited.Ocr"].confidence == pytest.approx((0.9 + 0.8 + 0.95) / 3 * 100 * 0.9, abs=0.01)


def test_switched_off_rules_are_ignored() -> None:
    m = KeywordMatcher((OcrReviewRule(category="Ad", switch=False, keywords=("casino",)),))
    assert not m and m.match([line("casino")], 0.0, 0) == []


def test_porn_hits_map_nudenet_classes_to_labels() -> None:
    detections = [
        Detection("FEMALE_BREAST_EXPOSED", 0.91, (10, 10, 20, 20)),
        Detection("FEMALE_GENITALIA_EXPOSED", 0.55, (40, 40, 10, 10)),
        Detection("BUTTOCKS_EXPOSED", 0.7, (0, 0, 5, 5)),
        Detection("FACE_FEMALE", 0.99, (0, 0, 50, 50)),
    ]
    hits = {h.label: h for h in porn_hits(detections, ImageReviewRule(), time=2.0, frame=2)}
    assert set(hits) == {"porn", "sexy"}  # faces say nothing
    assert hits["porn"].confidence == 91.0 and hits["porn"].boxes == ((10, 10, 30, 30), (40, 40, 50, 50))
    assert hits["sexy"].confidence == 70.0
    only_porn = porn_hits(detections, ImageReviewRule(labels=("porn",)), time=2.0, frame=2)
    assert [h.label for h in only_porn] == ["porn"]


def test_suggestion_thresholds() -> None:
    assert [suggestion_for(c, 70, 90) for c in (69.9, 70, 89.9, 90, 100)] == [
        "pass",
        "review",
        "review",
        "block",
        "block",
    ]


def hit(task: str, t: float, conf: float, label: str = "", kw: tuple[str, ...] = ()) -> Hit:
    return Hit(task=task, label=label or task.split(".")[0], time=t, frame=int(t), confidence=conf, keywords=kw)


def test_merge_segments_over_consecutive_frames() -> None:
    thresholds = {"Ad.Ocr": (70, 90), "Porn": (60, 85)}
    hits = [
        hit("Ad.Ocr", 3, 80, kw=("casino",)),
        hit("Ad.Ocr", 4, 95, kw=("promo code",)),
        hit("Ad.Ocr", 5, 75, kw=("casino",)),
        hit("Ad.Ocr", 9, 72, kw=("casino",)),  # after a gap: a second segment
        hit("Ad.Ocr", 12, 50, kw=("casino",)),  # under the review threshold: passes
        hit("Porn", 4, 88, label="porn"),
        hit("Porn", 5, 65, label="sexy"),
    ]
    segments = merge_segments(hits, thresholds, interval=1.0, duration=10.0)
    ad = [s for s in segments if s.task == "Ad.Ocr"]
    assert [(s.start, s.end, s.confidence, s.suggestion) for s in ad] == [
        (2.5, 5.5, 95, "block"),
        (8.5, 9.5, 72, "review"),
    ]
    assert ad[0].keywords == ["casino", "promo code"] and ad[0].frames == [3, 4, 5]
    porn = sorted((s.label, s.suggestion) for s in segments if s.task == "Porn")
    assert porn == [("porn", "block"), ("sexy", "review")]  # labels never merge with each other


def test_segment_edges_are_clamped_to_the_media() -> None:
    [seg] = merge_segments([hit("Ad.Ocr", 0, 99), hit("Ad.Ocr", 1, 99)], {"Ad.Ocr": (70, 90)}, 1.0, 1.2)
    assert (seg.start, seg.end) == (0.0, 1.2)


def findings(frames: dict[float, list[Hit]]) -> list[FrameFindings]:
    return [FrameFindings(SampledFrame(int(t), t, Path(f"/x/{t}.jpg")), hits, False) for t, hits in frames.items()]


def test_build_result_shape() -> None:
    params = validate_review_params({"ocr": {"Ad": {"review_confidence": 60, "block_confidence": 99}}})
    f = findings(
        {0.0: [], 1.0: [hit("Ad.Ocr", 1, 97, kw=("casino",))], 2.0: [hit("Ad.Ocr", 2, 96, kw=("casino",))], 3.0: []}
    )
    result = build_result(params, f, interval=1.0, duration=4.0, scale=2.0, engine={"name": "fake"})
    assert (result["suggestion"], result["confidence"], result["label"]) == ("review", 97, "Ad")
    assert result["asr"] == "not_supported"
    assert {"asr", "Terrorism", "Political", "Porn.Asr"} <= {n["type"] for n in result["not_supported"]}
    types = [item["type"] for item in result["result_set"]]
    assert types == ["Porn", "Porn.Ocr", "Terrorism.Ocr", "Political.Ocr", "Prohibited.Ocr", "Ad.Ocr", "UserDefine.Ocr"]
    ad = result["result_set"][5]["ad_ocr_task"]
    assert ad["status"] == "SUCCESS" and ad["output"]["suggestion"] == "review"
    [seg] = ad["output"]["segment_set"]
    assert (seg["start_time_offset"], seg["end_time_offset"], seg["keyword_set"]) == (0.5, 2.5, ["casino"])
    porn = result["result_set"][0]["porn_task"]["output"]
    assert (porn["suggestion"], porn["confidence"], porn["label"], porn["segment_set"]) == ("pass", 0.0, "", [])
    assert result["segments"][0]["type"] == "Ad.Ocr"
    summary = summary_of(result, "x_result.json")
    assert summary["result_file"] == "x_result.json" and summary["segment_count"] == 1
    assert len(str(summary)) < 100_000


def test_build_result_benign_passes() -> None:
    result = build_result(ReviewParams(), findings({0.0: [], 1.0: []}), 1.0, 2.0, 1.0, {})
    assert (result["suggestion"], result["segments"], result["frames_sampled"]) == ("pass", [], 2)


def test_task_keys_follow_mps_names() -> None:
    assert task_key("Porn") == "porn_task"
    assert task_key("Porn.Ocr") == "porn_ocr_task"
    assert task_key("UserDefine.Ocr") == "user_define_ocr_task"


def test_compact_bounds_lists_and_strings() -> None:
    out = compact({"a": list(range(30)), "s": "x" * 500}, max_items=5, max_chars=10)
    assert out["a"] == [0, 1, 2, 3, 4, {"truncated": 25}] and len(out["s"]) == 10
