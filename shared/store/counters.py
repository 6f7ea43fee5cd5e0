"""Atomic counters and session-id claims in the counters table."""

from __future__ import annotations

from shared.runtime.settings import Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import CounterModel, bind_models

TEMPLATE_DEFINITIONS = "template-definition"


class CounterStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def next_value(self, name: str, start: int = 0) -> int:
        """A new, never repeated value (atomic ADD); the first one is start + 1."""
        item = CounterModel(name)
        item.update(actions=[CounterModel.value.add(1)])
        return start + int(item.value)

    def claim_session(self, account: str, session_id: str, task_id: str, now: str, not_before: str) -> str:
        """Map a session id to a task id unless a claim younger than ``not_before`` exists.
        Returns the task id now mapped (ours, or the earlier one)."""
        name = f"session#{account}#{session_id}"
        try:
            with _conditional():
                CounterModel(name, ref=task_id, time=now).save(
                    condition=CounterModel.name.does_not_exist() | (CounterModel.time < not_before)
                )
            return task_id
        except _LostCondition:
            return CounterModel.get(name, consistent_read=True).ref or task_id
