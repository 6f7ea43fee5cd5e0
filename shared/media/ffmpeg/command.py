"""What every ffmpeg command line is built from: the global options and input guard, checked paths
and output stems, and times as ffmpeg reads them (pure, no I/O).
"""

from __future__ import annotations

import re
from pathlib import Path

from shared.domain.errors import BadInputError
from shared.domain.kinds.snapshot import TIME_OFFSET_RE

INPUT_GUARD = ["-protocol_whitelist", "file,pipe"]


_OFFSET_RE = TIME_OFFSET_RE
# Letters and digits of any script (MPS keeps a Chinese {inputName}), "_", "-", ".": no path
# separators, no "%" (ffmpeg patterns), no leading "-" (options) or "." (hidden files).
_STEM_RE = re.compile(r"^\w[\w.-]{0,200}$")


def base_argv(ffmpeg: str) -> list[str]:
    """The global options every ffmpeg run starts with (the first input's guard included)."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", *INPUT_GUARD]


def check_paths(src: str | Path, out_dir: str | Path, stem: str) -> None:
    """Programming errors, not user errors: the caller must pass sanitized values."""
    if not Path(src).is_absolute() or not Path(out_dir).is_absolute():
        raise ValueError("ffmpeg paths must be absolute")
    if "%" in str(out_dir):
        raise ValueError("the output directory must not contain '%' (ffmpeg expands it in patterns)")
    if not _STEM_RE.match(stem):
        raise ValueError(f"unsafe output stem {stem!r}")


def fmt_seconds(value: float) -> str:
    """A time for the command line: plain decimal, millisecond precision ("1e-05" is rejected)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_time_offset(text: str, duration: float) -> float:
    """Seconds from "3.5s", "3.5" or "10%" (of ``duration``); not yet clamped to the media."""
    match = _OFFSET_RE.match(str(text).strip()) if len(str(text)) <= 32 else None
    if match is None:
        raise BadInputError(
            f"invalid time offset {text!r}; expected seconds like '3.5s' or a percentage like '10%'",
            code="InvalidParameterValue.TimeOffset",
        )
    value = float(match.group(1))
    if match.group(2) == "%":
        if value > 100:
            raise BadInputError(
                f"invalid time offset {text!r}: a percentage must be at most 100%",
                code="InvalidParameterValue.TimeOffset",
            )
        return duration * value / 100.0
    return value
