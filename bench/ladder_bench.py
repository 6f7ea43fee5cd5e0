"""The 4-rung MP4 ladder task through the local stack, against one hand-run ffmpeg that decodes once
and against four separate hand runs (issue 12 §1; target: pipeline <= 1.10 x the one-decode run).

    .venv/bin/python bench/ladder_bench.py [--seconds 30] [--repeats 3] [--unfused] [--sprite]

The task has Transcode 100010, 100020, 100030 and 100040 on a 1080p clip. The hand runs use the very
argv lists the engine builds (shared/media/ffmpeg/argv.py; fused.py joins them behind one input).
The three variants are interleaved, ``--repeats`` times, and the medians compared. Beside wall time
it prints CPU seconds: for the hand runs the children's user+sys (getrusage), for the pipeline the
user+sys the stack's whole process tree spent (table, API, workers and their ffmpeg, from /proc),
so saved work can be told from parallelism on a busy machine. ``--unfused`` adds a second stack with
OPENMPS_FUSE_OUTPUTS=false (every rendition alone) as a fourth variant.

``--sprite`` measures a sprite joining a rendition's decode instead: the task is Transcode 100030 +
Snapshot sprite 10, through a stack that fuses and one with fusion off (the sprite then runs in the
snapshot function), against the hand-run one-decode command and the two commands one after the other.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack_timeline import read_timeline, tree_cpu_seconds  # noqa: E402
from infra.local.harness import RunningStack, start_stack, stop_stack  # noqa: E402
from shared.domain import kinds  # noqa: E402
from shared.media.ffmpeg.argv import transcode_argv  # noqa: E402
from shared.media.ffmpeg.fused import fused_argv  # noqa: E402
from shared.media.ffmpeg.probe import probe  # noqa: E402
from shared.media.ffmpeg.runner import ffmpeg_exe  # noqa: E402
from shared.media.ffmpeg.snapshot_argv import snapshot_plan  # noqa: E402
from tests.media_fixtures import make_clip  # noqa: E402

LADDER = (100010, 100020, 100030, 100040)
LADDER_TASK = [{"type": "Transcode", "definition": d} for d in LADDER]
SPRITE_RUNG = 100030
SPRITE_TASK = [
    {"type": "Transcode", "definition": SPRITE_RUNG},
    {"type": "Snapshot", "definition": 10, "kind": "sprite"},
]


def rung_argvs(clip: Path, out: Path, rungs: tuple[int, ...] = LADDER) -> list[list[str]]:
    info = probe(clip)
    out.mkdir(parents=True, exist_ok=True)
    return [
        transcode_argv(ffmpeg_exe(), clip, info, kinds.resolve_preset("Transcode", d).params, out, f"hand_{d}")[0]
        for d in rungs
    ]


def sprite_argv(clip: Path, out: Path) -> list[str]:
    """The sprite preset's command as the snapshot engine builds it (one decoding pass)."""
    params = kinds.resolve_preset("Snapshot", 10, "sprite").params
    return snapshot_plan(ffmpeg_exe(), clip, probe(clip), params, out, "hand_sprite").argvs[0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_hand(argvs: list[list[str]]) -> tuple[float, float]:
    cpu, start = children_cpu(), time.perf_counter()
    for argv in argvs:
        subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


POLL_SECONDS = 0.25  # the bench's own requests cost the stack CPU: poll gently, time from the log


def run_pipeline(stack: RunningStack, key: str, subtasks: list[dict[str, object]]) -> tuple[float, float]:
    """Create -> FINISH, timed to the aggregator's "task finished" log line (not to the poll that saw it),
    as bench/pipeline_bench.py does."""
    client = stack.client
    body = {
        "input": {"bucket": client.config()["input_bucket"], "key": key},
        "output": {"dir": "bench/{task_id}/"},
        "subtasks": subtasks,
    }
    cpu, start = tree_cpu_seconds(stack.proc.pid), time.time()
    task_id = client.create_task(body)["task_id"]
    while (task := client.task(task_id))["status"] != "FINISH":
        time.sleep(POLL_SECONDS)
    seen = time.time()
    if any(s["status"] != "SUCCESS" for s in task["subtasks"]):
        raise SystemExit(f"benchmark task failed: {task['subtasks']}")
    time.sleep(0.5)  # the aggregator's last writes belong to this task's cost
    finished = read_timeline(stack.log, task_id).finished or seen
    return finished - start, tree_cpu_seconds(stack.proc.pid) - cpu  # the stack's idle ticks meanwhile count too


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unfused", action="store_true", help="also run the task on a stack with fusion off")
    parser.add_argument("--sprite", action="store_true", help=f"the task is rung {SPRITE_RUNG} + a sprite instead")
    args = parser.parse_args()
    subtasks = SPRITE_TASK if args.sprite else LADDER_TASK
    with tempfile.TemporaryDirectory(prefix="openmps-ladder-bench-") as tmp:
        work = Path(tmp)
        clip = make_clip(work / "ladder1080.mp4", seconds=args.seconds, width=1920, height=1080)
        if args.sprite:
            argvs = [*rung_argvs(clip, work / "hand", (SPRITE_RUNG,)), sprite_argv(clip, work / "hand")]
        else:
            argvs = rung_argvs(clip, work / "hand")
        stacks = {"pipeline (fused)": start_stack(work / "data", "bench-token")}
        if args.unfused or args.sprite:
            stacks["pipeline (fusion off)"] = start_stack(
                work / "data-unfused", "bench-token", {"OPENMPS_FUSE_OUTPUTS": "false"}
            )
        try:
            keys = {name: s.client.upload(clip, key="bench/ladder1080.mp4")["key"] for name, s in stacks.items()}
            variants: dict[str, Callable[[], tuple[float, float]]] = {
                name: (lambda s=s, k=keys[name]: run_pipeline(s, k, subtasks)) for name, s in stacks.items()
            }
            variants["one ffmpeg, decode once"] = lambda: run_hand([fused_argv(ffmpeg_exe(), clip, argvs)])
            variants[f"{len(argvs)} separate ffmpeg runs"] = lambda: run_hand(argvs)
            for name, s in stacks.items():  # warm the function processes
                run_pipeline(s, keys[name], subtasks)
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
            for _ in range(args.repeats):
                for name, run in variants.items():
                    samples[name].append(run())
        finally:
            for s in stacks.values():
                stop_stack(s)
    task = ", ".join(f"{t['type']} {t['definition']}" + (f" {t['kind']}" if "kind" in t else "") for t in subtasks)
    print(f"clip: {args.seconds:.0f} s 1920x1080 H.264/AAC; task: {task}")
    print(f"median of {args.repeats}, variants interleaved; load average now {os.getloadavg()[0]:.1f}")
    wall = {n: statistics.median(w for w, _ in v) for n, v in samples.items()}
    cpu = {n: statistics.median(c for _, c in v) for n, v in samples.items()}
    base = "one ffmpeg, decode once"
    for name in samples:
        print(
            f"{name:28s} wall {wall[name]:7.2f} s ({wall[name] / wall[base]:.2f}x)  "
            f"cpu {cpu[name]:7.2f} s ({cpu[name] / cpu[base]:.2f}x)"
        )
    if "pipeline (fusion off)" in samples:
        fused, off = "pipeline (fused)", "pipeline (fusion off)"
        print(f"fused / fusion off: wall {wall[fused] / wall[off]:.2f}x  cpu {cpu[fused] / cpu[off]:.2f}x")
    rounds = [p / b for (p, _), (b, _) in zip(samples["pipeline (fused)"], samples[base], strict=True)]
    cpu_rounds = [p / b for (_, p), (_, b) in zip(samples["pipeline (fused)"], samples[base], strict=True)]
    # The round's own ratio: both ran within a minute of each other, so drift of the shared machine
    # (which moves the same hand run by 10 % between rounds) mostly cancels.
    print(
        f"pipeline / one-decode per round: wall {', '.join(f'{r:.2f}' for r in rounds)} "
        f"(median {statistics.median(rounds):.2f}); cpu {', '.join(f'{r:.2f}' for r in cpu_rounds)} "
        f"(median {statistics.median(cpu_rounds):.2f})"
    )
    ratio = wall["pipeline (fused)"] / wall[base]
    print(f"target pipeline <= 1.10 x one-decode run: {ratio:.2f} -> {'met' if ratio <= 1.10 else 'NOT met'}")


if __name__ == "__main__":
    main()
