"""Find the running local stack the way a user expects, and say plainly what was tried.

Order: ``OPENMPS_URL`` (only that, when set), ``OPENMPS_PORT``, the ``stack.json`` that
``openmps up`` writes into ``OPENMPS_DATA_DIR`` and into ``./.openmps``, the last stack this user
started (from any directory), then ``http://127.0.0.1:8080``. The first that answers
``/healthz`` wins; its data dir gives the token unless ``OPENMPS_API_TOKEN`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

DEFAULT_PORT = 8080
DEFAULT_DATA_DIR = Path(".openmps")
STACK_FILE = "stack.json"


def state_file(env: Mapping[str, str] = os.environ) -> Path:
    """Where the last started stack is remembered, per user (not per directory)."""
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    return Path(base) / "openmps" / "last-stack.json"


def record_stack(url: str, data_dir: Path, env: Mapping[str, str] = os.environ) -> None:
    """Called by ``openmps up`` once it answers: the CLI finds it from here on."""
    record = json.dumps({"url": url, "data_dir": str(data_dir.resolve()), "pid": os.getpid()})
    for path in (data_dir / STACK_FILE, state_file(env)):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(record + "\n")
        except OSError:
            pass  # a read-only home must not stop the stack


@dataclass(frozen=True)
class Candidate:
    source: str  # what made us try it, for the message
    url: str
    data_dir: Path


@dataclass(frozen=True)
class FoundStack:
    url: str
    token: str
    source: str


class StackNotFound(SystemExit):
    pass


def _from_record(source: str, path: Path) -> Candidate | None:
    try:
        data = json.loads(path.read_text())
        return Candidate(source, str(data["url"]).rstrip("/"), Path(data["data_dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def candidates(env: Mapping[str, str], cwd: Path) -> list[Candidate]:
    data_dir = Path(env["OPENMPS_DATA_DIR"]) if env.get("OPENMPS_DATA_DIR") else cwd / DEFAULT_DATA_DIR
    if env.get("OPENMPS_URL"):
        return [Candidate("OPENMPS_URL", env["OPENMPS_URL"].rstrip("/"), data_dir)]
    found: list[Candidate | None] = []
    if env.get("OPENMPS_PORT"):
        found.append(Candidate("OPENMPS_PORT", f"http://127.0.0.1:{env['OPENMPS_PORT']}", data_dir))
    if env.get("OPENMPS_DATA_DIR"):
        found.append(_from_record(f"OPENMPS_DATA_DIR ({data_dir / STACK_FILE})", data_dir / STACK_FILE))
    local = cwd / DEFAULT_DATA_DIR / STACK_FILE
    found.append(_from_record(f"this directory ({local})", local))
    found.append(_from_record(f"the last stack started ({state_file(env)})", state_file(env)))
    found.append(Candidate("the default", f"http://127.0.0.1:{DEFAULT_PORT}", data_dir))
    unique: dict[str, Candidate] = {}
    for c in found:
        if c is not None and c.url not in unique:
            unique[c.url] = c
    return list(unique.values())


def _answers(url: str, timeout: float) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def find_stack(env: Mapping[str, str] = os.environ, cwd: Path | None = None, timeout: float = 1.0) -> FoundStack:
    tried = candidates(env, cwd or Path.cwd())
    for c in tried:
        if not _answers(c.url, timeout):
            continue
        token = env.get("OPENMPS_API_TOKEN") or _read_token(c.data_dir)
        if not token:
            raise StackNotFound(
                f"openmps: found the stack at {c.url} (from {c.source}) but no API token: set "
                f"OPENMPS_API_TOKEN, or OPENMPS_DATA_DIR to its data dir (no {c.data_dir / 'api-token'})"
            )
        return FoundStack(c.url, token, c.source)
    lines = "\n".join(f"  {c.url:<28} from {c.source}" for c in tried)
    raise StackNotFound(
        "openmps: no running stack answered. Tried:\n"
        f"{lines}\n"
        "Start one with `openmps up` (or `make run`), or point to it with OPENMPS_URL or OPENMPS_PORT."
    )


def _read_token(data_dir: Path) -> str:
    try:
        return (data_dir / "api-token").read_text().strip()
    except OSError:
        return ""
