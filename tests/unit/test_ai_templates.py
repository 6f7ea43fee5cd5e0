"""Review / analysis / enhancement templates: presets, defaults, validation of custom parameters."""

from __future__ import annotations

import pytest

from shared.domain import kinds
from shared.domain.errors import BadInputError
from shared.domain.kinds import analysis, enhancement, review
from shared.domain.kinds import resolve_preset as resolve_ai_template
from shared.domain.kinds import validate_params as validate_ai_params
from shared.domain.kinds.analysis import AnalysisParams, validate_analysis_params
from shared.domain.kinds.enhancement import EnhanceParams, validate_enhance_params
from shared.domain.kinds.review import DEFAULT_KEYWORDS, OCR_CATEGORIES, ReviewParams, validate_review_params

AI_PRESETS = {**review.PRESETS, **analysis.PRESETS, **enhancement.PRESETS}


def ai_params_from_dict(type_: str, data: dict) -> object:
    return kinds.get(type_).from_json(data)


def ai_subtask_type(params: object) -> str:
    return next(k.name for k in kinds.all_kinds() if isinstance(params, k.params_type))


pytestmark = pytest.mark.unit


def test_required_presets_exist() -> None:
    assert isinstance(resolve_ai_template("ContentReview", 10).params, ReviewParams)
    assert resolve_ai_template("ContentReview", 10).params == ReviewParams()
    analysis = resolve_ai_template("ContentAnalysis", 10).params
    assert isinstance(analysis, AnalysisParams)
    assert all(
        [
            analysis.scenes,
            analysis.cover,
            analysis.tags,
            analysis.black,
            analysis.silence,
            analysis.loudness,
            analysis.highlights,
            analysis.summary,
        ]
    )
    denoise = resolve_ai_template("Enhancement", 10).params
    assert isinstance(denoise, EnhanceParams) and denoise.denoise != "off" and denoise.sharpen != "off"
    upscale = resolve_ai_template("Enhancement", 20).params
    assert isinstance(upscale, EnhanceParams) and upscale.super_resolution
    loud = resolve_ai_template("Enhancement", 30).params
    assert isinstance(loud, EnhanceParams) and loud.loudness_normalize and loud.loudness_target == -16.0
    stab = resolve_ai_template("Enhancement", 40).params
    assert isinstance(stab, EnhanceParams) and stab.stabilize
    for (kind, definition), template in AI_PRESETS.items():
        assert (template.type, template.definition) == (kind, definition) and template.preset
        assert kinds.params_to_json(template.type, template.params)  # serialisable through its kind


@pytest.mark.parametrize("key", sorted(AI_PRESETS))
def test_presets_round_trip_through_their_snapshot(key) -> None:
    params = AI_PRESETS[key].params
    data = kinds.params_to_json(key[0], params)
    assert validate_ai_params(key[0], data) == params
    assert ai_params_from_dict(key[0], data) == params
    assert ai_subtask_type(params) == key[0]  # type: ignore[arg-type]


def test_review_accepts_the_dataclass_form_too() -> None:
    from dataclasses import asdict

    params = validate_review_params({"ocr": {"Ad": {"keywords": ["casino"], "switch": False}}})
    assert validate_review_params(asdict(params)) == params  # what templates.params_to_dict writes
    with pytest.raises(BadInputError) as err:
        validate_review_params({"ocr_rules": [{"category": "Gossip"}]})
    assert err.value.code == "InvalidParameterValue.OcrRules"


def test_unknown_template_and_type() -> None:
    with pytest.raises(BadInputError) as err:
        resolve_ai_template("Enhancement", 12345)
    assert err.value.code == "InvalidParameterValue.Definition"
    with pytest.raises(BadInputError) as err:
        resolve_ai_template("Transmogrify", 10)
    assert err.value.code == "InvalidParameterValue.SubtaskType"


def test_review_defaults_and_partial_override() -> None:
    assert validate_review_params({}) == ReviewParams()
    assert validate_review_params(None) == ReviewParams()
    params = validate_review_params(
        {
            "sample_interval": 0.5,
            "porn_image": {"switch": "OFF"},
            "ocr": {
                "UserDefine": {
                    "keywords": ["openmps-secret", "  spaced  ", "openmps-secret"],
                    "review_confidence": 50,
                    "block_confidence": 99,
                }
            },
        }
    )
    assert params.sample_interval == 0.5 and not params.porn_image.switch
    user = params.ocr_rule("UserDefine")
    assert user is not None and user.keywords == ("openmps-secret", "spaced")
    assert (user.review_confidence, user.block_confidence) == (50, 99)
    ad = params.ocr_rule("Ad")
    assert ad is not None and ad.keywords == DEFAULT_KEYWORDS["Ad"]  # untouched categories keep defaults
    assert [r.category for r in params.ocr_rules] == list(OCR_CATEGORIES)


@pytest.mark.parametrize(
    ("data", "code", "says"),
    [
        ("not an object", "InvalidParameterValue.Params", "expected an object"),
        ({"sample_interval": 0}, "InvalidParameterValue.SampleInterval", "between 0.2 and 60"),
        ({"sample_interval": "1"}, "InvalidParameterValue.SampleInterval", "expected a number"),
        ({"sample_interval": float("nan")}, "InvalidParameterValue.SampleInterval", "expected a number"),
        ({"max_frames": 1.5}, "InvalidParameterValue.MaxFrames", "expected an integer"),
        ({"max_frames": True}, "InvalidParameterValue.MaxFrames", "expected an integer"),
        ({"max_frames": 0}, "InvalidParameterValue.MaxFrames", "between 1 and 5000"),
        ({"max_evidence_frames": 201}, "InvalidParameterValue.MaxEvidenceFrames", "between 0 and 200"),
        ({"colour": 1}, "InvalidParameterValue.Colour", "unknown field"),
        ({"porn_image": []}, "InvalidParameterValue.PornImage", "expected an object"),
        ({"porn_image": {"switch": 1}}, "InvalidParameterValue.Switch", "true/false"),
        ({"porn_image": {"labels": ["gore"]}}, "InvalidParameterValue.Labels", "porn, sexy"),
        ({"porn_image": {"labels": []}}, "InvalidParameterValue.Labels", "non-empty"),
        ({"porn_image": {"block_confidence": 101}}, "InvalidParameterValue.BlockConfidence", "between 0 and 100"),
        (
            {"porn_image": {"review_confidence": 90, "block_confidence": 80}},
            "InvalidParameterValue.ReviewConfidence",
            "must not exceed",
        ),
        ({"porn_image": {"extra": 1}}, "InvalidParameterValue.Extra", "unknown field"),
        ({"ocr": {"Gossip": {}}}, "InvalidParameterValue.Gossip", "unknown field"),
        ({"ocr": {"Ad": {"keywords": "casino"}}}, "InvalidParameterValue.Keywords", "list of strings"),
        ({"ocr": {"Ad": {"keywords": [3]}}}, "InvalidParameterValue.Keywords", "must be a string"),
        ({"ocr": {"Ad": {"keywords": [""]}}}, "InvalidParameterValue.Keywords", "1 to 64 characters"),
        ({"ocr": {"Ad": {"keywords": ["x" * 65]}}}, "InvalidParameterValue.Keywords", "1 to 64 characters"),
        ({"ocr": {"Ad": {"keywords": ["a"]}}}, "InvalidParameterValue.Keywords", "two letters or digits"),
        ({"ocr": {"Ad": {"keywords": ["bad\x00word"]}}}, "InvalidParameterValue.Keywords", "control characters"),
        (
            {"ocr": {"Ad": {"keywords": [f"k{i:04d}" for i in range(1001)]}}},
            "InvalidParameterValue.Keywords",
            "at most 1000",
        ),
        ({"ocr": {"Ad": {"review_confidence": -1}}}, "InvalidParameterValue.ReviewConfidence", "between 0 and 100"),
        (
            {"porn_image": {"switch": False}, "ocr": {c: {"switch": False} for c in OCR_CATEGORIES}},
            "InvalidParameterValue.Switch",
            "at least one",
        ),
    ],
)
def test_review_rejects_bad_fields(data, code, says) -> None:
    with pytest.raises(BadInputError) as err:
        validate_review_params(data)
    assert err.value.code == code
    assert says in err.value.message


def test_analysis_validation() -> None:
    assert validate_analysis_params({}) == AnalysisParams()
    assert validate_analysis_params({"cover_count": 3, "scenes": "ON"}).cover_count == 3
    cases = [
        ({"scene_threshold": 1.0}, "InvalidParameterValue.SceneThreshold"),
        ({"cover_count": 6}, "InvalidParameterValue.CoverCount"),
        ({"silence_threshold_db": -5}, "InvalidParameterValue.SilenceThresholdDb"),
        ({"highlights": "yes"}, "InvalidParameterValue.Highlights"),
        ({"max_ocr_frames": 0}, "InvalidParameterValue.MaxOcrFrames"),
        ({"classification": True}, "InvalidParameterValue.Classification"),
        (
            {k: False for k in ("scenes", "cover", "tags", "black", "silence", "loudness", "highlights")},
            "InvalidParameterValue.Switch",
        ),
    ]
    for data, code in cases:
        with pytest.raises(BadInputError) as err:
            validate_analysis_params(data)
        assert err.value.code == code, data


def test_enhance_validation() -> None:
    params = validate_enhance_params(
        {"denoise": "strong", "frame_rate": 50, "loudness_normalize": True, "loudness_target": -23}
    )
    assert (params.denoise, params.frame_rate, params.loudness_target) == ("strong", 50, -23.0)
    assert params.video_operations() == ["denoise", "frame_rate"]
    assert params.audio_operations() == ["loudness_normalize"]
    cases = [
        ({}, "InvalidParameterValue.Switch", "at least one"),
        ({"denoise": "max"}, "InvalidParameterValue.Denoise", "off, weak, normal, strong"),
        ({"denoise": "weak", "denoise_method": "ai"}, "InvalidParameterValue.DenoiseMethod", "hqdn3d, nlmeans"),
        ({"frame_rate": 3}, "InvalidParameterValue.FrameRate", "between 5 and 120"),
        ({"frame_rate": 240}, "InvalidParameterValue.FrameRate", "between 0 and 120"),
        ({"loudness_normalize": True, "loudness_target": 0}, "InvalidParameterValue.LoudnessTarget", "-70 and -5"),
        ({"loudness_normalize": True, "true_peak": 1}, "InvalidParameterValue.TruePeak", "-9 and 0"),
        ({"stabilize": True, "stabilize_smoothing": 0}, "InvalidParameterValue.StabilizeSmoothing", "1 and 100"),
        ({"sharpen": "weak", "encoder_preset": "placebo"}, "InvalidParameterValue.EncoderPreset", "veryfast"),
        ({"sharpen": "weak", "video_crf": 52}, "InvalidParameterValue.VideoCrf", "0 and 51"),
        ({"sharpen": "weak", "hdr": True}, "InvalidParameterValue.Hdr", "unknown field"),
    ]
    for data, code, says in cases:
        with pytest.raises(BadInputError) as err:
            validate_enhance_params(data)
        assert err.value.code == code, data
        assert says in err.value.message, err.value.message


def test_validate_ai_params_dispatch() -> None:
    assert validate_ai_params("ContentAnalysis", {"tags": False}) == AnalysisParams(tags=False)
    with pytest.raises(BadInputError) as err:
        validate_ai_params("Transmogrify", {})
    assert err.value.code == "InvalidParameterValue.SubtaskType"
