"""The template catalog: system presets (code) and each account's custom templates (table).

Custom templates are validated field by field and, for media templates, by a dry run of the real
engine on a tiny synthetic clip, so a template ffmpeg would reject never gets stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from shared.domain import clock
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.templates import PRESETS, SNAPSHOT_PRESETS, Template, params_from_dict
from shared.runtime.settings import Settings
from shared.store.counters import TEMPLATE_DEFINITIONS, CounterStore
from shared.store.templates import TemplateStore

SUBTASK_TYPES = ("Transcode", "Snapshot", "ContentAnalysis", "ContentReview", "Enhancement")
CUSTOM_DEFINITION_BASE = 1_000_000  # custom definitions never collide with preset ids
MAX_CUSTOM_TEMPLATES = 1000
NAME_MAX = 64
COMMENT_MAX = 256


def _ai_presets() -> dict[tuple[str, int], Template]:
    from shared.domain.ai_templates import AI_PRESETS

    return dict(AI_PRESETS)


def _validator(type_: str) -> Callable[[dict[str, Any]], Any]:
    if type_ == "Transcode":
        from shared.domain.template_rules import validate_transcode_params

        return validate_transcode_params
    if type_ == "Snapshot":
        from shared.domain.template_rules import validate_snapshot_params

        return validate_snapshot_params
    from shared.domain import ai_templates

    return {
        "ContentReview": ai_templates.validate_review_params,
        "ContentAnalysis": ai_templates.validate_analysis_params,
        "Enhancement": ai_templates.validate_enhance_params,
    }[type_]


def _dry_run(type_: str, params: Any) -> None:
    if type_ in ("Transcode", "Snapshot"):
        from shared.media.ffmpeg import dryrun

        (dryrun.dry_run_transcode if type_ == "Transcode" else dryrun.dry_run_snapshot)(params)


def params_to_json(params: Any) -> dict[str, Any]:
    """The JSON form a template's parameters are shown, stored and posted back in."""
    from shared.domain.ai_templates import AnalysisParams, EnhanceParams, ReviewParams, ai_params_to_dict

    if isinstance(params, (ReviewParams, AnalysisParams, EnhanceParams)):
        return _jsonable(ai_params_to_dict(params))
    data = asdict(params) if is_dataclass(params) and not isinstance(params, type) else dict(params)
    return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def params_from_snapshot(type_: str, data: dict[str, Any]) -> Any:
    """The parameters a subtask stored, as the engine's dataclass."""
    if type_ in ("Transcode", "Snapshot"):
        return params_from_dict(type_, data)
    from shared.domain.ai_templates import ai_params_from_dict

    return ai_params_from_dict(type_, data)


def check_type(type_: str | None) -> str:
    if type_ not in SUBTASK_TYPES:
        raise BadInputError(f"type must be one of {', '.join(SUBTASK_TYPES)}", code="InvalidParameterValue.Type")
    return type_


def template_view(template: Template, kind: str | None = None) -> dict[str, Any]:
    """The flat API shape: identity fields, then the parameters."""
    params = params_to_json(template.params)
    view = {
        "definition": template.definition,
        "type": template.type,
        "name": template.name,
        "comment": getattr(template, "comment", "") or "",
        "preset": template.preset,
    }
    if template.type == "Snapshot":
        view["kind"] = kind or params.get("kind")
    return {**view, **params}


def check_output_path(spec: Any, template: Template) -> None:
    """A custom output path names each output file; outputs that refer to each other by name
    (HLS segments, sprite sheets in the WebVTT) and result-only subtasks keep their names."""
    if not spec.output_object_path:
        return
    params = template.params
    if (
        spec.type not in ("Transcode", "Snapshot")
        or getattr(params, "container", "") == "hls"
        or getattr(params, "kind", "") == "sprite"
    ):
        raise BadInputError(
            "output_object_path applies to single-file transcodes and to time-offset or sampled snapshots",
            code="InvalidParameterValue.OutputObjectPath",
        )


class TemplateCatalog:
    def __init__(self, settings: Settings) -> None:
        self.store = TemplateStore(settings)
        self.counters = CounterStore(settings)

    # ---- reads -------------------------------------------------------------------------------
    def presets(self) -> list[Template]:
        return [*PRESETS.values(), *SNAPSHOT_PRESETS.values(), *_ai_presets().values()]

    def list(self, account: str, type_: str | None = None) -> list[dict[str, Any]]:
        if type_ is not None:
            check_type(type_)
        views = [template_view(t) for t in self.presets() if type_ in (None, t.type)]
        for item in sorted(self.store.list(account), key=lambda i: i["definition"]):
            if type_ in (None, item["type"]):
                views.append(self._custom_view(item))
        return views

    def _custom_view(self, item: dict[str, Any]) -> dict[str, Any]:
        view = {
            "definition": item["definition"],
            "type": item["type"],
            "name": item["name"],
            "comment": item["comment"],
            "preset": False,
            "create_time": item["create_time"],
            "update_time": item["update_time"],
        }
        return {**view, **item["params"]}

    def resolve_spec(self, account: str, spec: Any) -> Template:
        template = self.resolve(account, spec.type, spec.definition, spec.kind)
        check_output_path(spec, template)
        return template

    def resolve(self, account: str, type_: str, definition: int, kind: str | None = None) -> Template:
        """The template a subtask spec names: a preset of its type, or the account's custom one."""
        check_type(type_)
        if type_ == "Snapshot" and (kind or "sampled", definition) in SNAPSHOT_PRESETS:
            return SNAPSHOT_PRESETS[(kind or "sampled", definition)]
        preset = PRESETS.get((type_, definition)) or _ai_presets().get((type_, definition))
        if preset is not None:
            return preset
        item = self.store.get(account, definition) if definition >= CUSTOM_DEFINITION_BASE else None
        if item is None or item["type"] != type_:
            raise BadInputError(
                f"no {type_} template with definition {definition}", code="InvalidParameterValue.Definition"
            )
        params = params_from_snapshot(type_, item["params"])
        if type_ == "Snapshot" and kind and kind != getattr(params, "kind", kind):
            raise BadInputError(
                f"template {definition} is a {params.kind} snapshot template, not {kind}",
                code="InvalidParameterValue.Kind",
            )
        return Template(definition, type_, item["name"], params, preset=False)

    # ---- writes ------------------------------------------------------------------------------
    def _validated(self, type_: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
            raise BadInputError(f"name is required, at most {NAME_MAX} characters", code="InvalidParameterValue.Name")
        comment = body.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > COMMENT_MAX:
            raise BadInputError(f"comment is at most {COMMENT_MAX} characters", code="InvalidParameterValue.Comment")
        raw = {
            k: v
            for k, v in body.items()
            if k not in ("type", "name", "comment", "definition", "preset", "create_time", "update_time")
        }
        params = _validator(type_)(raw)
        _dry_run(type_, params)
        return name.strip(), comment, params_to_json(params)

    def create(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        type_ = check_type(body.get("type"))
        name, comment, params = self._validated(type_, body)
        if len(self.store.list(account)) >= MAX_CUSTOM_TEMPLATES:
            raise ConflictError(f"at most {MAX_CUSTOM_TEMPLATES} custom templates", code="LimitExceeded.Templates")
        definition = self.counters.next_value(TEMPLATE_DEFINITIONS, start=CUSTOM_DEFINITION_BASE)
        return self._custom_view(self.store.create(account, definition, type_, name, comment, params, clock.now_iso()))

    def _existing_custom(self, account: str, definition: int) -> dict[str, Any]:
        if any(t.definition == definition for t in self.presets()):
            raise ConflictError(
                f"template {definition} is a system preset and cannot be changed", code="FailedOperation.PresetTemplate"
            )
        item = self.store.get(account, definition)
        if item is None:
            raise NotFoundError(f"no custom template {definition}", code="ResourceNotFound.Template")
        return item

    def update(self, account: str, definition: int, body: dict[str, Any]) -> dict[str, Any]:
        item = self._existing_custom(account, definition)
        if body.get("type", item["type"]) != item["type"]:
            raise BadInputError("a template's type cannot change", code="InvalidParameterValue.Type")
        name, comment, params = self._validated(item["type"], body)
        if not self.store.update(account, definition, name, comment, params, clock.now_iso()):
            raise NotFoundError(f"no custom template {definition}", code="ResourceNotFound.Template")
        updated = self.store.get(account, definition)
        assert updated is not None
        return self._custom_view(updated)

    def delete(self, account: str, definition: int) -> None:
        self._existing_custom(account, definition)
        if not self.store.delete(account, definition):
            raise NotFoundError(f"no custom template {definition}", code="ResourceNotFound.Template")
