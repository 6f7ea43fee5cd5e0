"""What every media engine promises the worker: one call shape and one result shape.

An engine is called as ``engine(src, params, out_dir, stem, timeout=, on_progress=, probe=)`` and
leaves every file it reports inside ``out_dir`` under its final name. ``probe`` is the input's
MediaInfo when the worker has it already (probed once per task and kept on it); an engine given
None probes ``src`` itself. ``outputs`` are the subtask's
output location (输出位置): files to play or download. ``result_files`` belong to the result: the
full result JSON, review evidence frames, analysis covers. The worker uploads both, but only the
outputs are listed as the subtask's outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the engines' input description; PyAV is imported only where media is probed
    from shared.media.ffmpeg.probe import MediaInfo

# Called with 0-100 while an engine runs; it may raise to abort the run (a lost claim).
Progress = Callable[[float], None]


@dataclass(frozen=True)
class OutputFile:
    name: str
    path: Path
    metadata: dict[str, Any]  # its "md5", when present, is the MD5 of the file at ``path`` (it becomes the etag)


@dataclass(frozen=True)
class EngineResult:
    outputs: list[OutputFile]
    log_tail: str
    result: dict[str, Any] | None = None  # the compact summary kept on the subtask (review, analysis, enhancement)
    result_files: list[OutputFile] = field(default_factory=list)


class Engine(Protocol):
    def __call__(
        self,
        src: Path,
        params: Any,  # the kind's params model (TranscodeParams, ReviewParams, ...)
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult: ...


class ChoosingEngine(Protocol):
    """An AI engine run (``run_review`` ...): an ``Engine`` once it is given the engines to use."""

    def __call__(
        self,
        src: Path,
        params: Any,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        choice: Any,
        probe: MediaInfo | None = None,
    ) -> EngineResult: ...
