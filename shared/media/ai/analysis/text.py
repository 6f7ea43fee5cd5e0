"""Tags for content analysis: from the on-screen text (OCR) and from the container's metadata."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import av
import numpy as np

from shared.media.ai.models import TextLine
from shared.media.ffmpeg.probe import MediaInfo

_MIN_TEXT_SCORE = 0.7
_STOPWORDS = frozenset(
    """
a an and are as at be been but by can do for from had has have he her his i if in into is it its me my no not of
on or our she so than that the their them then there these they this to too us was we were what when where which
who will with you your www com http https now get just all more out very only here also
""".split()
)


# --- text and tags -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def text_segments(
    frames_lines: list[tuple[float, list[TextLine]]], interval: float, duration: float
) -> list[dict[str, Any]]:
    """Each distinct line of on-screen text with the time span it was seen over."""
    open_runs: dict[str, dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    for time, lines in frames_lines:
        seen = set()
        for line in lines:
            key = _norm(line.text)
            if not key or line.score < _MIN_TEXT_SCORE or key in seen:
                continue
            seen.add(key)
            run = open_runs.get(key)
            if run is not None and time - run["last"] <= 1.5 * interval + 1e-6:
                run["last"], run["scores"] = time, run["scores"] + [line.score]
            else:
                if run is not None:
                    done.append(run)
                open_runs[key] = {"text": line.text, "first": time, "last": time, "scores": [line.score]}
    done += open_runs.values()
    out = []
    for run in sorted(done, key=lambda r: (r["first"], r["text"])):
        end = run["last"] + interval / 2
        out.append(
            {
                "start_time_offset": round(max(0.0, run["first"] - interval / 2), 3),
                "end_time_offset": round(min(end, duration) if duration > 0 else end, 3),
                "text": run["text"],
                "confidence": round(100.0 * float(np.mean(run["scores"])), 2),
            }
        )
    return out


_WORD_RE = re.compile(r"[a-z][a-z0-9'’\-]{2,}")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,12}")


def text_tags(frames_lines: list[tuple[float, list[TextLine]]], limit: int) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for _time, lines in frames_lines:
        in_frame: set[str] = set()
        for line in lines:
            if line.score < _MIN_TEXT_SCORE:
                continue
            text = unicodedata.normalize("NFKC", line.text).casefold()
            tokens = [w.strip("'’-") for w in _WORD_RE.findall(text)] + _CJK_RE.findall(text)
            for token in tokens:
                if len(token) < 3 and not _CJK_RE.fullmatch(token) or token in _STOPWORDS or token in in_frame:
                    continue
                in_frame.add(token)
                entry = counts.setdefault(token, {"frames": 0, "scores": []})
                entry["frames"] += 1
                entry["scores"].append(line.score)
    if not counts:
        return []
    most = max(e["frames"] for e in counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1]["frames"], -float(np.mean(kv[1]["scores"])), kv[0]))
    tags = []
    for token, e in ranked[:limit]:
        confidence = float(np.mean(e["scores"])) * (0.5 + 0.5 * e["frames"] / most)
        tags.append(
            {
                "tag": token,
                "confidence": round(100.0 * confidence, 2),
                "special_info": f"ocr:frames={e['frames']}",
                "source": "ocr",
            }
        )
    return tags


_META_KEYS = ("title", "artist", "album", "album_artist", "genre", "show", "keywords", "keyword", "category")


def metadata_tags(src: Path, info: MediaInfo, loudness: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Tags from the container's metadata (title, genre, keywords...) and from what was measured."""
    tags: list[dict[str, Any]] = []

    def add(tag: str, source: str, info_text: str, confidence: float = 100.0) -> None:
        tag = " ".join(tag.split())[:64]
        if tag and all(t["tag"].casefold() != tag.casefold() for t in tags):
            tags.append({"tag": tag, "confidence": confidence, "special_info": info_text, "source": source})

    try:
        with av.open(str(src), options={"protocol_whitelist": "file"}, metadata_errors="replace") as container:
            meta = {str(k).lower(): str(v) for k, v in (container.metadata or {}).items()}
            languages = {str(s.metadata.get("language", "")).lower() for s in container.streams}
    except (av.error.FFmpegError, OSError, UnicodeError):
        meta, languages = {}, set()
    for key in _META_KEYS:
        value = meta.get(key, "").strip()
        if not value:
            continue
        parts = re.split(r"[,;|/]", value) if key in ("keywords", "keyword", "genre", "category") else [value]
        for part in parts:
            add(part, "metadata", f"metadata:{key}")
    for lang in sorted(languages - {"", "und"}):
        add(f"language:{lang}", "metadata", "metadata:language")
    if info.video is not None:
        w, h = info.display_width, info.display_height
        short = min(w, h)
        level = (
            "4K"
            if short >= 2160
            else "2K"
            if short >= 1440
            else "1080p"
            if short >= 1080
            else "720p"
            if short >= 720
            else "SD"
        )
        add(level, "technical", f"resolution:{w}x{h}")
        add("portrait" if h > w else "square" if h == w else "landscape", "technical", f"aspect:{w}x{h}")
        if info.video.fps >= 48:
            add("high-frame-rate", "technical", f"fps:{info.video.fps:g}")
    if info.audio is None:
        add("no-audio", "technical", "audio:none")
    elif loudness is not None and loudness.get("integrated") is None:
        add("silent", "technical", "loudness:silent")
    if info.video is None:
        add("audio-only", "technical", "video:none")
    if info.duration < 60:
        add("short", "technical", f"duration:{info.duration:.0f}s")
    elif info.duration > 1200:
        add("long", "technical", f"duration:{info.duration:.0f}s")
    return tags
