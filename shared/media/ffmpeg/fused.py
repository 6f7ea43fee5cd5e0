"""Decode once: one ffmpeg process, one input, several outputs of one task, each checked on its own.

ffmpeg decodes each input stream once and hands every decoded frame to every output that maps the
stream, each output through its own filter graph and encoder. So the fused command is simply the
argv the unfused builder makes for each output (``argv.transcode_argv`` for a rendition,
``snapshot_argv.snapshot_plan`` for a sprite), one after the other behind the single ``-i``: every
output's codec, filters and settings are exactly the ones it gets alone. A ``-filter_complex`` with
``split``/``asplit`` would be the same single decode written a second way, and each output's ``-vf``
would have to be rewritten into it (a second builder of per-output options). A sprite's unfused
command has no input options of its own (its head is the rendition's: ``-i`` and nothing else), and
its ``-filter_complex`` reads ``[0:V:0]``, the one input, so its part moves over unchanged.

When it pays (measured side by side on the 2-core machine, 30 s 1080p H.264 clip, ladder presets,
children's CPU seconds, median of 3, the machine loaded by other jobs so wall times are noise):
  1 rung alone                          7.6 s CPU
  2 rungs (100010+100020): apart 16.2 s, fused 13.4 s  (-17 %)
  4 rungs (100010..100040):  apart 55.4 s, fused 48.1 s  (-13 %: one 1080p decode instead of four)
  1 rung + a sprite (full decode, fps filter): apart 9.4 s, fused 7.5 s (-20 %)
  rung 100030 + sprite preset 10 (load ~11): apart 16.2 s, fused 14.4 s (-11 %); the sprite alone
    1.9 s, nearly all of it the decode the fused run shares; its sheets came out byte for byte the same
  the same task through the pipeline (bench/ladder_bench.py --sprite, load ~9.5): fused 16.8 s CPU,
    fusion off 19.8 s (-15 %)
A single output has nothing to share, so a group needs two. Time-offset and sampled snapshots seek
(``-ss`` before ``-i``) and decode only a GOP around each offset: on the same clip sampled preset 10
(ten pictures) costs 0.45 s CPU alone, where joining a full decode would need a select filter over
every frame, so they run apart. ``MAX_FUSED`` bounds a group at the size measured.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.domain.errors import BadInputError, EngineError, MediaError
from shared.domain.kinds.snapshot import SnapshotParams
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.media.contract import Engine, EngineResult, Progress
from shared.media.ffmpeg.argv import transcode_argv
from shared.media.ffmpeg.command import base_argv
from shared.media.ffmpeg.engines import run_snapshot, run_transcode, snapshot_result, transcode_result
from shared.media.ffmpeg.probe import MediaInfo, probe_input
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.ffmpeg.snapshot_argv import snapshot_plan
from shared.media.outputs import work_dir

MAX_FUSED = 4


@dataclass(frozen=True)
class FusedOutput:
    """One subtask's share of a fused run: its parameters, and where its files go (as for ``Engine``)."""

    params: TranscodeParams | SnapshotParams  # a rendition, or a sprite
    out_dir: Path
    stem: str


# Per output, in order: its result, or the error it met in the fused run (an EngineTimeoutError when the
# run as a whole ran out of time). Only a lost claim (raised by ``on_progress``) ends the call itself.
FusedOutcome = EngineResult | Exception
FusedEngine = Callable[..., list[FusedOutcome]]
# How a share's command was built, and so how its files are checked once the run is over.
_Check = Callable[[str], EngineResult]


def fused_argv(ffmpeg: str, src: str | Path, argvs: list[list[str]]) -> list[str]:
    """One command from the unfused commands of the same input: their output parts after one input."""
    head = base_argv(ffmpeg) + ["-i", str(src)]
    for argv in argvs:
        if argv[: len(head)] != head:
            raise ValueError("only commands that read the same input alone can be fused")
    return head + [arg for argv in argvs for arg in argv[len(head) :]]


def run_fused_transcode(
    src: Path,
    outputs: list[FusedOutput],
    *,
    timeout: float,
    on_progress: Progress | None = None,
    probe: MediaInfo | None = None,
) -> list[FusedOutcome]:
    """Decode ``src`` once into every output (renditions, sprites); each output is then checked and
    published alone. ``probe``: the task's kept probe of ``src`` (not read again)."""
    src = Path(src).absolute()
    info = probe_input(src, probe)  # the input's own faults are every output's: raised, as each would alone
    outcomes: list[FusedOutcome | None] = [None] * len(outputs)
    with contextlib.ExitStack() as stack:
        works = [stack.enter_context(work_dir(o.out_dir.absolute(), o.stem)) for o in outputs]
        checks: dict[int, _Check] = {}
        argvs = []
        for i, (o, work) in enumerate(zip(outputs, works, strict=True)):
            try:
                argv, checks[i] = _command(src, info, o, work)
            except (BadInputError, MediaError) as exc:  # this output's settings, refused before any run
                outcomes[i] = exc
                continue
            argvs.append(argv)
        if argvs:
            try:
                run = run_ffmpeg(
                    fused_argv(ffmpeg_exe(), src, argvs),
                    timeout=timeout,
                    duration_hint=info.streams_duration or None,
                    on_progress=on_progress,
                )
            except EngineError as exc:  # which output broke it is not known: each is tried again alone
                return [exc if outcome is None else outcome for outcome in outcomes]
            for i, check in checks.items():
                try:
                    outcomes[i] = check(run.log_tail)
                except (MediaError, EngineError) as exc:
                    outcomes[i] = exc
    assert all(outcome is not None for outcome in outcomes)  # every output was refused, run or checked
    return [outcome for outcome in outcomes if outcome is not None]


def _command(src: Path, info: MediaInfo, o: FusedOutput, work: Path) -> tuple[list[str], _Check]:
    """The output's unfused command (the very builder its engine uses alone), and its engine's check."""
    out_dir = o.out_dir.absolute()
    if isinstance(o.params, SnapshotParams):
        plan = snapshot_plan(ffmpeg_exe(), src, info, o.params, work, o.stem)
        if plan.sprite is None or len(plan.argvs) != 1:  # seeking snapshots decode their own way
            raise ValueError("only a sprite, one decoding pass, shares the full decode")
        return plan.argvs[0], lambda log_tail: snapshot_result(plan, work, out_dir, log_tail)
    params = o.params
    argv, written = transcode_argv(ffmpeg_exe(), src, info, params, work, o.stem)
    return argv, lambda log_tail: transcode_result(info, params, work, written[0], o.stem, out_dir, log_tail)


def fused_engine_for(engine: Engine) -> FusedEngine | None:
    """The fused form of a worker's engine, or None where that engine's subtasks always run alone."""
    return run_fused_transcode if engine is run_transcode else None


def joins_fused_runs(engine: Engine) -> bool:
    """Whether a worker's engine leaves the subtasks that share a decode to a fused run of another
    function (a sprite's to the transcode function's) rather than running them itself."""
    return engine is run_snapshot


def unfused_engine(params: TranscodeParams | SnapshotParams) -> Engine:
    """The engine a fused run's share runs alone with, when the fused run could not give it its result."""
    return run_snapshot if isinstance(params, SnapshotParams) else run_transcode
