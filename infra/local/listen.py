"""`openmps listen`: a small receiver of event notifications, for trying them out.

Prints every event it receives and checks it: the X-Openmps-Signature HMAC of the body and MPS's
Sign (with --key), and the Timestamp (expiry). The tests run it as a real receiver process, with
faults switched on over POST /__control (answer 500 n times, hang, or answer a status).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shared.domain.notify import EVENT_ID_HEADER, SIGNATURE_HEADER, mps_sign, verify_body_signature


def check_event(body: bytes, headers: Any, key: str | None, now: float | None = None) -> dict[str, Any]:
    """What a receiver should verify, as a report: {event_id, signature_ok, sign_ok, fresh, event}."""
    event = json.loads(body)
    timestamp = int(event.get("Timestamp") or 0)
    report: dict[str, Any] = {
        "event_id": headers.get(EVENT_ID_HEADER),
        "fresh": timestamp > (time.time() if now is None else now),
        "event": event,
    }
    if key is not None:
        report["signature_ok"] = verify_body_signature(body, key, headers.get(SIGNATURE_HEADER))
        report["sign_ok"] = event.get("Sign") == mps_sign(timestamp, key)
    return report


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, key: str | None, record: Path | None, quiet: bool = False) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.key, self.record, self.quiet = key, record, quiet
        self.lock = threading.Lock()
        self.fail_next = 0  # answer 500 to this many events
        self.status = 200  # answer this status (after fail_next)
        self.hang_seconds = 0.0  # wait this long before answering


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _answer(self, status: int, text: str = "") -> None:
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up (timeout) or died: it will send the event again

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        srv = self.server
        if self.path == "/__control":
            with srv.lock:
                for name, value in json.loads(body).items():
                    setattr(srv, name, value)
            return self._answer(200, "ok")
        with srv.lock:
            hang, failing = srv.hang_seconds, srv.fail_next > 0
            if failing:
                srv.fail_next -= 1
            status = 500 if failing else srv.status
        if hang:
            if srv.record is not None:  # so a test can kill the sender while this request is open
                with srv.lock, srv.record.open("a") as f:
                    f.write(json.dumps({"arrived": self.headers.get(EVENT_ID_HEADER)}) + "\n")
            time.sleep(hang)
        report = check_event(body, self.headers, srv.key)
        report.update(received_at=time.time(), answered=status)
        if srv.record is not None:
            with srv.lock, srv.record.open("a") as f:
                f.write(json.dumps(report) + "\n")
        if not srv.quiet:
            task = report["event"].get("WorkflowTaskEvent") or {}
            checks = " ".join(f"{k}={report[k]}" for k in ("signature_ok", "sign_ok", "fresh") if k in report)
            print(f"{report['event_id']} {task.get('TaskId')} {task.get('Status')} -> {status} {checks}", flush=True)
        self._answer(status, "ok" if status < 300 else "not now")


def serve(port: int, key: str | None, record: Path | None = None, quiet: bool = False) -> None:
    server = Receiver(port, key, record, quiet)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openmps listen")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--key", help="the notify key: check X-Openmps-Signature and Sign")
    parser.add_argument("--record", type=Path, help="append each event as a JSON line to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    serve(args.port, args.key, args.record, args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
