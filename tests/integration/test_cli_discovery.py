"""`openmps` finds its stack: OPENMPS_URL, then OPENMPS_PORT / OPENMPS_DATA_DIR, then what the
last `openmps up` recorded, then the default; and says what it tried when nothing answers."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.discovery import StackNotFound, find_stack, record_stack

pytestmark = pytest.mark.integration


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def running() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data_dir(tmp_path: Path, token: str = "tok-1") -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    (d / "api-token").write_text(token + "\n")
    return d


def test_the_port_and_the_data_dir_token(tmp_path, running):
    # GIVEN a stack on a non-default port, its token in a data dir elsewhere
    d = data_dir(tmp_path)
    port = running.rsplit(":", 1)[1]
    env = {"OPENMPS_PORT": port, "OPENMPS_DATA_DIR": str(d), "HOME": str(tmp_path)}
    # WHEN the CLI looks for it from another directory
    found = find_stack(env, cwd=tmp_path / "elsewhere")
    # THEN it finds that port and reads the token from the data dir
    assert (found.url, found.token, found.source) == (running, "tok-1", "OPENMPS_PORT")


def test_the_last_started_stack_is_found_from_any_directory(tmp_path, running):
    # GIVEN `openmps up` recorded itself (data dir and per-user state)
    d = data_dir(tmp_path, "tok-2")
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)}
    record_stack(running, d, env)
    assert (d / "stack.json").is_file()
    # WHEN a command runs from an unrelated directory with no variables set
    found = find_stack(env, cwd=tmp_path / "somewhere")
    # THEN it is that stack, with its token
    assert (found.url, found.token) == (running, "tok-2")
    assert found.source.startswith("the last stack started")


def test_openmps_url_wins_and_the_token_variable_too(tmp_path, running):
    env = {"OPENMPS_URL": running + "/", "OPENMPS_API_TOKEN": "from-env", "OPENMPS_PORT": str(free_port())}
    found = find_stack(env, cwd=tmp_path)
    assert (found.url, found.token, found.source) == (running, "from-env", "OPENMPS_URL")


def test_nothing_answers_says_what_was_tried(tmp_path):
    # GIVEN nothing listening on the port asked for
    port = free_port()
    env = {"OPENMPS_PORT": str(port), "HOME": str(tmp_path)}
    # WHEN the CLI looks
    with pytest.raises(StackNotFound) as caught:
        find_stack(env, cwd=tmp_path, timeout=0.3)
    # THEN the message lists every address it tried and why, and how to fix it; no traceback text
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}" in message and "from OPENMPS_PORT" in message
    assert "http://127.0.0.1:8080" in message and "from the default" in message
    assert "openmps up" in message and "OPENMPS_URL" in message
    assert "urllib3" not in message and "Connection refused" not in message


def test_a_stack_without_a_readable_token_is_named(tmp_path, running):
    env = {"OPENMPS_URL": running, "OPENMPS_DATA_DIR": str(tmp_path / "empty")}
    with pytest.raises(StackNotFound, match="no API token"):
        find_stack(env, cwd=tmp_path)
