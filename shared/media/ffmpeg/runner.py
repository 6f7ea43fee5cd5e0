"""The one place that executes ffmpeg.

The argv comes from the pure builders in ``argv.py``; this module adds progress reporting, keeps
the end of ffmpeg's log for error reports, enforces the timeout and makes sure no ffmpeg process
outlives the call, whatever happens in the caller's progress callback.
"""

from __future__ import annotations

import functools
import queue
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import IO

import imageio_ffmpeg

from shared.domain import media_errors
from shared.domain.errors import EngineError, EngineTimeoutError
from shared.media.contract import Progress

_GLOBAL_FLAGS = {"-hide_banner", "-nostdin", "-y", "-n", "-nostats"}
_GLOBAL_WITH_VALUE = {"-loglevel", "-v"}
_PROGRESS_INTERVAL = 0.25  # seconds between two progress callbacks
_ERROR_HINTS = (
    "error",
    "invalid",
    "fail",
    "not found",
    "no such",
    "unable",
    "cannot",
    "could not",
    "denied",
    "unsupported",
    "corrupt",
)
# Summary lines ffmpeg prints after the real cause; they say nothing about it.
_GENERIC = (
    "conversion failed",
    "error opening output file",
    "error opening input file",
    "terminating thread with return code",
    "task finished with error code",
)


@functools.cache
def ffmpeg_exe() -> str:
    """The bundled binary (or ``IMAGEIO_FFMPEG_EXE``, which provision.py sets where no layer carries it)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class RunResult:
    log_tail: str
    elapsed: float


def with_progress(argv: list[str]) -> list[str]:
    """argv with ``-progress pipe:1`` after the global options (progress is global), stderr stats off."""
    if "-progress" in argv:
        return list(argv)
    i = 1
    while i < len(argv):
        if argv[i] in _GLOBAL_FLAGS:
            i += 1
        elif argv[i] in _GLOBAL_WITH_VALUE:
            i += 2
        else:
            break
    return argv[:i] + ["-progress", "pipe:1", "-stats_period", str(_PROGRESS_INTERVAL), "-nostats"] + argv[i:]


def run_ffmpeg(
    argv: list[str],
    *,
    timeout: float,
    duration_hint: float | None = None,
    on_progress: Progress | None = None,
    log_lines: int = 40,
) -> RunResult:
    full = with_progress(argv)
    tail: deque[str] = deque(maxlen=log_lines)
    times: queue.Queue[float | None] = queue.Queue()
    started = time.monotonic()
    deadline = started + timeout
    proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, shell=False)
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_read_stderr, args=(proc.stderr, tail), daemon=True),
        threading.Thread(target=_read_progress, args=(proc.stdout, times), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        _follow(proc, times, deadline, duration_hint, on_progress)
        code = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill(proc)
        _join(readers)
        raise EngineTimeoutError(
            f"ffmpeg did not finish within {timeout:g} s and was stopped",
            code=media_errors.ENGINE_TIMEOUT,
            log_tail="\n".join(tail),
            argv=full,
        ) from None
    finally:
        # Reached with an exception from the callback too: ffmpeg must not keep running unowned.
        _kill(proc)
    _join(readers)
    log_tail = "\n".join(tail)
    if code != 0:
        raise EngineError(
            f"ffmpeg failed (exit code {code}): {_cause(tail)}",
            code=media_errors.ENGINE_FAILED,
            log_tail=log_tail,
            exit_code=code,
            argv=full,
        )
    return RunResult(log_tail=log_tail, elapsed=time.monotonic() - started)


def _follow(
    proc: subprocess.Popen[bytes],
    times: queue.Queue[float | None],
    deadline: float,
    duration_hint: float | None,
    on_progress: Progress | None,
) -> None:
    """Relay progress until ffmpeg closes its stdout; raise TimeoutExpired past the deadline."""
    last_call = 0.0
    best = -1.0
    pending: float | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, 0)
        try:
            out_time = times.get(timeout=min(left, _PROGRESS_INTERVAL))
        except queue.Empty:
            out_time = -1.0
        if out_time is None:  # stdout closed: ffmpeg is exiting
            if pending is not None and on_progress is not None:
                on_progress(pending)
            return
        if on_progress is None or not duration_hint or duration_hint <= 0:
            continue
        if out_time >= 0:
            percent = min(100.0, max(0.0, out_time / duration_hint * 100.0))
            if percent > best:
                best, pending = percent, percent
        now = time.monotonic()
        if pending is not None and now - last_call >= _PROGRESS_INTERVAL:
            on_progress(pending)
            pending, last_call = None, now


def _read_progress(stream: IO[bytes], times: queue.Queue[float | None]) -> None:
    try:
        for raw in stream:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key in ("out_time_us", "out_time_ms"):  # both are microseconds (a historic misnomer)
                try:
                    times.put(int(value) / 1_000_000)
                except ValueError:
                    pass  # "N/A" before the first frame
    finally:
        times.put(None)


def _read_stderr(stream: IO[bytes], tail: deque[str]) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _join(readers: list[threading.Thread]) -> None:
    for reader in readers:
        reader.join(timeout=5)


def _cause(tail: deque[str]) -> str:
    lines = [line for line in tail if not any(g in line.lower() for g in _GENERIC)]
    for line in reversed(lines):
        if any(h in line.lower() for h in _ERROR_HINTS):
            return _strip_prefix(line)[:300]
    return _strip_prefix(lines[-1])[:300] if lines else "no error message"


def _strip_prefix(line: str) -> str:
    # "[h264 @ 0x55d...] Invalid NAL unit" -> drop the address, which differs on every run.
    while line.startswith("["):
        end = line.find("] ")
        if end < 0:
            break
        line = line[end + 2 :]
    return line.strip()
