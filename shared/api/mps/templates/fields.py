"""Reading an MPS request object and its nested objects field by field, with the MPS field path
in every error (``VideoTemplate.Codec``), so a caller knows which of its fields was refused."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.api.mps.errors import MpsError

SWITCHES = ("ON", "OFF")


class Fields:
    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise MpsError("InvalidParameter", "bad_type", name=path or "body", kind="an object")
        self.data, self.path = data, path

    def name_of(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def obj(self, name: str) -> Fields | None:
        value = self.data.get(name)
        return None if value is None else Fields(value, self.name_of(name))

    def text(self, name: str, code: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MpsError("MissingParameter", "missing_parameter", name=self.name_of(name))
            return None
        if not isinstance(value, str):
            raise MpsError(code, "bad_type", name=self.name_of(name), kind="a string")
        return value

    def choice(self, name: str, choices: Iterable[str], code: str, *, required: bool = False) -> str | None:
        value = self.text(name, code, required=required)
        allowed = tuple(choices)
        if value is not None and value not in allowed:
            raise MpsError(code, "bad_choice", name=self.name_of(name), choices=", ".join(allowed))
        return value

    def integer(self, name: str, code: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MpsError("MissingParameter", "missing_parameter", name=self.name_of(name))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise MpsError(code, "bad_type", name=self.name_of(name), kind="an integer")
        return value

    def flag(self, name: str, code: str) -> bool | None:
        """MPS's 0 | 1 switches (RemoveVideo, RemoveAudio)."""
        value = self.integer(name, code)
        if value not in (None, 0, 1):
            raise MpsError(code, "bad_choice", name=self.name_of(name), choices="0, 1")
        return None if value is None else value == 1

    def switch(self, name: str = "Switch", code: str = "InvalidParameterValue.Switch") -> bool | None:
        value = self.choice(name, SWITCHES, code)
        return None if value is None else value == "ON"

    def strings(self, name: str, code: str) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MpsError(code, "bad_type", name=self.name_of(name), kind="a list of strings")
        return value

    def refuse(self, names: Iterable[str], why: str) -> None:
        """Fields openmps cannot do: refused by name when they carry a value (never ignored)."""
        for name in names:
            value = self.data.get(name)
            if value not in (None, "", 0, [], {}):
                raise MpsError("UnsupportedOperation", "unsupported_field", name=self.name_of(name), detail=why)

    def refuse_switched_on(self, names: Iterable[str], why: str) -> None:
        """Sub-configurations openmps has no engine for: accepted switched off, refused on."""
        for name in names:
            sub = self.obj(name)
            if sub is not None and sub.switch() is not False:
                raise MpsError("UnsupportedOperation", "unsupported_field", name=sub.path, detail=why)


def on_off(value: bool) -> str:
    return "ON" if value else "OFF"
