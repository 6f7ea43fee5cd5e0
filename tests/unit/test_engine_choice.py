"""The AI engines a function runs come from the settings, through the handler, not from the environment."""

from __future__ import annotations

from typing import Any

import pytest

from shared import functions_support
from shared.domain.errors import OpenMpsError
from shared.media.ai.ports import LOCAL_ENGINES, EngineChoice
from shared.runtime.settings import Settings, settings_from_env

pytestmark = pytest.mark.unit


def test_the_settings_name_the_engines_and_the_onnx_threads() -> None:
    # GIVEN the variables an operator sets
    settings = settings_from_env({"OPENMPS_REVIEW_ENGINE": "cloud-mps", "OPENMPS_ONNX_THREADS": "3"})
    # WHEN the handler turns them into a choice
    choice = functions_support.engine_choice(settings)
    # THEN the review family runs the named engine, the others stay local
    assert choice == EngineChoice(review="cloud-mps", analysis="local", enhance="local", onnx_threads=3)
    assert functions_support.engine_choice(settings_from_env({})) == LOCAL_ENGINES


@pytest.mark.parametrize(
    "name, value", [("OPENMPS_ONNX_THREADS", "many"), ("OPENMPS_ONNX_THREADS", "-1"), ("OPENMPS_ENHANCE_ENGINE", "A b")]
)
def test_a_bad_engine_setting_is_refused_at_cold_start(name: str, value: str) -> None:
    with pytest.raises(OpenMpsError, match=f"bad setting {name}"):
        settings_from_env({name: value})


class FakeDeps:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.storage = object()


def test_the_ai_worker_handler_runs_the_engine_the_settings_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN settings that pick another analysis engine and two ONNX threads
    deps = FakeDeps(Settings(analysis_engine="other", onnx_threads=2))
    seen: dict[str, Any] = {}
    monkeypatch.setattr(functions_support, "default_deps", lambda: deps)

    def fake_run_subtask(d: Any, event: Any, engine: Any, time_budget: float, prepare: Any) -> dict[str, Any]:
        return engine("src", "params", "out", "stem", timeout=time_budget)

    def run_analysis(*args: Any, **kwargs: Any) -> tuple[list[Any], str, dict[str, Any]]:
        seen.update(kwargs)
        return [], "log", {}

    monkeypatch.setattr(functions_support, "run_subtask", fake_run_subtask)
    # WHEN the worker function handles an event
    handler = functions_support.ai_worker_handler(run_analysis)
    assert handler({"task_id": "t", "index": 1, "attempt": 0}, {"time_limit_in_ms": 60_000}) == ([], "log", {})
    # THEN the engine is called with the choice built from those settings
    assert seen["choice"] == EngineChoice(analysis="other", onnx_threads=2)
