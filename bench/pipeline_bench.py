"""Upload-to-FINISH on the local stack against the same ffmpeg commands run by hand.

    .venv/bin/python bench/pipeline_bench.py [--seconds 30] [--tiny-tasks 10]

1. A 30 s 1080p clip: the stack's upload -> FINISH time (transcode 100030 and sampled
   snapshots 10, as the default workflow runs them) against the very argv lists the engines
   build, run by hand one after the other and side by side.
2. Control-plane overhead per task: tiny clips where ffmpeg work is near zero; the overhead is
   the mean upload -> FINISH time minus the hand-run ffmpeg time for the same clip.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.local.harness import start_stack, stop_stack  # noqa: E402
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


def run_hand(commands: list[list[list[str]]], parallel: bool) -> float:
    def run(argvs: list[list[str]]) -> None:
        for argv in argvs:
            subprocess.run(argv, check=True, capture_output=True)

    start = time.perf_counter()
    if parallel:
        with ThreadPoolExecutor(len(commands)) as pool:
            list(pool.map(run, commands))
    else:
        for argvs in commands:
            run(argvs)
    return time.perf_counter() - start


def upload_to_finish(client, clip: Path) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    ticket = client.upload(clip)
    task = None
    while task is None:
        task = client.find_task_for_key(ticket["key"])
        time.sleep(0.05)
    while True:
        task = client.task(task["task_id"])
        if task["status"] == "FINISH":
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if any(s["status"] != "SUCCESS" for s in task["subtasks"]):
        raise SystemExit(f"benchmark task failed: {task['subtasks']}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--tiny-tasks", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openmps-bench-") as tmp:
        work = Path(tmp)
        clip = make_clip(work / "bench1080.mp4", seconds=args.seconds, width=1920, height=1080)
        clip_mb = clip.stat().st_size / 1e6
        tiny = make_clip(work / "tiny.mp4", seconds=1, width=160, height=120)
        stack = start_stack(work / "data", "bench-token")
        try:
            client = stack.client
            upload_to_finish(client, tiny)  # warm the function processes
            pipeline = upload_to_finish(client, clip)
            commands = hand_commands(clip, work / "hand")
            sequential = run_hand(commands, parallel=False)
            side_by_side = run_hand(commands, parallel=True)
            tiny_pipeline = [upload_to_finish(client, tiny) for _ in range(args.tiny_tasks)]
            tiny_cmds = hand_commands(tiny, work / "hand-tiny")
            tiny_hand = statistics.median(run_hand(tiny_cmds, parallel=True) for _ in range(5))
        finally:
            stop_stack(stack)
    print(f"clip: {args.seconds:.0f} s 1920x1080 H.264/AAC, {clip_mb:.1f} MB")
    print(f"upload -> FINISH on the local stack : {pipeline:6.2f} s")
    print(f"same ffmpeg commands, one by one    : {sequential:6.2f} s  (ratio {pipeline / sequential:.2f})")
    print(f"same ffmpeg commands, side by side  : {side_by_side:6.2f} s  (ratio {pipeline / side_by_side:.2f})")
    med = statistics.median(tiny_pipeline)
    print(
        f"tiny clip upload -> FINISH (median of {len(tiny_pipeline)}): {med:.3f} s; "
        f"its ffmpeg work by hand: {tiny_hand:.3f} s; control-plane overhead per task: {med - tiny_hand:.3f} s"
    )


if __name__ == "__main__":
    main()
