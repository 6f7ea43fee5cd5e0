"""What every subtask kind declares, and the one registry the rest of the code asks.

A kind is the unit the task system knows a subtask by: its type name in the table and the API,
the worker function that runs it (serverless.yml), its template parameters (a frozen dataclass
with a validator and a JSON form), its system presets, how its outputs are named, what the
console shows for it, and the MPS names it maps to. Adding a kind is one module that builds a
``SubtaskKind`` plus one ``register`` line in ``shared.domain.kinds``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import BadInputError
from shared.domain.templates import Template


@dataclass(frozen=True)
class MpsTaskName:
    """Where a subtask of this kind sits in the MPS API (MPS-REFERENCE.md section 2)."""

    task: str  # the ProcessMedia field: "TranscodeTaskSet", "AiContentReviewTask", ...
    result_type: str  # MediaProcessTaskResult.Type or the AI result set's name
    in_media_process_task: bool = True  # a MediaProcessTaskInput list, or a top-level AI task


@dataclass(frozen=True)
class SubtaskKind:
    name: str  # the subtask type: "Transcode"
    function: str  # the worker function in serverless.yml: "transcode"
    params_type: type  # the frozen dataclass its templates hold
    validate: Callable[[Mapping[str, Any] | None], Any]  # JSON object -> params, or BadInputError
    from_json: Callable[[Mapping[str, Any]], Any]  # a subtask's stored snapshot -> params
    to_json: Callable[[Any], dict[str, Any]]  # params -> the JSON ``validate`` reads back
    presets: tuple[Template[Any], ...]
    # MPS's default output name: the {name}_<stem>_{definition} part, per variant ("" if none).
    stems: Mapping[str, str]
    # Output names (after the output dir) a dry run of the workflow shows: f(stem, params).
    example_outputs: Callable[[str, Any], list[str]]
    label_key: str  # the console's i18n key: "type.Transcode"
    view_kind: str  # what the viewer shows: "video" | "images" | "result"
    downloadable: bool = True  # files to play or download (else a result to view)
    # A template family split by variant (Snapshot: time_offset | sampled | sprite); presets of
    # different variants may share a definition, so the variant picks the preset.
    variants: tuple[str, ...] = ()
    default_variant: str = ""
    numbered_outputs: bool = False  # one output per {number}: a custom output path must contain it
    # Whether a custom output_object_path can name the outputs of these params (single files only).
    custom_output_path: Callable[[Any], bool] = field(default=lambda _params: False)
    # "module:function" run on a custom template's params before it is stored; the media layer
    # does I/O, so the domain names it and the catalog service imports it when it needs it.
    dry_run: str | None = None
    mps: Callable[[Any], MpsTaskName] | None = None  # by params: Snapshot's task set depends on the variant
    # The decode a subtask of these params can share with its siblings in one engine run (decode once,
    # shared/services/fusion.py): siblings with the same key are fused; None runs alone.
    fusion_key: Callable[[Any], str | None] = field(default=lambda _params: None)
    # Whether a subtask of this kind leads a fused group (its function runs the one engine run); the
    # others (a Snapshot's sprite) join a leader's run and never lead one.
    fusion_leads: bool = False

    def variant_of(self, params: Any) -> str:
        return str(getattr(params, "kind", self.default_variant)) if self.variants else ""

    def stem(self, variant: str) -> str:
        return self.stems[(variant or self.default_variant) if self.variants else ""]

    def preset(self, definition: int, variant: str | None = None) -> Template[Any] | None:
        wanted = (variant or self.default_variant) if self.variants else ""
        return next(
            (t for t in self.presets if t.definition == definition and self.variant_of(t.params) == wanted), None
        )

    def dry_run_hook(self) -> Callable[[Any], None] | None:
        if self.dry_run is None:
            return None
        module, _, name = self.dry_run.partition(":")
        hook: Callable[[Any], None] = getattr(importlib.import_module(module), name)
        return hook


_KINDS: dict[str, SubtaskKind] = {}


def register(kind: SubtaskKind) -> SubtaskKind:
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"subtask kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """For tests that register a kind of their own."""
    _KINDS.pop(name, None)


def names() -> tuple[str, ...]:
    return tuple(_KINDS)


def all_kinds() -> tuple[SubtaskKind, ...]:
    return tuple(_KINDS.values())


def find(name: object) -> SubtaskKind | None:
    return _KINDS.get(name) if isinstance(name, str) else None


def get(name: object) -> SubtaskKind:
    """The kind named ``name``, or BadInputError naming the known ones."""
    kind = find(name)
    if kind is None:
        raise BadInputError(
            f"unknown subtask type {name!r}; expected one of {names()}", code="InvalidParameterValue.SubtaskType"
        )
    return kind


def resolve_preset(name: str, definition: int, variant: str | None = None) -> Template[Any]:
    """The system template a subtask spec names, or BadInputError naming what is unknown."""
    template = get(name).preset(definition, variant)
    if template is None:
        raise BadInputError(f"no {name} template with definition {definition}", code="InvalidParameterValue.Definition")
    return template


def validate_params(name: str, data: Mapping[str, Any] | None) -> Any:
    """A custom template's parameters (or a subtask's snapshot of them) for the kind ``name``."""
    return get(name).validate(data)


def params_to_json(name: str, params: Any) -> dict[str, Any]:
    return get(name).to_json(params)
