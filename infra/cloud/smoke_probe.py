"""Runs INSIDE the clean interpreter that infra/cloud/smoke.py starts (``python -S -B``, PYTHONPATH =
the unpacked code and layers, nothing else): standard library at the top, everything else is
imported from the layers. Prints one JSON line; exits non-zero on the first failure.

    probe import <function key>     import functions.<key>.index, check where every module came from
    probe core <dynalite endpoint> [media]
                                    table, COS/SCF clients; with ``media`` (the ffmpeg layer is bound):
                                    ffmpeg, PyAV, transcode and snapshot; without: no ffmpeg is there
    probe ai <ffmpeg file> <sha256> no ffmpeg in the layers; upload the file to a local bucket and fetch
                                    it as a cold start does (shared/media/ffmpeg/provision.py), then the
                                    review, analysis and enhancement engines with the real models
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOTS = [Path(p).resolve() for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
WORK = Path(tempfile.mkdtemp(prefix="probe-"))


def foreign_modules() -> list[str]:
    """Loaded modules that come from neither the unpacked code/layers nor the standard library."""
    bad = []
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if not origin or name == "__main__":
            continue
        path = Path(origin).resolve()
        if not any(path.is_relative_to(root) for root in [*ROOTS, STDLIB]):
            bad.append(f"{name}: {path}")
    return sorted(bad)


def under_layers(path: str) -> bool:
    return any(Path(path).resolve().is_relative_to(root) for root in ROOTS)


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr[-1500:]}")


def make_clip(path: Path, seconds: int = 4) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-movflags",
        "+faststart",
        str(path),
    )
    return path


def make_text_clip(path: Path, text: str, seconds: int = 8, start: float = 3, end: float = 6) -> Path:
    """testsrc2 with ``text`` burned in between ``start`` and ``end`` (drawn by the layer's Pillow)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    left, top, right, bottom = font.getbbox(text)
    w, h = int(right - left) + 26, int(bottom - top) + 26
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, h), fill=(10, 10, 10, 220))
    draw.text((13 - left, 13 - top), text, font=font, fill=(255, 255, 255, 255))
    png = path.with_suffix(".png")
    img.save(png)
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-i",
        str(png),
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        "-filter_complex",
        f"[0:v][1:v]overlay=x=(W-w)/2:y=H-h-30:enable='between(t,{start},{end})'[v]",
        "-map",
        "[v]",
        "-map",
        "2:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "25",
        "-c:a",
        "aac",
        "-shortest",
        "-movflags",
        "+faststart",
        str(path),
    )
    return path


def probe_import(key: str) -> dict[str, object]:
    module = importlib.import_module(f"functions.{key}.index")
    assert callable(module.main_handler), f"functions.{key}.index.main_handler is not callable"
    foreign = foreign_modules()
    assert not foreign, f"modules from outside the layers: {foreign[:5]}"
    heavy = sorted(m for m in ("numpy", "cv2", "onnxruntime", "av", "pynamodb", "botocore") if m in sys.modules)
    return {"function": key, "modules": len(sys.modules), "loaded": heavy}


def probe_core(table_endpoint: str, media: bool) -> dict[str, object]:
    from shared.composition import build_deps, build_invoker, build_storage
    from shared.media.ffmpeg.provision import bundled_ffmpeg
    from shared.runtime.settings import Settings
    from shared.store.models import create_missing_tables

    out: dict[str, object] = {}
    bundled = bundled_ffmpeg()
    if not media:
        assert bundled is None, f"ffmpeg {bundled} is in the core layer"
        out["ffmpeg"] = None
    else:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        assert bundled is not None and exe == str(bundled), (exe, bundled)
        assert under_layers(exe), f"ffmpeg {exe} is not the layer's"
        out["ffmpeg"] = Path(exe).name
    # The table over the real DynamoDB API (dynalite), through pynamodb and the pruned botocore.
    settings = Settings(
        table_endpoint=table_endpoint,
        table_prefix=f"smoke{int(time.time())}p{os.getpid()}-",
        table_access_key_id="smoke",
        table_secret_access_key="smoke",
        storage_root=str(WORK / "buckets"),
        work_dir=str(WORK / "work"),
    )
    created = create_missing_tables(settings)
    assert created and not create_missing_tables(settings), "tables were not created exactly once"
    assert build_deps(settings).tasks.get_subtask("1250000000-WorkflowTask-" + "0" * 32 + "t0", 1) is None
    out["tables_created"] = len(created)
    # The cloud adapters build their clients (no request is sent): COS presigns, SCF's client exists.
    cloud = Settings(
        storage="cos",
        invoker="scf",
        cos_secret_id="AKIDsmoke",
        cos_secret_key="k",
        scf_secret_id="AKIDsmoke",
        scf_secret_key="k",
        signing_key="smoke-signing-key",
    )
    url = build_storage(cloud).presign("openmps-input-1250000000", "input/a.mp4", "GET", 60)
    assert "q-signature" in url, url
    build_invoker(cloud)
    if media:
        out.update(probe_media())
    foreign = foreign_modules()
    assert not foreign, f"modules from outside the layers: {foreign[:5]}"
    return out


def probe_media() -> dict[str, object]:
    from shared.domain.kinds.snapshot import SnapshotParams
    from shared.domain.kinds.transcode_rules import TranscodeParams
    from shared.media.ffmpeg.engines import run_snapshot, run_transcode
    from shared.media.ffmpeg.probe import probe

    # PyAV (its own FFmpeg libraries) and the ffmpeg binary: probe, transcode, snapshot.
    clip = make_clip(WORK / "clip.mp4")
    info = probe(clip)
    assert info.video is not None and info.duration > 3, info
    files = run_transcode(clip, TranscodeParams(height=180), WORK / "out", "tc", timeout=120).outputs
    assert files and files[0].metadata["height"] == 180, files
    hls = run_transcode(
        clip, TranscodeParams(container="hls", height=180, hls_time=2), WORK / "out", "hl", timeout=120
    ).outputs
    assert len(hls) > 2, hls
    shots = run_snapshot(
        clip,
        SnapshotParams(kind="sprite", interval=1, sample_type="time", rows=2, columns=2),
        WORK / "out",
        "sp",
        timeout=120,
    ).outputs
    assert shots, shots
    return {"av": __import__("av").__version__, "transcoded": len(files) + len(hls), "snapshots": len(shots)}


def fetch_ffmpeg_like_a_cold_start(binary: Path, sha256: str) -> dict[str, object]:
    """The deployer's upload of dist/ffmpeg and a worker's cold start, with a local bucket in COS's place:
    the same ensure_ffmpeg() the worker handler calls, through the storage port."""
    import imageio_ffmpeg

    from shared.composition import build_storage
    from shared.media.ffmpeg.provision import ENV, bundled_ffmpeg, ensure_ffmpeg
    from shared.media.ffmpeg.runner import ffmpeg_exe
    from shared.runtime.settings import Settings

    assert bundled_ffmpeg() is None and not os.environ.get(ENV), "ffmpeg is already here"
    obj = "openmps-deploy-1250000000/openmps/ffmpeg"
    settings = Settings(
        storage_root=str(WORK / "buckets"), work_dir=str(WORK / "tmp"), ffmpeg_object=obj, ffmpeg_sha256=sha256
    )
    storage = build_storage(settings)
    bucket, key = obj.split("/", 1)
    storage.upload(bucket, key, binary)
    started = time.monotonic()
    path = ensure_ffmpeg(settings, storage)
    seconds = round(time.monotonic() - started, 1)
    assert path and Path(path).is_relative_to(WORK / "tmp") and os.access(path, os.X_OK), path
    assert ensure_ffmpeg(settings, storage) is None, "fetched twice"  # warm: nothing to do
    assert imageio_ffmpeg.get_ffmpeg_exe() == path == ffmpeg_exe(), (imageio_ffmpeg.get_ffmpeg_exe(), path)
    return {"ffmpeg_fetched": Path(path).name, "ffmpeg_fetch_seconds": seconds}


def probe_ai(binary: Path, sha256: str) -> dict[str, object]:
    fetched = fetch_ffmpeg_like_a_cold_start(binary, sha256)

    import cv2
    import numpy as np

    from shared.domain import kinds
    from shared.media.ai import models as ai_models
    from shared.media.ai.analysis.engine import run_analysis
    from shared.media.ai.enhance.engine import run_enhancement
    from shared.media.ai.ports import EngineChoice
    from shared.media.ai.review.engine import run_review
    from shared.runtime.settings import settings_from_env

    threads = settings_from_env().onnx_threads  # the smoke's OPENMPS_ONNX_THREADS, as a function reads it
    choice = EngineChoice(onnx_threads=threads)
    out: dict[str, object] = {**fetched, "numpy": np.__version__, "cv2": cv2.__version__}
    assert under_layers(cv2.__file__)
    # The models straight: nudenet on a frame, OCR on drawn text.
    frame = np.full((360, 640, 3), 200, np.uint8)
    cv2.putText(frame, "OPENMPS 2024", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (0, 0, 0), 5)
    detections = ai_models.nudity_detector(threads).detect(frame)
    lines = ai_models.text_reader(threads).read(frame)
    text = " ".join(line.text for line in lines)
    assert "OPENMPS" in text.upper().replace(" ", ""), f"OCR read {text!r}"
    out.update(
        nudenet=ai_models.nudity_detector(threads).name,
        nudenet_detections=len(detections),
        ocr=ai_models.text_reader(threads).name,
        ocr_text=text,
    )
    # The three engines on generated media, as the functions run them.
    keyword = make_text_clip(WORK / "keyword.mp4", "Buy cheap casino chips now")
    names = ("ContentReview", "ContentAnalysis", "Enhancement")
    preset = {name: kinds.resolve_preset(name, 10).params for name in names}
    review = run_review(keyword, preset["ContentReview"], WORK / "review", "rv", timeout=300, choice=choice).result
    assert review is not None
    assert review["suggestion"] == "block" and review["label"] == "Ad", review
    analysed = run_analysis(keyword, preset["ContentAnalysis"], WORK / "analysis", "an", timeout=300, choice=choice)
    assert analysed.result_files and analysed.result, analysed.result
    files = run_enhancement(
        make_clip(WORK / "plain.mp4", 3), preset["Enhancement"], WORK / "enhance", "en", timeout=300, choice=choice
    ).outputs
    assert any(f.name == "en.mp4" for f in files), [f.name for f in files]
    out.update(
        review=review["suggestion"],
        review_label=review["label"],
        analysis_files=len(analysed.outputs),
        enhance_files=[f.name for f in files],
    )
    left_out = sorted(
        m for m in ("sympy", "mpmath", "onnxruntime.tools", "onnxruntime.transformers") if m in sys.modules
    )
    assert not left_out, f"modules the layers leave out were imported: {left_out}"
    foreign = foreign_modules()
    assert not foreign, f"modules from outside the layers: {foreign[:5]}"
    return out


def main() -> None:
    mode = sys.argv[1]
    started = time.monotonic()
    if mode == "import":
        result = probe_import(sys.argv[2])
    elif mode == "core":
        result = probe_core(sys.argv[2], media=sys.argv[3:] == ["media"])
    elif mode == "ai":
        result = probe_ai(Path(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
    result.update(mode=mode, python=sys.version.split()[0], seconds=round(time.monotonic() - started, 1))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
