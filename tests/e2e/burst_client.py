"""A client that bursts GET requests at a fixed rate in chosen time windows, in a process of its own
(so its threads never hold the measuring process's GIL). Prints a JSON count of answers, and the
monotonic times of the first request sent and of the last answer.

    python -m tests.e2e.burst_client URL TOKEN RATE T0 WINDOW COUNT

Windows ``[T0 + i*WINDOW, T0 + (i+1)*WINDOW)`` for odd ``i < COUNT`` are burst windows (T0 on the
system's monotonic clock, which every process shares).
"""

from __future__ import annotations

import http.client
import json
import math
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

THREADS = 4


def _burst(url: str, token: str, rate: float, offset: float, t0: float, window: float, count: int, out, lock) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    every = THREADS / rate
    for index in range(1, count, 2):
        start, end = t0 + index * window, t0 + (index + 1) * window
        due = start + offset  # the threads take turns: one request every 1/rate seconds in all
        while due < end:
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with lock:
                out["first"] = min(out.get("first", math.inf), time.monotonic())
            try:
                conn.request("GET", "/api/v1/tasks?limit=1", headers=headers)
                reply = conn.getresponse()
                body = reply.read()
                key = str(reply.status)
                if reply.status == 429:
                    code = json.loads(body)["error"]["code"]
                    key += f" {code} retry-after={reply.getheader('Retry-After')}"
            except (OSError, http.client.HTTPException) as exc:
                key = f"error {type(exc).__name__}"
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            with lock:
                out[key] += 1
                out["last"] = max(out.get("last", 0.0), time.monotonic())
            due += every
    conn.close()


def main(argv: list[str]) -> int:
    url, token = argv[0], argv[1]
    rate, t0, window, count = float(argv[2]), float(argv[3]), float(argv[4]), int(argv[5])
    counts: dict = Counter()
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_burst, args=(url, token, rate, n / rate, t0, window, count, counts, lock))
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(dict(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
