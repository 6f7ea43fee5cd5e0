"""Create / Modify / Delete / Describe for any template family, through the template catalog.

The catalog is the REST API's: same validation (dry run included), same definitions counter, same
"in use by a workflow" rule, so a template made here shows in the console and the other way round.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.api.mps.templates.family import TemplateFamily
from shared.api.mps.templates.fields import Fields
from shared.domain import kinds
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.mps.views import mps_time
from shared.services.templates import (
    CUSTOM_DEFINITION_BASE,
    MAX_CUSTOM_TEMPLATES,
    TemplateCatalog,
    delete_custom_template,
    templates_in_use,
)

PRESET_TIME = "1970-01-01T00:00:00Z"  # presets have no creation time of their own
MAX_DEFINITIONS = 100


def _catalog(ctx: ActionContext) -> TemplateCatalog:
    return TemplateCatalog(ctx.deps.templates, ctx.deps.counters)


def _is_preset(definition: int) -> bool:
    return definition < CUSTOM_DEFINITION_BASE and any(
        t.definition == definition for kind in kinds.all_kinds() for t in kind.presets
    )


def _refused(family: TemplateFamily, exc: BadInputError) -> MpsError:
    """A service's refusal in MPS terms: the MPS code and field path of our parameter."""
    ours = exc.code.rsplit(".", 1)[-1]
    code, path = family.codes.get(ours, (exc.code if exc.code.startswith("InvalidParameter") else "", ours))
    return MpsError(code or "InvalidParameterValue", "template_refused", name=path, detail=exc.message)


def _save(ctx: ActionContext, family: TemplateFamily, write: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = write()
    except BadInputError as exc:
        raise _refused(family, exc) from None
    except ConflictError as exc:
        if exc.code.startswith("LimitExceeded"):
            raise MpsError("LimitExceeded.TooMuchTemplate", "too_many_templates", limit=MAX_CUSTOM_TEMPLATES) from None
        raise
    return result


def _identity(fields: Fields, name_default: str | None) -> dict[str, Any]:
    name = fields.text("Name", "InvalidParameterValue.Name")
    comment = fields.text("Comment", "InvalidParameterValue.Comment")
    body: dict[str, Any] = {"name": name if name is not None else name_default}
    if comment is not None:
        body["comment"] = comment
    return body


def create(family: TemplateFamily, ctx: ActionContext, params: Params) -> dict[str, Any]:
    fields = Fields(params.body)
    kind, values = family.to_params(fields, None, None)
    body = {"type": kind[0], **_identity(fields, family.noun), **values}
    view = _save(ctx, family, lambda: _catalog(ctx).create(ctx.account, body))
    return {"Definition": view["definition"]}


def _definition(params: Params) -> int:
    value = params.body.get("Definition")
    if value is None:
        raise MpsError("MissingParameter", "missing_parameter", name="Definition")
    if isinstance(value, bool) or not isinstance(value, int):
        raise MpsError("InvalidParameterValue.Definition", "bad_type", name="Definition", kind="an integer")
    return value


def _owned(family: TemplateFamily, ctx: ActionContext, definition: int) -> dict[str, Any]:
    item = ctx.deps.templates.get(ctx.account, definition) if definition >= CUSTOM_DEFINITION_BASE else None
    if item is None or family.kind_of(item) is None:
        raise MpsError("ResourceNotFound.TemplateNotExist", "template_not_found", definition=definition)
    return item


def modify(family: TemplateFamily, ctx: ActionContext, params: Params) -> dict[str, Any]:
    definition = _definition(params)
    if _is_preset(definition):
        raise MpsError("InvalidParameterValue.ModifyDefaultTemplate", "modify_preset", definition=definition)
    item = _owned(family, ctx, definition)
    fields = Fields(params.body)
    kind, values = family.to_params(fields, family.kind_of(item), dict(item["params"]))
    if kind[0] != item["type"]:
        raise MpsError("UnsupportedOperation", "template_kind_change", definition=definition, was=item["type"])
    body = {"name": item["name"], "comment": item["comment"], **_identity(fields, item["name"]), **values}
    _save(ctx, family, lambda: _catalog(ctx).update(ctx.account, definition, body))
    return {}


def delete(family: TemplateFamily, ctx: ActionContext, params: Params) -> dict[str, Any]:
    definition = _definition(params)
    if _is_preset(definition):
        raise MpsError("InvalidParameterValue.DeleteDefaultTemplate", "delete_preset", definition=definition)
    _owned(family, ctx, definition)
    try:
        delete_custom_template(ctx.deps, ctx.account, definition)
    except NotFoundError:  # deleted by another call meanwhile
        raise MpsError("ResourceNotFound.TemplateNotExist", "template_not_found", definition=definition) from None
    except ConflictError:  # a workflow uses it
        users = ", ".join(templates_in_use(ctx.deps, ctx.account, definition))
        raise MpsError("ResourceInUse", "template_in_use", definition=definition, workflows=users) from None
    return {}


def _definitions(params: Params) -> list[int] | None:
    value = params.body.get("Definitions")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise MpsError("InvalidParameterValue.Definitions", "bad_type", name="Definitions", kind="a list of integers")
    if len(value) > MAX_DEFINITIONS:
        raise MpsError(
            "InvalidParameterValue.Definitions", "bad_range", name="Definitions", low=0, high=MAX_DEFINITIONS
        )
    return value


def item_of(family: TemplateFamily, view: dict[str, Any]) -> dict[str, Any]:
    definition = view["definition"]
    return {
        "Definition": str(definition) if family.definition_as_text else definition,
        "Type": "Preset" if view["preset"] else "Custom",
        "Name": view["name"],
        "Comment": view.get("comment") or "",
        **family.to_item(view),
        "CreateTime": mps_time(view.get("create_time")) if not view["preset"] else PRESET_TIME,
        "UpdateTime": mps_time(view.get("update_time")) if not view["preset"] else PRESET_TIME,
    }


def describe(family: TemplateFamily, ctx: ActionContext, params: Params) -> dict[str, Any]:
    wanted = _definitions(params)
    type_ = params.choice("Type", ("Preset", "Custom"), code="InvalidParameterValue.Type")
    name = params.text("Name", code="InvalidParameterValue.Name")
    offset = params.integer("Offset", default=0, low=0, high=2**31 - 1, code="InvalidParameterValue.Offset")
    limit = params.integer("Limit", default=10, low=1, high=100, code="InvalidParameterValue.Limit")
    extra = family.describe_filter(Fields(params.body)) if family.describe_filter else (lambda _view: True)
    views = [
        v
        for v in _catalog(ctx).list(ctx.account)  # one query for the account's custom templates
        if family.covers(v)
        and (wanted is None or v["definition"] in wanted)
        and (type_ is None or v["preset"] == (type_ == "Preset"))
        and (name is None or v["name"] == name)
        and extra(v)
    ]
    views.sort(key=lambda v: (not v["preset"], v["definition"]))
    return {"TotalCount": len(views), family.set_name: [item_of(family, v) for v in views[offset : offset + limit]]}


def actions(family: TemplateFamily) -> dict[str, Any]:
    """The four actions of a family, as the ACTIONS registry takes them."""
    return {
        f"Create{family.noun}": lambda ctx, params: create(family, ctx, params),
        f"Modify{family.noun}": lambda ctx, params: modify(family, ctx, params),
        f"Delete{family.noun}": lambda ctx, params: delete(family, ctx, params),
        f"Describe{family.noun}s": lambda ctx, params: describe(family, ctx, params),
    }
