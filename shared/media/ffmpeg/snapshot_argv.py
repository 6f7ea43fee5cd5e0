"""Pure builders of ffmpeg argv lists for snapshots (time offsets, sampled) and sprite sheets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from shared.domain import media_errors
from shared.domain.errors import BadInputError, MediaError
from shared.domain.kinds.snapshot import MAX_SPRITE_SIDE, SnapshotParams
from shared.media.ffmpeg.command import INPUT_GUARD, base_argv, check_paths, fmt_seconds, parse_time_offset
from shared.media.ffmpeg.probe import MediaInfo

_CODECS = {"jpg": ["-c:v", "mjpeg", "-q:v", "2"], "png": ["-c:v", "png"], "webp": ["-c:v", "libwebp", "-quality", "85"]}
_KINDS = ("time_offset", "sampled", "sprite")
_SPRITE_DEFAULT_CELL_WIDTH = 160  # a sprite of full-size frames would be gigantic


@dataclass(frozen=True)
class SpriteLayout:
    cell_width: int
    cell_height: int
    columns: int
    rows: int
    times: tuple[float, ...]  # start of each cell, in order
    duration: float
    vtt_name: str


@dataclass(frozen=True)
class SnapshotPlan:
    argvs: list[list[str]]  # run one after the other
    files: list[tuple[str, float]]  # (name in out_dir, time offset); a sprite sheet has its first cell's
    sprite: SpriteLayout | None = None


def image_extension(fmt: str) -> str:
    ext = {"jpeg": "jpg"}.get(fmt.lower(), fmt.lower())
    if ext not in _CODECS:
        raise BadInputError(
            f"unsupported image format {fmt!r}; expected jpg, png or webp", code="InvalidParameterValue.Format"
        )
    return ext


def snapshot_times(info: MediaInfo, params: SnapshotParams) -> list[float]:
    """Offsets in seconds for the time_offset and sampled kinds, inside the picture's time span."""
    end = info.video_end
    if params.kind == "time_offset":
        if not params.time_offsets:
            raise BadInputError(
                "a time offset snapshot needs at least one time offset", code="InvalidParameterValue.TimeOffset"
            )
        times = [parse_time_offset(t, end) for t in params.time_offsets]
    elif params.sample_type == "percent":
        if not 1 <= params.interval <= 100:
            raise BadInputError(
                "a percentage interval must be between 1 and 100", code="InvalidParameterValue.Interval"
            )
        times = [end * i * params.interval / 100.0 for i in range(math.ceil(100 / params.interval))]
    elif params.sample_type == "time":
        times = _every(_positive_interval(params.interval), end)
    else:
        raise BadInputError(
            f"unknown sample type {params.sample_type!r}; expected percent or time",
            code="InvalidParameterValue.SampleType",
        )
    # Seeking at or past the last frame yields no picture, which fails the whole ffmpeg run.
    fps = info.video.fps if info.video else 0.0
    last = max(0.0, end - max(1.5 / fps if fps > 0 else 0.1, 0.05))
    return [round(min(max(t, 0.0), last), 3) for t in times]


def snapshot_plan(
    ffmpeg: str,
    src: str | Path,
    info: MediaInfo,
    params: SnapshotParams,
    out_dir: str | Path,
    stem: str,
    *,
    max_images: int = 1000,
    chunk_size: int = 20,
) -> SnapshotPlan:
    """What to run for a snapshot template, and what it will write into ``out_dir``.

    Offsets are grabbed with fast input seeking (``-ss`` before ``-i``): one input per offset and one
    output per input, so only a GOP around each offset is decoded. ``chunk_size`` inputs per process
    bound the decoders alive at once.
    """
    check_paths(src, out_dir, stem)
    if params.kind not in _KINDS:
        raise BadInputError(
            f"unknown snapshot kind {params.kind!r}; expected one of {_KINDS}",
            code="InvalidParameterValue.SnapshotKind",
        )
    if info.video is None:
        raise MediaError("the input has no video stream to take snapshots from", code=media_errors.MEDIA_NO_VIDEO)
    ext = image_extension(params.format)
    if params.kind == "sprite":
        return _sprite_plan(ffmpeg, src, info, params, Path(out_dir), stem, ext, max_images)
    times = snapshot_times(info, params)
    _check_count(len(times), max_images)
    files = [(f"{stem}_{n}.{ext}", t) for n, t in enumerate(times)]
    scale = _scale_filter(params.width, params.height)
    argvs = []
    for first in range(0, len(files), chunk_size):
        chunk = files[first : first + chunk_size]
        argv = base_argv(ffmpeg)
        for i, (_name, t) in enumerate(chunk):
            threads = ["-threads", "1"] if len(chunk) > 1 else []  # parallelism comes from the inputs
            argv += ([] if i == 0 else INPUT_GUARD) + threads + ["-ss", fmt_seconds(t), "-i", str(src)]
        for i, (name, _t) in enumerate(chunk):
            argv += [
                "-map",
                f"{i}:V:0",
                "-frames:v",
                "1",
                "-update",
                "1",
                *scale,
                *_CODECS[ext],
                str(Path(out_dir) / name),
            ]
        argvs.append(argv)
    return SnapshotPlan(argvs=argvs, files=files)


def _sprite_plan(
    ffmpeg: str,
    src: str | Path,
    info: MediaInfo,
    params: SnapshotParams,
    out_dir: Path,
    stem: str,
    ext: str,
    max_images: int,
) -> SnapshotPlan:
    if not (1 <= params.columns <= 100 and 1 <= params.rows <= 100):
        raise BadInputError("sprite rows and columns must be between 1 and 100", code="InvalidParameterValue.Sprite")
    end = info.video_end
    if params.sample_type == "percent":
        if not 1 <= params.interval <= 100:
            raise BadInputError(
                "a percentage interval must be between 1 and 100", code="InvalidParameterValue.Interval"
            )
        interval = end * params.interval / 100.0
    elif params.sample_type == "time":
        interval = _positive_interval(params.interval)
    else:
        raise BadInputError(
            f"unknown sample type {params.sample_type!r}; expected percent or time",
            code="InvalidParameterValue.SampleType",
        )
    # The filter gets the same rounded interval the cell times are computed with.
    interval = max(float(fmt_seconds(interval)), 0.001)
    times = _every(interval, end)
    per_sheet = params.columns * params.rows
    sheets = math.ceil(len(times) / per_sheet)
    _check_count(sheets, max_images)
    cell_w, cell_h = _cell_size(info, params.width, params.height)
    grid_cols, grid_rows = sprite_sheet_grid(min(len(times), per_sheet), params.columns)
    sheet_w, sheet_h = cell_w * grid_cols, cell_h * grid_rows
    if max(sheet_w, sheet_h) > MAX_SPRITE_SIDE:
        # One side left at 0 follows the input's shape, so only now is the sheet's size known.
        raise MediaError(
            f"for this input the sprite sheets would be {sheet_w}x{sheet_h} px; the limit is "
            f"{MAX_SPRITE_SIDE} px either way",
            code=media_errors.MEDIA_TOO_LARGE,
        )
    argv = base_argv(ffmpeg) + [
        "-i",
        str(src),
        *_sprite_outputs(interval, (cell_w, cell_h), params, len(times), out_dir, stem, ext),
    ]
    files = [(f"{stem}_{k}.{ext}", times[k * per_sheet]) for k in range(sheets)]
    layout = SpriteLayout(
        cell_width=cell_w,
        cell_height=cell_h,
        columns=params.columns,
        rows=params.rows,
        times=tuple(times),
        duration=end,
        vtt_name=f"{stem}.vtt",
    )
    return SnapshotPlan(argvs=[argv], files=files, sprite=layout)


def sprite_sheet_grid(cells: int, columns: int) -> tuple[int, int]:
    """Columns and rows a sheet holding ``cells`` cells really uses: a grid sized for more would
    leave the rest of the sheet black (2 cells of a 10x10 preset in a 1420x800 picture)."""
    return min(cells, columns), math.ceil(cells / columns)


def _sprite_outputs(
    interval: float, cell: tuple[int, int], params: SnapshotParams, cells: int, out_dir: Path, stem: str, ext: str
) -> list[str]:
    """Filter graph and outputs of one decoding pass: the full sheets through one tile filter, and a
    last sheet with fewer cells through a tile filter sized to them, so it is smaller, not padded."""
    per_sheet = params.columns * params.rows
    full, rest = divmod(cells, per_sheet)
    # eof_action=pass: the last, partial interval gets its cell too (the default drops it, and with it the
    # only cell of an input shorter than one interval).
    graph = f"[0:V:0]fps=1/{fmt_seconds(interval)}:eof_action=pass,scale={cell[0]}:{cell[1]},setsar=1"
    branches = []
    if full:
        branches.append((f"trim=end_frame={full * per_sheet},tile={params.columns}x{params.rows}", full))
    if rest:
        cols, rows = sprite_sheet_grid(rest, params.columns)
        branches.append((f"trim=start_frame={full * per_sheet},tile={cols}x{rows}", 1))
    if len(branches) == 1:
        graph += f",{branches[0][0]}[s0]"
    else:
        graph += ",split=2[a0][a1];" + ";".join(f"[a{i}]{b}[s{i}]" for i, (b, _n) in enumerate(branches))
    argv = ["-filter_complex", graph]
    for i, (_b, frames) in enumerate(branches):
        argv += ["-map", f"[s{i}]", "-frames:v", str(frames)]
        if i == 0 and full:
            argv += ["-start_number", "0", *_CODECS[ext], str(out_dir / f"{stem}_%d.{ext}")]
        else:
            argv += ["-update", "1", *_CODECS[ext], str(out_dir / f"{stem}_{full}.{ext}")]
    return argv


def _every(interval: float, end: float) -> list[float]:
    count = max(1, math.ceil(end / interval - 1e-9)) if end > 0 else 1
    return [round(i * interval, 3) for i in range(count)]


def _positive_interval(value: float) -> float:
    if value <= 0:
        raise BadInputError("the sampling interval must be positive", code="InvalidParameterValue.Interval")
    return float(value)


def _check_count(count: int, max_images: int) -> None:
    if count > max_images:
        raise MediaError(
            f"the input is too long for this template: it would produce {count} images (the limit is {max_images})",
            code=media_errors.MEDIA_TOO_LARGE,
        )


def _scale_filter(width: int, height: int) -> list[str]:
    if width < 0 or height < 0:
        raise BadInputError("width and height must not be negative", code="InvalidParameterValue.Resolution")
    if width == 0 and height == 0:
        return []
    return ["-vf", f"scale={width or -1}:{height or -1}"]


def _cell_size(info: MediaInfo, width: int, height: int) -> tuple[int, int]:
    if width < 0 or height < 0:
        raise BadInputError("width and height must not be negative", code="InvalidParameterValue.Resolution")
    src_w, src_h = max(info.display_width, 1), max(info.display_height, 1)
    if width == 0 and height == 0:
        width = _SPRITE_DEFAULT_CELL_WIDTH
    if height == 0:
        height = max(1, round(width * src_h / src_w))
    elif width == 0:
        width = max(1, round(height * src_w / src_h))
    return width, height
