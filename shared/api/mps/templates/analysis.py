"""AIAnalysisTemplate over our ContentAnalysis kind.

TagConfigure is our tags (from on-screen text and metadata), CoverConfigure our cover pick. MPS's
ClassificationConfigure and FrameTagConfigure have no engine in openmps: accepted OFF, refused ON.
Our other analyses (scenes, black frames, silence, loudness, highlights) keep their defaults (on),
and MPS cannot name them.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.templates.family import KindKey, TemplateFamily
from shared.api.mps.templates.fields import Fields, on_off
from shared.domain.kinds import analysis

KIND: KindKey = (analysis.NAME, "")
CODES = {"Switch": ("InvalidParameterValue.Switch", "TagConfigure.Switch")}


def to_params(fields: Fields, _was: KindKey | None, stored: dict[str, Any] | None) -> tuple[KindKey, dict[str, Any]]:
    out: dict[str, Any] = dict(stored or {})
    fields.refuse_switched_on(("ClassificationConfigure", "FrameTagConfigure"), "openmps has no engine for it")
    for mps, ours in (("TagConfigure", "tags"), ("CoverConfigure", "cover")):
        config = fields.obj(mps)
        if config is not None:
            switch = config.switch()
            if switch is not None:
                out[ours] = switch
    return KIND, out


def to_item(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "ClassificationConfigure": {"Switch": "OFF"},
        "TagConfigure": {"Switch": on_off(view["tags"])},
        "CoverConfigure": {"Switch": on_off(view["cover"])},
        "FrameTagConfigure": {"Switch": "OFF"},
    }


FAMILY = TemplateFamily(
    noun="AIAnalysisTemplate",
    set_name="AIAnalysisTemplateSet",
    kinds=(KIND,),
    to_params=to_params,
    to_item=to_item,
    codes=CODES,
)
