"""Call the api function in-process with SCF API gateway events (no HTTP server needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from functions.api.index import main_handler


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> str | None:
        return (self.body or {}).get("error", {}).get("code") if isinstance(self.body, dict) else None


class InProcessApi:
    def __init__(self, token: str) -> None:
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, *, raw: str | None = None, token: str | None = None
    ) -> Reply:
        parts = urlsplit(path)
        headers = {"Content-Type": "application/json"}
        if token if token is not None else self.token:
            headers["Authorization"] = f"Bearer {token if token is not None else self.token}"
        event = {
            "requestContext": {"path": "/", "httpMethod": method, "requestId": "test", "stage": "release"},
            "headers": headers,
            "path": parts.path,
            "httpMethod": method,
            "queryString": dict(parse_qsl(parts.query)),
            "queryStringParameters": {},
            "body": raw if raw is not None else (json.dumps(body) if body is not None else ""),
        }
        out = main_handler(event, {"request_id": "test", "function_name": "openmps-api"})
        text = out["body"]
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(out["statusCode"], out["headers"], parsed)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)
