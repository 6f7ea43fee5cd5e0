"""The MPS template families, one module each, over the subtask kinds of ``shared.domain.kinds``;
``crud`` gives each family its Create / Modify / Delete / Describe actions."""

from __future__ import annotations

from typing import Any

from shared.api.mps.templates import analysis, crud, review, snapshot, transcode
from shared.api.mps.templates.family import TemplateFamily

FAMILIES: tuple[TemplateFamily, ...] = (
    transcode.FAMILY,
    *snapshot.FAMILIES,
    review.FAMILY,
    analysis.FAMILY,
)


def template_actions() -> dict[str, Any]:
    return {name: run for family in FAMILIES for name, run in crud.actions(family).items()}
