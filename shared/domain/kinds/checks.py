"""Field checks the template validators of every kind share: each problem a ``BadInputError``
with code ``InvalidParameterValue.<Field>`` and a plain message.

Two message styles exist and users (and tests) read both, so both stay: the media templates say
"width must be a whole number, got 'x'"; the AI templates, whose fields nest, prefix the path:
"porn_image.review_confidence: must be between 0 and 100, got 120".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from shared.domain.errors import BadInputError, shown

# Spellings of ffmpeg and MPS that mean one of our choices.
ALIASES = {
    "hevc": "h265",
    "libx265": "h265",
    "avc": "h264",
    "libx264": "h264",
    "libvpx-vp9": "vp9",
    "libmp3lame": "mp3",
    "libopus": "opus",
    "libvorbis": "vorbis",
    "jpeg": "jpg",
    "pcm_s16le": "pcm16",
    "pcm_s24le": "pcm24",
}


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def bad(path: str, message: str) -> BadInputError:
    """The error for the field at ``path`` (its last part names the code)."""
    return BadInputError(message, code=f"InvalidParameterValue.{pascal(path.rsplit('.', 1)[-1])}")


def dataclass_json(params: Any) -> dict[str, Any]:
    """A flat params dataclass as JSON (tuples as lists), the form its validator reads back."""
    assert is_dataclass(params) and not isinstance(params, type)
    return jsonable(asdict(params))


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def known_fields_of(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``data`` that are fields of ``cls`` (a stored snapshot may hold retired ones)."""
    known = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in known}


# --- the media style: "name must be ..." -----------------------------------------------------------


def as_int(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(name, f"{name} must be a whole number, got {shown(value)}")
    return value


def as_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(name, f"{name} must be a number, got {shown(value)}")
    return float(value)


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # MPS spells switches as 0/1 (RemoveVideo)
        return bool(value)
    if name == "resolution_adaptive" and isinstance(value, str) and value.lower() in ("open", "close"):
        return value.lower() == "open"  # MPS's ResolutionAdaptive spelling
    raise bad(name, f"{name} must be true or false, got {shown(value)}")


def as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise bad(name, f"{name} must be a string, one of {', '.join(choices)}; got {shown(value)}")
    text = value.strip().lower()
    text = ALIASES.get(text, text)
    if text not in choices:
        raise bad(name, f"{name} {value!r} is not supported; use one of {', '.join(choices)}")
    return text


def in_range(name: str, value: float, low: float, high: float, *, zero: str | None = None) -> None:
    if zero is not None and value == 0:
        return
    if not low <= value <= high:
        allowed = f"0 ({zero}) or between {low:g} and {high:g}" if zero else f"between {low:g} and {high:g}"
        raise bad(name, f"{name} must be {allowed}, got {value:g}")


def check_object(data: Any, cls: type) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BadInputError(f"template parameters must be a JSON object, got {shown(data)}", code="InvalidParameter")
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        names = ", ".join(unknown)
        raise BadInputError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; known parameters are {', '.join(known)}",
            code="UnknownParameter",
        )
    return data


# --- the AI style: "path: ..." -----------------------------------------------------------------------


def at(path: str, message: str) -> BadInputError:
    return bad(path, f"{path}: {message}")


def switch(path: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.upper() in ("ON", "OFF"):  # MPS's Switch spelling
        return value.upper() == "ON"
    raise at(path, f'expected true/false (or "ON"/"OFF"), got {shown(value)}')


def int_between(path: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise at(path, f"expected an integer, got {shown(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise at(path, f"expected an integer, got {value}")
        value = int(value)
    if not low <= value <= high:
        raise at(path, f"must be between {low} and {high}, got {value}")
    return int(value)


def float_between(path: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise at(path, f"expected a number, got {shown(value)}")
    if not low <= value <= high:
        raise at(path, f"must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def one_of(path: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise at(path, f"must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def json_object(path: str, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise at(path, f"expected an object, got {shown(data)}")
    return data


def check_known(path: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in data:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise BadInputError(
                f"{where}: unknown field (known fields: {', '.join(sorted(known))})",
                code=f"InvalidParameterValue.{pascal(str(key))}",
            )
