"""The openmps client (the CLI's, and the soak's) waits out 429 as the server asks, and gives up
after RATE_LIMIT_TRIES refusals in a row, against a real HTTP server that answers as the gateway's
rate gate does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from infra.local.client import MAX_RETRY_AFTER_SECONDS, RATE_LIMIT_TRIES, ApiError, Client

pytestmark = pytest.mark.integration


class _Gate:
    """Answers 429 with ``retry_after`` to the first ``refusals`` requests, then 200."""

    def __init__(self) -> None:
        self.refusals, self.retry_after, self.seen = 0, "1", 0


@pytest.fixture
def gate() -> Iterator[tuple[_Gate, str]]:
    state = _Gate()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            state.seen += 1
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.seen <= state.refusals:
                body = json.dumps({"error": {"code": "RequestLimitExceeded", "message": "too many requests"}})
                self.send_response(429)
                self.send_header("Retry-After", state.retry_after)
            else:
                body = json.dumps({"answered": self.command})
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_refused_request_is_sent_again_after_the_wait_the_server_asked_for(gate):
    # GIVEN a server that refuses the first three requests with Retry-After: 2
    state, url = gate
    state.refusals, state.retry_after = 3, "2"
    waits: list[float] = []
    # WHEN the client creates a task (a POST)
    answer = Client(url, "t", sleep=waits.append).create_task({"x": 1})
    # THEN it waited as asked before each new try, and got the answer
    assert answer == {"answered": "POST"}
    assert waits == [2.0, 2.0, 2.0] and state.seen == 4


@pytest.mark.parametrize(("header", "wait"), [("999", MAX_RETRY_AFTER_SECONDS), ("soon", 1.0), ("-5", 0.0)])
def test_an_odd_retry_after_is_bounded(gate, header, wait):
    state, url = gate
    state.refusals, state.retry_after = 1, header
    waits: list[float] = []
    assert Client(url, "t", sleep=waits.append).tasks() == {"answered": "GET"}
    assert waits == [wait]


def test_a_limit_that_never_frees_reaches_the_caller_as_429(gate):
    # GIVEN a server that refuses every request
    state, url = gate
    state.refusals = 10**6
    waits: list[float] = []
    # WHEN the client reads
    with pytest.raises(ApiError) as refused:
        Client(url, "t", sleep=waits.append).tasks()
    # THEN it tried RATE_LIMIT_TRIES times, waiting between them, and raised the 429 with its code
    assert refused.value.status == 429 and refused.value.code == "RequestLimitExceeded"
    assert state.seen == RATE_LIMIT_TRIES and len(waits) == RATE_LIMIT_TRIES - 1
