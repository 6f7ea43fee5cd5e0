"""Ports of the three AI engine families, so a cloud engine can replace a local one.

A worker calls ``run_review`` / ``run_analysis`` / ``run_enhancement``; they delegate to the engine
selected here. The local engines (``review.LocalReviewEngine`` ...) are the defaults; a cloud
adapter (e.g. Tencent MPS through tencentcloud-sdk-python) implements the same method, returns the
same ``(files, log_tail, summary)`` triple and is chosen with ``use_engine`` or the environment
variables ``OPENMPS_REVIEW_ENGINE`` / ``OPENMPS_ANALYSIS_ENGINE`` / ``OPENMPS_ENHANCE_ENGINE``.
"""

from __future__ import annotations

import abc
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.domain.ai_templates import AnalysisParams, EnhanceParams, ReviewParams
from shared.media.contract import EngineResult, Progress


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
    ) -> EngineResult:
        """Write an enhanced, playable copy of ``src`` with before/after measurements."""


_ENV = {"review": "OPENMPS_REVIEW_ENGINE", "analysis": "OPENMPS_ANALYSIS_ENGINE", "enhance": "OPENMPS_ENHANCE_ENGINE"}
_factories: dict[str, dict[str, Callable[[], Any]]] = {family: {} for family in _ENV}
_instances: dict[tuple[str, str], Any] = {}
_chosen: dict[str, str] = {}
_lock = threading.Lock()


def register_engine(family: str, name: str, factory: Callable[[], Any]) -> None:
    """Make an engine available under ``name`` for ``family`` (review | analysis | enhance)."""
    if family not in _factories:
        raise ValueError(f"unknown engine family {family!r}")
    with _lock:
        _factories[family][name] = factory
        _instances.pop((family, name), None)


def use_engine(family: str, name: str | None) -> None:
    """Select an engine for this process (None: back to the environment variable or "local")."""
    with _lock:
        if name is None:
            _chosen.pop(family, None)
        else:
            _chosen[family] = name


def engine_for(family: str) -> Any:
    """The selected engine of a family; created once per process and reused by warm invocations."""
    if family not in _factories:
        raise ValueError(f"unknown engine family {family!r}")
    with _lock:
        name = _chosen.get(family) or os.environ.get(_ENV[family]) or "local"
        key = (family, name)
        if key not in _instances:
            factory = _factories[family].get(name)
            if factory is None:
                raise ValueError(f"no {family} engine named {name!r} (known: {sorted(_factories[family])})")
            _instances[key] = factory()
        return _instances[key]
