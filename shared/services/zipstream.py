"""Stream a zip of stored objects to a socket: no whole file in memory, nothing on disk.

Members are stored (media does not compress) and written with data descriptors, which zipfile
does by itself on a stream it cannot seek; ZIP64 is on, so members over 4 GiB work.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable

from shared.storage.port import Storage, Writer

CHUNK = 256 * 1024


class _Unseekable:
    """zipfile probes tell(); a socket has none, so count what was written."""

    def __init__(self, out: Writer) -> None:
        self.out, self.pos = out, 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        self.out.flush()


def stream_zip(storage: Storage, members: Iterable[tuple[str, str, str]], out: Writer) -> None:
    sink = _Unseekable(out)
    used: set[str] = set()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[call-overload]
        for name, bucket, key in members:
            unique, n = name, 1
            while unique in used:
                n += 1
                unique = f"{n}_{name}"
            used.add(unique)
            with storage.open_read(bucket, key) as src, archive.open(unique, mode="w", force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
