"""MPS output object paths: ``{inputName}``, ``{definition}``, ``{number}``, ``{format}``."""

from __future__ import annotations

import re
from typing import Any

from shared.domain.errors import BadInputError, shown

# --- output object paths ----------------------------------------------------------------------------

OBJECT_PATH_PLACEHOLDERS = ("inputName", "definition", "number", "format")
MAX_OBJECT_PATH = 200
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_PATH_CODE = "InvalidParameterValue.OutputObjectPath"


def _path_error(message: str) -> BadInputError:
    return BadInputError(message, code=_PATH_CODE)


def _check_path_text(text: str, what: str) -> None:
    for ch in text:
        if not (ch.isalnum() or ch in "_-./=") or not ch.isprintable():
            raise _path_error(f"{what} contains {ch!r}; use letters, digits, '_', '-', '.', '=' and '/'")
    if text.startswith("/"):
        raise _path_error(f"{what} must be relative to the output directory (no leading '/')")
    if text.endswith("/"):
        raise _path_error(f"{what} must name a file, not end with '/'")
    for segment in text.split("/"):
        if not segment:
            raise _path_error(f"{what} has an empty folder name ('//')")
        if segment.startswith("."):
            raise _path_error(f"{what} has a name starting with '.' ({segment!r})")


def validate_object_path(pattern: Any, *, require_number: bool = False) -> str:
    """An MPS OutputObjectPath pattern, checked: {inputName}, {definition}, {number} and {format} only.

    ``require_number`` is for outputs of several files (snapshots, HLS segments), which would
    overwrite each other without ``{number}``.
    """
    if not isinstance(pattern, str) or not pattern:
        raise _path_error(f"the output object path must be a non-empty string, got {shown(pattern)}")
    if len(pattern) > MAX_OBJECT_PATH:
        raise _path_error(f"the output object path has {len(pattern)} characters; the limit is {MAX_OBJECT_PATH}")
    if ".." in pattern:
        raise _path_error("the output object path must not contain '..'")
    used = _PLACEHOLDER_RE.findall(pattern)
    for name in used:
        if name not in OBJECT_PATH_PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in OBJECT_PATH_PLACEHOLDERS)
            raise _path_error(f"unknown placeholder {{{name}}} in the output object path; use {known}")
    literal = _PLACEHOLDER_RE.sub("x", pattern)
    if "{" in literal or "}" in literal:
        raise _path_error("the output object path has an unmatched '{' or '}'")
    _check_path_text(literal, "the output object path")
    if require_number and "number" not in used:
        raise _path_error("this output has several files, so its path needs {number} to tell them apart")
    return pattern


def render_object_path(pattern: str, *, input_name: str, definition: int, number: int | None, fmt: str) -> str:
    """The object path for one output file, from an MPS-style pattern."""
    validate_object_path(pattern)
    values = {
        "inputName": input_name,
        "definition": str(definition),
        "format": fmt,
        "number": None if number is None else str(number),
    }

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if value is None:
            raise _path_error("the output object path uses {number}, but this output is a single file")
        return value

    path = _PLACEHOLDER_RE.sub(fill, pattern)
    if len(path) > 1024 or any(seg == ".." for seg in path.split("/")):
        raise _path_error(f"the output object path renders to an unusable name: {shown(path)}")
    _check_path_text(path, "the rendered output object path")
    return path
