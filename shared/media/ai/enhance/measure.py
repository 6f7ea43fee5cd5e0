"""Before/after measurements of an enhancement: noise, shake, loudness, and how they changed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.enhancement import EnhanceParams
from shared.media.ai.decode import fit_size, grab_frames, rate_text, run_decode
from shared.media.ai.enhance.plan import Plan
from shared.media.ai.loudness import measure_loudness
from shared.media.ai.run import Deadline, r3
from shared.media.contract import Progress
from shared.media.ffmpeg.command import base_argv
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe

NOISE_FRAMES = 8
NOISE_LONG_SIDE = 1280
SHAKE_LONG_SIDE = 160
SHAKE_MAX_FPS = 30.0
SHAKE_MIN_RESPONSE = 0.2  # phase-correlation peak below which a step's motion is not trusted


# --- measurements --------------------------------------------------------------------------------


def noise_sigma(gray: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (standard deviation in 8-bit levels) away from strong edges."""

    f = gray.astype(np.float32)
    if f.shape[0] < 8 or f.shape[1] < 8:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    residual = np.abs(cv2.filter2D(f, cv2.CV_32F, kernel))[1:-1, 1:-1]
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
    magnitude = np.abs(gx) + np.abs(gy)
    flat = magnitude <= np.percentile(magnitude, 90)
    values = residual[flat] if np.any(flat) else residual
    return float(math.sqrt(math.pi / 2) / 6.0 * values.mean())


def sharpness(gray: np.ndarray) -> float:
    """Mean gradient magnitude on the strongest tenth of the picture's edges (8-bit levels per pixel):
    what sharpening raises, kept apart from the noise, which it raises too."""

    f = gray.astype(np.float32)
    if f.shape[0] < 8 or f.shape[1] < 8:
        return 0.0
    magnitude = np.hypot(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3))
    edges = magnitude[magnitude >= np.percentile(magnitude, 90)]
    return float(edges.mean()) if edges.size else 0.0


def measure_noise(
    src: Path,
    info: MediaInfo,
    size: tuple[int, int],
    times: list[float],
    work: Path,
    prefix: str,
    deadline: Deadline,
    chain: str | None = None,
) -> tuple[list[float], list[float]]:
    """Noise and sharpness of the frames at ``times``, each put through ``chain`` (an ffmpeg filter
    chain, if given) and scaled (area) to ``size`` first."""
    w, h = size
    vf = f"{chain + ',' if chain else ''}scale={w}:{h}:flags=area,format=gray"
    paths = grab_frames(src, info, times, work, prefix, deadline=deadline, raw_gray=True, vf=vf)
    sigmas, sharp = [], []
    for path in paths:
        data = np.fromfile(path, dtype=np.uint8)
        if data.size != w * h:
            raise MediaError("a frame could not be decoded for measuring", code=media_errors.MEDIA_TRUNCATED)
        sigmas.append(round(noise_sigma(data.reshape(h, w)), 4))
        sharp.append(round(sharpness(data.reshape(h, w)), 3))
        path.unlink()
    return sigmas, sharp


def shake_from_frames(frames: np.ndarray, rate: float) -> dict[str, float | int | None]:
    """Camera shake from the global motion between consecutive frames (phase correlation).

    ``jitter``: RMS of the frame-to-frame motion minus its 1 s running average, in percent of the
    picture's long side per frame: a steady pan scores 0, a shaking camera high. Steps whose correlation is weak
    (scene cuts, moving objects, flat pictures) are left out rather than guessed.
    """

    n = len(frames)
    height, width = frames.shape[1:3] if n else (0, 0)
    if n < 3:
        return {"jitter": None, "mean_motion": None, "steps_used": 0}
    window = cv2.createHanningWindow((width, height), cv2.CV_64F)
    moves = np.full((n - 1, 2), np.nan)
    textured = frames.reshape(n, -1).std(axis=1) >= 2.0  # a flat picture shows no motion at all
    prev = frames[0].astype(np.float64)
    for i in range(1, n):
        cur = frames[i].astype(np.float64)
        if textured[i - 1] and textured[i]:
            (dx, dy), response = cv2.phaseCorrelate(prev, cur, window)
            if response >= SHAKE_MIN_RESPONSE and abs(dx) <= 0.15 * width and abs(dy) <= 0.15 * height:
                moves[i - 1] = (dx, dy)
        prev = cur
    valid = ~np.isnan(moves[:, 0])
    if valid.sum() < 3:
        return {"jitter": None, "mean_motion": None, "steps_used": int(valid.sum())}
    filled = np.where(valid[:, None], moves, 0.0)
    k = max(3, int(round(rate)) | 1)
    pad = k // 2
    padded = np.pad(filled, ((pad, pad), (0, 0)), mode="edge")
    smooth = np.stack([np.convolve(padded[:, c], np.ones(k) / k, mode="valid") for c in range(2)], axis=1)
    residual = (filled - smooth)[valid]
    jitter = float(np.sqrt((residual**2).sum(axis=1).mean()))
    side = max(width, height)
    return {
        "jitter": round(100.0 * jitter / side, 4),
        "mean_motion": round(100.0 * float(np.linalg.norm(moves[valid], axis=1).mean()) / side, 4),
        "steps_used": int(valid.sum()),
    }


def measure_shake(
    src: Path, info: MediaInfo, work: Path, prefix: str, deadline: Deadline, on_progress: Progress | None
) -> dict[str, float | int | None]:
    fps = min(info.video.fps if info.video and info.video.fps else 25.0, SHAKE_MAX_FPS)
    w, h = fit_size(info.display_width, info.display_height, SHAKE_LONG_SIDE)
    raw = work / f"{prefix}.gray"
    argv = base_argv(ffmpeg_exe()) + [
        "-i",
        str(src),
        "-map",
        "0:V:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"fps={rate_text(fps)},scale={w}:{h}:flags=area,format=gray",
        "-f",
        "rawvideo",
        str(raw),
    ]
    run_decode(
        argv, deadline, duration_hint=info.video_end or None, on_progress=on_progress, what="measuring camera shake"
    )
    data = np.fromfile(raw, dtype=np.uint8)
    raw.unlink()
    n = data.size // (w * h)
    return shake_from_frames(data[: n * w * h].reshape(n, h, w), fps)


def noise_plan(info: MediaInfo) -> tuple[tuple[int, int], list[float]]:
    size = fit_size(info.display_width, info.display_height, NOISE_LONG_SIDE)
    end = info.video_end
    times = [end * (k + 0.5) / NOISE_FRAMES for k in range(NOISE_FRAMES)]
    return size, times


def measure(
    path: Path,
    info: MediaInfo,
    params: EnhanceParams,
    plan: Plan,
    work: Path,
    prefix: str,
    deadline: Deadline,
    noise_size: tuple[int, int] | None,
    noise_times: list[float],
    on_progress: Progress | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "width": info.display_width if info.video else None,
        "height": info.display_height if info.video else None,
        "fps": info.video.fps if info.video else None,
        "duration": round(info.duration, 3),
        "bitrate": info.bitrate,
        "video_codec": info.video.codec if info.video else None,
        "audio_codec": info.audio.codec if info.audio else None,
        "sample_rate": info.audio.sample_rate if info.audio else None,
    }
    if info.video is not None and noise_size is not None:
        per_frame, sharp = measure_noise(path, info, noise_size, noise_times, work, prefix, deadline)
        values["noise"] = round(float(np.mean(per_frame)), 4)  # the mean: grainy passages must count
        values["noise_frames"] = per_frame
        values["sharpness"] = round(float(np.mean(sharp)), 3)
    if info.audio is not None:
        values["loudness"] = {k: r3(v) for k, v in measure_loudness(path, deadline).items()}
    if plan.stabilize and info.video is not None:
        values["shake"] = measure_shake(path, info, work, prefix + "_shake", deadline, on_progress)
    return values


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def pair(name: str, a: Any, b: Any) -> None:
        if a is None and b is None:
            return
        entry: dict[str, Any] = {"before": a, "after": b}
        if isinstance(a, int | float) and isinstance(b, int | float):
            entry["delta"] = round(b - a, 4)
        out[name] = entry

    if before.get("width") is not None:
        pair("resolution", f"{before['width']}x{before['height']}", f"{after.get('width')}x{after.get('height')}")
        pair("fps", before.get("fps"), after.get("fps"))
    if "noise" in before:
        denoised = after.get("denoised")
        if denoised:
            # Sharpening after denoising raises the grain left in the output along with the detail;
            # the figure that says whether denoising worked is the one before sharpening.
            pair("noise", before.get("noise"), denoised.get("noise"))
            out["noise"]["measured"] = "after_denoise_before_sharpen"
            pair("output_noise", before.get("noise"), after.get("noise"))
        else:
            pair("noise", before.get("noise"), after.get("noise"))
    if "sharpness" in before:
        pair("sharpness", before.get("sharpness"), after.get("sharpness"))
    if "loudness" in before:
        lb, la = before["loudness"], after.get("loudness") or {}
        pair("integrated_loudness", lb.get("integrated"), la.get("integrated"))
        pair("loudness_range", lb.get("range"), la.get("range"))
        pair("true_peak", lb.get("true_peak"), la.get("true_peak"))
        pair("noise_floor", lb.get("noise_floor"), la.get("noise_floor"))
    if "shake" in before:
        pair("shake_jitter", before["shake"].get("jitter"), (after.get("shake") or {}).get("jitter"))
    return out
