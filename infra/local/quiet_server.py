"""The gateway's HTTP server: the stdlib's threading server, except that a client hanging up (a
browser closing a video, a cancelled download) is normal, not an error with a traceback."""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class HeaderWatchdog:
    """Cuts connections whose request line and headers did not arrive in time.

    The socket's idle timeout bounds each silence, but a client dripping a byte every few seconds
    never falls silent for long; this bounds the whole wait, from one thread for all connections."""

    def __init__(self, tick: float = 0.25) -> None:
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._tick = tick
        threading.Thread(target=self._run, name="header-watchdog", daemon=True).start()

    def watch(self, conn: socket.socket, seconds: float) -> None:
        with self._lock:
            self._deadlines[conn] = time.monotonic() + seconds

    def release(self, conn: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(conn, None)

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                late = [c for c, deadline in self._deadlines.items() if deadline < now]
                for conn in late:
                    del self._deadlines[conn]
            for conn in late:
                try:
                    conn.shutdown(socket.SHUT_RDWR)  # the blocked read returns; the handler closes
                except OSError:
                    pass


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib's backlog of 5 makes the 6th simultaneous connect wait for SYN retries (1 s, 3 s, ...):
    # a burst of slow clients would delay everyone else's connect.
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = HeaderWatchdog()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, CLIENT_GONE):
            return
        print(f"openmps gateway: {type(exc).__name__}: {exc} (client {client_address[0]})", file=sys.stderr)
