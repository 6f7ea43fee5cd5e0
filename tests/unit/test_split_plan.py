"""The pure parts of a split transcode: where the cuts go, the parts' argv, the join script, the
one progress made of the parts, and which transcodes may be split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from shared.domain.errors import BadInputError
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.domain.segments import Segment, combined_progress, plan_segments, segment_seconds
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream
from shared.media.ffmpeg.segments import (
    audio_part_argv,
    concat_list,
    gop_frames,
    join_argv,
    seek_time,
    split_refusal,
    video_part_argv,
)
from shared.services.worker import parse_worker_event

FRAMES_25 = [n / 25 for n in range(25 * 10)]  # 10 s at 25 fps
EVERY_SECOND = [float(s) for s in range(10)]
INFO = MediaInfo(
    container="mov,mp4,m4a,3gp,3g2,mj2",
    duration=10.0,
    size=1000,
    bitrate=800,
    video=VideoStream("h264", 1920, 1080, 25.0, None, 0, 10.0),
    audio=AudioStream("aac", 48000, 2, None, 10.0),
)


def test_cuts_at_the_first_keyframe_a_target_after_the_previous_cut():
    segments = plan_segments(FRAMES_25, EVERY_SECOND, 3)
    assert [(s.start, s.end) for s in segments] == [(0.0, 3.0), (3.0, 6.0), (6.0, 9.0), (9.0, None)]
    # reading stops halfway between a part's last frame and the next part's first
    assert segments[0].read_until == pytest.approx(2.98)
    assert segments[-1].read_until is None and segments[0].duration == 3.0


def test_sparse_keyframes_make_longer_parts_and_order_does_not_matter():
    assert [s.start for s in plan_segments(list(reversed(FRAMES_25)), [7.0, 0.0, 2.5], 2)] == [0.0, 2.5, 7.0]


def test_no_cut_where_no_keyframe_fits():
    assert [(s.start, s.end) for s in plan_segments(FRAMES_25, [0.0], 3)] == [(0.0, None)]
    assert plan_segments([], [], 3) == []


def test_a_keyframe_on_the_last_frame_makes_a_one_frame_part():
    frames = [n / 25 for n in range(101)]  # 0 .. 4.0
    assert [s.start for s in plan_segments(frames, [0.0, 4.0], 2)] == [0.0, 4.0]


def test_hls_parts_start_on_the_outputs_gop_grid():
    # a 2 s GOP at 25 fps is 50 frames: only keyframes on frames 0, 50, 100, ... may start a part
    assert gop_frames(INFO, TranscodeParams(container="hls", gop_seconds=2)) == 50
    assert gop_frames(INFO, TranscodeParams(container="mp4", gop_seconds=2)) == 1
    assert [s.start for s in plan_segments(FRAMES_25, EVERY_SECOND, 3, every=50)] == [0.0, 4.0, 8.0]
    assert [s.start for s in plan_segments(FRAMES_25, [0.0, 3.0, 5.0], 3, every=50)] == [0.0]


def test_part_length_grows_past_the_part_limit():
    assert segment_seconds(600, 120, 64) == 120
    assert segment_seconds(7200 * 4, 120, 64) == pytest.approx(450)
    with pytest.raises(ValueError):
        segment_seconds(0, 120, 64)


def test_combined_progress_weighs_parts_by_length_and_leaves_room_for_the_join():
    parts = [("video", 0.0, 3.0, 100), ("video", 3.0, 9.0, 50), ("video", 9.0, None, 0), ("audio", None, None, 0)]
    # video lengths 3, 6 and the open last part counted as the average (4.5): 13.5; audio 5 % of it
    assert combined_progress(parts) == int((3 + 3) / (13.5 * 1.05) * 100 * 0.95)
    done = [(kind, start, end, 100) for kind, start, end, _ in parts]
    assert combined_progress(done) == 95
    assert combined_progress([]) == 0


def test_seek_times_round_down_to_ffmpegs_microseconds():
    assert seek_time(3.0) == "3.000000"
    assert seek_time(2.9999999999) == "3.000000"  # a float a hair under a whole time base tick
    assert seek_time(1 / 3) == "0.333333"


def test_a_video_part_seeks_to_its_keyframe_and_reads_to_before_the_next(tmp_path):
    params = TranscodeParams(height=720, video_bitrate_kbps=1800)
    src, out = Path("/in/input.mp4"), Path("/w/part.mp4")
    first = video_part_argv("ffmpeg", src, INFO, params, Segment(1, 0.0, 3.0, 2.98), out)
    assert "-ss" not in first and first[first.index("-t") + 1] == "2.980000"
    middle = video_part_argv("ffmpeg", src, INFO, params, Segment(2, 3.0, 6.0, 5.98), out, threads=1)
    # -ss and -t before -i (input options: decode only the part's range), the single run's encoder options
    assert middle.index("-ss") < middle.index("-i") and middle.index("-t") < middle.index("-i")
    assert middle[middle.index("-ss") + 1] == "3.000000" and middle[middle.index("-t") + 1] == "2.980000"
    assert ["-c:v", "libx264"] == middle[middle.index("-c:v") : middle.index("-c:v") + 2]
    assert ["-b:v", "1800k"] == middle[middle.index("-b:v") : middle.index("-b:v") + 2]
    assert middle[middle.index("-x264-params") + 1] == "threads=1" and "-an" in middle
    assert middle[-3:] == ["-f", "mp4", str(out)]
    last = video_part_argv("ffmpeg", src, INFO, params, Segment(4, 9.0, None, None), out)
    assert "-t" not in last and last[last.index("-ss") + 1] == "9.000000"


def test_the_audio_part_is_the_whole_audio_with_the_single_runs_options():
    argv = audio_part_argv("ffmpeg", Path("/in/i.mp4"), INFO, TranscodeParams(audio_bitrate_kbps=64), Path("/w/a.m4a"))
    assert "-ss" not in argv and "-t" not in argv and "-vn" in argv
    assert argv[argv.index("-b:a") + 1] == "64k" and argv[argv.index("-map") + 1] == "0:a:0"


def test_the_join_copies_and_places_each_part_at_its_input_time():
    script = concat_list(["part-0001.mp4", "part-0002.mp4"], [3.0, None])
    assert script == "ffconcat version 1.0\nfile 'part-0001.mp4'\nduration 3.000000\nfile 'part-0002.mp4'\n"
    with pytest.raises(ValueError):
        concat_list(["../etc/passwd"], [None])
    argv = join_argv("ffmpeg", Path("/w/p.ffconcat"), Path("/w/audio.m4a"), TranscodeParams(), Path("/w/o.mp4"))
    assert argv[argv.index("-f") + 1] == "concat" and argv[argv.index("-c") + 1] == "copy"
    assert argv.count("-protocol_whitelist") == 2  # every input is guarded, not only the first
    assert "-itsoffset" not in argv
    shifted = join_argv("ffmpeg", Path("/w/p"), None, TranscodeParams(), Path("/w/o.mp4"), video_offset=0.04)
    assert shifted[shifted.index("-itsoffset") + 1] == "0.040000" and "1:a:0" not in shifted


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"container": "hls", "gop_seconds": 0}, "HLS with the encoder's own GOP runs whole"),
        ({"container": "mkv"}, "mkv outputs run whole"),
        ({"video_codec": "h265"}, "h265 runs whole"),
        ({"fps": 15}, "frame rate change"),
        ({"remove_video": True}, "no video"),
    ],
)
def test_what_runs_whole(change, reason):
    assert reason in (split_refusal(INFO, replace(TranscodeParams(), **change)) or "")


def test_mp4_and_hls_h264_at_the_source_rate_may_be_split():
    assert split_refusal(INFO, TranscodeParams(fps=25)) is None
    assert split_refusal(INFO, TranscodeParams(container="hls")) is None
    assert split_refusal(INFO, TranscodeParams(fps=30)) is None  # never faster than the source: no change


def test_a_part_event_names_a_part_from_one():
    assert parse_worker_event({"task_id": "t", "index": 1, "attempt": 0}).part is None
    assert parse_worker_event({"task_id": "t", "index": 1, "attempt": 0, "part": 3}).part == 3
    with pytest.raises(BadInputError):
        parse_worker_event({"task_id": "t", "index": 1, "attempt": 0, "part": 0})
