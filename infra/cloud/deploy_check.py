"""Checks a deployment can work before `sls deploy` runs: every ${env:NAME} serverless.yml uses
is set (optional ones may be empty), each function's environment builds cloud settings
(storage=cos, invoker=scf) with role credentials, and `make package` has produced dist/ (code and
both layers) with every function within SCF's size limits (dist/sizes.json).

    set -a; . ./.env; set +a; python -m infra.cloud.deploy_check
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from infra.cloud.package import LAYERS
from shared.domain.errors import OpenMpsError
from shared.runtime.settings import settings_from_env

REPO = Path(__file__).resolve().parents[2]
ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
# May be empty: AWS DynamoDB needs no endpoint; a cluster may need no keys; the prefix has a default.
OPTIONAL = {"OPENMPS_TABLE_ENDPOINT", "OPENMPS_TABLE_ACCESS_KEY_ID", "OPENMPS_TABLE_SECRET_ACCESS_KEY",
            "OPENMPS_TABLE_PREFIX"}
FAKE_ROLE = {"TENCENTCLOUD_SECRETID": "AKIDrole", "TENCENTCLOUD_SECRETKEY": "role-key",
             "TENCENTCLOUD_SESSIONTOKEN": "role-token"}


def referenced_names(doc: Any) -> list[str]:
    """The ${env:NAME} names used in the parsed document's values (comments do not count)."""
    if isinstance(doc, str):
        return sorted(set(ENV_REF.findall(doc)))
    values = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []
    return sorted({name for value in values for name in referenced_names(value)})


def substitute(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return ENV_REF.sub(lambda m: env.get(m.group(1), ""), value)
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    return value


def function_environments(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    functions = doc["inputs"]["functions"]
    return {key: {k: "" if v is None else str(v) for k, v in
                  ((fn.get("environment") or {}).get("variables") or {}).items()} for key, fn in functions.items()}


def problems(env: Mapping[str, str], path: Path = REPO / "serverless.yml",
             dist: Path | None = REPO / "dist") -> list[str]:
    raw = yaml.safe_load(path.read_text())
    found = [f"{name} is not set" for name in referenced_names(raw) if not env.get(name) and name not in OPTIONAL]
    doc = substitute(raw, env)
    for key, variables in function_environments(doc).items():
        try:
            settings = settings_from_env({**variables, **FAKE_ROLE})
        except OpenMpsError as exc:
            found.append(f"function {key}: {exc.message}")
            continue
        if settings.storage != "cos" or settings.invoker != "scf":
            found.append(f"function {key}: OPENMPS_STORAGE must be cos and OPENMPS_INVOKER scf in the cloud "
                         f"(got {settings.storage}/{settings.invoker})")
    if dist is not None:
        for artifact in ("code/functions/__init__.py", *(f"{layer.name}.zip" for layer in LAYERS)):
            if not (dist / artifact).exists():
                found.append(f"dist/{artifact} is missing: run `make package`")
        sizes = dist / "sizes.json"
        if sizes.exists():  # make package writes the zips even when a function is over SCF's limits
            found += [f"dist/sizes.json: {p}" for p in json.loads(sizes.read_text()).get("problems", [])]
    return found


def main() -> None:
    found = problems(os.environ)
    for problem in found:
        print(f"not ready: {problem}")
    if found:
        sys.exit(1)
    print("ready to deploy")


if __name__ == "__main__":
    main()
