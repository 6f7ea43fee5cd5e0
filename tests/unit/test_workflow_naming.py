import pytest

from shared.domain.errors import BadInputError
from shared.domain.ids import is_task_id, upload_task_id
from shared.domain.kinds import resolve_preset as resolve_template
from shared.domain.kinds.transcode import PRESETS
from shared.domain.naming import input_name, input_suffix, output_stem
from shared.domain.workflow import SubtaskSpec, Workflow, default_workflow, render_output_dir

pytestmark = pytest.mark.unit


def wf(**kw):
    base = default_workflow("acct", "in-1250000000", "out-1250000000", "2026-01-01T00:00:00.000000Z")
    return Workflow(**{**vars(base), **kw})


@pytest.mark.parametrize(
    "key, expected",
    [
        ("input/a/clip.mp4", True),
        ("input/a/CLIP.MOV", True),
        ("input/x.Mkv", True),
        ("input/song.flac", True),
        ("input/doc.pdf", False),
        ("other/clip.mp4", False),
        ("input/", False),
        ("input/folder/", False),
        ("input/clip.mp4.part", False),
    ],
)
def test_default_workflow_matches_media_under_input_prefix(key, expected):
    assert wf().matches("in-1250000000", key) is expected


def test_disabled_or_other_bucket_never_matches():
    assert not wf(enabled=False).matches("in-1250000000", "input/a.mp4")
    assert not wf().matches("elsewhere-1250000000", "input/a.mp4")


def test_outputs_under_the_triggering_prefix_are_refused():
    with pytest.raises(BadInputError):
        wf(output_bucket="in-1250000000", output_dir="input/out/").check_no_retrigger()
    wf(output_bucket="in-1250000000", output_dir="output/{task_id}/").check_no_retrigger()


def test_output_dir_rendering():
    assert render_output_dir("output/{task_id}/", "T") == "output/T/"
    assert render_output_dir("/out/{taskId}", "T") == "out/T/"
    with pytest.raises(BadInputError):
        render_output_dir("out/../../etc/{task_id}", "T")


def test_task_ids_are_deterministic_and_mps_shaped():
    a = upload_task_id("1250000000", "b", "k", '"e"', "default")
    assert a == upload_task_id("1250000000", "b", "k", "e", "default")
    assert a != upload_task_id("1250000000", "b", "k", "e2", "default")
    assert a != upload_task_id("1250000000", "b", "k", "e", "other")
    assert is_task_id(a) and a.startswith("1250000000-WorkflowTask-") and a.endswith("t0")


@pytest.mark.parametrize(
    "key, name",
    [
        ("input/ab12/My Clip (1).mp4", "My_Clip__1_"),
        ("input/视频.mov", "视频"),
        ("input/-rf.mp4", "rf"),
        ("input/..mp4", "mp4"),
        ("input/100%.mp4", "100_"),
    ],
)
def test_input_names_are_safe(key, name):
    assert input_name(key) == name


def test_input_suffix_only_for_known_media():
    assert input_suffix("a/b.MP4") == ".mp4"
    assert input_suffix("a/b.exe") == ""
    assert input_suffix("a/b") == ""


def test_output_stems_follow_mps_patterns():
    assert output_stem("Transcode", "", "input/x/clip.mp4", 100030) == "clip_transcode_100030"
    assert output_stem("Snapshot", "sampled", "input/clip.mp4", 10) == "clip_sampleSnapshot_10"
    assert output_stem("Snapshot", "sprite", "input/clip.mp4", 10) == "clip_imageSprite_10"


def test_presets_cover_the_mps_ladder():
    assert sorted(d for (_t, d) in PRESETS) == [
        100010,
        100020,
        100030,
        100040,
        100070,
        100080,
        100210,
        100220,
        100230,
        100240,
        100270,
        100280,
    ]
    hd = resolve_template("Transcode", 100030).params
    assert (hd.container, hd.height, hd.video_bitrate_kbps, hd.audio_bitrate_kbps) == ("mp4", 720, 1800, 128)
    assert resolve_template("Transcode", 100230).params.container == "hls"


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "Snapshot"},
        {"type": "Snapshot", "definition": "x"},
        {"type": "Snapshot", "definition": -1},
        {"type": "Snapshot", "definition": True},
        {"type": "Snapshot", "definition": 10, "kind": "gif"},
        {"type": "Snapshot", "definition": 10, "extra": 1},
        "Transcode",
    ],
)
def test_malformed_subtask_specs_are_refused(spec):
    with pytest.raises(BadInputError):
        SubtaskSpec.from_dict(spec)
