"""The gateway's HTTP server: the stdlib's threading server, except that a client hanging up (a
browser closing a video, a cancelled download) is normal, not an error with a traceback."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, CLIENT_GONE):
            return
        print(f"openmps gateway: {type(exc).__name__}: {exc} (client {client_address[0]})", file=sys.stderr)
