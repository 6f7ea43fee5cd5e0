"""ffmpeg for the functions whose layers do not carry it (shared/media/ffmpeg/provision.py), with a
fake storage and a temporary directory in COS's and /tmp's place."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared import functions_support
from shared.domain.errors import NotFoundError, RetryableProcessingError
from shared.media.ffmpeg import provision as ffmpeg_provision
from shared.media.ffmpeg.provision import ENV, bundled_ffmpeg, ensure_ffmpeg
from shared.runtime.settings import Settings
from shared.storage.port import ObjectInfo

pytestmark = pytest.mark.unit

BINARY = b"\x7fELF" + bytes(range(256)) * 64  # stands in for the 165 MB ffmpeg
SHA = hashlib.sha256(BINARY).hexdigest()
OBJECT = "openmps-deploy-1250000000/openmps/ffmpeg"


class FakeStorage:
    """The two calls ensure_ffmpeg makes, counted; ``data`` is what the object holds."""

    def __init__(self, data: bytes = BINARY, fail: Exception | None = None) -> None:
        self.data = data
        self.fail = fail
        self.downloads: list[tuple[str, str, Path]] = []

    def head(self, bucket: str, key: str) -> ObjectInfo:
        if isinstance(self.fail, NotFoundError):
            raise self.fail
        return ObjectInfo(bucket, key, len(self.data), "etag", 0.0)

    def download(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        self.downloads.append((bucket, key, dest))
        if self.fail is not None:
            dest.write_bytes(self.data[: len(self.data) // 2])  # a connection lost halfway
            raise self.fail
        dest.write_bytes(self.data)
        return self.head(bucket, key)


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(work_dir=str(tmp_path), **{"ffmpeg_object": OBJECT, "ffmpeg_sha256": SHA, **values})


def ensure(tmp_path: Path, storage: FakeStorage, environ: dict[str, str], **values: Any) -> str | None:
    return ensure_ffmpeg(
        settings(tmp_path, **values),
        storage,
        environ=environ,  # type: ignore[arg-type]
        find_bundled=lambda: None,
    )


def folder(tmp_path: Path) -> Path:
    return tmp_path / "openmps-ffmpeg"


def test_downloads_once_checks_and_points_imageio_at_it(tmp_path: Path) -> None:
    storage, environ = FakeStorage(), {}
    path = ensure(tmp_path, storage, environ)
    assert path is not None and environ == {ENV: path}
    assert Path(path).parent == folder(tmp_path) and Path(path).read_bytes() == BINARY
    assert os.stat(path).st_mode & 0o777 == 0o755
    [(bucket, key, dest)] = storage.downloads
    assert (bucket, key) == ("openmps-deploy-1250000000", "openmps/ffmpeg")
    assert dest.parent == folder(tmp_path) and dest != Path(path)  # a temporary name, renamed when checked
    # Warm: the same process never fetches it again.
    assert ensure(tmp_path, storage, environ) is None and len(storage.downloads) == 1
    assert sorted(p.name for p in folder(tmp_path).iterdir()) == [Path(path).name]  # nothing left over


def test_a_wrong_checksum_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    storage, environ = FakeStorage(BINARY + b"tampered"), {}
    with pytest.raises(RetryableProcessingError, match="OPENMPS_FFMPEG_SHA256") as caught:
        ensure(tmp_path, storage, environ)
    assert caught.value.code == "InternalError.Ffmpeg"
    assert environ == {} and list(folder(tmp_path).iterdir()) == []
    # The next event tries again, and succeeds once the right file is there.
    storage.data = BINARY
    assert ensure(tmp_path, storage, environ) and len(storage.downloads) == 2


def test_a_checksum_may_be_given_in_capitals(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert ensure(tmp_path, FakeStorage(), environ, ffmpeg_sha256=SHA.upper())


def test_a_partial_file_left_by_a_killed_instance_is_not_used(tmp_path: Path) -> None:
    folder(tmp_path).mkdir()
    final = folder(tmp_path) / f"ffmpeg-{SHA[:16]}"
    final.write_bytes(BINARY[:100])  # under the final name, yet incomplete
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    killed = folder(tmp_path) / f".ffmpeg-{SHA[:16]}.{dead}.0000dead.part"
    killed.write_bytes(BINARY[:10])
    running = folder(tmp_path) / f".ffmpeg-{SHA[:16]}.{os.getppid()}.0000live.part"  # another live download
    running.write_bytes(BINARY[:10])
    storage, environ = FakeStorage(), {}
    path = ensure(tmp_path, storage, environ)
    assert path == str(final) and final.read_bytes() == BINARY and len(storage.downloads) == 1
    assert not killed.exists() and running.exists()


def test_a_complete_file_from_an_earlier_process_is_checked_and_reused(tmp_path: Path) -> None:
    folder(tmp_path).mkdir()
    final = folder(tmp_path) / f"ffmpeg-{SHA[:16]}"
    final.write_bytes(BINARY)
    storage, environ = FakeStorage(), {}
    assert ensure(tmp_path, storage, environ) == str(final)
    assert storage.downloads == [] and os.stat(final).st_mode & 0o777 == 0o755


@pytest.mark.parametrize(
    "fail",
    [RetryableProcessingError("COS timed out", code="InternalError.Storage"), OSError(28, "No space left on device")],
)
def test_a_failed_download_is_retryable_and_leaves_nothing(tmp_path: Path, fail: Exception) -> None:
    environ: dict[str, str] = {}
    with pytest.raises(RetryableProcessingError):
        ensure(tmp_path, FakeStorage(fail=fail), environ)
    assert environ == {} and list(folder(tmp_path).iterdir()) == []


def test_a_missing_object_is_retryable_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RetryableProcessingError, match="upload dist/ffmpeg"):
        ensure(tmp_path, FakeStorage(fail=NotFoundError("no such key")), {})


def test_no_room_is_said_before_downloading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        ffmpeg_provision.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 10, 10)
    )  # type: ignore[attr-defined]
    storage = FakeStorage()
    with pytest.raises(RetryableProcessingError, match="does not fit"):
        ensure(tmp_path, storage, {})
    assert storage.downloads == []


def test_nothing_happens_where_ffmpeg_is_present_or_not_configured(tmp_path: Path) -> None:
    storage = FakeStorage()
    # The ffmpeg layer is bound (or pip installed the binary): the setting is not needed.
    environ: dict[str, str] = {}
    assert (
        ensure_ffmpeg(
            settings(tmp_path),
            storage,
            environ=environ,  # type: ignore[arg-type]
            find_bundled=lambda: tmp_path / "ffmpeg-linux-x86_64-v9.0.2",
        )
        is None
    )
    # Not configured (locally).
    assert ensure(tmp_path, storage, environ, ffmpeg_object=None, ffmpeg_sha256=None) is None
    # The operator chose a binary.
    assert ensure(tmp_path, storage, {ENV: "/opt/bin/ffmpeg"}) is None
    assert storage.downloads == [] and environ == {} and not folder(tmp_path).exists()


def test_the_local_install_has_the_binary_imageio_uses() -> None:
    """Locally (make install) the binary is there: the cold start does nothing."""
    import imageio_ffmpeg

    bundled = bundled_ffmpeg()
    assert bundled is not None and bundled.name.startswith("ffmpeg-") and bundled.is_file()
    if not os.environ.get(ENV):
        assert Path(imageio_ffmpeg.get_ffmpeg_exe()) == bundled


def test_imageio_reads_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    monkeypatch.setenv(ENV, "/tmp/openmps-ffmpeg/ffmpeg-0123456789abcdef")
    assert imageio_ffmpeg.get_ffmpeg_exe() == "/tmp/openmps-ffmpeg/ffmpeg-0123456789abcdef"


# ---- the worker handler -----------------------------------------------------------------------------


class Deps:
    def __init__(self) -> None:
        self.settings = Settings()
        self.storage = object()


def test_the_worker_handler_fetches_ffmpeg_inside_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    deps, calls = Deps(), []
    monkeypatch.setattr(functions_support, "default_deps", lambda: deps)
    monkeypatch.setattr(functions_support, "ensure_ffmpeg", lambda s, st: calls.append(("ensure", s, st)))

    def fake_run(d, event, engine, time_budget, prepare):  # the worker runs prepare after its claim
        calls.append(("run", d, event))
        prepare()
        return {"ok": True}

    monkeypatch.setattr(functions_support, "run_subtask", fake_run)
    handler = functions_support.worker_handler(lambda *a, **k: ([], ""))
    assert handler({"task_id": "t", "index": 1, "attempt": 0}, {"time_limit_in_ms": 60_000}) == {"ok": True}
    assert calls == [("run", deps, {"task_id": "t", "index": 1, "attempt": 0}), ("ensure", deps.settings, deps.storage)]
