"""A long transcode split across N one-thread workers against one one-thread worker on the whole clip.

    .venv/bin/python bench/split_bench.py [--minutes 1] [--height 1080] [--workers 1,2] [--repeat 3]
                                          [--part-seconds 15] [--definition 100030]

Simulates machines on one box: every ffmpeg process is limited to one thread (``-threads 1`` and
x264's ``threads=1``) and pinned to one CPU of its own, and N of them run at a time. The split
variant runs exactly what the transcode function's parts run (shared/media/ffmpeg/segments.py: the
same plan at input keyframes, the same part and join argv), minus the table and the storage: parts
of about --part-seconds in a pool of N workers, the audio as one more part, then the join (a stream
copy). The variants are interleaved and repeated; the medians are reported, with the CPU seconds of
the ffmpeg processes (user + sys of the waited children) beside the wall time, so saved work and
parallelism can be told apart. Each split output is checked against the single run's
(tests/integration/split_checks.py: frames and timestamps, keyframes at the joins, duration, A/V
sync, bitrate). The speed-up is expected near N for N up to the cores; the cloud model printed at
the end uses the measured times. The defaults (a 1-minute clip, parts of 15 s: long enough for
x264's ABR to settle) take about 5 min on a quiet 2-core machine; ``--minutes 10 --part-seconds 60``
is the issue's 10-minute clip (about 10x longer to run).
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.domain import kinds  # noqa: E402
from shared.domain.kinds.transcode_rules import TranscodeParams  # noqa: E402
from shared.domain.segments import Segment, plan_segments  # noqa: E402
from shared.media.ffmpeg.argv import transcode_argv  # noqa: E402
from shared.media.ffmpeg.probe import MediaInfo, probe  # noqa: E402
from shared.media.ffmpeg.runner import ffmpeg_exe  # noqa: E402
from shared.media.ffmpeg.segments import (  # noqa: E402
    audio_part_argv,
    concat_list,
    join_argv,
    video_index,
    video_part_argv,
)
from tests.integration.split_checks import assert_joins_like_single_run  # noqa: E402
from tests.media_fixtures import _run  # noqa: E402


def make_source(path: Path, minutes: float, height: int) -> Path:
    """A synthetic 25 fps clip with a keyframe every 2 s and stereo audio, encoded fast."""
    width = height * 16 // 9 // 2 * 2
    seconds = minutes * 60
    _run(
        [
            *["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25:duration={seconds}"],
            *["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-ac", "2"],
            *["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p"],
            *["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path)],
        ]
    )
    return path


def one_thread(argv: list[str]) -> list[str]:
    """The single run's argv with its decoder and encoder limited to one thread."""
    i = argv.index("-i")
    out = argv[:i] + ["-threads", "1"] + argv[i : i + 2]
    rest = argv[i + 2 :]
    return out + rest[:-3] + ["-threads", "1", "-x264-params", "threads=1"] + rest[-3:]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


MACHINES: queue.Queue[int] = queue.Queue()  # the CPUs free for a simulated one-core machine


def run(argv: list[str]) -> float:
    """Wall seconds of one ffmpeg run on a simulated one-core machine: pinned to one CPU taken from
    MACHINES (ffmpeg's demuxer, decoder and muxer threads would otherwise spread over every core, so
    "one thread" alone still used ~1.5 cores); its own CPU seconds go to ``PROCESS_CPU`` (os.wait4)."""
    cpu = MACHINES.get()
    try:
        return _run_on(cpu, argv)
    finally:
        MACHINES.put(cpu)


def _run_on(cpu: int, argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {err[-2000:].decode(errors='replace')}")
    PROCESS_CPU[argv[-1]] = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start


PROCESS_CPU: dict[str, float] = {}  # output path -> CPU seconds of the run that wrote it


def machines(n: int) -> None:
    """``n`` simulated one-core machines, one CPU each (no more than the box has)."""
    while not MACHINES.empty():
        MACHINES.get_nowait()
    cpus = sorted(os.sched_getaffinity(0))
    for i in range(n):
        MACHINES.put(cpus[i % len(cpus)])


def single(src: Path, info: MediaInfo, params: TranscodeParams, work: Path) -> tuple[float, float, Path]:
    argv, names = transcode_argv(ffmpeg_exe(), src, info, params, work, "single")
    machines(1)
    cpu = cpu_seconds()
    wall = run(one_thread(argv))
    return wall, cpu_seconds() - cpu, work / names[0]


def split(
    src: Path, info: MediaInfo, params: TranscodeParams, segments: list[Segment], workers: int, work: Path
) -> tuple[float, float, dict[str, float], Path]:
    work.mkdir(parents=True, exist_ok=True)
    exe = ffmpeg_exe()
    jobs = [
        (name, video_part_argv(exe, src, info, params, s, work / name, threads=1))
        for s in segments
        for name in [f"part-{s.number:04d}.mp4"]
    ]
    jobs.append(("audio.m4a", audio_part_argv(exe, src, info, params, work / "audio.m4a", threads=1)))
    cpu, start = cpu_seconds(), time.perf_counter()
    machines(workers)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, [argv for _, argv in jobs]))
    # per part, its CPU seconds: what a dedicated one-thread instance would take, however loaded this box is
    times = {name: PROCESS_CPU[str(work / name)] for name, _ in jobs}
    script = work / "parts.ffconcat"
    script.write_text(concat_list([n for n, _ in jobs[:-1]], [s.duration for s in segments]), encoding="utf-8")
    out = work / "joined.mp4"
    machines(1)
    run(join_argv(exe, script, work / "audio.m4a", params, out, video_offset=segments[0].start))
    end = time.perf_counter()
    times["join"] = PROCESS_CPU[str(out)]
    return end - start, cpu_seconds() - cpu, times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part-seconds", type=float, default=15.0)
    parser.add_argument("--definition", type=int, default=100030, help="the MP4 preset to transcode with")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    params = kinds.resolve_preset("Transcode", args.definition).params
    with tempfile.TemporaryDirectory(prefix="split-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        src = make_source(root / "source.mp4", args.minutes, args.height)
        info = probe(src)
        index = video_index(src)
        segments = plan_segments(index.frames, index.keyframes, args.part_seconds)
        print(
            f"clip: {args.minutes:g} min {info.display_width}x{info.display_height} @25 fps (synthetic, made in "
            f"{time.perf_counter() - t0:.1f} s); preset {args.definition}; {len(segments)} video parts of "
            f"~{args.part_seconds:g} s + 1 audio part; every ffmpeg one thread pinned to one CPU; "
            f"{os.cpu_count()} cores; "
            f"repeat {args.repeat}, interleaved"
        )
        walls: dict[str, list[float]] = {"single": []}
        cpus: dict[str, list[float]] = {"single": []}
        part_times: list[dict[str, float]] = []
        checks: dict[str, str] = {}
        for n in counts:
            walls[f"N={n}"], cpus[f"N={n}"] = [], []
        for r in range(args.repeat):
            wall, cpu, reference = single(src, info, params, root)
            walls["single"].append(wall)
            cpus["single"].append(cpu)
            for n in counts:
                wall, cpu, times, out = split(src, info, params, segments, n, root / f"split-{n}-{r}")
                walls[f"N={n}"].append(wall)
                cpus[f"N={n}"].append(cpu)
                if n == 1:
                    part_times.append(times)
                if r == 0:
                    try:
                        assert_joins_like_single_run(reference, out, [s.start for s in segments[1:]])
                        checks[f"N={n}"] = "pass"
                    except AssertionError as exc:
                        checks[f"N={n}"] = f"FAIL: {exc}"
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in walls.items()), flush=True)
        base = statistics.median(walls["single"])
        print(f"\n{'variant':<8} {'wall s':>8} {'cpu s':>8} {'speed-up':>9}  join checks")
        for key in walls:
            wall, cpu = statistics.median(walls[key]), statistics.median(cpus[key])
            print(f"{key:<8} {wall:>8.1f} {cpu:>8.1f} {base / wall:>8.2f}x  {checks.get(key, '(reference)')}")
        if part_times:
            video = [statistics.median(t[f"part-{s.number:04d}.mp4"] for t in part_times) for s in segments]
            audio = statistics.median(t["audio.m4a"] for t in part_times)
            join = statistics.median(t["join"] for t in part_times)
            per_second = sum(video) / (max(index.frames) - segments[0].start)
            longest = max(video)
            whole_cpu = statistics.median(cpus["single"])  # a dedicated one-thread instance takes its CPU time
            clip_seconds = max(index.frames) - segments[0].start
            audio_rate, join_rate = audio / clip_seconds, join / clip_seconds
            print(
                f"\ncloud model (one instance per part, all parts at once; per-part CPU seconds of the N=1 runs):"
                f"\n  time ~ max(longest video part, audio part) + join = max({longest:.1f}, {audio:.1f}) + {join:.1f}"
                f" = {max(longest, audio) + join:.1f} s here, against {whole_cpu:.1f} s whole on one instance"
                f"\n  measured rates (one thread): video {per_second:.3f} s per second of video, audio "
                f"{audio_rate:.4f}, join {join_rate:.4f}"
                f"\n  a film of D s in parts of P s: ~ max(P x {per_second:.3f}, D x {audio_rate:.4f}) + "
                f"D x {join_rate:.4f} s, plus fetching the input once per part; with D = 7200, P = 120: "
                f"~ {max(120 * per_second, 7200 * audio_rate) + 7200 * join_rate:.0f} s against "
                f"{7200 * (per_second + audio_rate):.0f} s on one instance"
            )


if __name__ == "__main__":
    main()
