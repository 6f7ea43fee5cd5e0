"""The analysis description in plain sentences, in English and in Chinese.

One list of facts (a sentence code and its numbers) is written out in each language from its own
table, so the two always say the same thing; the console shows the one of its language. Text read
off the picture (OCR) is quoted as found, in either language.
"""

from __future__ import annotations

from typing import Any

from shared.media.ffmpeg.probe import MediaInfo

Fact = tuple[str, dict[str, Any]]

_EN = {
    "video_sound": "{duration} s {width}x{height} video with sound.",
    "video_silent": "{duration} s {width}x{height} video without sound.",
    "audio": "{duration} s audio.",
    "one_shot": "One continuous shot.",
    "scenes": "{n} scenes (cuts at {cuts}).",
    "most_active": "Most active part: {start}-{end} s.",
    "black": "{n} black segment(s), {total} s in all.",
    "silence": "{n} silent stretch(es), {total} s in all.",
    "loudness": "Loudness {integrated} LUFS.",
    "loudness_range": "Loudness {integrated} LUFS, range {range} LU.",
    "silent_track": "The sound track is silent.",
    "text": "On-screen text: {texts}.",
    "text_tags": "Text tags: {tags}.",
    "cover": "Cover taken at {time} s.",
}
_ZH = {
    "video_sound": "{duration} 秒 {width}x{height} 视频，有声音。",
    "video_silent": "{duration} 秒 {width}x{height} 视频，无声音。",
    "audio": "{duration} 秒音频。",
    "one_shot": "一个连续镜头。",
    "scenes": "{n} 个场景（切换于 {cuts}）。",
    "most_active": "最活跃的部分：{start}–{end} 秒。",
    "black": "{n} 段黑场，共 {total} 秒。",
    "silence": "{n} 段静音，共 {total} 秒。",
    "loudness": "响度 {integrated} LUFS。",
    "loudness_range": "响度 {integrated} LUFS，响度范围 {range} LU。",
    "silent_track": "音轨无声。",
    "text": "画面文字：{texts}。",
    "text_tags": "文字标签：{tags}。",
    "cover": "封面取自 {time} 秒处。",
}
TABLES = {"en": _EN, "zh": _ZH}
_LISTS = {"en": (", ", "; ", " ..."), "zh": ("、", "；", " …")}
_SECONDS = {"en": " s", "zh": " 秒"}


def summary_facts(result: dict[str, Any], info: MediaInfo) -> list[Fact]:
    """What the description says, as (sentence code, values); numbers already rounded as shown."""
    facts: list[Fact] = []
    duration = f"{info.duration:.1f}"
    if info.video is None:
        facts.append(("audio", {"duration": duration}))
    else:
        size = {"duration": duration, "width": info.display_width, "height": info.display_height}
        facts.append(("video_sound" if info.audio is not None else "video_silent", size))
    scenes = result.get("scenes")
    if scenes is not None:
        if len(scenes) <= 1:
            facts.append(("one_shot", {}))
        else:
            cuts = [f"{c:.1f}" for c in result["cuts"][:5]]
            facts.append(("scenes", {"n": len(scenes), "cuts": cuts, "more": len(result["cuts"]) > 5}))
    highlights = result.get("highlights")
    if highlights:
        first = highlights[0]
        facts.append(
            ("most_active", {"start": f"{first['start_time_offset']:.1f}", "end": f"{first['end_time_offset']:.1f}"})
        )
    for code, key in (("black", "black_segments"), ("silence", "silence_segments")):
        spans = result.get(key)
        if spans:
            facts.append((code, {"n": len(spans), "total": f"{sum(s['duration'] for s in spans):.1f}"}))
    loud = result.get("loudness")
    if loud and loud.get("integrated") is not None:
        values = {"integrated": f"{loud['integrated']:.1f}"}
        if loud.get("range") is not None:
            facts.append(("loudness_range", {**values, "range": f"{loud['range']:.1f}"}))
        else:
            facts.append(("loudness", values))
    elif loud is not None and info.audio is not None:
        facts.append(("silent_track", {}))
    texts = result.get("ocr_text")
    if texts:
        quoted = [f'"{t["text"][:40]}"' for t in texts[:3]]
        facts.append(("text", {"texts": quoted, "more": len(texts) > 3}))
    tags = [t["tag"] for t in result.get("tags") or [] if t["source"] == "ocr"][:5]
    if tags:
        facts.append(("text_tags", {"tags": tags}))
    cover = result.get("cover")
    if cover:
        facts.append(("cover", {"time": f"{cover['time_offset']:.1f}"}))
    return facts


def write_summary(facts: list[Fact], lang: str) -> str:
    """The facts as sentences in ``lang`` ("en" or "zh")."""
    table = TABLES[lang]
    comma, semicolon, more = _LISTS[lang]
    sentences = []
    for code, values in facts:
        shown = dict(values)
        if "cuts" in shown:
            cuts = [c + _SECONDS[lang] for c in shown["cuts"]]
            shown["cuts"] = comma.join(cuts) + (more if values.get("more") else "")
        if "texts" in shown:
            shown["texts"] = semicolon.join(shown["texts"]) + (more if values.get("more") else "")
        if "tags" in shown:
            shown["tags"] = comma.join(shown["tags"])
        sentences.append(table[code].format(**shown))
    return ("" if lang == "zh" else " ").join(sentences)


def describe(result: dict[str, Any], info: MediaInfo) -> dict[str, str]:
    """``summary`` (English, what MPS's description carries) and ``summary_zh``."""
    facts = summary_facts(result, info)
    return {"summary": write_summary(facts, "en"), "summary_zh": write_summary(facts, "zh")}
