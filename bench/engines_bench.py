"""Throughput of the review, analysis and enhancement engines on a generated 720p clip.

    .venv/bin/python bench/engines_bench.py [--seconds 60] [--size 1280x720] [--only review,analysis,enhance_10]

Prints, per engine and template, the wall time and the speed in seconds of media per second of
processing (above 1 = faster than real time). The clip mixes three shots (one of them grainy), 10 s of
burned-in text and a sound track, so every engine has something to find. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from shared.domain import kinds  # noqa: E402
from shared.media.ai.analysis.engine import run_analysis  # noqa: E402
from shared.media.ai.enhance.engine import run_enhancement  # noqa: E402
from shared.media.ai.review.engine import run_review  # noqa: E402
from shared.media.ffmpeg.runner import ffmpeg_exe  # noqa: E402

# (name, engine, preset key, clip, seconds of media it runs on: None = the whole clip). The "mixed" clip
# has two calm shots out of three, where the review reuses the models' results for repeated pictures;
# on the "busy" clip every sampled frame differs and carries text: the review's worst case.
CASES = [
    ("review_10", run_review, ("ContentReview", 10), "mixed", None),
    ("review_10 busy", run_review, ("ContentReview", 10), "busy", None),
    ("analysis_10", run_analysis, ("ContentAnalysis", 10), "mixed", None),
    ("analysis_10 busy", run_analysis, ("ContentAnalysis", 10), "busy", None),
    ("enhance_10 denoise+sharpen", run_enhancement, ("Enhancement", 10), "mixed", None),
    ("enhance_20 2x upscale", run_enhancement, ("Enhancement", 20), "mixed", None),
    ("enhance_30 loudness -16", run_enhancement, ("Enhancement", 30), "mixed", None),
    ("enhance_40 stabilise", run_enhancement, ("Enhancement", 40), "mixed", None),
    ("enhance_50 60fps mci", run_enhancement, ("Enhancement", 50), "mixed", 10.0),  # slow: timed on an excerpt
    ("enhance_70 restore", run_enhancement, ("Enhancement", 70), "mixed", None),
]


def make_clip(path: Path, seconds: float, width: int, height: int, busy: bool = False) -> Path:
    """Three shots (testsrc2, grainy bars, slow gradients), or with ``busy`` testsrc2 throughout."""
    third = seconds / 3
    png = path.with_name("bench-text.png")
    font = ImageFont.load_default(size=max(24, height // 16))
    text = "Limited offer: visit our casino tonight"
    left, top, right, bottom = font.getbbox(text)
    img = Image.new("RGBA", (right - left + 40, bottom - top + 30), (0, 0, 0, 200))
    ImageDraw.Draw(img).text((20 - left, 15 - top), text, font=font, fill=(255, 255, 255, 255))
    img.save(png)
    size = f"{width}x{height}"
    sources = [
        f"testsrc2=size={size}:rate=25:duration={third}",
        f"smptehdbars=size={size}:rate=25:duration={third}",
        f"gradients=size={size}:rate=25:duration={third}:speed=0.02",
    ]
    if busy:
        sources = [f"testsrc2=size={size}:rate=25:duration={third}"] * 3
    graph = (
        f"[0:v]format=yuv420p,setsar=1[v0];"
        f"[1:v]noise=alls=14:allf=t+u,format=yuv420p,setsar=1[v1];"
        f"[2:v]format=yuv420p,setsar=1[v2];"
        f"[v0][v1][v2]concat=n=3:v=1:a=0[cat];"
        f"[cat][3:v]overlay=x=(W-w)/2:y=H-h-40:enable='between(t,{third * 0.5:.1f},{third * 0.5 + 10:.1f})'[v];"
        f"[4:a][5:a]amix=inputs=2:normalize=0,volume=-18dB[a]"
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            sources[0],
            "-f",
            "lavfi",
            "-i",
            sources[1],
            "-f",
            "lavfi",
            "-i",
            sources[2],
            "-i",
            str(png),
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:sample_rate=48000:duration={seconds}",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
        timeout=600,
    )
    return path


def excerpt(src: Path, seconds: float) -> Path:
    out = src.with_name(f"{src.stem}-excerpt-{seconds:g}s.mp4")
    if not out.exists():
        subprocess.run(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(src),
                "-t",
                str(seconds),
                "-c",
                "copy",
                str(out),
            ],
            check=True,
            timeout=120,
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--only", default="", help="comma-separated name prefixes, e.g. review,enhance_30")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="openmps-bench-") as tmp:
        work = Path(tmp)
        clips: dict[str, Path] = {}
        for name, engine, key, kind, seconds in CASES:
            if wanted and not any(name.startswith(w) for w in wanted):
                continue
            if kind not in clips:
                started = time.monotonic()
                clips[kind] = make_clip(work / f"{kind}.mp4", args.seconds, width, height, busy=kind == "busy")
                print(
                    f"{kind} clip: {args.seconds:g} s {width}x{height} 25 fps, generated in "
                    f"{time.monotonic() - started:.1f} s",
                    flush=True,
                )
            clip = clips[kind]
            src = excerpt(clip, seconds) if seconds else clip
            media = seconds or args.seconds
            out = work / f"out-{len(rows)}"
            t0 = time.monotonic()
            summary = engine(src, kinds.resolve_preset(*key).params, out, "bench", timeout=3600).result or {}
            elapsed = time.monotonic() - t0
            rows.append(
                {
                    "engine": name,
                    "clip": kind,
                    "media_seconds": media,
                    "wall_seconds": round(elapsed, 2),
                    "speed": round(media / elapsed, 2),
                    "note": _note(name, summary),
                }
            )
            print(
                f"{name:30s} {media:5.0f} s media  {elapsed:7.1f} s wall  {media / elapsed:6.2f}x  {rows[-1]['note']}",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def _note(name: str, summary: dict) -> str:
    if name.startswith("review"):
        return f"suggestion={summary['suggestion']} segments={summary['segment_count']}"
    if name.startswith("analysis"):
        return f"scenes={summary.get('scene_count')} cuts={summary.get('cuts')}"
    changes = summary.get("changes", {})
    parts = []
    for key in ("noise", "integrated_loudness", "shake_jitter", "resolution", "fps"):
        if key in changes and changes[key]["before"] != changes[key]["after"]:
            parts.append(f"{key} {changes[key]['before']} -> {changes[key]['after']}")
    return "; ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
