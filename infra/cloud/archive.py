"""The files that go into a package and the zips they go into: selected and pruned, in sorted order,
with fixed timestamps and permissions, so the same inputs give byte-identical zips.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


_SKIP_DIRS = {"__pycache__", "bin", "tests", "test"}


# What is left out of the installed files beyond byte-code, caches and test suites (each pattern
# matches a path relative to the layer root; never anything the functions import at run time).
PRUNE = (
    # Type stubs: read by type checkers only.
    "**/*.pyi",
    # botocore's service models (one folder per AWS service, 18 MB): only pynamodb uses botocore,
    # and only for DynamoDB. The data/*.json that every session loads (endpoints, partitions,
    # _retry, sdk-default-configuration) are kept, and so is each of KEEP_BOTOCORE_SERVICES.
    "botocore/data/*/**",
    # pycryptodome's own test suite (used by the COS SDK; tests under another name).
    "Crypto/SelfTest/**",
    # onnxruntime's offline tooling (model conversion, quantization, transformer optimisation) and
    # its C API library for C/C++ programs: the Python module (capi/onnxruntime_pybind11_state)
    # links the runtime statically and needs neither.
    "onnxruntime/tools/**",
    "onnxruntime/transformers/**",
    "onnxruntime/quantization/**",
    "onnxruntime/capi/libonnxruntime.so*",
)
KEEP_BOTOCORE_SERVICES = ("dynamodb",)


@dataclass(frozen=True)
class Artifact:
    name: str
    path: str
    files: int
    zip_bytes: int
    unzipped_bytes: int
    sha256: str


def select_files(root: Path, top: str) -> list[Path]:
    """Files of ``root/top`` that belong in a package: no byte-code, caches or tests."""
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root / top):
        dirnames[:] = sorted(d for d in dirnames if d not in {"__pycache__"} and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            chosen.append(Path(dirpath, name))
    return chosen


def pruned(rel: str, prune: Iterable[str] = PRUNE, keep_botocore: Iterable[str] = KEEP_BOTOCORE_SERVICES) -> bool:
    """Whether the layer leaves out the file at ``rel`` (a path relative to the layer root)."""
    parts = rel.split("/")
    if len(parts) > 3 and parts[:2] == ["botocore", "data"] and parts[2] in set(keep_botocore):
        return False
    return any(glob_match(rel, pattern) for pattern in prune)


def glob_match(rel: str, pattern: str) -> bool:
    """``**/`` matches any number of folders, ``**`` anything, ``*`` anything within one name."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:[^/]+/)*"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, rel) is not None


def site_files(root: Path, prune: Iterable[str] = PRUNE) -> list[Path]:
    """Installed dependencies under ``root`` minus what SCF never needs (scripts with this
    machine's interpreter path, caches, test suites, type stubs, the PRUNE patterns)."""
    patterns = tuple(prune)
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames if not (d in _SKIP_DIRS and (rel == Path(".") or d != "bin")) and d != "__pycache__"
        )
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or pruned((rel / name).as_posix(), patterns):
                continue
            chosen.append(Path(dirpath, name))
    return chosen


def deterministic_zip(out: Path, entries: Iterable[tuple[str, Path]]) -> Artifact:
    """Write ``entries`` (archive name, file) sorted by name with fixed times and modes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    files = 0
    unzipped = 0
    seen: set[str] = set()
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, path in sorted(entries, key=lambda e: e[0]):
            if arcname in seen:
                raise SystemExit(f"{out.name}: {arcname} would be packaged twice")
            seen.add(arcname)
            info = zipfile.ZipInfo(arcname, ZIP_EPOCH)
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the modes above are honoured
            with path.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            files += 1
            unzipped += path.stat().st_size
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return Artifact(
        out.stem,
        str(out.relative_to(out.parents[1]) if len(out.parents) > 1 else out),
        files,
        out.stat().st_size,
        unzipped,
        digest,
    )


def move_files(
    entries: list[tuple[str, Path]], patterns: Iterable[str]
) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(entries that stay, entries that match one of ``patterns``); at least one must match."""
    patterns = tuple(patterns)
    moved = [e for e in entries if any(glob_match(e[0], p) for p in patterns)]
    if not moved:
        raise SystemExit(
            f"no file of the core layer matches {', '.join(patterns)}: did the imageio-ffmpeg wheel "
            f"change where it keeps ffmpeg?"
        )
    return [e for e in entries if e not in moved], moved


def write_ffmpeg(entries: list[tuple[str, Path]], dest: Path) -> dict[str, object]:
    """``dest``: the ffmpeg layer's one binary, bare and executable, for upload to COS; its sha256 is
    what OPENMPS_FFMPEG_SHA256 must be."""
    if len(entries) != 1:
        raise SystemExit(f"the ffmpeg layer should hold one binary, not {[a for a, _ in entries]}")
    arcname, src = entries[0]
    tmp = dest.with_suffix(".tmp")
    shutil.copyfile(src, tmp)
    tmp.chmod(0o755)
    os.replace(tmp, dest)
    digest = hashlib.sha256()
    with dest.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return {
        "path": str(dest.relative_to(dest.parents[1]) if len(dest.parents) > 1 else dest),
        "layer_path": arcname,
        "bytes": dest.stat().st_size,
        "sha256": digest.hexdigest(),
    }
