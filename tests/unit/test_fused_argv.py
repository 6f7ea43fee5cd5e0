"""Decode once, as argv: the fused command is each output's own command behind one input."""

from __future__ import annotations

import pytest

from shared.domain import kinds
from shared.domain.kinds.transcode import PRESETS
from shared.media.ffmpeg.argv import transcode_argv
from shared.media.ffmpeg.fused import fused_argv
from shared.media.ffmpeg.snapshot_argv import snapshot_plan
from tests.unit.test_media_argv import FF, OUT, PREFIX, SRC, info

pytestmark = pytest.mark.unit


def test_every_output_keeps_exactly_the_options_it_gets_alone():
    # GIVEN the commands of an MP4 and an HLS rendition, as the unfused engine builds them
    alone = [
        transcode_argv(FF, SRC, info(), PRESETS[("Transcode", d)].params, OUT, f"out_{d}")[0] for d in (100010, 100230)
    ]
    # WHEN they are fused
    argv = fused_argv(FF, SRC, alone)
    # THEN there is one input, and after it each output's part, unchanged and in order
    head = [*PREFIX, "-i", SRC]
    assert argv[: len(head)] == head and argv.count("-i") == 1
    assert argv[len(head) :] == alone[0][len(head) :] + alone[1][len(head) :]
    assert argv.count("-c:v") == 2 and argv.count(f"{OUT}/out_100010.mp4") == 1


def test_commands_of_different_inputs_are_not_fused():
    one = transcode_argv(FF, SRC, info(), PRESETS[("Transcode", 100010)].params, OUT, "a")[0]
    other = transcode_argv(FF, "/data/in/other.mp4", info(), PRESETS[("Transcode", 100010)].params, OUT, "b")[0]
    with pytest.raises(ValueError):
        fused_argv(FF, SRC, [one, other])


def test_a_sprite_joins_a_rendition_with_its_unfused_output_part_unchanged():
    # GIVEN a rendition's command and a sprite's, as their unfused engines build them
    rendition = transcode_argv(FF, SRC, info(), PRESETS[("Transcode", 100030)].params, OUT, "r")[0]
    sprite = snapshot_plan(FF, SRC, info(), kinds.resolve_preset("Snapshot", 10, "sprite").params, OUT, "s").argvs[0]
    # WHEN they are fused
    argv = fused_argv(FF, SRC, [rendition, sprite])
    # THEN the sprite needs no input option of its own, and its filter graph reads the one input
    head = [*PREFIX, "-i", SRC]
    assert sprite[: len(head)] == head and argv.count("-i") == 1
    assert argv[len(head) :] == rendition[len(head) :] + sprite[len(head) :]
    assert argv[argv.index("-filter_complex") + 1].startswith("[0:V:0]fps=1/10")


def test_renditions_and_sprites_declare_a_shared_decode_and_only_renditions_lead():
    keys = {(k.name, k.variant_of(t.params)): k.fusion_key(t.params) for k in kinds.all_kinds() for t in k.presets}
    assert {name for name, key in keys.items() if key is not None} == {("Transcode", ""), ("Snapshot", "sprite")}
    assert set(keys.values()) == {"full-decode", None}  # other snapshots seek; AI engines decode their own way
    assert [k.name for k in kinds.all_kinds() if k.fusion_leads] == ["Transcode"]
