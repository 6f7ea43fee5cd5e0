"""Validation of custom transcode and snapshot templates, and of output object path patterns."""

from __future__ import annotations

import pytest

from shared.domain.errors import BadInputError
from shared.domain.kinds import get, validate_params
from shared.domain.kinds.checks import dataclass_json as params_to_dict
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS, SnapshotParams, validate_snapshot_params
from shared.domain.kinds.transcode import PRESETS, TranscodeParams
from shared.domain.kinds.transcode_rules import (
    AUDIO_CONTAINERS,
    CONTAINER_AUDIO_CODECS,
    CONTAINER_VIDEO_CODECS,
    CONTAINERS,
    check_transcode_params,
    validate_transcode_params,
)
from shared.domain.object_paths import render_object_path, validate_object_path

pytestmark = pytest.mark.unit


def bad_transcode(data: object, code: str) -> BadInputError:
    with pytest.raises(BadInputError) as err:
        validate_transcode_params(data)  # type: ignore[arg-type]
    assert err.value.code == code, err.value.message
    assert err.value.message and "0x" not in err.value.message
    return err.value


def bad_snapshot(data: object, code: str) -> BadInputError:
    with pytest.raises(BadInputError) as err:
        validate_snapshot_params(data)  # type: ignore[arg-type]
    assert err.value.code == code, err.value.message
    return err.value


# transcode: good ------------------------------------------------------------------------------------


def test_empty_object_gives_the_dataclass_defaults() -> None:
    assert validate_transcode_params({}) == TranscodeParams()
    assert validate_transcode_params(None) == TranscodeParams()


@pytest.mark.parametrize("key", sorted(k for k in PRESETS))
def test_presets_are_valid_and_round_trip(key) -> None:
    params = PRESETS[key].params
    assert isinstance(params, TranscodeParams)
    check_transcode_params(params)
    assert validate_transcode_params(params_to_dict(params)) == params


@pytest.mark.parametrize("container", CONTAINERS)
def test_every_compatible_pair_is_accepted(container) -> None:
    for video in CONTAINER_VIDEO_CODECS.get(container, ("h264",)):
        for audio in CONTAINER_AUDIO_CODECS[container]:
            params = validate_transcode_params({"container": container, "video_codec": video, "audio_codec": audio})
            assert (params.container, params.audio_codec) == (container, audio)
            assert params.remove_video == (container in AUDIO_CONTAINERS)
            # what validation returns reads back unchanged, through either reader
            assert validate_transcode_params(params_to_dict(params)) == params
            assert get("Transcode").from_json(params_to_dict(params)) == params


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        ("webm", ("vp9", "opus", 32, 48000, False)),
        ("mp3", ("h264", "mp3", 23, 44100, True)),
        ("flac", ("h264", "flac", 23, 44100, True)),
        ("ogg", ("h264", "vorbis", 23, 44100, True)),
        ("wav", ("h264", "pcm16", 23, 44100, True)),
        ("m4a", ("h264", "aac", 23, 44100, True)),
        ("mkv", ("h264", "aac", 23, 44100, False)),
    ],
)
def test_defaults_follow_the_container(container, expected) -> None:
    p = validate_transcode_params({"container": container})
    assert (p.video_codec, p.audio_codec, p.crf, p.sample_rate, p.remove_video) == expected


def test_defaults_follow_the_codecs() -> None:
    assert validate_transcode_params({"video_codec": "h265"}).crf == 28
    assert validate_transcode_params({"container": "mkv", "video_codec": "av1"}).crf == 35
    assert validate_transcode_params({"container": "mkv", "audio_codec": "opus"}).sample_rate == 48000
    assert validate_transcode_params({"video_codec": "h265", "crf": 20}).crf == 20
    # lossless audio has no bitrate to set
    assert validate_transcode_params({"container": "flac", "audio_bitrate_kbps": 192}).audio_bitrate_kbps == 0


def test_spellings_are_normalised() -> None:
    p = validate_transcode_params(
        {
            "container": " MP4 ",
            "video_codec": "HEVC",
            "audio_codec": "libmp3lame",
            "width": 1280.0,
            "resolution_adaptive": "close",
            "remove_audio": 0,
            "gop_seconds": 1,
            "encoder_preset": "Medium",
        }
    )
    assert (
        p.container,
        p.video_codec,
        p.audio_codec,
        p.width,
        p.resolution_adaptive,
        p.remove_audio,
        p.gop_seconds,
        p.encoder_preset,
    ) == ("mp4", "h265", "mp3", 1280, False, False, 1.0, "medium")
    assert isinstance(p.width, int) and isinstance(p.gop_seconds, float)


@pytest.mark.parametrize(
    "data",
    [
        {"width": 4096, "height": 2160},
        {"width": 128, "height": 128},
        {"width": 0, "height": 720},
        {"width": 720, "height": 1280, "resolution_adaptive": False},
        {"video_bitrate_kbps": 128},
        {"video_bitrate_kbps": 100000},
        {"crf": 0},
        {"crf": 51},
        {"container": "webm", "crf": 63},
        {"fps": 120},
        {"fps": 0},
        {"gop_seconds": 0},
        {"gop_seconds": 0.5},
        {"gop_seconds": 30},
        {"audio_bitrate_kbps": 0},
        {"audio_bitrate_kbps": 26},
        {"audio_bitrate_kbps": 320},
        {"sample_rate": 0},
        {"sample_rate": 96000},
        {"channels": 0},
        {"channels": 6},
        {"remove_audio": True},
        {"remove_video": True},
        {"container": "flv", "audio_codec": "mp3", "sample_rate": 48000},
        {"container": "mkv", "audio_codec": "opus", "channels": 6, "audio_bitrate_kbps": 320},
        {"container": "hls", "hls_time": 1},
        {"container": "hls", "hls_time": 30},
        # the video settings of a template without video are not checked against the container
        {"container": "flv", "video_codec": "vp9", "remove_video": True},
        {"container": "mp3", "video_codec": "av1", "crf": 60},
        {"container": "mp4", "audio_codec": "flac", "remove_audio": True},
    ],
)
def test_good_values(data) -> None:
    validate_transcode_params(data)


# transcode: bad -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"container": "avi"}, "Container"),
        ({"container": 4}, "Container"),
        ({"video_codec": "vp8"}, "VideoCodec"),
        ({"container": "flv", "video_codec": "h265"}, "VideoCodec"),
        ({"container": "mov", "video_codec": "av1"}, "VideoCodec"),
        ({"container": "mov", "video_codec": "vp9"}, "VideoCodec"),
        ({"container": "webm", "video_codec": "h264"}, "VideoCodec"),
        ({"container": "hls", "video_codec": "vp9"}, "VideoCodec"),
        ({"audio_codec": "ac3"}, "AudioCodec"),
        ({"container": "webm", "audio_codec": "aac"}, "AudioCodec"),
        ({"container": "flv", "audio_codec": "opus"}, "AudioCodec"),
        ({"container": "m4a", "audio_codec": "mp3"}, "AudioCodec"),
        ({"container": "mp3", "audio_codec": "aac"}, "AudioCodec"),
        ({"container": "wav", "audio_codec": "flac"}, "AudioCodec"),
        ({"container": "ogg", "audio_codec": "aac"}, "AudioCodec"),
        ({"container": "hls", "audio_codec": "opus"}, "AudioCodec"),
        ({"container": "mp4", "audio_codec": "pcm16"}, "AudioCodec"),
        ({"width": 127}, "Width"),
        ({"width": 4097}, "Width"),
        ({"width": -1}, "Width"),
        ({"width": "1280"}, "Width"),
        ({"width": True}, "Width"),
        ({"width": 1280.5}, "Width"),
        ({"height": 100}, "Height"),
        ({"width": 720, "height": 1280}, "Width"),  # adaptive: width is the long side
        ({"video_bitrate_kbps": 127}, "VideoBitrateKbps"),
        ({"video_bitrate_kbps": 100001}, "VideoBitrateKbps"),
        ({"crf": 52}, "Crf"),
        ({"crf": -1}, "Crf"),
        ({"container": "webm", "crf": 64}, "Crf"),
        ({"fps": 121}, "Fps"),
        ({"fps": -1}, "Fps"),
        ({"fps": 29.97}, "Fps"),
        ({"gop_seconds": 0.4}, "GopSeconds"),
        ({"gop_seconds": 31}, "GopSeconds"),
        ({"gop_seconds": "2"}, "GopSeconds"),
        ({"gop_seconds": float("nan")}, "GopSeconds"),
        ({"audio_bitrate_kbps": 25}, "AudioBitrateKbps"),
        ({"audio_bitrate_kbps": 321}, "AudioBitrateKbps"),
        ({"container": "mkv", "audio_codec": "opus", "channels": 1, "audio_bitrate_kbps": 300}, "AudioBitrateKbps"),
        ({"sample_rate": 44000}, "SampleRate"),
        ({"sample_rate": 192000}, "SampleRate"),
        ({"container": "mp3", "sample_rate": 96000}, "SampleRate"),
        ({"container": "webm", "sample_rate": 44100}, "SampleRate"),
        ({"container": "flv", "audio_codec": "mp3", "sample_rate": 32000}, "SampleRate"),
        ({"channels": 3}, "Channels"),
        ({"channels": 8}, "Channels"),
        ({"container": "mp3", "channels": 6}, "Channels"),
        ({"remove_audio": True, "remove_video": True}, "RemoveAudio"),
        ({"container": "wav", "remove_audio": True}, "RemoveAudio"),
        ({"remove_audio": "yes"}, "RemoveAudio"),
        ({"remove_video": 2}, "RemoveVideo"),
        ({"resolution_adaptive": "maybe"}, "ResolutionAdaptive"),
        ({"allow_upscale": None}, "AllowUpscale"),
        ({"encoder_preset": "placebo"}, "EncoderPreset"),
        ({"encoder_preset": "insane"}, "EncoderPreset"),
        ({"container": "hls", "hls_time": 0}, "HlsTime"),
        ({"container": "hls", "hls_time": 31}, "HlsTime"),
        ({"hls_time": "10"}, "HlsTime"),
    ],
)
def test_bad_values(data, code) -> None:
    bad_transcode(data, f"InvalidParameterValue.{code}")


def test_messages_say_what_to_do() -> None:
    err = bad_transcode({"container": "flv", "video_codec": "vp9"}, "InvalidParameterValue.VideoCodec")
    assert err.message == "video_codec vp9 cannot go in an flv container; use h264"
    err = bad_transcode({"container": "webm", "audio_codec": "aac"}, "InvalidParameterValue.AudioCodec")
    assert err.message == "audio_codec aac cannot go in a webm container; use opus or vorbis"
    err = bad_transcode({"container": "webm", "sample_rate": 44100}, "InvalidParameterValue.SampleRate")
    assert "not supported by opus" in err.message and "48000" in err.message
    err = bad_transcode({"crf": 52}, "InvalidParameterValue.Crf")
    assert err.message == "crf must be between 0 and 51, got 52"
    err = bad_transcode({"width": 100}, "InvalidParameterValue.Width")
    assert "0 (keep the aspect ratio) or between 128 and 4096" in err.message
    err = bad_transcode({"container": "mp3", "remove_audio": True}, "InvalidParameterValue.RemoveAudio")
    assert "an mp3 file holds only audio" in err.message


def test_unknown_keys_are_named() -> None:
    err = bad_transcode({"container": "mp4", "bitrate": 1000, "Codec": "h264"}, "UnknownParameter")
    assert "Codec, bitrate" in err.message and "video_bitrate_kbps" in err.message


@pytest.mark.parametrize("data", [[], "mp4", 3])
def test_parameters_must_be_an_object(data) -> None:
    bad_transcode(data, "InvalidParameter")


def test_validate_params_dispatches() -> None:
    assert isinstance(validate_params("Transcode", {}), TranscodeParams)
    assert isinstance(validate_params("Snapshot", {}), SnapshotParams)
    with pytest.raises(BadInputError) as err:
        validate_params("Review", {})
    assert err.value.code == "InvalidParameterValue.SubtaskType"


# snapshot -------------------------------------------------------------------------------------------


def test_snapshot_defaults_and_presets() -> None:
    assert validate_snapshot_params({}) == SnapshotParams()
    assert validate_snapshot_params({"kind": "time_offset"}).time_offsets == ("0s",)
    for template in SNAPSHOT_PRESETS.values():
        assert isinstance(template.params, SnapshotParams)
        assert validate_snapshot_params(params_to_dict(template.params)) == template.params


def test_snapshot_good_values() -> None:
    p = validate_snapshot_params(
        {
            "kind": "time_offset",
            "format": "JPEG",
            "width": 16,
            "height": 4096,
            "time_offsets": ["3.5s", " 10% ", 7, 2.25, "0"],
        }
    )
    assert (p.format, p.width, p.height) == ("jpg", 16, 4096)
    assert p.time_offsets == ("3.5s", "10%", "7s", "2.25s", "0")
    assert validate_snapshot_params({"kind": "sampled", "sample_type": "time", "interval": 3600}).interval == 3600
    sprite = validate_snapshot_params(
        {"kind": "sprite", "rows": 20, "columns": 20, "width": 400, "height": 225, "format": "webp"}
    )
    assert (sprite.rows, sprite.columns) == (20, 20)
    validate_snapshot_params({"kind": "time_offset", "time_offsets": ["1s"] * 100})
    # fields of the other kinds are not checked against this kind's rules
    validate_snapshot_params({"kind": "time_offset", "time_offsets": ["1s"], "rows": 50})
    validate_snapshot_params({"kind": "sampled", "rows": 50})


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"kind": "gif"}, "Kind"),
        ({"kind": None}, "Kind"),
        ({"format": "gif"}, "Format"),
        ({"format": "bmp"}, "Format"),
        ({"width": 15}, "Width"),
        ({"width": 4097}, "Width"),
        ({"height": -16}, "Height"),
        ({"height": "80"}, "Height"),
        ({"sample_type": "frames"}, "SampleType"),
        ({"interval": 0}, "Interval"),
        ({"interval": 101}, "Interval"),
        ({"sample_type": "time", "interval": 3601}, "Interval"),
        ({"interval": 2.5}, "Interval"),
        ({"kind": "sprite", "rows": 21}, "Rows"),
        ({"kind": "sprite", "columns": 0}, "Columns"),
        ({"kind": "sprite", "columns": 20, "width": 500}, "Columns"),
        ({"kind": "sprite", "rows": 10, "height": 1000}, "Rows"),
        ({"kind": "time_offset", "time_offsets": []}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": "3s"}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": ["abc"]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": ["101%"]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": ["-1s"]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": [-1]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": [True]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": [float("inf")]}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": ["1s"] * 101}, "TimeOffsets"),
        ({"kind": "time_offset", "time_offsets": ["3s;rm -rf"]}, "TimeOffsets"),
        ({"kind": "sampled", "time_offsets": ["x"]}, "TimeOffsets"),
    ],
)
def test_snapshot_bad_values(data, code) -> None:
    bad_snapshot(data, f"InvalidParameterValue.{code}")


def test_snapshot_messages_and_unknown_keys() -> None:
    err = bad_snapshot({"kind": "sprite", "columns": 20, "width": 500}, "InvalidParameterValue.Columns")
    assert "10000 px wide" in err.message
    err = bad_snapshot({"sample_type": "time", "interval": 7200}, "InvalidParameterValue.Interval")
    assert err.message == "with sample_type time, interval (seconds) must be between 1 and 3600, got 7200"
    err = bad_snapshot({"kind": "sprite", "row_count": 3}, "UnknownParameter")
    assert "row_count" in err.message


# output object paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "{inputName}_transcode_{definition}.{format}",
        "out/{inputName}/{number}.{format}",
        "a-b_c.d=e/f.mp4",
        "视频/{inputName}.{format}",
    ],
)
def test_object_paths_accepted(pattern) -> None:
    assert validate_object_path(pattern) == pattern


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        None,
        5,
        "/abs/{inputName}.{format}",
        "../{inputName}",
        "a/../b.mp4",
        "a..b.mp4",
        "{foo}.mp4",
        "{InputName}.mp4",
        "x{inputName.mp4",
        "x}.mp4",
        "a b.mp4",
        "a;rm.mp4",
        "a\nb.mp4",
        "a//b.mp4",
        "dir/",
        "x" * 201,
        ".hidden/{inputName}.mp4",
        "a/.x.mp4",
        "%d.mp4",
        "a\\b.mp4",
    ],
)
def test_object_paths_refused(pattern) -> None:
    with pytest.raises(BadInputError) as err:
        validate_object_path(pattern)
    assert err.value.code == "InvalidParameterValue.OutputObjectPath"


def test_object_paths_of_several_files_need_a_number() -> None:
    with pytest.raises(BadInputError) as err:
        validate_object_path("{inputName}.{format}", require_number=True)
    assert "{number}" in err.value.message
    validate_object_path("{inputName}_{number}.{format}", require_number=True)


def test_render_object_path() -> None:
    assert (
        render_object_path(
            "{inputName}_transcode_{definition}.{format}", input_name="clip", definition=100030, number=None, fmt="mp4"
        )
        == "clip_transcode_100030.mp4"
    )
    assert (
        render_object_path(
            "snaps/{inputName}/{definition}_{number}.{format}", input_name="a.b", definition=10, number=7, fmt="jpg"
        )
        == "snaps/a.b/10_7.jpg"
    )
    with pytest.raises(BadInputError) as err:
        render_object_path("{inputName}_{number}.mp4", input_name="clip", definition=1, number=None, fmt="mp4")
    assert err.value.code == "InvalidParameterValue.OutputObjectPath"
    for name in ("../x", "a b", ".x", ""):
        with pytest.raises(BadInputError):
            render_object_path(
                "{inputName}/{inputName}.{format}", input_name=name, definition=1, number=None, fmt="mp4"
            )
