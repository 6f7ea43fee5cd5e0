"""What the worker functions share: event in, service call, result out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain.errors import BadInputError
from shared.media.contract import Engine
from shared.media.ffmpeg.provision import ensure_ffmpeg
from shared.runtime.deps import default_deps
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext
from shared.services.worker import run_subtask

# Leave time to publish outputs and record the result before the platform kills the function.
FINISH_MARGIN_SECONDS = 20.0


def worker_handler(engine: Engine) -> Callable[[Any, Any], dict[str, Any]]:
    @logger.inject_lambda_context(clear_state=True)
    def handle(event: Any, context: ScfContext) -> dict[str, Any]:
        deps = default_deps()
        budget = max(5.0, context.get_remaining_time_in_millis() / 1000 - FINISH_MARGIN_SECONDS)
        try:
            # A function without the ffmpeg layer fetches the binary once, inside the run: a fetch
            # that keeps failing follows the worker's retry contract and ends in FAIL, so a bad
            # deployment never leaves subtasks queued forever.
            return run_subtask(
                deps, event, engine, time_budget=budget, prepare=lambda: ensure_ffmpeg(deps.settings, deps.storage)
            )
        except BadInputError as exc:
            logger.error("rejected event", extra={"code": exc.code, "reason": exc.message})
            return {"error": {"code": exc.code, "message": exc.message}}

    def main_handler(event: Any, context: Any) -> dict[str, Any]:
        return handle(event, ScfContext(context))

    return main_handler
