"""`${env:NAME}` references in serverless.yml, read the way the Serverless Framework reads them
(an unset name becomes ""). Shared by the local runtime and the cloud packaging and checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute_env(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` (a parsed YAML tree) with every ``${env:NAME}`` replaced from ``env``."""
    if isinstance(value, str):
        return ENV_REF.sub(lambda m: env.get(m.group(1), ""), value)
    if isinstance(value, dict):
        return {k: substitute_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, env) for v in value]
    return value
