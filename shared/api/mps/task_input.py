"""ProcessMedia's MediaProcessTask, AiContentReviewTask and AiAnalysisTask as openmps subtask entries.

Which MPS field a subtask kind answers to comes from the kind registry (``SubtaskKind.mps`` of
each preset): TranscodeTaskSet holds Transcode *and* Enhancement, because MPS expresses
enhancement as a transcode template with enhancement settings; an entry's Definition picks the kind
(a preset of that kind, or the account's custom template of that kind). Every field MPS has and
openmps does not do (watermarks, mosaics, clipping, per-task storage, ...) is refused naming it;
nothing is silently ignored.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.api.mps.errors import MpsError
from shared.domain import kinds
from shared.services.deps import Deps

# The fields of a task-set entry openmps does, per MPS field (everything else is refused).
SUPPORTED_ENTRY_FIELDS = {"Definition", "OutputObjectPath", "OutputStorage"}
AI_TASKS = ("AiContentReviewTask", "AiAnalysisTask")
# Fields whose zero value means "as if absent" in MPS (0 = the whole file).
NEUTRAL = {"StartTimeOffset": 0, "EndTimeOffset": 0}


@cache
def mps_fields() -> dict[str, tuple[tuple[str, str], ...]]:
    """MPS field -> the (kind, variant) pairs that answer to it, from the registry's presets."""
    found: dict[str, list[tuple[str, str]]] = {}
    for kind in kinds.all_kinds():
        if kind.mps is None:
            continue
        for preset in kind.presets:
            pair = (kind.name, kind.variant_of(preset.params))
            field = kind.mps(preset.params).task
            if pair not in found.setdefault(field, []):
                found[field].append(pair)
    return {field: tuple(pairs) for field, pairs in found.items()}


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], {})


def refuse_unsupported(path: str, entry: dict[str, Any], supported: set[str]) -> None:
    for name, value in entry.items():
        if name not in supported and _is_set(value) and NEUTRAL.get(name, object()) != value:
            raise MpsError("UnsupportedOperation", "field_not_supported", name=f"{path}.{name}")


def _definition(path: str, entry: Any) -> int:
    if not isinstance(entry, dict):
        raise MpsError("InvalidParameter", "bad_type", name=path, kind="an object")
    value = entry.get("Definition")
    if value is None:
        raise MpsError("MissingParameter", "missing_parameter", name=f"{path}.Definition")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MpsError("InvalidParameterValue.Definition", "bad_type", name=f"{path}.Definition", kind="an integer")
    return value


def _pick(deps: Deps, account: str, pairs: tuple[tuple[str, str], ...], definition: int) -> tuple[str, str]:
    """The kind a Definition names among those one MPS field holds: a preset first, then a custom
    template of the account; else the first kind (whose catalog then says the template is unknown)."""
    for name, variant in pairs:
        if kinds.get(name).preset(definition, variant or None) is not None:
            return name, variant
    custom = deps.templates.get(account, definition)
    if custom is not None:
        for name, variant in pairs:
            if custom["type"] == name:
                return name, variant
    return pairs[0]


def _entry(kind: str, variant: str, definition: int, raw: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": kind, "definition": definition}
    if kinds.get(kind).variants:
        entry["kind"] = variant
    if _is_set(raw.get("OutputObjectPath")):
        entry["output_object_path"] = raw["OutputObjectPath"]
    return entry


def subtask_entries(deps: Deps, account: str, body: dict[str, Any], check_storage: Any) -> list[dict[str, Any]]:
    """The subtask entries of a ProcessMedia body, in MPS's order (media processing, review, analysis).

    ``check_storage(path, value)`` refuses a per-task OutputStorage that differs from the task's."""
    fields = mps_fields()
    entries: list[dict[str, Any]] = []
    media = body.get("MediaProcessTask")
    if media is not None:
        if not isinstance(media, dict):
            raise MpsError("InvalidParameter", "bad_type", name="MediaProcessTask", kind="an object")
        for name in media:
            if name not in fields and _is_set(media[name]):
                raise MpsError("UnsupportedOperation", "field_not_supported", name=f"MediaProcessTask.{name}")
        for set_name, pairs in fields.items():
            items = media.get(set_name)
            if items is None or set_name in AI_TASKS:
                continue
            if not isinstance(items, list):
                raise MpsError("InvalidParameter", "bad_type", name=f"MediaProcessTask.{set_name}", kind="a list")
            for i, raw in enumerate(items):
                path = f"MediaProcessTask.{set_name}.{i}"
                definition = _definition(path, raw)
                refuse_unsupported(path, raw, SUPPORTED_ENTRY_FIELDS)
                if raw.get("OutputStorage") is not None:
                    check_storage(f"{path}.OutputStorage", raw["OutputStorage"])
                kind, variant = _pick(deps, account, pairs, definition)
                entries.append(_entry(kind, variant, definition, raw))
    for task_name in AI_TASKS:
        raw = body.get(task_name)
        if raw is None:
            continue
        definition = _definition(task_name, raw)
        # AiAnalysisTask.ExtendedParameter tunes MPS's own models; ours take their settings from the template.
        refuse_unsupported(task_name, raw, {"Definition"})
        kind, variant = _pick(deps, account, fields[task_name], definition)
        entries.append(_entry(kind, variant, definition, raw))
    return entries
