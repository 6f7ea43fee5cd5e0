"""Hostile keys against the pure parts (issue 14 battery, key and argv fuzzing): the key checks,
the names a worker derives from a key, the ffmpeg command lines built from them, and output object
path patterns. A key is refused with a 4xx code, or everything made from it stays a safe name:
ffmpeg only ever sees absolute paths inside its work folder (see tests/hostile_keys.py)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain.errors import BadInputError
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS, SnapshotParams
from shared.domain.kinds.transcode import PRESETS, TranscodeParams
from shared.domain.naming import input_name, input_suffix, output_stem
from shared.domain.object_paths import render_object_path, validate_object_path
from shared.media.ffmpeg.argv import transcode_argv
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream
from shared.media.ffmpeg.runner import with_progress
from shared.media.ffmpeg.snapshot_argv import snapshot_plan
from shared.storage.port import check_key, check_object_key
from tests.hostile_keys import HOSTILE_PIECES, MARK, argv_problems, hostile_keys, inside, is_code

pytestmark = pytest.mark.unit

WORK = Path("/srv/openmps-work/openmps-abc123")
FF = "/opt/ffmpeg"
INFO = MediaInfo(
    "mov,mp4,m4a,3gp,3g2,mj2",
    20.0,
    5_000_000,
    2_128_000,
    VideoStream("h264", 1280, 720, 25.0, 2_000_000, 0, 20.0),
    AudioStream("aac", 48000, 2, 128_000, 20.0),
)
TRANSCODES = [(k[1], t.params) for k, t in PRESETS.items() if isinstance(t.params, TranscodeParams)]
SNAPSHOTS = [(k, t.params) for k, t in SNAPSHOT_PRESETS.items() if isinstance(t.params, SnapshotParams)]
EXAMPLES = max(400, int(os.environ.get("OPENMPS_FUZZ_EXAMPLES", "0")))
PATTERN_PIECES = HOSTILE_PIECES + ["{inputName}", "{definition}", "{number}", "{format}", "out/"]
CASES = {"keys": 0, "refused": 0, "argv": 0, "patterns": 0}


def _worker_argvs(key: str) -> list[list[str]]:
    """The command lines a worker builds for this input key, as shared/services/worker.py names things."""
    src = WORK / ("input" + input_suffix(key))
    out = WORK / "out"
    argvs = []
    definition, params = TRANSCODES[hash(key) % len(TRANSCODES)]
    stem = output_stem("Transcode", "", key, definition)
    argvs.append(with_progress(transcode_argv(FF, src, INFO, params, out, stem)[0]))
    (kind, definition), snap = SNAPSHOTS[hash(key) % len(SNAPSHOTS)]
    stem = output_stem("Snapshot", kind, key, definition)
    argvs += [with_progress(a) for a in snapshot_plan(FF, src, INFO, snap, out, stem).argvs]
    return argvs


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_keys())
def test_a_hostile_key_is_refused_with_a_code_or_stays_inside_its_bucket(key):
    CASES["keys"] += 1
    try:
        check_object_key(key)
    except BadInputError as exc:
        CASES["refused"] += 1
        assert exc.code == "InvalidParameterValue.Key" and is_code(exc.code)
        return
    # an accepted key is a relative path of plain segments: joined to a bucket folder it stays there
    bucket = Path("/data/buckets/openmps-input-1250000000")
    assert inside(posixpath.normpath(f"{bucket}/{key}"), bucket)
    assert not key.startswith("/") and "\x00" not in key and "\n" not in key and "\\" not in key
    assert all(part not in ("", ".", "..") for part in key.split("/"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_keys())
def test_ffmpeg_sees_only_absolute_paths_inside_its_work_folder_whatever_the_key(key):
    CASES["argv"] += 1
    # the names made from a key are safe file names: no separator, no '%', no leading '-' or '.'
    name = input_name(key)
    assert name and "/" not in name and "%" not in name and not name.startswith(("-", "."))
    assert input_suffix(key) in {""} | {f".{e}" for e in ("mp4", "mov", "mkv", "ts", "mp3", "m4a", "flac", "webm")} or (
        input_suffix(key).isascii() and input_suffix(key)[1:].isalnum()
    )
    for argv in _worker_argvs(key):
        assert argv_problems(argv, WORK) == [], argv
        # the key itself never appears, and no element made from it can be an option
        assert key not in argv[1:]
        assert not any(MARK in a and a.startswith("-") for a in argv)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.lists(st.sampled_from(PATTERN_PIECES), max_size=6),
    hostile_keys(long=False),
)
def test_an_output_object_path_pattern_is_refused_with_a_code_or_renders_a_storable_key(pieces, key):
    CASES["patterns"] += 1
    pattern = "".join(pieces) + MARK + "_{number}.{format}"
    try:
        validate_object_path(pattern)
        rendered = render_object_path(pattern, input_name=input_name(key), definition=10, number=1, fmt="jpg")
    except BadInputError as exc:
        assert is_code(exc.code) and exc.code.startswith("InvalidParameterValue"), exc.code
        return
    # what it renders to, under an output dir, is a key the storage takes as a plain relative path
    full = check_object_key("out/task-1/" + rendered.lstrip("/"))
    assert inside(posixpath.normpath("/b/" + full), "/b")


def test_zz_cases_tried():
    # the report's figure: how many hostile keys and patterns the properties above were given
    print(f"\nkey fuzzing (unit): {CASES}")
    assert CASES["keys"] >= EXAMPLES * 0.9 or CASES["keys"] == 0  # 0 when run alone with -k


def test_the_pieces_cover_the_classes_the_issue_names():
    for piece in ("../", "..\\", "/etc/passwd", "-", "\n", ";", "$(id)", "`id`", "\x00", "file:", "concat:"):
        assert piece in HOSTILE_PIECES
    assert any(p.startswith("http:") for p in HOSTILE_PIECES)
    assert any(not p.isascii() for p in HOSTILE_PIECES)
    with pytest.raises(BadInputError):
        check_key("input/" + "a" * 1024)
