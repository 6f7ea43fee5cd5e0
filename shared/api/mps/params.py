"""Reading an action's request fields: a missing required field is ``MissingParameter``, a value of
the wrong type or range the specific ``InvalidParameterValue.*`` code the caller names."""

from __future__ import annotations

from typing import Any

from shared.api.mps.errors import MpsError
from shared.domain import clock


class Params:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def _present(self, name: str, required: bool) -> Any:
        value = self.body.get(name)
        if value is None and required:
            raise MpsError("MissingParameter", "missing_parameter", name=name)
        return value

    def raw(self, name: str, *, required: bool = False) -> Any:
        """A field as sent (an object or list the action reads itself)."""
        return self._present(name, required)

    def text(self, name: str, *, required: bool = False, code: str = "InvalidParameterValue") -> str | None:
        value = self._present(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise MpsError(code, "bad_type", name=name, kind="a string")
        if required and value == "":
            raise MpsError("MissingParameter", "missing_parameter", name=name)
        return value

    def integer(self, name: str, *, default: int, low: int, high: int, code: str) -> int:
        value = self._present(name, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise MpsError(code, "bad_type", name=name, kind="an integer")
        if not low <= value <= high:
            raise MpsError(code, "bad_range", name=name, low=low, high=high)
        return value

    def boolean(self, name: str, *, code: str = "InvalidParameterValue") -> bool | None:
        value = self._present(name, False)
        if value is not None and not isinstance(value, bool):
            raise MpsError(code, "bad_type", name=name, kind="a boolean")
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = False, code: str) -> str | None:
        value = self.text(name, required=required, code=code)
        if value is not None and value not in choices:
            raise MpsError(code, "bad_choice", name=name, choices=", ".join(choices))
        return value

    def time(self, name: str, *, code: str) -> str | None:
        """An ISO 8601 time, returned in the table's format (so it compares with stored times)."""
        value = self.text(name, code=code)
        if value is None or value == "":
            return None
        try:
            moment = clock.parse_iso(value)
        except ValueError:
            raise MpsError(code, "bad_time", name=name) from None
        return clock.iso(moment)
