"""The kinds registry: every reference a kind declares resolves, and the console knows every kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.domain import kinds

pytestmark = pytest.mark.unit

CONSOLE_EN = Path(__file__).resolve().parents[2] / "shared/api/console/i18n/en.js"


@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda k: k.name)
def test_each_kind_is_complete(kind: kinds.SubtaskKind) -> None:
    # the dry-run hook is a "module:function" string: a moved media module must fail here, not in production
    assert kind.dry_run is None or callable(kind.dry_run_hook())
    assert f"'{kind.label_key}'" in CONSOLE_EN.read_text()
    assert kind.presets and all(t.type == kind.name for t in kind.presets)
    for template in kind.presets:
        data = kind.to_json(template.params)
        assert kind.validate(data) == template.params and kind.from_json(data) == template.params
        assert kind.mps is not None and kind.mps(template.params).task
        assert kind.stem(kind.variant_of(template.params))


def test_snapshot_maps_to_three_mps_task_sets() -> None:
    snapshot = kinds.get("Snapshot")
    assert {snapshot.mps(t.params).task for t in snapshot.presets} == {
        "SnapshotByTimeOffsetTaskSet",
        "SampleSnapshotTaskSet",
        "ImageSpriteTaskSet",
    }
