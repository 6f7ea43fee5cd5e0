"""A browser that drops its connection (closing a video, cancelling a download) is normal: the
local gateway's server prints no traceback for it, while a real fault still gets one line."""

from __future__ import annotations

import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from infra.local.quiet_server import QuietThreadingHTTPServer

pytestmark = pytest.mark.integration


class Streaming(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/fault":
            raise ValueError("a real fault")
        self.send_response(200)
        self.end_headers()
        for _ in range(200):  # the client is gone long before this ends
            self.wfile.write(b"x" * 65536)
            time.sleep(0.005)

    def log_message(self, *args: object) -> None:
        pass


def test_a_dropped_client_prints_nothing_and_a_fault_prints_one_line(capsys):
    server = QuietThreadingHTTPServer(("127.0.0.1", 0), Streaming)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        # WHEN a client asks for a stream and hangs up hard (RST) after the first bytes
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET /video HTTP/1.1\r\nHost: x\r\n\r\n")
        client.recv(1024)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        time.sleep(1.0)
        # THEN nothing was printed
        assert capsys.readouterr().err == ""
        # WHEN a handler really fails
        fault = socket.create_connection(("127.0.0.1", port))
        fault.sendall(b"GET /fault HTTP/1.1\r\nHost: x\r\n\r\n")
        fault.recv(1024)
        fault.close()
        time.sleep(0.5)
        # THEN one line says so, with no traceback
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [
            "openmps gateway: ValueError: a real fault (client 127.0.0.1)",
        ], err
    finally:
        server.shutdown()
        server.server_close()
