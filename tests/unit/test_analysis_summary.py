"""The analysis description: the same facts in English and in Chinese."""

from __future__ import annotations

import re

import pytest

from shared.media.ai.analysis.summary import TABLES, describe
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream

pytestmark = pytest.mark.unit


def media(video: bool = True, audio: bool = True) -> MediaInfo:
    return MediaInfo(
        container="mp4",
        duration=12.04,
        size=1,
        bitrate=1,
        video=VideoStream("h264", 640, 360, 25.0, None, 0, 12.0) if video else None,
        audio=AudioStream("aac", 44100, 2, None, 12.0) if audio else None,
    )


FULL = {
    "scenes": [{}, {}, {}],
    "cuts": [2.0, 4.0],
    "highlights": [{"start_time_offset": 4.0, "end_time_offset": 6.5}],
    "black_segments": [{"duration": 1.0}],
    "silence_segments": [{"duration": 0.5}, {"duration": 1.0}],
    "loudness": {"integrated": -23.04, "range": 4.0},
    "ocr_text": [{"text": "Summer Sale Festival"}],
    "tags": [{"tag": "sale", "source": "ocr"}, {"tag": "short", "source": "metadata"}],
    "cover": {"time_offset": 4.2},
}


def test_the_english_summary_reads_as_before() -> None:
    summary = describe(FULL, media())["summary"]
    assert summary == (
        "12.0 s 640x360 video with sound. 3 scenes (cuts at 2.0 s, 4.0 s). Most active part: 4.0-6.5 s. "
        "1 black segment(s), 1.0 s in all. 2 silent stretch(es), 1.5 s in all. Loudness -23.0 LUFS, range 4.0 LU. "
        'On-screen text: "Summer Sale Festival". Text tags: sale. Cover taken at 4.2 s.'
    )


def test_the_chinese_summary_says_the_same_in_chinese() -> None:
    zh = describe(FULL, media())["summary_zh"]
    assert zh.startswith("12.0 秒 640x360 视频，有声音。3 个场景（切换于 2.0 秒、4.0 秒）。")
    assert "响度 -23.0 LUFS，响度范围 4.0 LU。" in zh and '画面文字："Summer Sale Festival"。' in zh
    # no English words but the quoted on-screen text, the OCR tag and units
    words = set(re.findall(r"[A-Za-z]{2,}", zh.replace('"Summer Sale Festival"', "")))
    assert words <= {"LUFS", "LU", "sale"}, words
    assert describe({"loudness": {"integrated": None}}, media(video=False))["summary_zh"] == "12.0 秒音频。音轨无声。"
    one_shot = describe({"scenes": [{}]}, media(audio=False))["summary_zh"]
    assert one_shot == "12.0 秒 640x360 视频，无声音。一个连续镜头。"


def test_both_tables_know_every_sentence() -> None:
    assert TABLES["en"].keys() == TABLES["zh"].keys()
