"""SCF's limits on what a function binds (code plus layers unzipped, layers per function), checked
against the sizes of a build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from infra.cloud.archive import Artifact
from infra.cloud.layers import CORE

MB = 1024 * 1024
SCF_MAX_UNZIPPED = 500 * MB  # code + bound layers, before compression
SCF_MAX_LAYERS = 5  # per function
SCF_DIRECT_UPLOAD_ZIP = 50 * MB  # above this, upload through COS


def overlapping_paths(layers: Mapping[str, Iterable[str]]) -> list[str]:
    """Archive paths found in more than one layer: SCF unpacks bound layers into the same /opt,
    so one would silently replace the other."""
    owner: dict[str, str] = {}
    clashes = []
    for layer, names in layers.items():
        for name in names:
            if name in owner and owner[name] != layer:
                clashes.append(f"{name} ({owner[name]}, {layer})")
            owner.setdefault(name, layer)
    return sorted(clashes)


def function_sizes(
    code: Artifact, layers: Mapping[str, Artifact], bindings: Mapping[str, list[str]]
) -> dict[str, dict[str, object]]:
    """Per function: the layers it binds and code + those layers unzipped."""
    return {
        key: {"layers": names, "unzipped_bytes": code.unzipped_bytes + sum(layers[n].unzipped_bytes for n in names)}
        for key, names in bindings.items()
    }


def check_limits(
    code: Artifact,
    layers: Mapping[str, Artifact],
    bindings: Mapping[str, list[str]],
    max_unzipped: int = SCF_MAX_UNZIPPED,
    core: str = CORE.name,
) -> list[str]:
    """Problems that stop a deployment (empty when every function fits)."""
    problems = []
    for key, size in function_sizes(code, layers, bindings).items():
        names = bindings[key]
        total = int(size["unzipped_bytes"])  # type: ignore[call-overload]
        if total > max_unzipped:
            problems.append(
                f"function {key}: code + {' + '.join(names)} unpack to {total / MB:.1f} MB; SCF allows "
                f"{max_unzipped / MB:.0f} MB per function (code and bound layers, before compression)"
            )
        if len(names) > SCF_MAX_LAYERS:
            problems.append(f"function {key} binds {len(names)} layers; SCF allows {SCF_MAX_LAYERS}")
        if core not in names:
            problems.append(f"function {key} does not bind {core} (shared/ and the core dependencies)")
    return problems


def notes(*artifacts: Artifact) -> list[str]:
    return [
        f"{a.name}: {a.zip_bytes / MB:.1f} MB zipped is over {SCF_DIRECT_UPLOAD_ZIP / MB:.0f} MB: upload it "
        f"through COS (docs/DEPLOY.md)"
        for a in artifacts
        if a.zip_bytes > SCF_DIRECT_UPLOAD_ZIP
    ]
