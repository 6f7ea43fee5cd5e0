"""Throughput and memory of the local stack's COS endpoint against a plain file copy.

Starts `openmps up` in a temporary data dir (or uses --url of a running stack with its
--data-dir), writes a file of --size-mb random bytes, and measures with cos-python-sdk-v5:

- a plain file copy on the same disk (the baseline),
- upload_file as one PUT and as a multipart upload (--part-mb parts, --threads threads),
- a multipart upload of parts already in memory (the endpoint's rate without the SDK's file reads),
- download_file as one GET and as ranged parallel parts,

printing MB/s, the ratio to the copy, and the stack process's peak RSS (VmHWM) after each step,
so "a large upload never holds the file in memory" is a number. Uploads go to the output bucket
(no workflow fires on it).

    .venv/bin/python bench/cos_bench.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qcloud_cos import CosConfig, CosS3Client  # noqa: E402

from infra.local.harness import start_stack, stop_stack  # noqa: E402

MB = 1024 * 1024
BUCKET = "openmps-output-1250000000"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_random(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with path.open("wb") as out:
        for i in range(size // MB):
            out.write(block[i % 7 :] + block[: i % 7])  # distinct blocks, cheap to make


def timed(label: str, size: int, baseline: float | None, pid: int, fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    rate = size / MB / seconds
    ratio = f"  {rate / baseline:5.2f}x copy" if baseline else ""
    print(
        f"{label:<34} {seconds:7.2f} s  {rate:8.1f} MB/s{ratio}  stack peak RSS {peak_rss_mb(pid):7.1f} MB", flush=True
    )
    return rate


def _multipart_from_memory(client: CosS3Client, key: str, size: int, part: int, threads: int) -> None:
    """The endpoint's own rate: the same part sent again and again, no client-side file reads."""
    from concurrent.futures import ThreadPoolExecutor

    data = os.urandom(part)
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]

    def send(n: int) -> dict[str, object]:
        sent = client.upload_part(Bucket=BUCKET, Key=key, Body=data, PartNumber=n, UploadId=upload_id)
        return {"PartNumber": n, "ETag": sent["ETag"]}

    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(send, range(1, size // part + 1)))
    client.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Part": parts})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--part-mb", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    size = args.size_mb * MB

    work = Path(tempfile.mkdtemp(prefix="cos-bench-"))
    stack = start_stack(work / "data", "bench-" + os.urandom(4).hex())
    try:
        pid = stack.proc.pid
        client = CosS3Client(
            CosConfig(
                IP="127.0.0.1",
                Port=urlsplit(stack.url).port,
                Scheme="http",
                Region="ap-guangzhou",
                SecretId=stack.key_pair()[0],
                SecretKey=stack.key_pair()[1],
            ),
            retry=1,
        )
        src = work / "src.bin"
        write_random(src, size)
        print(f"{args.size_mb} MB, parts of {args.part_mb} MB on {args.threads} threads; stack pid {pid}")
        print(f"{'stack at rest':<34} {'':>7}    {'':>8}       {'':>13}stack peak RSS {peak_rss_mb(pid):7.1f} MB")
        copy_rate = timed("plain file copy", size, None, pid, lambda: shutil.copyfile(src, work / "copy.bin"))
        (work / "copy.bin").unlink()
        big = size + 1  # over the threshold: multipart
        timed(
            "upload_file, one PUT",
            size,
            copy_rate,
            pid,
            lambda: client.upload_file(Bucket=BUCKET, Key="bench/put.bin", LocalFilePath=str(src), PartSize=big // MB),
        )
        timed(
            "upload_file, multipart",
            size,
            copy_rate,
            pid,
            lambda: client.upload_file(
                Bucket=BUCKET, Key="bench/mp.bin", LocalFilePath=str(src), PartSize=args.part_mb, MAXThread=args.threads
            ),
        )
        timed(
            "multipart, parts from memory",
            size,
            copy_rate,
            pid,
            lambda: _multipart_from_memory(client, "bench/mem.bin", size, args.part_mb * MB, args.threads),
        )
        timed(
            "download_file, one GET",
            size,
            copy_rate,
            pid,
            lambda: client.download_file(
                Bucket=BUCKET, Key="bench/mp.bin", DestFilePath=str(work / "get.bin"), PartSize=big // MB
            ),
        )
        (work / "get.bin").unlink()
        timed(
            "download_file, ranged parts",
            size,
            copy_rate,
            pid,
            lambda: client.download_file(
                Bucket=BUCKET,
                Key="bench/mp.bin",
                DestFilePath=str(work / "get.bin"),
                PartSize=args.part_mb,
                MAXThread=args.threads,
            ),
        )
        same = (work / "get.bin").stat().st_size == size
        print(f"downloaded size matches: {same}")
        return 0 if same else 1
    finally:
        stop_stack(stack)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
