"""What the denoise step did on its own, for chains that sharpen after it.

Sharpening (unsharp, or the upscaler's adaptive sharpening) raises the grain denoising left along
with the detail, so the output's noise does not say whether denoising worked: a clean input can
come out "noisier" (0.37 -> 0.46). The same frames of the input are put through the denoise filter
alone and measured like the others. Each frame is reached after a short run-up of frames through
the filter, so a temporal denoiser (hqdn3d) has the history it has in the real encode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.media.ai.decode import run_decode, safe_times
from shared.media.ai.enhance.measure import noise_sigma
from shared.media.ai.run import Deadline
from shared.media.ffmpeg.command import INPUT_GUARD, base_argv, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe

RUN_UP_SECONDS = 0.5
_SHARPENING = {"sharpen", "super_resolution"}


def sharpened_denoise(operations: list[dict[str, str]]) -> str | None:
    """The denoise filter of a chain that sharpens after it, else None."""
    names = [op["name"] for op in operations]
    if "denoise" not in names:
        return None
    at = names.index("denoise")
    return operations[at]["filter"] if _SHARPENING & set(names[at + 1 :]) else None


def run_up_argv(
    src: Path, info: MediaInfo, times: list[float], size: tuple[int, int], denoise: str, out: list[Path]
) -> list[str]:
    """One input per time, seeked ``RUN_UP_SECONDS`` early; each output keeps the frame at its time."""
    fps = info.video.fps if info.video and info.video.fps else 25.0
    w, h = size
    argv = base_argv(ffmpeg_exe())
    starts = [max(0.0, t - RUN_UP_SECONDS) for t in times]
    for i, start in enumerate(starts):
        argv += ([] if i == 0 else INPUT_GUARD) + ["-threads", "1", "-ss", fmt_seconds(start), "-i", str(src)]
    for i, (t, start) in enumerate(zip(times, starts, strict=True)):
        skip = int(round((t - start) * fps))
        vf = f"{denoise},select=gte(n\\,{skip}),scale={w}:{h}:flags=area,format=gray"
        argv += ["-map", f"{i}:V:0", "-vf", vf, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", str(out[i])]
    return argv


def measure_denoise_step(
    src: Path,
    info: MediaInfo,
    size: tuple[int, int],
    times: list[float],
    work: Path,
    deadline: Deadline,
    denoise: str,
) -> dict[str, Any]:
    """Noise of the input's frames at ``times`` after the denoise filter alone (mean and per frame)."""
    times = safe_times(info, times)
    out = [work / f"denoised_{n}.gray" for n in range(len(times))]
    run_decode(
        run_up_argv(src, info, times, size, denoise, out),
        deadline,
        duration_hint=None,
        on_progress=None,
        what="measuring the denoise step",
    )
    w, h = size
    per_frame = []
    for path in out:
        data = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
        if data.size != w * h:
            raise MediaError("a frame could not be decoded for measuring", code=media_errors.MEDIA_TRUNCATED)
        per_frame.append(round(noise_sigma(data.reshape(h, w)), 4))
        path.unlink()
    return {"noise": round(float(np.mean(per_frame)), 4), "noise_frames": per_frame, "filter": denoise}
