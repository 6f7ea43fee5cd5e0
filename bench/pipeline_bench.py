"""Upload-to-FINISH on the local stack against the same ffmpeg commands run by hand.

    .venv/bin/python bench/pipeline_bench.py [--seconds 30] [--rounds 3] [--tiny-tasks 10]

1. A 30 s 1080p clip: the stack's upload -> FINISH time (transcode 100030 and sampled
   snapshots 10, as the default workflow runs them) against the very argv lists the engines
   build, run by hand one after the other and side by side; the variants interleaved over
   ``--rounds`` rounds, medians reported, wall time beside CPU seconds (the machine may be busy:
   the CPU seconds tell saved work from waiting). Then the median task's timeline from the
   stack's log: where the time between upload and FINISH went.
2. Control-plane overhead per task: tiny clips where ffmpeg work is near zero; the overhead is
   the median upload -> FINISH time minus the hand-run ffmpeg time for the same clip.
3. Cold start: a fresh interpreter importing each function's handler (what a new instance pays).

Times end at the aggregator's "task finished" log line; the bench polls gently (its requests
cost the stack CPU too).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.stack_timeline import read_timeline, tree_cpu_seconds  # noqa: E402
from infra.local.harness import RunningStack, start_stack, stop_stack  # noqa: E402
from shared.domain import kinds  # noqa: E402
from shared.media.ffmpeg.argv import transcode_argv  # noqa: E402
from shared.media.ffmpeg.probe import probe  # noqa: E402
from shared.media.ffmpeg.runner import ffmpeg_exe  # noqa: E402
from shared.media.ffmpeg.snapshot_argv import snapshot_plan  # noqa: E402
from tests.media_fixtures import make_clip  # noqa: E402


def hand_commands(clip: Path, out: Path) -> list[list[list[str]]]:
    """The argv lists the two engines run for the default workflow, per subtask."""
    info = probe(clip)
    out.mkdir(parents=True, exist_ok=True)
    transcode, _ = transcode_argv(
        ffmpeg_exe(), clip, info, kinds.resolve_preset("Transcode", 100030).params, out, "hand_transcode"
    )
    plan = snapshot_plan(
        ffmpeg_exe(), clip, info, kinds.resolve_preset("Snapshot", 10, "sampled").params, out, "hand_snap"
    )
    return [[transcode], plan.argvs]


def run_hand(commands: list[list[list[str]]], parallel: bool) -> tuple[float, float]:
    """Wall and CPU seconds (the ffmpeg children's user+sys) of the commands."""

    def run(argvs: list[list[str]]) -> None:
        for argv in argvs:
            subprocess.run(argv, check=True, capture_output=True)

    cpu = _children_cpu()
    start = time.perf_counter()
    if parallel:
        with ThreadPoolExecutor(len(commands)) as pool:
            list(pool.map(run, commands))
    else:
        for argvs in commands:
            run(argvs)
    return time.perf_counter() - start, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class PipelineRun:
    wall: float
    cpu: float
    task_id: str
    upload_start: float  # wall clock, to line up with the stack's log
    upload_ack: float
    seen_finish: float


POLL_SECONDS = 0.25  # the bench's own requests cost the stack CPU: poll gently, time from the log


def upload_to_finish(stack: RunningStack, clip: Path) -> PipelineRun:
    """Upload -> FINISH, timed to the aggregator's "task finished" log line (not to the poll that saw it)."""
    client = stack.client
    cpu = tree_cpu_seconds(stack.proc.pid)
    upload_start = time.time()
    ticket = client.upload(clip)
    upload_ack = time.time()
    task = None
    while task is None:
        task = client.find_task_for_key(ticket["key"])
        time.sleep(POLL_SECONDS)
    while True:
        task = client.task(task["task_id"])
        if task["status"] == "FINISH":
            break
        time.sleep(POLL_SECONDS)
    seen = time.time()
    if any(s["status"] != "SUCCESS" for s in task["subtasks"]):
        raise SystemExit(f"benchmark task failed: {task['subtasks']}")
    # The stack's own tree; the bench's requests are not in it.
    used = tree_cpu_seconds(stack.proc.pid) - cpu
    finished = read_timeline(stack.log, task["task_id"]).finished or seen
    return PipelineRun(finished - upload_start, used, task["task_id"], upload_start, upload_ack, seen)


def cold_start(function: str, runs: int = 3) -> tuple[float, float]:
    """Wall and CPU seconds (medians) of importing a function's handler in a fresh interpreter: what an
    instance's cold start costs before its first invocation runs."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import functions.{function}.index"], check=True, cwd=REPO)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="pipeline and hand runs, interleaved")
    parser.add_argument("--tiny-tasks", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openmps-bench-") as tmp:
        work = Path(tmp)
        clip = make_clip(work / "bench1080.mp4", seconds=args.seconds, width=1920, height=1080)
        clip_mb = clip.stat().st_size / 1e6
        tiny = make_clip(work / "tiny.mp4", seconds=1, width=160, height=120)
        commands = hand_commands(clip, work / "hand")
        stack = start_stack(work / "data", "bench-token")
        pipeline: list[PipelineRun] = []
        sequential: list[tuple[float, float]] = []
        side_by_side: list[tuple[float, float]] = []
        try:
            upload_to_finish(stack, tiny)  # warm the function processes
            for r in range(args.rounds):
                # Rotate the order so a load change on the machine hits each variant alike.
                variants = [
                    lambda: pipeline.append(upload_to_finish(stack, clip)),
                    lambda: sequential.append(run_hand(commands, parallel=False)),
                    lambda: side_by_side.append(run_hand(commands, parallel=True)),
                ]
                for k in range(len(variants)):
                    variants[(k + r) % len(variants)]()
            tiny_pipeline = [upload_to_finish(stack, tiny) for _ in range(args.tiny_tasks)]
            tiny_cmds = hand_commands(tiny, work / "hand-tiny")
            tiny_hand = statistics.median(run_hand(tiny_cmds, parallel=True)[0] for _ in range(5))
            middle = sorted(pipeline, key=lambda p: p.wall)[len(pipeline) // 2]
            timeline = read_timeline(stack.log, middle.task_id)
            tiny_mid = sorted(tiny_pipeline, key=lambda p: p.wall)[len(tiny_pipeline) // 2]
            tiny_timeline = read_timeline(stack.log, tiny_mid.task_id)
        finally:
            stop_stack(stack)
    med = statistics.median
    p_wall, p_cpu = med(p.wall for p in pipeline), med(p.cpu for p in pipeline)
    print(f"clip: {args.seconds:.0f} s 1920x1080 H.264/AAC, {clip_mb:.1f} MB; {args.rounds} rounds, medians")
    print(f"upload -> FINISH on the local stack : {p_wall:6.2f} s wall, {p_cpu:6.2f} s CPU (stack's process tree)")
    for name, runs in (("one by one  ", sequential), ("side by side", side_by_side)):
        wall, cpu = med(w for w, _ in runs), med(c for _, c in runs)
        ratios = [p.wall / w for p, (w, _) in zip(pipeline, runs, strict=True)]
        print(
            f"same ffmpeg commands, {name}: {wall:6.2f} s wall, {cpu:6.2f} s CPU  "
            f"(ratio {p_wall / wall:.2f}; per round {', '.join(f'{x:.2f}' for x in ratios)}; "
            f"CPU ratio {p_cpu / cpu:.2f})"
        )
    print(f"timeline of the median task ({middle.task_id}), seconds from the upload's start:")
    print("\n".join(timeline.describe(middle.upload_start, middle.upload_ack, middle.seen_finish)))
    tiny_med = med(p.wall for p in tiny_pipeline)
    print(
        f"tiny clip upload -> FINISH (median of {len(tiny_pipeline)}): {tiny_med:.3f} s, "
        f"{med(p.cpu for p in tiny_pipeline):.2f} s CPU; its ffmpeg work by hand: {tiny_hand:.3f} s; "
        f"control-plane overhead per task: {tiny_med - tiny_hand:.3f} s"
    )
    print("timeline of the median tiny task:")
    print("\n".join(tiny_timeline.describe(tiny_mid.upload_start, tiny_mid.upload_ack, tiny_mid.seen_finish)))
    for function in ("transcode", "snapshot", "aggregator", "trigger"):
        wall, cpu = cold_start(function)
        print(f"cold start (handler import) of {function:<10}: {wall:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
