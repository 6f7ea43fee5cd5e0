"""Hostile object keys and paths for the fuzzing tests (hypothesis strategies), and the checks that
what they reach stays safe: files only inside the buckets, ffmpeg given only absolute paths of its
work folder, never a key it could read as an option or a protocol.

Every generated key carries ``MARK``, so a file or an argv element made from one can be found."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from hypothesis import strategies as st

MARK = "omcanary"

# The pieces an attacker puts into a key: traversal, options, shell and ffmpeg syntax, protocols.
HOSTILE_PIECES = [
    "../",
    "..\\",
    "/",
    "//",
    "./",
    "/etc/passwd",
    "C:\\Windows\\",
    "-",
    "--",
    "-i ",
    "-f lavfi -i ",
    "\n",
    "\r\n",
    ";",
    "; rm -rf ~",
    "$(id)",
    "`id`",
    "|",
    "&",
    "%d",
    "%s%n",
    "'",
    '"',
    " ",
    "\t",
    "\x00",
    "\x1b[31m",
    "file:",
    "concat:",
    "http://127.0.0.1:1/",
    "https:",
    "pipe:0",
    "subfile,,start,0,end,1,,:",
    "data:",
    "tcp://",
    "~",
    "{inputName}",
    "{task_id}",
    "{",
    "}",
    "*",
    "?",
    "#",
    "\u202e",  # right-to-left override
    "\u2215",  # division slash (looks like /)
    "\uff0f",  # fullwidth solidus
    "\u2024\u2024",  # one dot leaders (looks like ..)
    "e\u0301",  # combining accent
    "\u8f6c\u7801",  # 转码
    "\U0001f3ac",  # 🎬
    "\ud800",  # a lone surrogate (not encodable as UTF-8)
    ".",
    "..",
]
SUFFIXES = ["", ".mp4", ".MP4", ".m3u8", ".txt", ".concat", ".sdp", "/", ".mp4/", ".mp4\n"]


@st.composite
def hostile_keys(draw: st.DrawFn, *, long: bool = True) -> str:
    """A key made of hostile pieces around ``MARK``; sometimes padded to 1,024 bytes or more."""
    before = draw(st.lists(st.sampled_from(HOSTILE_PIECES), max_size=4))
    after = draw(st.lists(st.sampled_from(HOSTILE_PIECES), max_size=3))
    noise = draw(st.text(max_size=6))
    key = "".join(before) + noise + MARK + "".join(after) + draw(st.sampled_from(SUFFIXES))
    if long and draw(st.integers(0, 9)) == 0:
        key = "input/" + "a" * draw(st.sampled_from([1018 - len(MARK), 1024, 4096])) + MARK + ".mp4"
    return key


@st.composite
def storable_hostile_keys(draw: st.DrawFn, prefix: str = "input/") -> str:
    """Hostile-looking keys the storage accepts (so they get as far as a worker and ffmpeg)."""
    pieces = ["-", "--", ";", "$(id)", "`id`", "'", " ", "%d", "file:", "concat:", "http:", "pipe:0", "{", "|"]
    pieces += ["\u202e", "\u8f6c\u7801", "\U0001f3ac", "e\u0301", "\uff0f", "~", "#", "?", "*", "&"]
    head = "".join(draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4)))
    tail = "".join(draw(st.lists(st.sampled_from(pieces), max_size=3)))
    return prefix + head + MARK + tail + ".mp4"


# ---- checks ------------------------------------------------------------------------------------------
def inside(path: str | Path, folder: str | Path) -> bool:
    return os.path.normpath(path) == os.path.normpath(folder) or os.path.normpath(path).startswith(
        os.path.normpath(folder) + os.sep
    )


_INPUT_OPTIONS = {"-i"}
_PATH_OPTIONS = {"-i", "-hls_segment_filename"}


def argv_problems(argv: list[str], work: str | Path) -> list[str]:
    """What in an ffmpeg argv could let a key be read as an option or a protocol, or escape ``work``:
    every input and every element made from a key must be an absolute path inside ``work`` (an
    absolute path has no ``name:`` before its first ``/``, so ffmpeg opens it with the file protocol)."""
    problems = []
    for i, element in enumerate(argv[1:], start=1):
        previous = argv[i - 1]
        if previous in _PATH_OPTIONS or MARK in element or (element.startswith("/") and i == len(argv) - 1):
            if not element.startswith("/"):
                problems.append(f"argv[{i}] {element!r} is not an absolute path")
            elif not inside(element, work):
                problems.append(f"argv[{i}] {element!r} is outside {work}")
            elif "/../" in element or element.endswith("/.."):
                problems.append(f"argv[{i}] {element!r} climbs out of a folder")
        if "\n" in element or "\x00" in element:
            problems.append(f"argv[{i}] {element!r} holds a newline or NUL")
    if "-protocol_whitelist" not in argv:
        problems.append("no -protocol_whitelist before the input")
    return problems


def files_named(roots: Iterable[Path]) -> set[Path]:
    """Every path under ``roots`` whose name carries MARK (files and folders)."""
    found = set()
    for root in roots:
        for folder, dirs, files in os.walk(root, onerror=lambda _: None):
            for name in dirs + files:
                if MARK.encode() in os.fsencode(name):
                    found.add(Path(folder) / name)
    return found


def tree(roots: Iterable[Path]) -> set[Path]:
    """Every path under ``roots`` (a snapshot to diff)."""
    out = set()
    for root in roots:
        for folder, dirs, files in os.walk(root, onerror=lambda _: None):
            out.update(Path(folder) / name for name in dirs + files)
    return out


def holding_mark(paths: Iterable[Path]) -> set[Path]:
    """The regular files among ``paths`` whose whole content is MARK (what the fuzzing writes)."""
    found = set()
    for path in paths:
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_size == len(MARK):
                if path.read_bytes() == MARK.encode():
                    found.add(path)
        except OSError:
            continue
    return found


_CODE_RE = re.compile(r"^[A-Z][A-Za-z]+(\.[A-Za-z0-9]+)*$")


def is_code(value: object) -> bool:
    return isinstance(value, str) and bool(_CODE_RE.match(value))
