"""Checks a deployment can work before `sls deploy` runs: every ${env:NAME} serverless.yml uses
is set (optional ones may be empty), each function's environment builds cloud settings
(storage=cos, invoker=scf) with role credentials and a signing key of its own, and `make package`
has produced dist/ (code, the three layers and the bare ffmpeg) with every function within SCF's
size limits (dist/sizes.json), and OPENMPS_FFMPEG_SHA256 is the sha256 of that build's ffmpeg.

    set -a; . ./.env; set +a; python -m infra.cloud.deploy_check
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.cloud.layers import LAYERS
from infra.serverless_yml import ENV_REF, read_document, substitute_env
from shared.domain.errors import OpenMpsError
from shared.runtime.settings import settings_from_env

REPO = Path(__file__).resolve().parents[2]
# May be empty: AWS DynamoDB needs no endpoint; a cluster may need no keys; the prefix has a default;
# the API's URL is known only after the first deploy (see NOTES).
OPTIONAL = {
    "OPENMPS_TABLE_ENDPOINT",
    "OPENMPS_TABLE_ACCESS_KEY_ID",
    "OPENMPS_TABLE_SECRET_ACCESS_KEY",
    "OPENMPS_TABLE_PREFIX",
    "OPENMPS_PUBLIC_URL",
    "OPENMPS_ALLOW_PRIVATE_URLS",  # empty: URL inputs and receivers on private addresses are refused in the cloud
    "OPENMPS_SPLIT_THRESHOLD_SECONDS",  # empty: transcodes of inputs over 600 s are split across instances
    "OPENMPS_SPLIT_SEGMENT_SECONDS",  # empty: parts of about 120 s
    # empty: the default rate limits (shared/runtime/settings.py)
    *(
        f"OPENMPS_RATE_LIMIT_{who}_{what}"
        for who in ("READS", "WRITES", "ANONYMOUS")
        for what in ("PER_SECOND", "BURST")
    ),
}
# Shown, not refused, when the variable is empty.
NOTES = {
    "OPENMPS_PUBLIC_URL": "OPENMPS_PUBLIC_URL is empty: HLS play links will point to http://127.0.0.1:8080. "
    "Once the first deploy has created the API, set it to the gateway's release URL "
    "and deploy again"
}
FAKE_ROLE = {
    "TENCENTCLOUD_SECRETID": "AKIDrole",
    "TENCENTCLOUD_SECRETKEY": "role-key",
    "TENCENTCLOUD_SESSIONTOKEN": "role-token",
}


def referenced_names(doc: Any) -> list[str]:
    """The ${env:NAME} names used in the parsed document's values (comments do not count)."""
    if isinstance(doc, str):
        return sorted(set(ENV_REF.findall(doc)))
    values = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []
    return sorted({name for value in values for name in referenced_names(value)})


def function_environments(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    functions = doc["inputs"]["functions"]
    return {
        key: {k: "" if v is None else str(v) for k, v in ((fn.get("environment") or {}).get("variables") or {}).items()}
        for key, fn in functions.items()
    }


def problems(
    env: Mapping[str, str], path: Path = REPO / "serverless.yml", dist: Path | None = REPO / "dist"
) -> list[str]:
    raw = read_document(path)
    found = [f"{name} is not set" for name in referenced_names(raw) if not env.get(name) and name not in OPTIONAL]
    doc = substitute_env(raw, env)
    for key, variables in function_environments(doc).items():
        try:
            settings = settings_from_env({**variables, **FAKE_ROLE})
        except OpenMpsError as exc:
            found.append(f"function {key}: {exc.message}")
            continue
        if settings.storage != "cos" or settings.invoker != "scf":
            found.append(
                f"function {key}: OPENMPS_STORAGE must be cos and OPENMPS_INVOKER scf in the cloud "
                f"(got {settings.storage}/{settings.invoker})"
            )
    if dist is not None:
        for artifact in ("code/functions/__init__.py", *(f"{layer.name}.zip" for layer in LAYERS), "ffmpeg"):
            if not (dist / artifact).exists():
                found.append(f"dist/{artifact} is missing: run `make package`")
        sizes = dist / "sizes.json"
        if sizes.exists():  # make package writes the zips even when a function is over SCF's limits
            report = json.loads(sizes.read_text())
            found += [f"dist/sizes.json: {p}" for p in report.get("problems", [])]
            built = (report.get("ffmpeg") or {}).get("sha256")
            wanted = env.get("OPENMPS_FFMPEG_SHA256", "").lower()
            if "OPENMPS_FFMPEG_SHA256" in referenced_names(raw) and wanted and wanted != built:
                found.append(
                    f"OPENMPS_FFMPEG_SHA256 is not the sha256 of this build's dist/ffmpeg ({built}): upload "
                    f"dist/ffmpeg to OPENMPS_FFMPEG_OBJECT and set its sha256"
                )
    return found


def notes(env: Mapping[str, str], path: Path = REPO / "serverless.yml") -> list[str]:
    """What is allowed empty but worth a word."""
    names = referenced_names(read_document(path))
    return [note for name, note in NOTES.items() if name in names and not env.get(name)]


def main() -> None:
    found = problems(os.environ)
    for note in notes(os.environ):
        print(f"note: {note}")
    for problem in found:
        print(f"not ready: {problem}")
    if found:
        sys.exit(1)
    print("ready to deploy")


if __name__ == "__main__":
    main()
