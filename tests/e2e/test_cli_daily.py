"""The CLI as a daily tool (issue 13): it finds the stack by its data dir alone, `tasks` in an
80-column terminal keeps every id whole and shows the subtasks of finished tasks, and
`download -o newdir/` writes into a new folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.e2e.conftest import wait_for
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e


def cli(env, cwd, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"openmps {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_tasks_in_80_columns_and_download_into_a_new_folder(stack, tmp_path):
    # GIVEN only the data dir to go by, from another directory, in an 80-column terminal
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENMPS_")}
    env.update({"OPENMPS_DATA_DIR": str(stack.data_dir), "COLUMNS": "80", "PYTHONPATH": os.getcwd()})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clip = make_clip(tmp_path / "daily.mp4", seconds=1, width=160, height=120)
    key = stack.client.upload(clip, key="uploads/daily/daily.mp4")["key"]
    task_id = cli(env, elsewhere, "create", key, "--subtask", "Snapshot:10:sampled").strip()
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=120)
    # WHEN the user lists tasks
    listing = cli(env, elsewhere, "tasks", "--limit", "5")
    # THEN the id is printed whole on one line, with the finished task's subtasks
    lines = listing.splitlines()
    assert any(line.startswith(task_id) for line in lines), listing
    assert max(len(line) for line in lines) <= 80, listing
    assert "Snapshot SUCCESS 100%" in listing
    # WHEN the user downloads the snapshots into a folder that does not exist yet
    target = tmp_path / "newdir"
    cli(env, elsewhere, "download", task_id, "1", "-o", str(target) + "/")
    # THEN the folder holds the zip (not a file named newdir)
    assert target.is_dir()
    [archive] = target.glob("*.zip")
    with zipfile.ZipFile(archive) as z:
        assert z.testzip() is None and len(z.namelist()) == 10
