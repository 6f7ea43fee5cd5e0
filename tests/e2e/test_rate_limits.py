"""Rate limits per account on the running stack, over real HTTP: an account bursting 10x its limit
gets 429 for the excess while another account's latency does not move; the MPS SDK gets
``RequestLimitExceeded`` as a TencentCloudSDKException (and its own retryer waits it out); the COS
SDK gets COS's ``SlowDown``, and signed storage URLs and zips 429, beyond their limits.

The latency is measured side by side: half-second windows alternate between the bursting account
quiet and bursting, while the other account polls at a steady pace throughout, so both halves see
the same machine load. The burst runs in a process of its own (tests/e2e/burst_client.py)."""

from __future__ import annotations

import http.client
import json
import math
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.retry import StandardRetryer
from tencentcloud.mps.v20190612 import models

from infra.local.client import Client
from infra.local.harness import REPO, start_stack, stop_stack
from tests.e2e.test_mps_api import admin, mps

pytestmark = pytest.mark.e2e

READS_PER_SECOND = 50
BURST = 50
WINDOW_SECONDS = 0.5
# Half quiet, half bursting. 80 windows give 800 samples to each half, so its p99 is the 8th slowest
# answer, not the 4th: with 40 windows one stray stall of this shared box decided the comparison.
WINDOWS = int(os.environ.get("OPENMPS_RATE_TEST_WINDOWS", "80"))
PROBE_PER_SECOND = 40
WRITES_PER_SECOND, WRITES_BURST = 5, 5
ANONYMOUS_PER_SECOND, ANONYMOUS_BURST = 20, 40  # signed URLs, and what proves no account
NOT_FOUND = "ResourceNotFound.TemplateNotExist"  # the other account: within its own limit


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    env = {
        "OPENMPS_RATE_LIMIT_READS_PER_SECOND": str(READS_PER_SECOND),
        "OPENMPS_RATE_LIMIT_READS_BURST": str(BURST),
        "OPENMPS_RATE_LIMIT_WRITES_PER_SECOND": str(WRITES_PER_SECOND),
        "OPENMPS_RATE_LIMIT_WRITES_BURST": str(WRITES_BURST),
        "OPENMPS_RATE_LIMIT_ANONYMOUS_PER_SECOND": str(ANONYMOUS_PER_SECOND),
        "OPENMPS_RATE_LIMIT_ANONYMOUS_BURST": str(ANONYMOUS_BURST),
        "OPENMPS_LOG_LEVEL": "WARNING",
    }
    running = start_stack(tmp_path_factory.mktemp("rate") / "data", "rate-token", env)
    yield running
    stop_stack(running)


def _account(stack) -> dict:
    return json.loads(admin(stack, "accounts", "create", "--json"))


def _quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# What the burst may add to the other account's p99 on this machine, beyond +20 %. The bursting client
# (500 requests a second from Python), the gateway parsing each of them before it refuses it, and the
# steady client all share two cores here: over 20 runs, the burst moved the steady p99 by -14 to
# +26 ms, mostly +8 to +23 (p50 by +1 to +9 ms). An account queued behind another's burst, which is
# what the gate prevents, waits whole seconds: this bound still tells the two apart.
NOISE_SECONDS = 0.05


def _p99(samples: list[float]) -> float:
    return _quantile(samples, 0.99)


def _ms(samples: list[float], q: float) -> str:
    return f"{_quantile(samples, q) * 1000:.1f} ms"


def test_a_burst_of_10x_the_limit_is_refused_beyond_it_and_another_account_does_not_notice(stack):
    # GIVEN two accounts of their own
    bursting, steady = _account(stack), _account(stack)
    t0 = time.monotonic() + 2.0  # time for the burst process to start
    # WHEN one bursts at 10x its read limit in every other window
    burst = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.e2e.burst_client",
            stack.url,
            bursting["api_token"],
            str(10 * READS_PER_SECOND),
            str(t0),
            str(WINDOW_SECONDS),
            str(WINDOWS),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    # AND the other polls its task list at a steady pace throughout
    parts = urlsplit(stack.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {steady['api_token']}"}
    samples: dict[bool, list[float]] = {False: [], True: []}
    statuses: list[int] = []
    refusals: list[str] = []
    due, end = t0, t0 + WINDOWS * WINDOW_SECONDS
    while due < end:
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        started = time.perf_counter()
        conn.request("GET", "/api/v1/tasks?limit=1", headers=headers)
        reply = conn.getresponse()
        body = reply.read()
        samples[int((due - t0) / WINDOW_SECONDS) % 2 == 1].append(time.perf_counter() - started)
        statuses.append(reply.status)
        if reply.status != 200:
            refusals.append(f"{reply.status} at {time.monotonic() - t0:.3f} s: {body[:200]!r}")
        # A steady client that fell behind (a slow answer, or this process not scheduled) skips the
        # slots it missed rather than sending them back to back: caught up that way, 40/s of its own
        # can exceed its 50/s limit for a moment and be refused rightly, which is not the burst's doing.
        due = max(due + 1 / PROBE_PER_SECOND, time.monotonic())
    conn.close()
    out, _ = burst.communicate(timeout=60)
    counts = json.loads(out)
    first, last = counts.pop("first"), counts.pop("last")

    # THEN the bursting account got its burst and its rate, and 429 with a code and Retry-After for the rest
    sent = sum(counts.values())
    admitted = counts.get("200", 0)
    refused = counts.get("429 RequestLimitExceeded retry-after=1", 0)
    allowed = BURST + READS_PER_SECOND * (last - first)
    quiet, busy = _p99(samples[False]), _p99(samples[True])
    print(
        f"\nburst: sent {sent} in {last - first:.1f} s ({WINDOWS // 2} windows at {10 * READS_PER_SECOND}/s), "
        f"admitted {admitted} (at most {allowed:.0f}), refused {refused}; other account: "
        f"{len(samples[False])} quiet + {len(samples[True])} busy requests, p50 {_ms(samples[False], 0.5)} vs "
        f"{_ms(samples[True], 0.5)}, p99 {_ms(samples[False], 0.99)} vs {_ms(samples[True], 0.99)} "
        f"({(busy / quiet - 1) * 100:+.0f} %)"
    )
    assert sent >= 0.9 * 10 * READS_PER_SECOND * WINDOW_SECONDS * WINDOWS // 2, "the burst client lost its pace"
    assert last - first < WINDOWS * WINDOW_SECONDS + 5, "the burst lagged far behind its windows"
    assert admitted + refused == sent, counts
    assert admitted <= allowed
    assert refused >= sent - allowed
    # AND the other account was never refused, and its p99 latency stayed within +20 % or within
    # NOISE_SECONDS of it (above: why a shared 2-core box needs the second)
    assert set(statuses) == {200}, refusals[:5]
    per_half = WINDOWS // 2 * WINDOW_SECONDS * PROBE_PER_SECOND
    assert len(samples[False]) >= 0.75 * per_half and len(samples[True]) >= 0.75 * per_half
    assert busy <= max(1.2 * quiet, quiet + NOISE_SECONDS)


def _delete_in_threads(make_client, threads: int, calls: int) -> list[str]:
    """``calls`` writes per thread (deleting a template that does not exist: a write that changes
    nothing), each thread with its own SDK client; the error codes."""
    request = models.DeleteTranscodeTemplateRequest()
    request.Definition = 1999999
    codes: list[str] = []

    def run() -> None:
        client = make_client()
        for _ in range(calls):
            try:
                client.DeleteTranscodeTemplate(request)
                codes.append("ok")
            except TencentCloudSDKException as exc:
                codes.append(exc.get_code() if exc.get_request_id() else f"{exc.get_code()} without a RequestId")

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return codes


def test_the_mps_sdk_gets_request_limit_exceeded_and_its_retryer_waits_it_out(stack):
    # GIVEN an account's SDK clients, writing from 8 threads at once
    other = _account(stack)
    pair = (other["secret_id"], other["secret_key"])
    # WHEN they call well past the account's write limit
    started = time.monotonic()
    codes = _delete_in_threads(lambda: mps(stack, pair=pair), threads=8, calls=10)
    elapsed = time.monotonic() - started
    # THEN the calls within it were answered, and the others raised RequestLimitExceeded (with a RequestId)
    assert set(codes) == {NOT_FOUND, "RequestLimitExceeded"}, set(codes)
    assert codes.count(NOT_FOUND) <= WRITES_BURST + WRITES_PER_SECOND * elapsed
    # AND clients with the SDK's own retryer all get their answer, backing off when told to
    retries: list[int] = []

    def patient():
        client = mps(stack, pair=pair)
        retryer = StandardRetryer(max_attempts=6, backoff_fn=lambda n: 1.0)
        retryer.on_retry = lambda n, *_: retries.append(n)  # type: ignore[method-assign]
        client.profile.retryer = retryer
        return client

    patient_codes = _delete_in_threads(patient, threads=8, calls=2)
    print(
        f"\nsdk: {codes.count(NOT_FOUND)} answered, {codes.count('RequestLimitExceeded')} RequestLimitExceeded in "
        f"{elapsed:.1f} s; with the retryer: {patient_codes.count(NOT_FOUND)} answered after {len(retries)} retries"
    )
    assert patient_codes == [NOT_FOUND] * 16
    assert retries, "16 writes at once against a burst of 5 must have been told to wait"


def test_the_cos_sdk_gets_slow_down_and_signed_urls_get_429_beyond_their_limits(stack):
    # GIVEN the stack's account's COS SDK client (no retries of its own), and an object of its bucket
    bucket = stack.client.config()["output_bucket"]
    secret_id, secret_key = stack.key_pair()
    config = CosConfig(
        IP="127.0.0.1",
        Port=urlsplit(stack.url).port,
        Scheme="http",
        Region="ap-guangzhou",
        SecretId=secret_id,
        SecretKey=secret_key,
    )
    cos = CosS3Client(config, retry=0)
    cos.put_object(Bucket=bucket, Key="rate/one.txt", Body=b"one")
    # WHEN it reads at full speed, well past its account's read burst
    answers: list[str] = []
    started = time.monotonic()
    for _ in range(3 * BURST):
        try:
            # a GET, not a HEAD: a HEAD's refusal has no body, so the SDK cannot read its code
            cos.get_object(Bucket=bucket, Key="rate/one.txt")["Body"].get_raw_stream().read()
            answers.append("200")
        except CosServiceError as exc:
            answers.append(f"{exc.get_status_code()} {exc.get_error_code()}")
    elapsed = time.monotonic() - started
    # THEN the reads within the limit were answered, and the rest got COS's SlowDown (a 503 the SDK retries)
    assert set(answers) == {"200", "503 SlowDown"}, set(answers)
    assert answers.count("200") <= BURST + READS_PER_SECOND * elapsed + 1

    # WHEN one client address sends signed storage and zip requests (signatures wrong) past its limit
    parts = urlsplit(stack.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    statuses: list[str] = []
    started = time.monotonic()
    for n in range(3 * ANONYMOUS_BURST):
        path = f"/storage/{bucket}/rate/one.txt?expires=1&sig=x" if n % 2 else "/zip/t/1/a.zip?expires=1&sig=x"
        conn.request("GET", path)
        reply = conn.getresponse()
        body = reply.read()
        retry_after = reply.getheader("Retry-After")
        code = json.loads(body)["error"]["code"] if reply.status == 429 else ""
        statuses.append(f"{reply.status} {code} {retry_after}")
    elapsed = time.monotonic() - started
    conn.close()
    # THEN the first were answered as always (a bad signature, no such download), the rest 429 with Retry-After
    refused = [s for s in statuses if s.startswith("429")]
    assert refused and set(refused) == {"429 RequestLimitExceeded 1"}, set(statuses)
    assert all(s.split()[0] in ("403", "404") for s in statuses if not s.startswith("429")), set(statuses)
    assert len(statuses) - len(refused) <= ANONYMOUS_BURST + ANONYMOUS_PER_SECOND * elapsed + 1


def test_the_openmps_client_waits_out_the_write_limit_and_each_write_happens_once(stack):
    # GIVEN an account of its own and the client the CLI uses, recording its waits
    account = _account(stack)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client = Client(stack.url, account["api_token"], sleep=sleep)
    # WHEN it creates templates at four times its write burst, as fast as it can (far above 5/s)
    names = [f"paced-{n}" for n in range(4 * WRITES_BURST)]
    for name in names:
        client.create_template(
            {"type": "Snapshot", "kind": "sampled", "name": name, "sample_type": "time", "interval": 5}
        )
    # THEN it waited out the refusals as told (Retry-After: 1), and every template exists exactly once
    assert waits and set(waits) == {1.0}
    made = sorted(t["name"] for t in client.templates("Snapshot") if t["name"].startswith("paced-"))
    assert made == sorted(names)
