"""The subtask kinds openmps runs, one module each; everything else asks this registry.

A new kind is one module that builds a ``SubtaskKind`` and one ``register`` line below.
"""

from __future__ import annotations

from shared.domain.kinds import analysis, enhancement, review, snapshot, transcode
from shared.domain.kinds.registry import (
    MpsTaskName,
    SubtaskKind,
    all_kinds,
    find,
    get,
    names,
    params_to_json,
    register,
    resolve_preset,
    unregister,
    validate_params,
)

# The order is the console's and the catalog's listing order.
register(transcode.KIND)
register(snapshot.KIND)
register(analysis.KIND)
register(review.KIND)
register(enhancement.KIND)

__all__ = [
    "MpsTaskName",
    "SubtaskKind",
    "all_kinds",
    "find",
    "get",
    "names",
    "params_to_json",
    "register",
    "resolve_preset",
    "unregister",
    "validate_params",
]
