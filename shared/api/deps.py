"""The API's access to adapters; tests swap them with ``use``."""

from __future__ import annotations

from shared.composition import default_deps
from shared.services.deps import Deps

_override: Deps | None = None


def deps() -> Deps:
    return _override or default_deps()


def use(override: Deps | None) -> None:
    global _override
    _override = override
