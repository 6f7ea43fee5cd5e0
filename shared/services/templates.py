"""The template catalog: system presets (code) and each account's custom templates (table).

Custom templates are validated field by field and, for media templates, by a dry run of the real
engine on a tiny synthetic clip, so a template ffmpeg would reject never gets stored.
"""

from __future__ import annotations

from typing import Any

from shared.domain import clock, kinds
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.templates import Template
from shared.services.deps import Deps
from shared.store.counters import TEMPLATE_DEFINITIONS, CounterStore
from shared.store.templates import TemplateStore

CUSTOM_DEFINITION_BASE = 1_000_000  # custom definitions never collide with preset ids
MAX_CUSTOM_TEMPLATES = 1000
NAME_MAX = 64
COMMENT_MAX = 256


def params_to_json(type_: str, params: Any) -> dict[str, Any]:
    """The JSON form a template's parameters are shown, stored and posted back in."""
    return kinds.params_to_json(type_, params)


def params_from_snapshot(type_: str, data: dict[str, Any]) -> Any:
    """The parameters a subtask stored, as the engine's dataclass."""
    return kinds.get(type_).from_json(data)


def check_type(type_: str | None) -> str:
    kind = kinds.find(type_)
    if kind is None:
        raise BadInputError(f"type must be one of {', '.join(kinds.names())}", code="InvalidParameterValue.Type")
    return kind.name


def template_view(template: Template[Any], variant: str | None = None) -> dict[str, Any]:
    """The flat API shape: identity fields, then the parameters."""
    kind = kinds.get(template.type)
    params = params_to_json(template.type, template.params)
    view = {
        "definition": template.definition,
        "type": template.type,
        "name": template.name,
        "comment": getattr(template, "comment", "") or "",
        "preset": template.preset,
    }
    if kind.variants:
        view["kind"] = variant or params.get("kind")
    return {**view, **params}


def check_output_path(spec: Any, template: Template[Any]) -> None:
    """A custom output path names each output file; outputs that refer to each other by name
    (HLS segments, sprite sheets in the WebVTT) and result-only subtasks keep their names."""
    if not spec.output_object_path:
        return
    if not kinds.get(template.type).custom_output_path(template.params):
        raise BadInputError(
            "output_object_path applies to single-file transcodes and to time-offset or sampled snapshots",
            code="InvalidParameterValue.OutputObjectPath",
        )


class TemplateCatalog:
    def __init__(self, store: TemplateStore, counters: CounterStore) -> None:
        self.store = store
        self.counters = counters

    # ---- reads -------------------------------------------------------------------------------
    def presets(self) -> list[Template[Any]]:
        return [t for kind in kinds.all_kinds() for t in kind.presets]

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

    def resolve_spec(self, account: str, spec: Any) -> Template[Any]:
        template = self.resolve(account, spec.type, spec.definition, spec.kind)
        check_output_path(spec, template)
        return template

    def resolve(self, account: str, type_: str, definition: int, variant: str | None = None) -> Template[Any]:
        """The template a subtask spec names: a preset of its type, or the account's custom one."""
        kind = kinds.get(check_type(type_))
        preset = kind.preset(definition, variant)
        if preset is not None:
            return preset
        item = self.store.get(account, definition) if definition >= CUSTOM_DEFINITION_BASE else None
        if item is None or item["type"] != type_:
            raise BadInputError(
                f"no {type_} template with definition {definition}", code="InvalidParameterValue.Definition"
            )
        params = kind.from_json(item["params"])
        if kind.variants and variant and variant != kind.variant_of(params):
            raise BadInputError(
                f"template {definition} is a {kind.variant_of(params)} {type_.lower()} template, not {variant}",
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
        kind = kinds.get(type_)
        params = kind.validate(raw)
        dry_run = kind.dry_run_hook()
        if dry_run is not None:
            dry_run(params)
        return name.strip(), comment, params_to_json(type_, params)

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
            raise BadInputError(
                f"a template's type cannot change: template {definition} is {item['type']}",
                code="InvalidParameterValue.Type",
                params={"definition": definition, "type": item["type"]},
            )
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


def templates_in_use(deps: Deps, account: str, definition: int) -> list[str]:
    """Names of the account's workflows whose subtasks name this template."""
    return [w.name for w in deps.workflows.for_account(account) if any(s.definition == definition for s in w.subtasks)]


def delete_custom_template(deps: Deps, account: str, definition: int) -> None:
    """A template a workflow uses cannot be deleted: the workflow's next upload would fail."""
    users = templates_in_use(deps, account, definition)
    if users:
        raise ConflictError(
            f"template {definition} is used by workflow(s): {', '.join(users)}", code="ResourceInUse.Template"
        )
    TemplateCatalog(deps.templates, deps.counters).delete(account, definition)
