"""The local table server's lifecycle (issue 14 §3): stale servers, supervision, health, sweeping."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from infra.local.dynalite import DYNALITE_CLI, Dynalite, TableServerBusy, free_port, holders
from infra.local.harness import wait_for
from infra.local.table_supervisor import TableSupervisor, sweep_work_dir
from infra.local.watcher import FolderWatcher
from shared.services.health import Health, check_health


def test_an_orphaned_table_server_of_an_older_stack_is_stopped_at_start(tmp_path):
    # GIVEN a dynalite serving the data dir, left behind with init as its parent (as kill -9 of an older stack left it)
    data = tmp_path / "table"
    port = free_port()
    launcher = subprocess.run(
        [
            "sh",
            "-c",
            f"setsid node {DYNALITE_CLI} --host 127.0.0.1 --port {port} --path {data} >/dev/null 2>&1 & echo $!",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = int(launcher.stdout.strip())
    wait_for(lambda: holders(data) == [orphan], timeout=10, every=0.1)
    # WHEN a new table server starts on the same data
    server = Dynalite(data)
    server.start()
    try:
        # THEN the orphan is gone and the new one holds the data
        assert holders(data) == [server.proc.pid]
        assert server.pid_file.read_text() == str(server.proc.pid)
    finally:
        server.stop()
    assert holders(data) == [] and not server.pid_file.exists()


def test_a_table_server_of_a_live_stack_is_refused_with_its_pid(tmp_path):
    # GIVEN a running table server owned by this (live) process
    first = Dynalite(tmp_path / "table")
    first.start()
    try:
        # WHEN a second one is started on the same data
        with pytest.raises(TableServerBusy, match=str(first.proc.pid)):
            Dynalite(tmp_path / "table").start()
        # THEN the first one still runs
        assert first.running()
    finally:
        first.stop()


def test_the_table_server_dies_with_the_process_that_started_it(tmp_path):
    # GIVEN a process that started a table server
    script = (
        "import sys, time; from pathlib import Path; from infra.local.dynalite import Dynalite; "
        "d = Dynalite(Path(sys.argv[1])); d.start(); print(d.proc.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen(
        ["python", "-c", script, str(tmp_path / "table")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    # WHEN that process is killed with SIGKILL
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    # THEN the table server is gone too, and nothing holds the data
    wait_for(lambda: holders(tmp_path / "table") == [], timeout=10, every=0.1)
    assert child not in holders(tmp_path / "table")


def test_a_table_server_that_dies_under_the_stack_is_restarted_on_its_port(tmp_path):
    # GIVEN a supervised table server
    server = Dynalite(tmp_path / "table")
    server.start()
    fatal: list[str] = []
    supervisor = TableSupervisor(server, on_fatal=fatal.append, every=0.1)
    supervisor.start()
    try:
        port, first = server.port, server.proc.pid
        # WHEN it is killed
        os.kill(first, signal.SIGKILL)
        # THEN a new one serves the same port and data
        wait_for(lambda: server.running() and server.proc.pid != first, timeout=20, every=0.1)
        assert server.port == port and holders(tmp_path / "table") == [server.proc.pid]
        assert fatal == []
    finally:
        supervisor.stop()
        server.stop()


def test_a_table_server_killed_again_while_it_is_restarted_is_restarted_once_more(tmp_path):
    # GIVEN a supervised table server (found by the crash matrix's soak: a second kill -9 landing
    # while the supervisor waited for the restarted server to listen stopped the whole stack)
    server = Dynalite(tmp_path / "table")
    server.start()
    fatal: list[str] = []
    supervisor = TableSupervisor(server, on_fatal=fatal.append, every=0.05)
    supervisor.start()
    try:
        port, first = server.port, server.proc.pid
        # WHEN it is killed, and its replacement is killed too before it listens
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: server.proc and server.proc.pid != first and server.proc.pid, timeout=20, every=0.002)
        os.kill(second, signal.SIGKILL)
        # THEN a third one serves the same port, and the stack goes on
        wait_for(lambda: server.running() and server.proc.pid not in (first, second), timeout=20, every=0.1)
        wait_for(lambda: _listens(port), timeout=20, every=0.1)
        assert fatal == []
    finally:
        supervisor.stop()
        server.stop()


def _listens(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_a_table_server_that_keeps_dying_stops_the_stack_loudly(tmp_path):
    # GIVEN a supervisor allowed no restart
    server = Dynalite(tmp_path / "table")
    server.start()
    fatal = threading.Event()
    supervisor = TableSupervisor(server, on_fatal=lambda _msg: fatal.set(), max_restarts=0, every=0.1)
    supervisor.start()
    try:
        # WHEN the server dies
        os.kill(server.proc.pid, signal.SIGKILL)
        # THEN the stack is told to stop
        assert fatal.wait(10)
    finally:
        supervisor.stop()
        server.stop()


class _UnreachableTable:
    def get_task(self, task_id: str) -> None:
        raise ConnectionError("Could not connect to the endpoint URL")


class _UnreachableStorage:
    def list(self, bucket: str, prefix: str = "", limit: int = 1000) -> list:
        raise OSError("connection reset by peer")


def test_health_says_whether_the_table_and_the_buckets_answer(deps, tmp_path):
    # GIVEN the test table and buckets: both answer
    assert check_health(deps) == Health(table="ok", storage="ok")
    # WHEN neither the table nor the object storage answers
    broken = replace(deps, tasks=_UnreachableTable(), storage=_UnreachableStorage())
    # THEN each part says so
    assert check_health(broken) == Health(table="unavailable", storage="unavailable")


def test_the_sweep_removes_killed_runs_work_folders_but_keeps_the_ffmpeg_cache(tmp_path):
    for name in ("openmps-abc", "openmps-def", "openmps-ffmpeg"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "part.mp4").write_bytes(b"x" * 10)
    assert sweep_work_dir(tmp_path) == ["openmps-abc", "openmps-def"]
    assert [p.name for p in tmp_path.iterdir()] == ["openmps-ffmpeg"]


def test_a_watched_key_whose_trigger_never_ran_is_announced_again_after_a_restart(tmp_path):
    # GIVEN an upload the stack marked as seen, killed before its trigger ran
    folder, state = tmp_path / "input", tmp_path / "state.json"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"a")
    (folder / "b.mp4").write_bytes(b"b")
    first = FolderWatcher(folder, state, announce=lambda key: None)
    first.mark_seen("a.mp4")
    first.mark_seen("b.mp4")
    first.confirm("b.mp4")  # b's trigger ran
    # WHEN a new stack's watcher polls the folder twice (a file must hold still for one poll)
    second = FolderWatcher(folder, state, announce=lambda key: None)
    announced = second.poll_once() + second.poll_once()
    # THEN only the unconfirmed one is announced again
    assert announced == ["a.mp4"]
