"""A small REST client for the CLI (and the end-to-end tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import requests


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class _ProgressReader:
    """A file with a length (so requests sends Content-Length, not chunks) that reports progress."""

    def __init__(self, f: BinaryIO, size: int, progress: Callable[[int, int], None] | None) -> None:
        self.f, self.size, self.progress, self.sent = f, size, progress, 0

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        chunk = self.f.read(n)
        self.sent += len(chunk)
        if self.progress:
            self.progress(self.sent, self.size)
        return chunk


# A request refused for the account's rate limit (429) is sent again after the server's Retry-After,
# as the official SDKs do with their own throttling codes. The gateway refuses it before the api
# function sees it, so sending a POST again cannot do it twice. After RATE_LIMIT_TRIES refusals in a
# row the 429 reaches the caller as an ApiError.
RATE_LIMIT_TRIES = 10
MAX_RETRY_AFTER_SECONDS = 30.0


def retry_after_seconds(resp: requests.Response) -> float:
    """The wait a 429 asks for: its Retry-After in seconds (1 if absent or not a number), at most
    MAX_RETRY_AFTER_SECONDS."""
    try:
        seconds = float(resp.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class Client:
    def __init__(
        self, base_url: str, token: str, timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self._sleep = sleep

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        tries = 1
        resp = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        while resp.status_code == 429 and tries < RATE_LIMIT_TRIES:
            self._sleep(retry_after_seconds(resp))
            tries += 1
            resp = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
                raise ApiError(resp.status_code, err["code"], err["message"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(resp.status_code, "HTTPError", resp.text[:300]) from None
        return resp.json() if resp.content else None

    def upload(
        self, path: Path, key: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"filename": path.name}
        if key:
            body["key"] = key
        ticket = self._call("POST", "/api/v1/uploads", json=body)
        with path.open("rb") as f:
            resp = requests.put(
                ticket["upload_url"],
                data=_ProgressReader(f, path.stat().st_size, progress),
                timeout=max(self.timeout, 600),
            )
        if resp.status_code != 200:
            raise ApiError(resp.status_code, "UploadFailed", resp.text[:300])
        return ticket

    def tasks(self, **params: Any) -> dict[str, Any]:
        return self._call("GET", "/api/v1/tasks", params={k: v for k, v in params.items() if v is not None})

    def task(self, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/tasks/{task_id}")

    def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/v1/tasks", json=body)

    def operate(self, task_id: str, operation: str) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/tasks/{task_id}/{operation}")

    def download_link(self, task_id: str, index: int) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/tasks/{task_id}/subtasks/{index}/download", params={"mode": "url"})

    def fetch(self, url: str, dest: Path, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Stream a signed URL to a file (written under a temporary name, then renamed)."""
        tmp = dest.with_name(dest.name + ".part")
        with requests.get(url, stream=True, timeout=max(self.timeout, 600)) as resp:
            if resp.status_code != 200:
                raise ApiError(resp.status_code, "DownloadFailed", resp.text[:300])
            total = int(resp.headers["Content-Length"]) if "Content-Length" in resp.headers else None
            done = 0
            with tmp.open("wb") as f:
                for chunk in resp.iter_content(1024 * 1024):
                    f.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        tmp.replace(dest)
        return done

    def templates(self, type_: str | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "/api/v1/templates", params={"type": type_} if type_ else None)["templates"]

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/v1/templates", json=body)

    def delete_template(self, definition: int) -> None:
        self._call("DELETE", f"/api/v1/templates/{definition}")

    def workflows(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/v1/workflows")["workflows"]

    def create_workflow(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/v1/workflows", json=body)

    def workflow_action(self, workflow_id: str, action: str) -> dict[str, Any] | None:
        if action == "delete":
            return self._call("DELETE", f"/api/v1/workflows/{workflow_id}")
        return self._call("POST", f"/api/v1/workflows/{workflow_id}/{action}")

    def match(self, bucket: str, key: str) -> dict[str, Any]:
        return self._call("POST", "/api/v1/workflows/match", json={"bucket": bucket, "key": key})

    def notifications(self, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/tasks/{task_id}/notifications")

    def resend_notification(self, event_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/notifications/{event_id}/resend")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "/api/v1/config")

    def find_task_for_key(self, key: str, pages: int = 5) -> dict[str, Any] | None:
        cursor = None
        for _ in range(pages):
            page = self.tasks(limit=100, cursor=cursor, input_prefix=key)
            for task in page["tasks"]:
                if task["input"]["key"] == key:
                    return task
            cursor = page["next_cursor"]
            if not cursor:
                return None
        return None
