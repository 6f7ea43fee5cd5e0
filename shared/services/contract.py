"""How a request model says what is wrong: our error codes, carried inside pydantic's errors.

Request models are the single validator of what callers send. A field that has a code of its own
declares it with `coded(...)`; every other failure is a plain `InvalidParameter` naming where it
happened, and a field the model does not know is an `UnknownParameter` naming it. `bad_input` turns
pydantic's error list into our `BadInputError` -- the API's error handler and any other adapter
that validates a request call it, so the mapping lives here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.domain.errors import BadInputError

UNKNOWN = "UnknownParameter"
GENERIC = "InvalidParameter"


def _is_code(error_type: str) -> bool:
    """Our codes are CamelCase (InvalidParameterValue.OutputDir); pydantic's types are snake_case."""
    return error_type[:1].isupper()


class FieldCode:
    """A field's own error code and message, used when its value (or an item of it) fails, unless
    a nested model's field already answered with a code of its own.

    `only` narrows it to some pydantic error types (e.g. only a too-long string), leaving the rest
    generic, where that is what the API has always answered.
    """

    def __init__(self, code: str, message: str, only: Sequence[str] = ()) -> None:
        self.code, self.message, self.only = code, message, tuple(only)

    def __call__(self, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            if _is_code(first["type"]) or (self.only and first["type"] not in self.only):
                raise  # a nested field already said what is wrong, or this code does not cover it
            raise PydanticCustomError(self.code, self.message) from None


def coded(code: str, message: str, only: Sequence[str] = ()) -> WrapValidator:
    """Annotate a field with its error code: `Annotated[str, coded("InvalidParameterValue.Name", "...")]`."""
    return WrapValidator(FieldCode(code, message, only))


def _field_code(model: type[BaseModel], name: str) -> FieldCode | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    codes = [m.func for m in field.metadata if isinstance(m, WrapValidator) and isinstance(m.func, FieldCode)]
    return codes[0] if codes else None


class RequestModel(BaseModel):
    """A request body or query: unknown fields are refused, and a missing field that has a code
    of its own answers with that code (pydantic reports missing fields before any field validator)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _coded_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc, kind = first["loc"], first["type"]
            name = str(loc[0]) if loc else ""
            own = _field_code(cls, name) if len(loc) == 1 else None
            if kind == "missing" and own and (not own.only or kind in own.only):
                raise PydanticCustomError(own.code, own.message) from None
            if kind == "extra_forbidden" and len(loc) == 1:
                raise PydanticCustomError(
                    UNKNOWN,
                    "unknown parameter {name}; known parameters are {known}",
                    {"name": name, "known": ", ".join(cls.model_fields)},
                ) from None
            if kind == UNKNOWN and len(loc) == 1:  # a nested model's unknown field: name its path
                ctx = first.get("ctx") or {}
                raise PydanticCustomError(
                    UNKNOWN,
                    "unknown parameter {name}; known parameters are {known}",
                    {"name": f"{name}.{ctx.get('name')}", "known": ctx.get("known", "")},
                ) from None
            raise


def bad_input(errors: Sequence[Any]) -> BadInputError:
    """The first of pydantic's errors as our error (code and message)."""
    if not errors:
        return BadInputError("invalid request", code=GENERIC)
    first = errors[0]
    kind, message = str(first.get("type", "")), str(first.get("msg", "invalid"))
    if _is_code(kind):
        return BadInputError(message, code=kind)
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query")) or "body"
    if kind == "extra_forbidden":  # the request itself is not a RequestModel (never expected)
        return BadInputError(f"unknown parameter {where}", code=UNKNOWN, params={"field": where})
    return BadInputError(f"{where}: {message}", code=GENERIC, params={"field": where})


Model = TypeVar("Model", bound=BaseModel)


def parse_request(model: type[Model], data: Any) -> Model:
    """Validate a request that did not come through the REST resolver (another adapter's input)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_input(exc.errors()) from None
