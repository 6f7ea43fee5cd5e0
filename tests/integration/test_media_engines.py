"""The media engines against the real bundled ffmpeg, on tiny generated clips."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

import av
import pytest

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError, MediaError
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS, SnapshotParams
from shared.domain.kinds.transcode import PRESETS, TranscodeParams
from shared.domain.kinds.transcode_rules import validate_transcode_params
from shared.media.ffmpeg.engines import run_snapshot, run_transcode
from shared.media.ffmpeg.probe import probe
from shared.media.ffmpeg.runner import run_ffmpeg
from shared.media.outputs import md5_file
from tests.media_fixtures import (
    ffmpeg,
    make_audio,
    make_clip,
    make_empty,
    make_garbage,
    make_mp3_with_cover,
    make_text,
    make_truncated,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    return {
        "landscape": make_clip(d / "landscape.mp4", seconds=3, width=640, height=360),
        "portrait": make_clip(d / "portrait.mp4", seconds=2, width=640, height=360, rotation=90),
        "portrait_cw": make_clip(d / "portrait_cw.mp4", seconds=1, width=320, height=180, rotation=-90),
        "long": make_clip(d / "long.mp4", seconds=4, width=320, height=240),
        "not_faststart": make_clip(d / "not_faststart.mp4", seconds=4, faststart=False),
        "mkv": make_clip(d / "clip.mkv", seconds=4),
        "m4a": make_audio(d / "audio.m4a", seconds=2),
        "mp3_cover": make_mp3_with_cover(d / "cover.mp3", seconds=2),
    }


def transcode_preset(definition: int) -> TranscodeParams:
    params = PRESETS[("Transcode", definition)].params
    assert isinstance(params, TranscodeParams)
    return params


def make_subtitles(path: Path) -> Path:
    path.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n\n", encoding="utf-8")
    return path


def only_final_files(out_dir: Path) -> None:
    assert not [p.name for p in out_dir.iterdir() if p.name.startswith(".work-")]


# probe ----------------------------------------------------------------------------------------------


def test_probe_clip(media) -> None:
    info = probe(media["landscape"])
    assert (info.display_width, info.display_height, info.video and info.video.rotation) == (640, 360, 0)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    meta = info.to_metadata()
    assert meta["video_codec"] == "h264" and meta["audio_codec"] == "aac" and meta["fps"] == 25.0
    assert meta["size"] == media["landscape"].stat().st_size


def test_probe_rotation(media) -> None:
    # -display_rotation 90 turns the picture counter-clockwise: a player turns it 270 degrees clockwise.
    left = probe(media["portrait"])
    assert left.video is not None and (left.video.width, left.video.height) == (640, 360)
    assert (left.display_width, left.display_height, left.video.rotation) == (360, 640, 270)
    right = probe(media["portrait_cw"])
    assert (right.display_width, right.display_height, right.to_metadata()["rotation"]) == (180, 320, 90)


def test_probe_ignores_cover_art(media) -> None:
    info = probe(media["mp3_cover"])
    assert info.video is None and info.audio is not None and info.audio.codec == "mp3"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d, m: make_empty(d / "empty.mp4"), media_errors.MEDIA_EMPTY),
        (lambda d, m: make_garbage(d / "garbage.mp4"), media_errors.MEDIA_UNREADABLE),
        (lambda d, m: make_text(d / "notes.mp4"), media_errors.MEDIA_UNREADABLE),
        (lambda d, m: make_truncated(m["long"], d / "cut.mp4"), media_errors.MEDIA_TRUNCATED),
        # Without faststart the index sits at the end, so half a file has none: ffmpeg cannot read it.
        (lambda d, m: make_truncated(m["not_faststart"], d / "cut.mp4"), media_errors.MEDIA_UNREADABLE),
        (lambda d, m: d / "missing.mp4", media_errors.INPUT_NOT_FOUND),
        (lambda d, m: make_subtitles(d / "subs.srt"), media_errors.MEDIA_NO_STREAMS),
    ],
)
def test_probe_rejects_bad_input(tmp_path, media, make, code) -> None:
    with pytest.raises(MediaError) as err:
        probe(make(tmp_path, media))
    assert err.value.code == code
    assert "0x" not in err.value.message


# transcode ------------------------------------------------------------------------------------------


def test_transcode_mp4_keeps_small_source_size(tmp_path, media) -> None:
    run_result = run_transcode(media["landscape"], transcode_preset(100030), tmp_path, "out_hd", timeout=60)
    outputs, log_tail = run_result.outputs, run_result.log_tail
    assert [o.name for o in outputs] == ["out_hd.mp4"]
    out = outputs[0]
    assert out.path == tmp_path / "out_hd.mp4" and out.path.is_file()
    m = out.metadata
    assert (m["width"], m["height"], m["video_codec"], m["audio_codec"]) == (640, 360, "h264", "aac")
    assert (m["sample_rate"], m["channels"]) == (44100, 2)
    assert m["duration"] == pytest.approx(3.0, abs=0.15)
    assert m["md5"] == md5_file(out.path) and m["size"] == out.path.stat().st_size
    assert isinstance(log_tail, str)
    only_final_files(tmp_path)


def test_transcode_rotated_portrait_stays_portrait(tmp_path, media) -> None:
    outputs = run_transcode(media["portrait"], transcode_preset(100010), tmp_path, "p", timeout=60).outputs
    m = outputs[0].metadata
    assert (m["width"], m["height"], m["rotation"]) == (360, 640, 0)  # turned upright, no display matrix


def test_transcode_hls(tmp_path, media) -> None:
    params = dataclasses.replace(transcode_preset(100210), hls_time=1)
    outputs = run_transcode(media["landscape"], params, tmp_path, "h", timeout=60).outputs
    names = [o.name for o in outputs]
    assert names[0] == "h.m3u8" and len(names) >= 3
    assert names[1:] == [f"h_{n}.ts" for n in range(len(names) - 1)]
    playlist = outputs[0]
    info = probe(playlist.path)  # the playlist plays: the hls demuxer reads it and its segments
    assert info.duration == pytest.approx(3.0, abs=0.2) and info.video is not None
    assert playlist.metadata["size"] == sum(o.path.stat().st_size for o in outputs)
    assert playlist.metadata["segment_count"] == len(names) - 1
    assert all(o.metadata["md5"] == md5_file(o.path) for o in outputs)
    only_final_files(tmp_path)


@pytest.mark.parametrize("key", ["m4a", "mp3_cover"])
def test_transcode_audio_only(tmp_path, media, key) -> None:
    outputs = run_transcode(media[key], transcode_preset(100010), tmp_path, "a", timeout=60).outputs
    m = outputs[0].metadata
    assert m["video_codec"] is None and m["width"] is None  # cover art is not turned into a video
    assert m["audio_codec"] == "aac" and m["duration"] == pytest.approx(2.0, abs=0.15)


def make_short_audio_clip(path: Path) -> Path:
    """3 s of picture with 1.5 s of sound, as a recording whose microphone stopped early."""
    subprocess.run(
        [
            ffmpeg(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=25:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=44100:duration=1.5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


@pytest.mark.parametrize("data", [{"container": "mp4", "remove_video": True}, {"container": "flac"}])
def test_removing_the_video_keeps_the_audio_length(tmp_path, data) -> None:
    # The removed picture lasts longer than the sound: the output is not "truncated".
    clip = make_short_audio_clip(tmp_path / "short_audio.mp4")
    outputs = run_transcode(clip, validate_transcode_params(data), tmp_path / "out", "a", timeout=60).outputs
    m = outputs[0].metadata
    assert m["video_codec"] is None and m["duration"] == pytest.approx(1.5, abs=0.1)


def test_removing_the_audio_of_a_silent_input_fails_clearly(tmp_path) -> None:
    silent = make_clip(tmp_path / "silent.mp4", seconds=1, width=160, height=120, audio=False)
    with pytest.raises(MediaError) as err:
        run_transcode(silent, validate_transcode_params({"container": "wav"}), tmp_path / "out", "a", timeout=60)
    assert err.value.code == media_errors.MEDIA_NO_STREAMS
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("key", "container", "codec"), [("mp3_cover", "ogg", "vorbis"), ("m4a", "mp3", "mp3"), ("landscape", "m4a", "aac")]
)
def test_audio_only_containers(tmp_path, media, key, container, codec) -> None:
    outputs = run_transcode(
        media[key], validate_transcode_params({"container": container}), tmp_path, "a", timeout=60
    ).outputs
    assert outputs[0].name == f"a.{container}"
    m = outputs[0].metadata
    assert (m["video_codec"], m["audio_codec"]) == (None, codec)


def test_transcode_progress(tmp_path, media) -> None:
    seen: list[float] = []
    run_transcode(media["long"], transcode_preset(100010), tmp_path, "p", timeout=60, on_progress=seen.append)
    assert seen and seen == sorted(seen)
    assert 95.0 <= seen[-1] <= 100.0


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("long", media_errors.MEDIA_TRUNCATED),  # faststart: the index outlives the data
        ("not_faststart", media_errors.MEDIA_UNREADABLE),
        ("mkv", media_errors.MEDIA_TRUNCATED),  # no index check: caught by the output's short duration
    ],
)
def test_truncated_input_fails(tmp_path, media, key, code) -> None:
    cut = make_truncated(media[key], tmp_path / f"cut{media[key].suffix}")
    out_dir = tmp_path / "out"
    with pytest.raises(MediaError) as err:
        run_transcode(cut, transcode_preset(100010), out_dir, "t", timeout=60)
    assert err.value.code == code
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_transcode_timeout_leaves_nothing(tmp_path, media) -> None:
    with pytest.raises(EngineTimeoutError) as err:
        run_transcode(media["long"], transcode_preset(100010), tmp_path, "slow", timeout=0.01)
    assert err.value.code == media_errors.ENGINE_TIMEOUT
    assert list(tmp_path.iterdir()) == []


# snapshots ------------------------------------------------------------------------------------------


def test_sampled_snapshots(tmp_path, media) -> None:
    params = SNAPSHOT_PRESETS[("sampled", 10)].params
    assert isinstance(params, SnapshotParams)
    outputs = run_snapshot(media["landscape"], params, tmp_path, "s", timeout=60).outputs
    assert [o.name for o in outputs] == [f"s_{n}.jpg" for n in range(10)]
    assert [o.metadata["time_offset"] for o in outputs] == pytest.approx([0.3 * n for n in range(10)])
    for o in outputs:
        assert (o.metadata["width"], o.metadata["height"], o.metadata["format"]) == (640, 360, "jpg")
        assert o.path.read_bytes()[:2] == b"\xff\xd8" and o.metadata["md5"] == md5_file(o.path)
    # Different times, different pictures (testsrc2 moves).
    assert len({o.metadata["md5"] for o in outputs}) == 10
    only_final_files(tmp_path)


def test_time_offset_snapshots_scaled_and_rotated(tmp_path, media) -> None:
    params = SnapshotParams(kind="time_offset", time_offsets=("1s", "50%", "99s"), width=160)
    outputs = run_snapshot(media["portrait"], params, tmp_path, "t", timeout=60).outputs
    assert [(o.name, o.metadata["time_offset"]) for o in outputs] == [
        ("t_0.jpg", 1.0),
        ("t_1.jpg", 1.0),
        ("t_2.jpg", pytest.approx(1.94)),
    ]
    assert all((o.metadata["width"], o.metadata["height"]) == (160, 284) for o in outputs)


def test_sprite(tmp_path, media) -> None:
    params = SnapshotParams(kind="sprite", width=80, height=45, sample_type="time", interval=1, rows=1, columns=2)
    seen: list[float] = []
    outputs = run_snapshot(media["landscape"], params, tmp_path, "sp", timeout=60, on_progress=seen.append).outputs
    assert [o.name for o in outputs] == ["sp.vtt", "sp_0.jpg", "sp_1.jpg"]
    assert (outputs[1].metadata["width"], outputs[1].metadata["height"]) == (160, 45)
    vtt = outputs[0].path.read_text()
    assert vtt.startswith("WEBVTT\n")
    assert "00:00:02.000 --> 00:00:03.000\nsp_1.jpg#xywh=0,0,80,45" in vtt
    assert seen and seen[-1] > 90


def test_sprite_of_an_input_shorter_than_the_interval(tmp_path, media) -> None:
    # The preset samples every 10 s; a 2 s upload still gets its one cell (ffmpeg's fps filter drops a
    # final partial interval unless told otherwise).
    params = SNAPSHOT_PRESETS[("sprite", 10)].params
    assert isinstance(params, SnapshotParams)
    outputs = run_snapshot(media["portrait"], params, tmp_path, "sp", timeout=60).outputs
    assert [o.name for o in outputs] == ["sp.vtt", "sp_0.jpg"]
    assert "00:00:00.000 --> 00:00:02.000\nsp_0.jpg#xywh=0,0,142,80" in outputs[0].path.read_text()


def test_sprite_last_partial_interval_gets_a_picture(tmp_path, media) -> None:
    # 4 s every 3 s: cells at 0 s and 3 s, the second from the last second of the input, not left black.
    params = SnapshotParams(
        kind="sprite", width=32, height=18, sample_type="time", interval=3, rows=1, columns=2, format="png"
    )
    outputs = run_snapshot(media["long"], params, tmp_path, "sp", timeout=60).outputs
    with av.open(str(outputs[1].path)) as sheet:
        frame = next(sheet.decode(video=0)).to_ndarray(format="gray")
    assert frame.shape == (18, 64)
    assert frame[:, 32:].mean() > 20  # testsrc2 is colourful; a missing cell is black


def test_sprite_sheet_is_sized_to_the_cells_it_holds(tmp_path) -> None:
    # GIVEN a 16 s clip and the 10 s sprite preset (10x10 cells of 142x80)
    clip = make_clip(tmp_path / "sixteen.mp4", seconds=16, width=320, height=180, audio=False)
    params = SNAPSHOT_PRESETS[("sprite", 10)].params
    assert isinstance(params, SnapshotParams)
    # WHEN the sprite is made
    outputs = run_snapshot(clip, params, tmp_path / "out", "sp", timeout=60).outputs
    # THEN its one sheet holds its 2 cells in the one row they use, not a 1420x800 picture of black
    assert [o.name for o in outputs] == ["sp.vtt", "sp_0.jpg"]
    assert (outputs[1].metadata["width"], outputs[1].metadata["height"]) == (2 * 142, 1 * 80)
    assert outputs[0].metadata["cells"] == 2
    vtt = outputs[0].path.read_text()
    assert vtt.count("#xywh=") == 2 and "sp_0.jpg#xywh=142,0,142,80" in vtt


def test_sprite_last_sheet_is_smaller(tmp_path, media) -> None:
    # 4 s every 1 s in 3x1 sheets: one full sheet of 3 cells, then a last sheet of its 1 cell
    params = SnapshotParams(
        kind="sprite", width=32, height=18, sample_type="time", interval=1, rows=1, columns=3, format="png"
    )
    outputs = run_snapshot(media["long"], params, tmp_path, "sp", timeout=60).outputs
    assert [o.name for o in outputs] == ["sp.vtt", "sp_0.png", "sp_1.png"]
    assert [(o.metadata["width"], o.metadata["height"]) for o in outputs[1:]] == [(96, 18), (32, 18)]
    for sheet in outputs[1:]:
        with av.open(str(sheet.path)) as opened:
            frame = next(opened.decode(video=0)).to_ndarray(format="gray")
        assert frame[:, -32:].mean() > 20  # no black cell left over at the end of either sheet


def test_snapshot_errors(tmp_path, media) -> None:
    params = SNAPSHOT_PRESETS[("sampled", 10)].params
    assert isinstance(params, SnapshotParams)
    with pytest.raises(MediaError) as err:
        run_snapshot(media["m4a"], params, tmp_path, "x", timeout=60)
    assert err.value.code == media_errors.MEDIA_NO_VIDEO
    assert err.value.message == "the input has no video stream to take snapshots from"
    with pytest.raises(MediaError) as err:
        cut = make_truncated(media["mkv"], tmp_path / "cut.mkv")
        run_snapshot(cut, params, tmp_path / "o", "x", timeout=60)
    assert err.value.code == media_errors.MEDIA_TRUNCATED
    with pytest.raises(MediaError) as err:
        run_snapshot(make_garbage(tmp_path / "g.mp4"), params, tmp_path / "o", "x", timeout=60)
    assert err.value.code == media_errors.MEDIA_UNREADABLE


# runner ---------------------------------------------------------------------------------------------


def realtime_argv(seconds: float, marker: int) -> list[str]:
    # -re paces the synthetic input at its real rate: a run that lasts a known wall-clock time.
    return [
        ffmpeg(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-re",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=64x64:rate=10:duration={seconds}",
        "-metadata",
        f"comment={marker}",
        "-f",
        "null",
        "-",
    ]


def ffmpeg_alive(marker: int) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if f"comment={marker}".encode() in cmdline:
            return True
    return False


def test_runner_reports_progress() -> None:
    seen: list[float] = []
    result = run_ffmpeg(realtime_argv(1.5, 1), timeout=30, duration_hint=1.5, on_progress=seen.append)
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] >= 90
    assert result.elapsed >= 0.5  # -re reads the first half second as a burst


def test_runner_timeout_kills_ffmpeg() -> None:
    marker = int(time.time() * 1000)
    started = time.monotonic()
    with pytest.raises(EngineTimeoutError) as err:
        run_ffmpeg(realtime_argv(30, marker), timeout=0.5)
    assert time.monotonic() - started < 5
    assert err.value.code == media_errors.ENGINE_TIMEOUT
    assert not ffmpeg_alive(marker)


def test_runner_kills_ffmpeg_when_the_callback_raises() -> None:
    marker = int(time.time() * 1000) + 1

    def cancel(_percent: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_ffmpeg(realtime_argv(30, marker), timeout=30, duration_hint=30, on_progress=cancel)
    assert not ffmpeg_alive(marker)


def test_runner_failure(tmp_path) -> None:
    missing = str(tmp_path / "missing.mp4")
    with pytest.raises(EngineError) as err:
        run_ffmpeg([ffmpeg(), "-hide_banner", "-nostdin", "-y", "-i", missing, "-f", "null", "-"], timeout=30)
    assert err.value.code == media_errors.ENGINE_FAILED and err.value.exit_code not in (0, None)
    assert "No such file or directory" in err.value.message
    assert missing in err.value.log_tail and "-progress" in err.value.argv


def test_playlists_are_refused_as_input(tmp_path):
    # GIVEN an "upload" that is an HLS playlist pointing at a local file
    secret = tmp_path / "secret.ts"
    make_clip(tmp_path / "real.mp4", seconds=1)
    secret.write_bytes((tmp_path / "real.mp4").read_bytes())
    playlist = tmp_path / "evil.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{secret}\n#EXT-X-ENDLIST\n")
    # WHEN it is transcoded THEN it is refused before ffmpeg follows it
    with pytest.raises(MediaError) as err:
        run_transcode(playlist, PRESETS[("Transcode", 100010)].params, tmp_path / "out", "x", timeout=30)
    assert err.value.code == media_errors.MEDIA_UNREADABLE


def test_snapshot_progress_moves_within_one_run(tmp_path) -> None:
    # GIVEN 20 large PNG pictures, which one ffmpeg run grabs together (seconds of work)
    clip = make_clip(tmp_path / "big.mp4", seconds=10, width=1920, height=1080, audio=False)
    params = SnapshotParams(kind="sampled", format="png", sample_type="percent", interval=5)
    seen: list[tuple[float, float]] = []
    started = time.monotonic()
    # WHEN the snapshots run
    run_snapshot(
        clip, params, tmp_path / "out", "p", timeout=120, on_progress=lambda p: seen.append((time.monotonic(), p))
    )
    ended = time.monotonic()
    # THEN the bar moved before the end, never backwards, and ends at 100
    assert seen[-1][1] == 100.0
    between = [p for at, p in seen if 0.0 < p < 100.0 and at < ended - 0.2]
    assert between, f"no progress between 0 and 100 in {ended - started:.1f} s: {seen}"
    assert [p for _, p in seen] == sorted(p for _, p in seen)
