"""The pure ffmpeg argv builders: sizes, offsets, names and the exact options they produce."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import media_errors
from shared.domain.errors import BadInputError, MediaError
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS, SnapshotParams
from shared.domain.kinds.transcode import PRESETS, TranscodeParams
from shared.domain.kinds.transcode_rules import validate_transcode_params
from shared.domain.sprite_track import SpriteCue, parse_sprite_webvtt, sprite_webvtt
from shared.media.ffmpeg.argv import plan_dimensions, transcode_argv
from shared.media.ffmpeg.command import parse_time_offset
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream
from shared.media.ffmpeg.runner import with_progress
from shared.media.ffmpeg.snapshot_argv import snapshot_plan

pytestmark = pytest.mark.unit

FF = "/opt/ffmpeg"
SRC = "/data/in/source.mp4"
OUT = "/data/out"
PREFIX = [FF, "-hide_banner", "-nostdin", "-y", "-protocol_whitelist", "file,pipe"]


def info(
    w: int = 1920,
    h: int = 1080,
    fps: float = 25.0,
    rotation: int = 0,
    duration: float = 20.0,
    video: bool = True,
    audio: bool = True,
    sample_rate: int = 48000,
    channels: int = 2,
) -> MediaInfo:
    v = VideoStream("h264", w, h, fps, 2_000_000, rotation, duration) if video else None
    a = AudioStream("aac", sample_rate, channels, 128_000, duration) if audio else None
    return MediaInfo("mov,mp4,m4a,3gp,3g2,mj2", duration, 5_000_000, 2_128_000, v, a)


def value_after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def preset(definition: int) -> TranscodeParams:
    params = PRESETS[("Transcode", definition)].params
    assert isinstance(params, TranscodeParams)
    return params


# plan_dimensions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "params", "adaptive", "upscale", "expected"),
    [
        ((1920, 1080), (0, 720), True, False, (1280, 720)),
        ((1080, 1920), (0, 720), True, False, (720, 1280)),  # portrait: 720 is the short side
        ((1080, 1920), (0, 720), False, False, (406, 720)),  # not adaptive: 720 is the height
        ((640, 360), (0, 720), True, False, (640, 360)),  # never upscale
        ((640, 360), (0, 720), True, True, (1280, 720)),
        ((641, 361), (0, 0), True, False, (640, 360)),  # source size, made even
        ((1000, 563), (0, 360), True, False, (640, 360)),
        ((1920, 1080), (1280, 0), True, False, (1280, 720)),
        ((1920, 1080), (640, 480), True, False, (640, 480)),  # both given: exactly that
        ((1080, 1920), (1280, 720), True, False, (720, 1280)),
        ((1280, 720), (1920, 1080), True, False, (1280, 720)),
    ],
)
def test_plan_dimensions(src, params, adaptive, upscale, expected) -> None:
    assert plan_dimensions(*src, *params, adaptive, upscale) == expected


def test_plan_dimensions_rejects_negative() -> None:
    with pytest.raises(BadInputError):
        plan_dimensions(640, 360, -1, 0, True, False)


sizes = st.integers(min_value=2, max_value=8000)
targets = st.one_of(st.just(0), st.integers(min_value=2, max_value=8000))


@given(sizes, sizes, targets, targets, st.booleans(), st.booleans())
def test_plan_dimensions_properties(src_w, src_h, pw, ph, adaptive, upscale) -> None:
    w, h = plan_dimensions(src_w, src_h, pw, ph, adaptive, upscale)
    assert w % 2 == 0 and h % 2 == 0 and w >= 2 and h >= 2
    if not upscale:
        assert w <= max(2, src_w) and h <= max(2, src_h)
    if pw == 0 or ph == 0:  # the aspect ratio is the source's, up to rounding
        assert min(abs(w - h * src_w / src_h), abs(h - w * src_h / src_w)) <= 2


# transcode ------------------------------------------------------------------------------------------


def test_transcode_mp4_preset() -> None:
    argv, names = transcode_argv(FF, SRC, info(fps=30), preset(100030), OUT, "job1_out")
    assert argv[:6] == PREFIX
    assert names == ["job1_out.mp4"]
    assert argv[-1] == f"{OUT}/job1_out.mp4"
    assert all(isinstance(a, str) and " " not in a for a in argv)
    assert value_after(argv, "-i") == SRC
    assert value_after(argv, "-vf") == "scale=1280:720,setsar=1"
    assert value_after(argv, "-c:v") == "libx264"
    assert value_after(argv, "-preset") == "veryfast"
    assert value_after(argv, "-profile:v") == "high"
    assert value_after(argv, "-pix_fmt") == "yuv420p"
    assert (value_after(argv, "-b:v"), value_after(argv, "-maxrate"), value_after(argv, "-bufsize")) == (
        "1800k",
        "2700k",
        "3600k",
    )
    assert value_after(argv, "-r") == "25"  # 30 fps source, 25 fps template
    assert value_after(argv, "-g") == "50"
    assert (
        value_after(argv, "-c:a"),
        value_after(argv, "-b:a"),
        value_after(argv, "-ar"),
        value_after(argv, "-ac"),
    ) == ("aac", "128k", "44100", "2")
    assert value_after(argv, "-movflags") == "+faststart"
    assert ["-map", "0:V:0"] == argv[argv.index("-map") : argv.index("-map") + 2]
    assert "0:a:0" in argv
    assert "-keyint_min" not in argv and "-crf" not in argv


def test_transcode_never_raises_fps_and_uses_crf_without_bitrate() -> None:
    params = dataclasses.replace(preset(100030), video_bitrate_kbps=0, crf=21)
    argv, _ = transcode_argv(FF, SRC, info(fps=24), params, OUT, "x")
    assert "-r" not in argv
    assert value_after(argv, "-crf") == "21"
    assert "-b:v" not in argv
    assert value_after(argv, "-g") == "48"  # two seconds at the source's 24 fps


def test_transcode_rotated_source_plans_on_display_size() -> None:
    argv, _ = transcode_argv(FF, SRC, info(1920, 1080, rotation=90), preset(100030), OUT, "x")
    assert value_after(argv, "-vf") == "scale=720:1280,setsar=1"


def test_transcode_audio_only_and_video_only() -> None:
    argv, names = transcode_argv(FF, SRC, info(video=False), preset(100010), OUT, "a")
    assert "0:V:0" not in argv and "-c:v" not in argv and "-vf" not in argv
    assert "0:a:0" in argv and names == ["a.mp4"]
    argv, _ = transcode_argv(FF, SRC, info(audio=False), preset(100010), OUT, "v")
    assert "0:a:0" not in argv and "-c:a" not in argv and "0:V:0" in argv


def test_transcode_hls() -> None:
    argv, names = transcode_argv(FF, SRC, info(), preset(100230), OUT, "job_hls")
    assert names == ["job_hls.m3u8"]
    assert argv[-1] == f"{OUT}/job_hls.m3u8"
    assert value_after(argv, "-f") == "hls"
    assert value_after(argv, "-hls_time") == "10"
    assert value_after(argv, "-hls_playlist_type") == "vod"
    assert value_after(argv, "-hls_segment_filename") == f"{OUT}/job_hls_%d.ts"
    gop = (value_after(argv, "-g"), value_after(argv, "-keyint_min"), value_after(argv, "-sc_threshold"))
    assert gop == ("50", "50", "0")
    assert "-movflags" not in argv


def test_transcode_h265() -> None:
    params = dataclasses.replace(preset(100030), video_codec="h265")
    argv, _ = transcode_argv(FF, SRC, info(), params, OUT, "x")
    assert value_after(argv, "-c:v") == "libx265"
    assert value_after(argv, "-tag:v") == "hvc1"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"container": "avi"}, "Container"),
        ({"video_codec": "vp8"}, "VideoCodec"),
        ({"container": "flv", "video_codec": "vp9"}, "VideoCodec"),
        ({"audio_codec": "ac3"}, "AudioCodec"),
        ({"container": "webm", "video_codec": "vp9", "audio_codec": "aac"}, "AudioCodec"),
        ({"audio_codec": "opus", "sample_rate": 44100}, "SampleRate"),
        ({"crf": 52}, "Crf"),
        ({"remove_audio": True, "remove_video": True}, "RemoveAudio"),
    ],
)
def test_transcode_rejects_unsupported(change, code) -> None:
    with pytest.raises(BadInputError) as err:
        transcode_argv(FF, SRC, info(), dataclasses.replace(preset(100030), **change), OUT, "x")
    assert err.value.code == f"InvalidParameterValue.{code}"


# containers and codecs -----------------------------------------------------------------------------


def custom(**data: object) -> TranscodeParams:
    return validate_transcode_params(data)


def build(params: TranscodeParams, source: MediaInfo | None = None) -> tuple[list[str], str]:
    argv, names = transcode_argv(FF, SRC, source or info(), params, OUT, "x")
    assert len(names) == 1 and argv[-1] == f"{OUT}/{names[0]}"
    assert all(isinstance(a, str) and " " not in a for a in argv)
    return argv, names[0]


@pytest.mark.parametrize(
    ("container", "name", "muxer"),
    [
        ("mp4", "x.mp4", ["-movflags", "+faststart", "-f", "mp4"]),
        ("mov", "x.mov", ["-movflags", "+faststart", "-f", "mov"]),
        ("mkv", "x.mkv", ["-f", "matroska"]),
        ("webm", "x.webm", ["-f", "webm"]),
        ("flv", "x.flv", ["-f", "flv"]),
        ("mp3", "x.mp3", ["-f", "mp3"]),
        ("m4a", "x.m4a", ["-movflags", "+faststart", "-f", "ipod"]),
        ("flac", "x.flac", ["-f", "flac"]),
        ("ogg", "x.ogg", ["-f", "ogg"]),
        ("wav", "x.wav", ["-f", "wav"]),
        ("hls", "x.m3u8", ["-f", "hls"]),
    ],
)
def test_each_container_names_its_output_and_muxer(container, name, muxer) -> None:
    argv, out = build(custom(container=container))
    assert out == name
    at = argv.index(muxer[0])
    assert argv[at : at + len(muxer)] == muxer


def test_h264_mp4_flags() -> None:
    argv, _ = build(custom(container="mp4", encoder_preset="fast", crf=20))
    assert (
        value_after(argv, "-c:v"),
        value_after(argv, "-preset"),
        value_after(argv, "-profile:v"),
        value_after(argv, "-pix_fmt"),
        value_after(argv, "-crf"),
    ) == ("libx264", "fast", "high", "yuv420p", "20")
    assert "-tag:v" not in argv and "-b:v" not in argv


def test_h264_lossless_leaves_the_profile_to_x264() -> None:
    argv, _ = build(custom(crf=0))
    assert value_after(argv, "-crf") == "0" and "-profile:v" not in argv


@pytest.mark.parametrize(("container", "tagged"), [("mp4", True), ("mov", True), ("mkv", False), ("hls", False)])
def test_h265_flags(container, tagged) -> None:
    argv, _ = build(custom(container=container, video_codec="h265", video_bitrate_kbps=2000))
    assert (value_after(argv, "-c:v"), value_after(argv, "-profile:v")) == ("libx265", "main")
    assert ("-tag:v" in argv) == tagged
    if tagged:
        assert value_after(argv, "-tag:v") == "hvc1"
    x265 = value_after(argv, "-x265-params")
    assert x265 == ("log-level=error:scenecut=0" if container == "hls" else "log-level=error")
    assert (value_after(argv, "-b:v"), value_after(argv, "-maxrate"), value_after(argv, "-bufsize")) == (
        "2000k",
        "3000k",
        "4000k",
    )


def test_vp9_webm_flags() -> None:
    argv, _ = build(custom(container="webm"))
    assert value_after(argv, "-c:v") == "libvpx-vp9"
    assert (value_after(argv, "-deadline"), value_after(argv, "-cpu-used"), value_after(argv, "-row-mt")) == (
        "good",
        "4",
        "1",
    )
    assert (value_after(argv, "-crf"), value_after(argv, "-b:v")) == ("32", "0")  # constant quality
    assert "-preset" not in argv and "-profile:v" not in argv
    assert (value_after(argv, "-c:a"), value_after(argv, "-b:a"), value_after(argv, "-ar")) == (
        "libopus",
        "128k",
        "48000",
    )
    argv, _ = build(
        custom(
            container="webm", video_bitrate_kbps=800, encoder_preset="veryslow", audio_codec="vorbis", sample_rate=44100
        )
    )
    assert (value_after(argv, "-b:v"), value_after(argv, "-cpu-used")) == ("800k", "0")
    assert "-crf" not in argv and value_after(argv, "-c:a") == "libvorbis"


def test_av1_flags() -> None:
    argv, _ = build(custom(container="webm", video_codec="av1"))
    assert (value_after(argv, "-c:v"), value_after(argv, "-preset"), value_after(argv, "-crf")) == (
        "libsvtav1",
        "8",
        "35",
    )
    argv, _ = build(custom(container="mp4", video_codec="av1", video_bitrate_kbps=900, encoder_preset="medium"))
    assert (value_after(argv, "-b:v"), value_after(argv, "-preset")) == ("900k", "5")
    assert "-maxrate" not in argv and "-crf" not in argv  # SVT-AV1 refuses a max rate outside CRF mode


def test_fps_and_gop() -> None:
    argv, _ = build(custom(fps=30, gop_seconds=0.5), info(fps=60))
    assert (value_after(argv, "-r"), value_after(argv, "-g")) == ("30", "15")
    argv, _ = build(custom(gop_seconds=0))
    assert "-g" not in argv and "-keyint_min" not in argv


@pytest.mark.parametrize(
    ("data", "codec", "rate", "bitrate"),
    [
        ({"container": "flv", "audio_codec": "mp3"}, "libmp3lame", "44100", "128k"),
        ({"container": "mp3", "audio_bitrate_kbps": 320}, "libmp3lame", "44100", "320k"),
        ({"container": "ogg", "audio_codec": "opus", "audio_bitrate_kbps": 96}, "libopus", "48000", "96k"),
        ({"container": "ogg", "audio_codec": "flac"}, "flac", "44100", None),
        ({"container": "flac", "sample_rate": 96000}, "flac", "96000", None),
        ({"container": "wav"}, "pcm_s16le", "44100", None),
        ({"container": "wav", "audio_codec": "pcm24"}, "pcm_s24le", "44100", None),
        ({"container": "m4a", "audio_bitrate_kbps": 0}, "aac", "44100", None),
        ({"container": "mov", "audio_codec": "pcm16"}, "pcm_s16le", "44100", None),
        ({"container": "mkv", "audio_codec": "vorbis", "sample_rate": 22050}, "libvorbis", "22050", "128k"),
    ],
)
def test_audio_codecs(data, codec, rate, bitrate) -> None:
    argv, _ = build(custom(**data))
    assert (value_after(argv, "-c:a"), value_after(argv, "-ar")) == (codec, rate)
    assert (value_after(argv, "-b:a") if "-b:a" in argv else None) == bitrate
    assert ["-map", "0:a:0"] == argv[argv.index("0:a:0") - 1 : argv.index("0:a:0") + 1]


def test_audio_only_containers_drop_the_video() -> None:
    argv, _ = build(custom(container="mp3"))
    assert "-vn" in argv and "0:V:0" not in argv and "-c:v" not in argv and "-vf" not in argv
    assert "-an" not in argv


def test_remove_audio_and_remove_video() -> None:
    argv, _ = build(custom(remove_audio=True))
    assert "-an" in argv and "0:a:0" not in argv and "-c:a" not in argv and "0:V:0" in argv
    argv, name = build(custom(container="mp4", remove_video=True))
    assert "-vn" in argv and "0:V:0" not in argv and "-c:v" not in argv and "0:a:0" in argv
    assert name == "x.mp4"


@pytest.mark.parametrize(
    ("data", "source", "rate", "channels"),
    [
        ({"sample_rate": 0, "channels": 0}, {}, "48000", "2"),  # the source's
        ({"container": "mp3", "sample_rate": 0, "channels": 0}, {"sample_rate": 96000, "channels": 6}, "48000", "2"),
        ({"container": "webm", "sample_rate": 0}, {"sample_rate": 44100}, "48000", "2"),
        ({"container": "flv", "audio_codec": "mp3", "sample_rate": 0}, {"sample_rate": 32000}, "22050", "2"),
        ({"container": "m4a", "channels": 0}, {"channels": 6}, "44100", "6"),
    ],
)
def test_source_audio_settings_follow_what_the_codec_takes(data, source, rate, channels) -> None:
    argv, _ = build(custom(**data), info(**source))
    assert (value_after(argv, "-ar"), value_after(argv, "-ac")) == (rate, channels)


def test_opus_bitrate_is_capped_per_channel_of_a_source_layout() -> None:
    argv, _ = build(custom(container="webm", channels=0, audio_bitrate_kbps=320), info(channels=1))
    assert (value_after(argv, "-b:a"), value_after(argv, "-ac")) == ("256k", "1")


def test_nothing_left_to_keep_is_a_media_error() -> None:
    with pytest.raises(MediaError) as err:
        transcode_argv(FF, SRC, info(video=False), custom(remove_audio=True), OUT, "x")
    assert err.value.code == media_errors.MEDIA_NO_VIDEO
    with pytest.raises(MediaError) as err:
        transcode_argv(FF, SRC, info(audio=False), custom(container="mp3"), OUT, "x")
    assert err.value.code == media_errors.MEDIA_NO_STREAMS
    assert err.value.message == "the input has no audio stream, and mp3 files hold only audio"
    with pytest.raises(MediaError):
        transcode_argv(FF, SRC, info(audio=False), custom(remove_video=True), OUT, "x")


def test_audio_only_outputs_need_no_video_settings() -> None:
    # an mp3 template made as a plain dataclass (not through validation) still builds
    argv, name = build(TranscodeParams(container="mp3", audio_codec="mp3"))
    assert name == "x.mp3" and "-vn" in argv


@pytest.mark.parametrize(
    ("src", "out", "stem"),
    [
        ("relative.mp4", OUT, "x"),
        (SRC, "/data/100%", "x"),
        (SRC, OUT, "../x"),
        (SRC, OUT, "-x"),
        (SRC, OUT, "a b"),
        (SRC, OUT, ""),
    ],
)
def test_builders_refuse_unsafe_paths(src, out, stem) -> None:
    with pytest.raises(ValueError):
        transcode_argv(FF, src, info(), preset(100030), out, stem)


# snapshots ------------------------------------------------------------------------------------------


def sampled() -> SnapshotParams:
    params = SNAPSHOT_PRESETS[("sampled", 10)].params
    assert isinstance(params, SnapshotParams)
    return params


def test_sampled_percent_uses_one_fast_seek_per_image() -> None:
    plan = snapshot_plan(FF, SRC, info(duration=20.0), sampled(), OUT, "snap")
    assert len(plan.argvs) == 1
    argv = plan.argvs[0]
    assert argv[:6] == PREFIX
    assert plan.files == [(f"snap_{n}.jpg", 2.0 * n) for n in range(10)]
    seeks = [argv[i + 1] for i, a in enumerate(argv) if a == "-ss"]
    assert seeks == ["0", "2", "4", "6", "8", "10", "12", "14", "16", "18"]
    for i, a in enumerate(argv):
        if a == "-ss":  # input seeking: -ss comes right before its -i
            assert argv[i + 2 : i + 4] == ["-i", SRC]
    assert argv.count("-protocol_whitelist") == 10  # a per-input option
    assert argv.count("-i") == 10
    for n in range(10):
        out = argv.index(f"{OUT}/snap_{n}.jpg")
        assert argv[out - 10 : out] == [
            "-map",
            f"{n}:V:0",
            "-frames:v",
            "1",
            "-update",
            "1",
            "-c:v",
            "mjpeg",
            "-q:v",
            "2",
        ]
    assert all(isinstance(a, str) and " " not in a for a in argv)


def test_snapshots_are_chunked() -> None:
    plan = snapshot_plan(FF, SRC, info(duration=20.0), sampled(), OUT, "snap", chunk_size=4)
    assert [a.count("-i") for a in plan.argvs] == [4, 4, 2]
    assert all(a[:6] == PREFIX for a in plan.argvs)
    assert f"{OUT}/snap_9.jpg" in plan.argvs[2] and "1:V:0" in plan.argvs[2]


def test_time_offsets_are_parsed_and_clamped() -> None:
    params = SnapshotParams(kind="time_offset", time_offsets=("3.5s", "50%", "999s", "0"), width=320)
    plan = snapshot_plan(FF, SRC, info(duration=10.0, fps=25), params, OUT, "t")
    assert [t for _, t in plan.files] == [3.5, 5.0, 9.94, 0.0]  # clamped before the last frame
    argv = plan.argvs[0]
    assert value_after(argv, "-vf") == "scale=320:-1"


def test_sampled_by_time_and_formats() -> None:
    params = SnapshotParams(kind="sampled", sample_type="time", interval=3, format="png")
    plan = snapshot_plan(FF, SRC, info(duration=10.0), params, OUT, "s")
    assert plan.files == [("s_0.png", 0.0), ("s_1.png", 3.0), ("s_2.png", 6.0), ("s_3.png", 9.0)]
    assert value_after(plan.argvs[0], "-c:v") == "png"
    webp = snapshot_plan(FF, SRC, info(), dataclasses.replace(params, format="webp"), OUT, "s")
    assert value_after(webp.argvs[0], "-c:v") == "libwebp"
    with pytest.raises(BadInputError):
        snapshot_plan(FF, SRC, info(), dataclasses.replace(params, format="gif"), OUT, "s")


def test_snapshot_errors() -> None:
    with pytest.raises(MediaError) as no_video:
        snapshot_plan(FF, SRC, info(video=False), sampled(), OUT, "s")
    assert no_video.value.code == media_errors.MEDIA_NO_VIDEO
    every_second = SnapshotParams(kind="sampled", sample_type="time", interval=1)
    with pytest.raises(MediaError) as too_many:
        snapshot_plan(FF, SRC, info(duration=5000.0), every_second, OUT, "s")
    assert too_many.value.code == media_errors.MEDIA_TOO_LARGE
    with pytest.raises(BadInputError):
        snapshot_plan(FF, SRC, info(), dataclasses.replace(every_second, interval=0), OUT, "s")
    with pytest.raises(BadInputError):
        snapshot_plan(FF, SRC, info(), SnapshotParams(kind="time_offset", time_offsets=("x",)), OUT, "s")


def test_sprite_plan() -> None:
    params = SNAPSHOT_PRESETS[("sprite", 10)].params
    assert isinstance(params, SnapshotParams)
    plan = snapshot_plan(FF, SRC, info(duration=25.0), params, OUT, "sp")
    assert plan.sprite is not None
    assert plan.sprite.times == (0.0, 10.0, 20.0)
    assert (plan.sprite.cell_width, plan.sprite.cell_height) == (142, 80)
    argv = plan.argvs[0]
    assert argv[:6] == PREFIX
    # 3 cells of a 10x10 grid: the one sheet is sized to them (3x1), not a 10x10 picture almost all black
    assert value_after(argv, "-filter_complex") == (
        "[0:V:0]fps=1/10:eof_action=pass,scale=142:80,setsar=1,trim=start_frame=0,tile=3x1[s0]"
    )
    assert value_after(argv, "-map") == "[s0]"
    assert value_after(argv, "-frames:v") == "1"
    assert argv[-1] == f"{OUT}/sp_0.jpg"
    assert plan.files == [("sp_0.jpg", 0.0)]
    assert plan.sprite.vtt_name == "sp.vtt"


def test_sprite_plan_sizes_the_last_sheet_to_its_cells() -> None:
    # 22 cells in 3x3 sheets: two full sheets, then a last one sized to its 4 cells (3x2)
    params = SnapshotParams(kind="sprite", width=40, height=30, rows=3, columns=3, sample_type="time", interval=1)
    argv = snapshot_plan(FF, SRC, info(duration=21.5), params, OUT, "sp").argvs[0]
    assert value_after(argv, "-filter_complex") == (
        "[0:V:0]fps=1/1:eof_action=pass,scale=40:30,setsar=1,split=2[a0][a1];"
        "[a0]trim=end_frame=18,tile=3x3[s0];[a1]trim=start_frame=18,tile=3x2[s1]"
    )
    tail = argv[argv.index("-filter_complex") + 2 :]
    assert tail == [
        "-map", "[s0]", "-frames:v", "2", "-start_number", "0", "-c:v", "mjpeg", "-q:v", "2", f"{OUT}/sp_%d.jpg",
        "-map", "[s1]", "-frames:v", "1", "-update", "1", "-c:v", "mjpeg", "-q:v", "2", f"{OUT}/sp_2.jpg",
    ]  # fmt: skip
    full = snapshot_plan(FF, SRC, info(duration=18.0), params, OUT, "sp").argvs[0]
    assert value_after(full, "-filter_complex").endswith(",trim=end_frame=18,tile=3x3[s0]")


def test_sprite_sheets_are_capped() -> None:
    # one side left at 0 follows the input's shape: a very tall input makes tall cells
    params = SnapshotParams(kind="sprite", width=400, height=0, rows=20, columns=2, sample_type="time", interval=1)
    with pytest.raises(MediaError) as err:
        snapshot_plan(FF, SRC, info(400, 1600), params, OUT, "sp")
    assert err.value.code == media_errors.MEDIA_TOO_LARGE


def test_sprite_webvtt() -> None:
    text = sprite_webvtt(["s_0.jpg", "s_1.jpg"], 100, 50, 2, 1, [0.0, 10.0, 20.0], 25.0)
    assert text == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:10.000\ns_0.jpg#xywh=0,0,100,50\n\n"
        "00:00:10.000 --> 00:00:20.000\ns_0.jpg#xywh=100,0,100,50\n\n"
        "00:00:20.000 --> 00:00:25.000\ns_1.jpg#xywh=0,0,100,50\n"
    )
    assert sprite_webvtt(["s_0.jpg"], 100, 50, 2, 1, [0.0, 10.0, 20.0], 25.0).count("#xywh") == 2
    assert "01:01:01.500 --> 01:01:02.000" in sprite_webvtt(["a.jpg"], 1, 1, 1, 1, [3661.5], 3662.0)


# parse_time_offset, progress flags ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5s", 3.5),
        ("3.5", 3.5),
        ("10%", 12.0),
        ("0%", 0.0),
        ("100%", 120.0),
        (" 7s ", 7.0),
        ("0", 0.0),
    ],
)
def test_parse_time_offset(text, expected) -> None:
    assert parse_time_offset(text, 120.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "-1s", "1e3", "10%%", "nan", "inf", "101%", "1.2.3", "5m", "1" * 40, "3s;rm"]
)
def test_parse_time_offset_rejects_garbage(text) -> None:
    with pytest.raises(BadInputError) as err:
        parse_time_offset(text, 120.0)
    assert err.value.code == "InvalidParameterValue.TimeOffset"


def test_progress_flags_go_after_global_options() -> None:
    argv = with_progress([*PREFIX, "-i", SRC, "out.mp4"])
    assert argv[:4] == PREFIX[:4]
    assert argv[4:10] == ["-progress", "pipe:1", "-stats_period", "0.25", "-nostats", "-protocol_whitelist"]
    assert with_progress(argv) == argv


def test_sprite_webvtt_reads_back() -> None:
    text = sprite_webvtt(["s_0.jpg", "s_1.jpg"], 100, 50, 2, 1, [0.0, 10.0, 3661.5], 3662.0)
    assert parse_sprite_webvtt(text) == [
        SpriteCue(0.0, 10.0, "s_0.jpg", 0, 0, 100, 50),
        SpriteCue(10.0, 3661.5, "s_0.jpg", 100, 0, 100, 50),
        SpriteCue(3661.5, 3662.0, "s_1.jpg", 0, 0, 100, 50),
    ]
    # what is not one of our cues is skipped, not an error
    assert parse_sprite_webvtt("WEBVTT\n\n00:00:01.000 --> x\ns.jpg#xywh=0,0,1,1\n\nnonsense\n") == []
    assert len(parse_sprite_webvtt(text, limit=2)) == 2
