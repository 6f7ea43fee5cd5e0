"""Ports of the three AI engine families, so a cloud engine can replace a local one.

A worker calls ``run_review`` / ``run_analysis`` / ``run_enhancement`` with an ``EngineChoice``;
they delegate to the engine it names. The local engines (``review.LocalReviewEngine`` ...) register
as "local", the default; a cloud adapter (e.g. Tencent MPS through tencentcloud-sdk-python)
implements the same method, returns the same ``(files, log_tail, summary)`` triple and registers
under its own name, which the settings then select (``review_engine``, ``analysis_engine``,
``enhance_engine``; the function handler turns them into the choice). Nothing here reads the
environment.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain.kinds.analysis import AnalysisParams
from shared.domain.kinds.enhancement import EnhanceParams
from shared.domain.kinds.review import ReviewParams
from shared.media.contract import EngineResult, Progress
from shared.media.ffmpeg.probe import MediaInfo


class ReviewEngine(abc.ABC):
    name = "abstract"

    @abc.abstractmethod
    def review(
        self,
        src: Path,
        params: ReviewParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        """Review ``src``; the summary follows AiContentReviewResult (snake_case)."""


class AnalysisEngine(abc.ABC):
    name = "abstract"

    @abc.abstractmethod
    def analyse(
        self,
        src: Path,
        params: AnalysisParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        """Analyse ``src``; the summary follows AiAnalysisResult (snake_case)."""


class EnhanceEngine(abc.ABC):
    name = "abstract"

    @abc.abstractmethod
    def enhance(
        self,
        src: Path,
        params: EnhanceParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        """Write an enhanced, playable copy of ``src`` with before/after measurements."""


FAMILIES = ("review", "analysis", "enhance")


@dataclass(frozen=True)
class EngineChoice:
    """Which registered engine runs each family, and how many threads one ONNX model run of the
    local engines may use (0: the cores, at most 4). The default is the local engines."""

    review: str = "local"
    analysis: str = "local"
    enhance: str = "local"
    onnx_threads: int = 0

    def name_for(self, family: str) -> str:
        if family not in FAMILIES:
            raise ValueError(f"unknown engine family {family!r}")
        return str(getattr(self, family))


LOCAL_ENGINES = EngineChoice()

# An engine factory is given the whole choice, so a local engine can size its models.
EngineFactory = Callable[[EngineChoice], Any]
_factories: dict[str, dict[str, EngineFactory]] = {family: {} for family in FAMILIES}
_instances: dict[tuple[str, str, int], Any] = {}
_lock = threading.Lock()


def register_engine(family: str, name: str, factory: EngineFactory) -> None:
    """Make an engine available under ``name`` for ``family`` (review | analysis | enhance)."""
    if family not in _factories:
        raise ValueError(f"unknown engine family {family!r}")
    with _lock:
        _factories[family][name] = factory
        for key in [k for k in _instances if k[:2] == (family, name)]:
            del _instances[key]


def engine_for(family: str, choice: EngineChoice = LOCAL_ENGINES) -> Any:
    """The engine ``choice`` names for ``family``; created once per process and reused by warm invocations."""
    name = choice.name_for(family)
    with _lock:
        key = (family, name, choice.onnx_threads)
        if key not in _instances:
            factory = _factories[family].get(name)
            if factory is None:
                raise ValueError(f"no {family} engine named {name!r} (known: {sorted(_factories[family])})")
            _instances[key] = factory(choice)
        return _instances[key]
