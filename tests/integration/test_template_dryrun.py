"""Custom templates against the real ffmpeg: every container makes a playable file, and the dry run
refuses what ffmpeg refuses, with ffmpeg's reason."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest

from shared.domain.errors import BadInputError, EngineTimeoutError
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS, SnapshotParams, validate_snapshot_params
from shared.domain.kinds.transcode import PRESETS, TranscodeParams
from shared.domain.kinds.transcode_rules import validate_transcode_params
from shared.media.ffmpeg import dryrun
from shared.media.ffmpeg.dryrun import dry_run_params, dry_run_snapshot, dry_run_transcode, ffmpeg_reason
from shared.media.ffmpeg.engines import run_snapshot, run_transcode
from shared.media.ffmpeg.probe import probe
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration

# (template, expected container format name in PyAV, video codec or None, audio codec or None)
CASES = [
    ({"container": "mp4"}, "mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac"),
    ({"container": "mp4", "video_codec": "h265", "audio_codec": "mp3"}, "mov,mp4,m4a,3gp,3g2,mj2", "hevc", "mp3"),
    ({"container": "webm"}, "matroska,webm", "vp9", "opus"),
    ({"container": "webm", "video_codec": "av1", "audio_codec": "vorbis"}, "matroska,webm", "av1", "vorbis"),
    ({"container": "mkv", "audio_codec": "flac"}, "matroska,webm", "h264", "flac"),
    (
        {"container": "mov", "video_codec": "h265", "audio_codec": "pcm24"},
        "mov,mp4,m4a,3gp,3g2,mj2",
        "hevc",
        "pcm_s24le",
    ),
    ({"container": "flv", "audio_codec": "mp3"}, "flv", "h264", "mp3"),
    ({"container": "hls", "hls_time": 1}, "hls", "h264", "aac"),
    ({"container": "mp3"}, "mp3", None, "mp3"),
    ({"container": "m4a", "audio_bitrate_kbps": 64}, "mov,mp4,m4a,3gp,3g2,mj2", None, "aac"),
    ({"container": "flac"}, "flac", None, "flac"),
    ({"container": "ogg", "audio_codec": "opus", "channels": 1}, "ogg", None, "opus"),
    ({"container": "wav"}, "wav", None, "pcm_s16le"),
    ({"container": "mp4", "remove_audio": True, "video_codec": "av1"}, "mov,mp4,m4a,3gp,3g2,mj2", "av1", None),
    ({"container": "mp4", "remove_video": True}, "mov,mp4,m4a,3gp,3g2,mj2", None, "aac"),
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("tpl") / "clip.mp4", seconds=1, width=160, height=120)


def decoded_frames(path: Path) -> dict[str, int]:
    """Frames per stream type, decoding the whole file: what a player would do."""
    counts = {"video": 0, "audio": 0}
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        for frame in container.decode(*container.streams.video, *container.streams.audio):
            counts["video" if isinstance(frame, av.VideoFrame) else "audio"] += 1
    return counts


@pytest.mark.parametrize(
    ("data", "fmt", "vcodec", "acodec"), CASES, ids=["-".join(str(v) for v in c[0].values()) for c in CASES]
)
def test_each_container_makes_a_playable_file(tmp_path, clip, data, fmt, vcodec, acodec) -> None:
    params = validate_transcode_params(data)
    outputs = run_transcode(clip, params, tmp_path, "out", timeout=60).outputs
    main = outputs[0]
    ext = "m3u8" if params.container == "hls" else params.container
    assert main.name == f"out.{ext}"
    info = probe(main.path)
    assert info.container == fmt
    assert (info.video.codec if info.video else None) == vcodec
    assert (info.audio.codec if info.audio else None) == acodec
    assert info.duration == pytest.approx(1.0, abs=0.15)
    frames = decoded_frames(main.path)
    assert (frames["video"] > 0) == (vcodec is not None) and (frames["audio"] > 0) == (acodec is not None)
    if vcodec:
        assert (info.display_width, info.display_height) == (160, 120)
    meta = main.metadata
    assert (meta["video_codec"], meta["audio_codec"]) == (vcodec, acodec)
    # and the dry run agrees
    dry_run_transcode(params)


def test_audio_settings_reach_the_file(tmp_path, clip) -> None:
    params = validate_transcode_params(
        {
            "container": "mkv",
            "audio_codec": "opus",
            "channels": 6,
            "audio_bitrate_kbps": 320,
            "sample_rate": 24000,
            "fps": 10,
            "video_codec": "vp9",
        }
    )
    outputs = run_transcode(clip, params, tmp_path, "o", timeout=60).outputs
    info = probe(outputs[0].path)
    assert info.audio is not None and info.video is not None
    # opus always decodes at 48 kHz; the channel count is kept
    assert info.audio.channels == 6
    assert info.video.fps == pytest.approx(10, abs=0.01)


def test_known_bad_combinations_never_reach_ffmpeg() -> None:
    for data, code in [
        ({"container": "flv", "video_codec": "vp9"}, "VideoCodec"),
        ({"container": "mov", "video_codec": "av1"}, "VideoCodec"),
        ({"container": "webm", "audio_codec": "aac"}, "AudioCodec"),
        ({"container": "mp3", "channels": 6}, "Channels"),
        ({"container": "webm", "sample_rate": 44100}, "SampleRate"),
        ({"container": "flv", "audio_codec": "mp3", "sample_rate": 32000}, "SampleRate"),
    ]:
        with pytest.raises(BadInputError) as err:
            validate_transcode_params(data)
        assert err.value.code == f"InvalidParameterValue.{code}"


def test_what_only_ffmpeg_knows_is_refused_by_the_dry_run() -> None:
    # libvorbis has no mode for 32 kbps stereo at 44.1 kHz: the tables pass it, the encoder refuses it
    params = validate_transcode_params({"container": "ogg", "audio_codec": "vorbis", "audio_bitrate_kbps": 32})
    dryrun.clear_cache()
    started = time.monotonic()
    with pytest.raises(BadInputError) as err:
        dry_run_transcode(params)
    first = time.monotonic() - started
    assert err.value.code == "InvalidParameterValue.Template"
    assert err.value.message.startswith("ffmpeg refuses this template: libvorbis: encoder setup failed")
    assert "audio_bitrate_kbps" in err.value.message and "0x" not in err.value.message
    # the verdict is cached: asking again runs nothing
    started = time.monotonic()
    with pytest.raises(BadInputError) as again:
        dry_run_transcode(params)
    assert again.value.message == err.value.message
    assert time.monotonic() - started < min(first, 0.01)
    # a bitrate libvorbis has a mode for passes
    dry_run_transcode(
        validate_transcode_params({"container": "ogg", "audio_codec": "vorbis", "audio_bitrate_kbps": 96})
    )


def test_hand_made_parameters_get_the_same_checks() -> None:
    # parameters built without validate_* (a stored snapshot, a caller's dataclass) meet the same rules in the
    # argv builder, so the dry run reports the field, not an ffmpeg failure
    with pytest.raises(BadInputError) as err:
        dry_run_transcode(TranscodeParams(container="mkv", audio_codec="mp3", sample_rate=96000))
    assert err.value.code == "InvalidParameterValue.SampleRate"


def test_presets_pass_the_dry_run_quickly() -> None:
    dryrun.sample_clip()  # made once per process
    for key in [("Transcode", 100010), ("Transcode", 100230), ("Transcode", 100080)]:
        params = PRESETS[key].params
        assert isinstance(params, TranscodeParams)
        started = time.monotonic()
        dry_run_transcode(params)
        assert time.monotonic() - started < 3.0
    for template in SNAPSHOT_PRESETS.values():
        assert isinstance(template.params, SnapshotParams)
        dry_run_snapshot(template.params)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "time_offset", "time_offsets": ["0.5s", "50%", 0], "format": "png", "width": 64},
        {"kind": "sampled", "sample_type": "percent", "interval": 5, "format": "webp", "width": 4096, "height": 4096},
        {"kind": "sampled", "sample_type": "time", "interval": 3600},
        {"kind": "sprite", "rows": 20, "columns": 20, "width": 400, "height": 400, "format": "webp"},
        {"kind": "sprite", "rows": 3, "columns": 4, "sample_type": "percent", "interval": 1},
    ],
)
def test_snapshot_templates_pass_the_dry_run(data) -> None:
    params = validate_snapshot_params(data)
    started = time.monotonic()
    dry_run_snapshot(params)
    assert time.monotonic() - started < 3.0


def test_snapshot_template_outputs(tmp_path, clip) -> None:
    params = validate_snapshot_params(
        {
            "kind": "sprite",
            "rows": 2,
            "columns": 2,
            "width": 32,
            "height": 24,
            "sample_type": "percent",
            "interval": 25,
            "format": "png",
        }
    )
    outputs = run_snapshot(clip, params, tmp_path, "sp", timeout=60).outputs
    assert [o.name for o in outputs] == ["sp.vtt", "sp_0.png"]
    assert (outputs[1].metadata["width"], outputs[1].metadata["height"]) == (64, 48)
    assert outputs[0].path.read_text().count("#xywh=") == 4


def test_dry_run_dispatch_and_timeouts() -> None:
    dry_run_params(validate_transcode_params({"container": "wav"}))
    dry_run_params(validate_snapshot_params({"kind": "time_offset"}))
    params = validate_transcode_params({"container": "mkv", "video_codec": "vp9", "fps": 24})
    for _ in range(2):  # a run that could not finish says nothing about the template, so it is not remembered
        with pytest.raises(EngineTimeoutError):
            dry_run_transcode(params, timeout=0.001)
    dry_run_transcode(params)


def test_ffmpeg_reason_picks_the_cause() -> None:
    tail = "\n".join(
        [
            "Svt[info]: SVT [config]: preset / tune / pred struct : 8 / PSNR / random access",
            "Svt[error]: Max Bitrate only supported with CRF mode",
            "[vf#0:0 @ 0x563d32b30e80] Error sending frames to consumers: Invalid argument",
            "[vost#0:0/libsvtav1 @ 0x563d32b2f500] Task finished with error code: -22 (Invalid argument)",
            "[mov @ 0x55c0afd5d000] av1 only supported in MP4 and AVIF.",
            "[out#0/mov @ 0x55c0afe19f80] Could not write header (incorrect codec parameters ?): Invalid argument",
            "frame=    0 fps=0.0 q=0.0 Lsize=       0KiB time=00:00:00.44 bitrate=   0.0kbits/s speed=37.3x",
            "Conversion failed!",
        ]
    )
    assert (
        ffmpeg_reason(tail) == "Svt[error]: Max Bitrate only supported with CRF mode; mov: av1 only supported "
        "in MP4 and AVIF."
    )
    assert ffmpeg_reason("Conversion failed!") == ""
