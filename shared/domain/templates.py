"""The template record: a preset (code) or an account's custom template (table), holding the
parameters of one subtask kind (``shared.domain.kinds``).

A subtask keeps a snapshot of its template's parameters, so a later edit of a template never
changes what a queued or restarted subtask does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Template(Generic[P]):
    definition: int
    type: str  # the subtask kind's name
    name: str
    params: P  # the kind's frozen params dataclass
    preset: bool = True
