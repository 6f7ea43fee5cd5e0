"""Loudness and level measurements from ffmpeg's ebur128, loudnorm and astats reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import EngineError
from shared.media.ai.decode import run_decode
from shared.media.ai.run import Deadline
from shared.media.ffmpeg.command import base_argv
from shared.media.ffmpeg.runner import ffmpeg_exe

_SUMMARY_RE = re.compile(r"\[Parsed_ebur128_\d+ @ [^\]]*\] Summary:")


def parse_ebur128(log: str) -> dict[str, float | None] | None:
    """The last ebur128 summary in a log: integrated loudness, range, true peak (None when silent)."""
    starts = [m.end() for m in _SUMMARY_RE.finditer(log)]
    if not starts:
        return None
    block = log[starts[-1] :]

    def value(label: str) -> float | None:
        m = re.search(rf"^\s*{label}:\s*(-?(?:\d+(?:\.\d+)?|inf))\s", block, re.MULTILINE)
        if m is None or "inf" in m.group(1):
            return None
        return float(m.group(1))

    integrated = value("I")
    silent = integrated is None or integrated <= -70.0
    peak = value("Peak")
    return {
        "integrated": None if silent else integrated,
        "range": None if silent else value("LRA"),
        "true_peak": None if peak is None or peak < -150 else peak,
        "threshold": None if silent else value("Threshold"),
    }


def parse_loudnorm_json(log: str) -> dict[str, Any]:
    """The JSON block loudnorm prints with print_format=json (the last one in the log)."""
    start = log.rfind("{")
    end = log.find("}", start)
    if start < 0 or end < 0:
        raise EngineError("loudnorm printed no measurement", code=media_errors.ENGINE_FAILED, log_tail=log[-4000:])
    try:
        data = json.loads(log[start : end + 1])
    except json.JSONDecodeError as exc:
        raise EngineError(
            f"unreadable loudnorm measurement: {exc}", code=media_errors.ENGINE_FAILED, log_tail=log[-4000:]
        ) from exc
    return data


def parse_astats(log: str) -> dict[str, float | None]:
    """Overall peak, RMS and noise-floor levels (dBFS) from astats' closing report."""
    out: dict[str, float | None] = {}
    for key, label in (
        ("peak_level", "Peak level dB"),
        ("rms_level", "RMS level dB"),
        ("noise_floor", "Noise floor dB"),
    ):
        found = re.findall(rf"\] {label}: (-?(?:\d+(?:\.\d+)?|inf))", log)
        value = found[-1] if found else None
        out[key] = None if value is None or "inf" in value else round(float(value), 2)
    return out


def measure_loudness(src: Path, deadline: Deadline) -> dict[str, float | None]:
    """EBU R128 integrated loudness (LUFS), loudness range (LU), true peak (dBTP), and astats' RMS level
    and noise floor (dBFS) of the first audio stream."""
    argv = base_argv(ffmpeg_exe()) + [
        "-vn",
        "-sn",
        "-dn",
        "-i",
        str(src),
        "-map",
        "0:a:0",
        "-af",
        "ebur128=peak=true:framelog=quiet,astats=measure_perchannel=none:"
        "measure_overall=Noise_floor+RMS_level+Peak_level",
        "-f",
        "null",
        "-",
    ]
    log = run_decode(
        argv, deadline, duration_hint=None, on_progress=None, log_lines=80, what="measuring loudness"
    ).log_tail
    parsed = parse_ebur128(log)
    if parsed is None:
        raise EngineError("ebur128 printed no summary", code=media_errors.ENGINE_FAILED, log_tail=log)
    stats = parse_astats(log)
    return parsed | {"rms_level": stats["rms_level"], "noise_floor": stats["noise_floor"]}
