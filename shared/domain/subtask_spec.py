"""What a create request or a workflow asks a subtask to be: one typed entry per subtask.

``SubtaskEntry`` is the one validator of an entry (the REST API documents it from here). Its
checks keep the error codes and messages the API has always given, in the same order: shape,
definition, kind, unknown fields, output path, then the type (the kinds the registry knows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, WrapValidator, field_validator
from pydantic_core import PydanticCustomError

from shared.domain import kinds
from shared.domain.errors import BadInputError
from shared.domain.object_paths import validate_object_path

MAX_SUBTASKS = 20


def _variants() -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for k in kinds.all_kinds() for v in k.variants))


def _variant_enum(schema: dict[str, Any]) -> None:
    schema["anyOf"][0]["enum"] = list(_variants())  # on the string branch: null stays allowed


class SubtaskEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="the subtask kind", json_schema_extra={"enum": list(kinds.names())})
    definition: StrictInt = Field(ge=0, description="a preset or custom template of that kind")
    kind: str | None = Field(
        None,
        description="the template family of kinds that have several (Snapshot); default sampled",
        json_schema_extra=_variant_enum,
    )
    output_object_path: str | None = Field(
        None, description="MPS OutputObjectPath: {inputName} {definition} {number} {format}"
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> str:
        if kinds.find(value) is None:
            raise PydanticCustomError("subtask_type", "unknown subtask type")
        return str(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _known_variant(cls, value: Any) -> str | None:
        if not value:
            return None  # left out (or empty): the kind's default family
        if value not in _variants():
            raise PydanticCustomError("subtask_kind", "unknown template family")
        return str(value)


def parse_entry(data: Any) -> SubtaskEntry:
    """The entry, or the BadInputError the API answers with."""
    try:
        entry = SubtaskEntry.model_validate(data)
    except ValidationError as exc:
        raise _as_bad_input(exc, data) from None
    if entry.output_object_path is not None:
        validate_object_path(entry.output_object_path, require_number=kinds.get(entry.type).numbered_outputs)
    return entry


def _as_bad_input(exc: ValidationError, data: Any) -> BadInputError:
    errors = {(str(e["loc"][0]) if e["loc"] else "", e["type"]) for e in exc.errors()}
    fields = {name for name, _type in errors}
    if not isinstance(data, dict) or {("type", "missing"), ("definition", "missing")} & errors:
        return BadInputError(f"a subtask needs 'type' and 'definition': {data!r}", code="InvalidParameter.Subtask")
    if "definition" in fields:
        return BadInputError(
            f"definition must be a non-negative integer: {data['definition']!r}",
            code="InvalidParameterValue.Definition",
        )
    if "kind" in fields:
        return BadInputError(f"kind must be one of {', '.join(_variants())}", code="InvalidParameterValue.Kind")
    unknown = sorted(name for name, type_ in errors if type_ == "extra_forbidden")
    if unknown:
        return BadInputError(f"unknown subtask fields: {', '.join(unknown)}", code="InvalidParameter.Subtask")
    if "output_object_path" in fields:
        try:
            validate_object_path(data["output_object_path"])
        except BadInputError as path_error:
            return path_error
    return BadInputError(f"type must be one of {', '.join(kinds.names())}", code="InvalidParameterValue.Type")


def _check_entries(value: Any, handler: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise BadInputError("subtasks must be a non-empty list", code="InvalidParameterValue.Subtasks")
    if len(value) > MAX_SUBTASKS:
        raise BadInputError(f"at most {MAX_SUBTASKS} subtasks", code="InvalidParameterValue.Subtasks")
    return [parse_entry(item) for item in value]


# The subtasks of a request: the API's body models type their field with this, so a bad entry
# answers with the same codes whether the route or the service sees it first.
SubtaskEntries = Annotated[
    list[SubtaskEntry], Field(min_length=1, max_length=MAX_SUBTASKS), WrapValidator(_check_entries)
]


@dataclass(frozen=True)
class SubtaskSpec:
    """What a workflow or a create request asks for; the template catalog resolves it."""

    type: str
    definition: int
    kind: str = "sampled"  # the template family of kinds that have several (Snapshot)
    output_object_path: str | None = None  # MPS OutputObjectPath: {inputName} {definition} {number} {format}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "definition": self.definition}
        if kinds.get(self.type).variants:
            data["kind"] = self.kind
        if self.output_object_path:
            data["output_object_path"] = self.output_object_path
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SubtaskSpec:
        entry = data if isinstance(data, SubtaskEntry) else parse_entry(data)
        return cls(entry.type, entry.definition, entry.kind or "sampled", entry.output_object_path)


def parse_specs(data: Any) -> tuple[SubtaskSpec, ...]:
    return tuple(SubtaskSpec.from_dict(entry) for entry in _check_entries(data, None))
