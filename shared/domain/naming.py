"""Output object names, following MPS's default OutputObjectPath patterns.

Object keys are user input; everything here turns them into names safe for local files and
ffmpeg arguments (no separators, no '%', no leading '-' or '.').
"""

from __future__ import annotations

import posixpath

from shared.domain import kinds

INPUT_EXTENSIONS = {
    "mp4",
    "mov",
    "mkv",
    "avi",
    "flv",
    "webm",
    "ts",
    "m4v",
    "mp3",
    "wav",
    "m4a",
    "aac",
    "flac",
    "ogg",
    "3gp",
    "mpg",
    "mpeg",
    "wmv",
    "m2ts",
    "mts",
    "opus",
}


def safe_name(text: str, limit: int = 80) -> str:
    cleaned = "".join(c if (c.isalnum() or c in "_-.") else "_" for c in text)
    cleaned = cleaned.lstrip("-.")[:limit]
    return cleaned or "media"


def input_name(key: str) -> str:
    """MPS's {inputName}: the file name without its extension."""
    base = posixpath.basename(key.rstrip("/"))
    stem, _ext = posixpath.splitext(base)
    return safe_name(stem or base)


def input_suffix(key: str) -> str:
    """A local file suffix for the input: its own if it is a known media type (helps ffmpeg
    pick a demuxer), else none (ffmpeg probes the content)."""
    ext = posixpath.splitext(key)[1].lower().lstrip(".")
    return f".{ext}" if ext in INPUT_EXTENSIONS else ""


def output_stem(subtask_type: str, variant: str, key: str, definition: int) -> str:
    """MPS's default name of a subtask's outputs, without the number and the extension."""
    pattern = kinds.get(subtask_type).stem(variant)
    return pattern.format(name=input_name(key), definition=definition)
