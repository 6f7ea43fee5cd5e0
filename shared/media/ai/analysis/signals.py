"""What content analysis measures in numpy: scene cuts, black frames and motion on the 64x36 thumbnail
stream, highlights, how good a frame is as a cover, and the silent stretches of the audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

SMALL_W, SMALL_H = 64, 36


_BLACK_SHARE = 0.98  # share of black pixels that makes a frame black (ffmpeg blackdetect's default)


# --- the thumbnail stream: cuts, black, motion -----------------------------------------------------


@dataclass(frozen=True)
class Thumbs:
    frames: np.ndarray  # (n, SMALL_H, SMALL_W, 3) uint8
    rate: float  # frames per second
    duration: float  # of the picture


def frame_scores(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step i (frames i-1 -> i): cut score in 0..1 and luma change in percent; index 0 is 0."""
    n = len(frames)
    cut = np.zeros(n)
    motion = np.zeros(n)
    if n < 2:
        return cut, motion
    f = frames.astype(np.float32)
    diff = np.abs(f[1:] - f[:-1]).mean(axis=(1, 2, 3)) / 255.0
    luma = f @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    motion[1:] = np.abs(luma[1:] - luma[:-1]).mean(axis=(1, 2)) / 255.0 * 100.0
    # 16-level histogram per channel and frame, counted in one bincount over offset bins.
    bins = (frames // 16).astype(np.int64).reshape(n, -1, 3)
    offsets = (np.arange(n)[:, None, None] * 3 + np.arange(3)[None, None, :]) * 16
    hists = np.bincount((bins + offsets).ravel(), minlength=n * 3 * 16).reshape(n, 3, 16).astype(np.float64)
    hists /= bins.shape[1]
    hist_diff = 0.5 * np.abs(hists[1:] - hists[:-1]).sum(axis=2).mean(axis=1)
    cut[1:] = 0.5 * np.minimum(1.0, diff / 0.25) + 0.5 * hist_diff
    return cut, motion


def detect_cuts(score: np.ndarray, rate: float, threshold: float, min_scene: float) -> list[int]:
    """Frame indices where a new shot starts: a score over the threshold that also stands out from
    its neighbourhood (so fast motion is not cut into pieces), at least ``min_scene`` s apart."""
    n = len(score)
    window = max(2, int(round(rate)))
    picked: list[int] = []
    for i in range(1, n):
        if score[i] < threshold:
            continue
        lo, hi = max(1, i - window), min(n, i + window + 1)
        around = np.concatenate([score[lo:i], score[i + 1 : hi]])
        base = float(np.median(around)) if len(around) else 0.0
        if score[i] < 2.0 * base + 0.05:
            continue
        if picked and (i - picked[-1]) / rate < min_scene:
            if score[i] > score[picked[-1]]:
                picked[-1] = i
            continue
        picked.append(i)
    return picked


def black_frames(frames: np.ndarray, luma_threshold: float) -> np.ndarray:
    luma = frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    share = (luma < luma_threshold * 255.0).mean(axis=(1, 2))
    return share >= _BLACK_SHARE


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    out = []
    start = None
    for i, value in enumerate(mask):
        if value and start is None:
            start = i
        elif not value and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def scenes_from(cuts: list[int], motion: np.ndarray, rate: float, duration: float) -> list[dict[str, Any]]:
    step = 1.0 / rate
    bounds = [0.0] + [max(0.0, i * step - step / 2) for i in cuts] + [duration]
    starts = [0] + cuts + [len(motion)]
    scenes = []
    for k in range(len(bounds) - 1):
        inner = motion[starts[k] + 1 : starts[k + 1]]
        scenes.append(
            {
                "index": k,
                "start_time_offset": round(bounds[k], 3),
                "end_time_offset": round(bounds[k + 1], 3),
                "duration": round(bounds[k + 1] - bounds[k], 3),
                "motion": round(float(inner.mean()), 3) if len(inner) else 0.0,
            }
        )
    return scenes


def pick_highlights(
    activity: np.ndarray, rate: float, duration: float, length: float, count: int, scenes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``count`` most active non-overlapping windows of ``length`` seconds."""
    n = len(activity)
    if n < 2:
        return []
    w = max(1, min(n, int(round(length * rate))))
    sums = np.convolve(activity, np.ones(w), mode="valid") / w  # sums[j]: window of steps j..j+w-1
    taken = np.zeros(len(sums), dtype=bool)
    picked: list[tuple[int, float]] = []
    for _ in range(count):
        masked = np.where(taken, -1.0, sums)
        j = int(np.argmax(masked))
        if masked[j] <= 0.05:  # below 0.05 % change per step: nothing moves
            break
        last = j  # equally busy windows side by side: take the middle one, centred on the action
        while last + 1 < len(masked) and masked[last + 1] >= masked[j] - 1e-9:
            last += 1
        j = (j + last) // 2
        picked.append((j, float(sums[j])))
        taken[max(0, j - w + 1) : j + w] = True
    if not picked:
        return []
    best = max(v for _, v in picked)
    out = []
    step = 1.0 / rate
    for j, value in picked:
        start = max(0.0, j * step - step / 2)
        end = min(duration, start + length) if duration > 0 else start + length
        mid = (start + end) / 2
        scene = next((s["index"] for s in scenes if s["start_time_offset"] <= mid < s["end_time_offset"]), None)
        out.append(
            {
                "start_time_offset": round(start, 3),
                "end_time_offset": round(end, 3),
                "activity": round(value, 3),
                "confidence": round(100.0 * value / best, 2),
                "scene_index": scene,
            }
        )
    return out


# --- cover ---------------------------------------------------------------------------------------


def cover_scores(images: list[np.ndarray]) -> list[dict[str, float]]:
    """Sharpness (variance of the Laplacian), exposure and contrast of each candidate; score 0..1."""

    stats = []
    for image in images:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape
        gray = cv2.resize(gray, (480, max(2, round(480 * h / w))), interpolation=cv2.INTER_AREA)
        mean, std = float(gray.mean()), float(gray.std())
        clipped = float(((gray < 10) | (gray > 245)).mean())
        stats.append(
            {
                "sharpness": float(cv2.Laplacian(gray, cv2.CV_64F).var()),
                "mean": mean,
                "contrast": std,
                "clipped": clipped,
            }
        )
    median_sharp = float(np.median([s["sharpness"] for s in stats])) if stats else 0.0
    for s in stats:
        exposure = max(0.0, 1.0 - abs(s["mean"] - 120.0) / 120.0) * (1.0 - s["clipped"])
        contrast = min(1.0, s["contrast"] / 60.0)
        sharp = s["sharpness"] / (s["sharpness"] + median_sharp + 1e-6)
        s["exposure"] = exposure
        s["score"] = 0.0 if s["mean"] < 16 else exposure * (0.3 + 0.7 * contrast) * (0.2 + 0.8 * sharp)
    return stats


# --- audio ---------------------------------------------------------------------------------------

_SIL_START = re.compile(r"silence_start:\s*(-?[\d.]+)")
_SIL_END = re.compile(r"silence_end:\s*(-?[\d.]+)")


def parse_silence(log: str, duration: float) -> list[dict[str, float]]:
    out = []
    start: float | None = None
    for line in log.splitlines():
        if "silencedetect" not in line:
            continue
        if (m := _SIL_START.search(line)) is not None:
            start = max(0.0, float(m.group(1)))
        elif (m := _SIL_END.search(line)) is not None and start is not None:
            end = float(m.group(1))
            out.append(
                {
                    "start_time_offset": round(start, 3),
                    "end_time_offset": round(end, 3),
                    "duration": round(end - start, 3),
                }
            )
            start = None
    if start is not None and duration > start:
        out.append(
            {
                "start_time_offset": round(start, 3),
                "end_time_offset": round(duration, 3),
                "duration": round(duration - start, 3),
            }
        )
    return out
