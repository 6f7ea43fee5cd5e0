"""The thumbnail track of a sprite subtask, read back for the viewer: which cell of which sheet
covers which time, so the console can scrub through thumbnails and list the cues."""

from __future__ import annotations

import posixpath
from typing import Any

from shared.domain.model import Subtask
from shared.domain.sprite_track import parse_sprite_webvtt
from shared.services.deps import Deps

# A 1000-sheet sprite of 10x10 cells writes ~6 MB of WebVTT; more than that is not our track.
_MAX_TRACK_BYTES = 8 * 1024 * 1024


def sprite_thumbnails(deps: Deps, sub: Subtask, life: int) -> dict[str, Any] | None:
    """``{"track": {name, key, url}, "cues": [...]}`` for a subtask with a WebVTT output, else None."""
    track = next((o for o in sub.outputs if str(o.get("key", "")).endswith(".vtt")), None)
    if track is None:
        return None
    with deps.storage.open_read(track["bucket"], track["key"]) as body:
        text = body.read(_MAX_TRACK_BYTES).decode("utf-8", errors="replace")
    return {
        "track": {
            "name": posixpath.basename(track["key"]),
            "key": track["key"],
            "content_type": "text/vtt",
            "url": deps.storage.presign(track["bucket"], track["key"], "GET", life),
        },
        "cues": [cue.as_json() for cue in parse_sprite_webvtt(text)],
    }
