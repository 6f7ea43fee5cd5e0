"""Reading serverless.yml, the one registry of functions, triggers, env and concurrency.

``read_document`` parses it (with an environment given, ``${env:NAME}`` references are replaced the
way the Serverless Framework does: an unset name becomes ""); ``load_serverless`` turns it into the
function and timer specs the local runtime runs. The cloud packaging and checks read the same
document through ``read_document``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SERVERLESS_YML = Path(__file__).resolve().parent.parent / "serverless.yml"
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


def read_document(path: str | os.PathLike[str] = SERVERLESS_YML, env: Mapping[str, str] | None = None) -> Any:
    """The parsed YAML of ``path``; with ``env``, every ``${env:NAME}`` replaced from it.
    Raises ValueError (naming the file) when it is not valid YAML."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    return doc if env is None else substitute_env(doc, env)


SCF_DEFAULT_TIMEOUT = 3  # seconds, SCF's default when serverless.yml gives none
SCF_DEFAULT_MEMORY_MB = 128
DEFAULT_CONCURRENCY = 1  # no reservedConcurrency: run one at a time locally
TIMER_DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class FunctionSpec:
    key: str  # the key under inputs.functions: what invoke_* take
    name: str  # the SCF function name
    handler: str  # "package.module.function"
    timeout: float  # seconds
    memory_mb: int
    concurrency: int  # reservedConcurrency
    environment: dict[str, str]


@dataclass(frozen=True)
class TimerSpec:
    function: str
    name: str
    every_seconds: float


_HANDLER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _positive(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if isinstance(value, bool) or number <= 0:
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return number


def _env_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else "" if value is None else str(value)


def cron_every_seconds(expression: str) -> float:
    """The period of an SCF 7-field cron ("sec min hour day month week year"): */N in the
    seconds or minutes field; anything else is treated as once a minute."""
    fields = str(expression).split()
    if len(fields) != 7:
        raise ValueError(f"cronExpression {expression!r} needs 7 fields: sec min hour day month week year")
    for field, unit in ((fields[0], 1), (fields[1], 60)):
        match = re.fullmatch(r"\*/(\d+)", field)
        if match and int(match.group(1)) > 0:
            return float(int(match.group(1)) * unit)
    return TIMER_DEFAULT_SECONDS


def load_serverless(
    path: str | os.PathLike[str], env: Mapping[str, str]
) -> tuple[dict[str, FunctionSpec], list[TimerSpec]]:
    """Read the multi-scf serverless.yml: the function specs by key, and the enabled timers."""

    def fail(message: str) -> ValueError:
        return ValueError(f"{path}: {message}")

    def mapping(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise fail(f"{where} must be a mapping")
        return value

    inputs = mapping(mapping(read_document(path, env), "the document").get("inputs"), "inputs")
    functions = mapping(inputs.get("functions"), "inputs.functions")
    if not functions:
        raise fail("inputs.functions is empty")
    specs: dict[str, FunctionSpec] = {}
    try:
        for key, raw in functions.items():
            where = f"inputs.functions.{key}"
            raw = mapping(raw, where)
            handler = raw.get("handler")
            if not isinstance(handler, str) or not _HANDLER.fullmatch(handler):
                raise fail(f"{where}.handler must look like package.module.function, got {handler!r}")
            environment = mapping(raw.get("environment") or {}, f"{where}.environment")
            variables = mapping(environment.get("variables") or {}, f"{where}.environment.variables")
            timeout = raw.get("timeout", inputs.get("timeout", SCF_DEFAULT_TIMEOUT))
            memory = raw.get("memorySize", inputs.get("memorySize", SCF_DEFAULT_MEMORY_MB))
            concurrency = raw.get("reservedConcurrency", DEFAULT_CONCURRENCY)
            specs[str(key)] = FunctionSpec(
                key=str(key),
                name=str(raw.get("name") or key),
                handler=handler,
                timeout=_positive(timeout, f"{where}.timeout"),
                memory_mb=int(_positive(memory, f"{where}.memorySize")),
                concurrency=int(_positive(concurrency, f"{where}.reservedConcurrency")),
                environment={str(k): _env_value(v) for k, v in variables.items()},
            )
        timers: list[TimerSpec] = []
        triggers = inputs.get("triggers") or []
        if not isinstance(triggers, list):
            raise fail("inputs.triggers must be a list")
        for i, raw in enumerate(triggers):
            where = f"inputs.triggers[{i}]"
            raw = mapping(raw, where)
            params = mapping(raw.get("parameters") or {}, f"{where}.parameters")
            endpoints = params.get("endpoints") or []
            targets = [raw["function"]] if "function" in raw else []
            targets += [ep["function"] for ep in endpoints if isinstance(ep, dict) and "function" in ep]
            if not targets:
                raise fail(f"{where} names no function")
            for target in targets:
                if target not in specs:
                    raise fail(f"{where} refers to unknown function {target!r}")
            if raw.get("type") == "timer" and str(params.get("enable", True)).lower() != "false":
                if "function" not in raw:
                    raise fail(f"{where}: a timer needs a function")
                every = cron_every_seconds(params.get("cronExpression", ""))
                name = str(params.get("name") or raw["function"])
                timers.append(TimerSpec(function=raw["function"], name=name, every_seconds=every))
    except ValueError as exc:
        if str(exc).startswith(f"{path}:"):
            raise
        raise fail(str(exc)) from exc
    return specs, timers
