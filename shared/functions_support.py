"""What every function handler shares: one decorator for the SCF entry point, and the workers'
event in, service call, result out."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from shared.composition import default_deps
from shared.domain.errors import BadInputError, error_envelope
from shared.media.ai.ports import EngineChoice
from shared.media.contract import ChoosingEngine, Engine
from shared.media.ffmpeg.provision import ensure_ffmpeg
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext
from shared.runtime.settings import Settings
from shared.services.worker import run_subtask

# Leave time to publish outputs and record the result before the platform kills the function.
FINISH_MARGIN_SECONDS = 20.0

Handle = Callable[[Any, ScfContext], dict[str, Any]]
MainHandler = Callable[[Any, Any], dict[str, Any]]


def function_handler(handle: Handle) -> MainHandler:
    """SCF's ``main_handler(event, context)`` around ``handle``: the context in the shape powertools
    reads, a fresh logger context per invocation, and bad input answered with its error envelope.
    A malformed event never parses, so it is logged and not retried (raising would ask SCF to
    deliver it again); every other exception propagates and keeps its retry meaning."""

    @logger.inject_lambda_context(clear_state=True)
    def traced(event: Any, context: ScfContext) -> dict[str, Any]:
        try:
            return handle(event, context)
        except BadInputError as exc:
            logger.error("rejected event", extra={"code": exc.code, "reason": exc.message})
            return error_envelope(exc.code, exc.message)

    @wraps(handle)
    def main_handler(event: Any, context: Any) -> dict[str, Any]:
        return traced(event, ScfContext(context))

    return main_handler


def engine_choice(settings: Settings) -> EngineChoice:
    """The AI engines the settings select."""
    return EngineChoice(
        review=settings.review_engine,
        analysis=settings.analysis_engine,
        enhance=settings.enhance_engine,
        onnx_threads=settings.onnx_threads,
    )


def worker_handler(engine: Engine) -> MainHandler:
    """The handler of a worker whose engine is fixed (transcode, snapshot)."""
    return _worker(lambda _settings: engine)


def ai_worker_handler(run: ChoosingEngine) -> MainHandler:
    """The handler of an AI worker: ``run`` (``run_review`` ...) is given the engines the settings choose."""
    return _worker(lambda settings: partial(run, choice=engine_choice(settings)))


def _worker(engine_for: Callable[[Settings], Engine]) -> MainHandler:
    @function_handler
    def handle(event: Any, context: ScfContext) -> dict[str, Any]:
        deps = default_deps()
        budget = max(5.0, context.get_remaining_time_in_millis() / 1000 - FINISH_MARGIN_SECONDS)
        # A function without the ffmpeg layer fetches the binary once, inside the run: a fetch
        # that keeps failing follows the worker's retry contract and ends in FAIL, so a bad
        # deployment never leaves subtasks queued forever.
        return run_subtask(
            deps,
            event,
            engine_for(deps.settings),
            time_budget=budget,
            prepare=lambda: ensure_ffmpeg(deps.settings, deps.storage),
        )

    return handle
