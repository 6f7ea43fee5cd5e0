"""ffmpeg for a function whose layers do not carry it.

SCF counts a function's code plus its bound layers against 500 MB (unzipped). The review, analysis
and enhance functions bind the core layer and the AI layer, which leave no room for imageio-ffmpeg's
165 MB binary (the ffmpeg layer that transcode, snapshot and api bind). They fetch it instead, once
per instance, from the COS object ``OPENMPS_FFMPEG_OBJECT`` (the deployer uploads ``dist/ffmpeg``
there), check it against ``OPENMPS_FFMPEG_SHA256``, and point imageio-ffmpeg at it through its own
override, ``IMAGEIO_FFMPEG_EXE`` (``imageio_ffmpeg.get_ffmpeg_exe()``, and so
``shared.media.ffmpeg.runner.ffmpeg_exe()``, read it before anything else).

Nothing happens where the binary is present (locally, and in the functions that bind the ffmpeg
layer) or when the setting is unset. The file only gets its final name once complete and checked;
a file already under that name (an earlier process of the same instance: /tmp outlives processes)
is checked again before it is used, and leftovers of a killed download are removed.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path

from shared.domain.errors import NotFoundError, OpenMpsError, RetryableProcessingError
from shared.runtime.observability import logger
from shared.runtime.settings import Settings
from shared.storage.port import Storage

ENV = "IMAGEIO_FFMPEG_EXE"
CODE = "InternalError.Ffmpeg"
_PART_SUFFIX = ".part"


def bundled_ffmpeg() -> Path | None:
    """imageio-ffmpeg's own binary (``imageio_ffmpeg/binaries/ffmpeg-<platform>-v<version>``) if this
    installation has it: in a function that binds the ffmpeg layer, or wherever pip installed it."""
    try:
        binaries = importlib.resources.files("imageio_ffmpeg.binaries")
    except ModuleNotFoundError:
        return None
    found = sorted(str(p) for p in binaries.iterdir() if p.name.startswith("ffmpeg") and p.is_file())
    return Path(found[0]) if found else None


def ffmpeg_dir(settings: Settings) -> Path:
    return Path(settings.work_dir or tempfile.gettempdir()) / "openmps-ffmpeg"


def ensure_ffmpeg(
    settings: Settings,
    storage: Storage,
    *,
    environ: MutableMapping[str, str] | None = None,
    find_bundled: Callable[[], Path | None] = bundled_ffmpeg,
) -> str | None:
    """Make ffmpeg available to imageio-ffmpeg; the fetched binary's path, or None when nothing was needed.

    Cheap after the first call in a process: the path it sets in ``IMAGEIO_FFMPEG_EXE`` is the marker.
    Raises RetryableProcessingError when the binary cannot be fetched (the invocation is retried)."""
    env = os.environ if environ is None else environ
    if env.get(ENV):
        return None  # fetched earlier in this process, or chosen by the operator
    if not settings.ffmpeg_object or not settings.ffmpeg_sha256 or find_bundled() is not None:
        return None
    path = fetch_ffmpeg(settings.ffmpeg_object, settings.ffmpeg_sha256, storage, ffmpeg_dir(settings))
    env[ENV] = str(path)
    return str(path)


def fetch_ffmpeg(obj: str, sha256: str, storage: Storage, directory: Path) -> Path:
    """The checked, executable binary of COS object ``obj`` ("bucket/key") under ``directory``."""
    bucket, _, key = obj.partition("/")
    final = directory / f"ffmpeg-{sha256[:16]}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(directory)
        if final.is_file():
            if sha256_file(final) == sha256:
                final.chmod(0o755)
                logger.info("ffmpeg already fetched by this instance", extra={"path": str(final)})
                return final
            final.unlink()  # not what the settings name: fetch it again
        started = time.monotonic()
        size = storage.head(bucket, key).size
        free = shutil.disk_usage(directory).free
        if free < size:
            raise RetryableProcessingError(
                f"ffmpeg ({size} bytes) does not fit in {directory}: {free} bytes free", code=CODE
            )
        part = directory / f".ffmpeg-{sha256[:16]}.{os.getpid()}.{uuid.uuid4().hex[:8]}{_PART_SUFFIX}"
        try:
            storage.download(bucket, key, part)
            got = sha256_file(part)
            if got != sha256:
                raise RetryableProcessingError(
                    f"ffmpeg object {obj} has sha256 {got}, not {sha256} (OPENMPS_FFMPEG_SHA256): upload the "
                    f"dist/ffmpeg of the build whose sha256 is set, or set the uploaded one's",
                    code=CODE,
                )
            part.chmod(0o755)
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)
    except RetryableProcessingError as exc:
        logger.error("ffmpeg could not be fetched", extra={"object": obj, "reason": exc.message})
        raise
    except NotFoundError as exc:
        logger.error("ffmpeg could not be fetched", extra={"object": obj, "reason": exc.message})
        raise RetryableProcessingError(
            f"ffmpeg object {obj} not found: upload dist/ffmpeg there (docs/DEPLOY.md) or fix OPENMPS_FFMPEG_OBJECT",
            code=CODE,
        ) from exc
    except (OpenMpsError, OSError) as exc:
        logger.error("ffmpeg could not be fetched", extra={"object": obj, "reason": str(exc)})
        raise RetryableProcessingError(f"ffmpeg object {obj} could not be fetched: {exc}", code=CODE) from exc
    logger.info(
        "ffmpeg fetched",
        extra={"object": obj, "bytes": size, "path": str(final), "seconds": round(time.monotonic() - started, 1)},
    )
    return final


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_leftovers(directory: Path) -> None:
    """Partial downloads of processes that no longer run (killed mid-download): they only take space."""
    for part in directory.glob(f".ffmpeg-*{_PART_SUFFIX}"):
        try:
            pid = int(part.name.split(".")[2])
        except (IndexError, ValueError):
            pid = 0
        if pid == os.getpid() or not _running(pid):
            part.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
