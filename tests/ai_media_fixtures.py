"""Media for the review, analysis and enhancement engines, generated with ffmpeg and Pillow.

Burned-in text is drawn by Pillow (its default font needs no system font) into a PNG, which ffmpeg
overlays for a given time span; everything else is synthetic lavfi sources.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.media_fixtures import _run

_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def text_png(path: str | Path, text: str, *, size: int = 40, width: int = 0) -> Path:
    """White text on a dark band, transparent around it."""
    path = Path(path)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 3
    w = max(width, right - left + 2 * pad)
    h = bottom - top + 2 * pad
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, h), fill=(10, 10, 10, 220))
    draw.text(((w - (right - left)) // 2 - left, pad - top), text, font=font, fill=(255, 255, 255, 255))
    img.save(path)
    return path


def make_text_clip(
    path: str | Path,
    text: str,
    *,
    seconds: float = 8,
    start: float = 3,
    end: float = 6,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    font_size: int = 40,
) -> Path:
    """testsrc2 with ``text`` burned in from ``start`` to ``end`` seconds, plus a tone."""
    path = Path(path)
    png = text_png(path.with_name(f".text-{path.stem}.png"), text, size=font_size)
    enable = f"between(t,{start},{end})"
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
            "-i",
            str(png),
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-filter_complex",
            f"[0:v][1:v]overlay=x=(W-w)/2:y=H-h-30:enable='{enable}'[v]",
            "-map",
            "[v]",
            "-map",
            "2:a",
            *_X264,
            "-g",
            str(fps),
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ]
    )
    png.unlink()
    return path


def make_shots_clip(
    path: str | Path, shot_seconds: float = 2.0, *, width: int = 640, height: int = 360, fps: int = 25
) -> Path:
    """Three visually distinct shots back to back (cuts at 1x and 2x ``shot_seconds``), with a tone."""
    path = Path(path)
    d = shot_seconds
    size = f"{width}x{height}"
    sources = [
        f"testsrc2=size={size}:rate={fps}:duration={d}",
        f"smptehdbars=size={size}:rate={fps}:duration={d}",
        f"gradients=size={size}:rate={fps}:duration={d}:speed=0.03:seed=3",
    ]
    args: list[str] = []
    for src in sources:
        args += ["-f", "lavfi", "-i", src]
    args += ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={3 * d}"]
    graph = ";".join(f"[{i}:v]format=yuv420p,setsar=1,settb=1/{fps},setpts=N/{fps}/TB[v{i}]" for i in range(3))
    graph += ";[v0][v1][v2]concat=n=3:v=1:a=0[v]"
    _run(
        [
            *args,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "3:a",
            *_X264,
            "-g",
            str(fps),
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-movflags",
            "+faststart",
            str(path),
        ]
    )
    return path


def make_noisy_clip(
    path: str | Path, *, seconds: float = 3, width: int = 640, height: int = 360, fps: int = 25, strength: int = 40
) -> Path:
    """A calm picture (smptehdbars) under strong temporal grain, encoded at high quality to keep it."""
    path = Path(path)
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            f"smptehdbars=size={width}x{height}:rate={fps}:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-vf",
            f"noise=alls={strength}:allf=t+u",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "12",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-movflags",
            "+faststart",
            str(path),
        ]
    )
    return path


def make_quiet_clip(path: str | Path, *, seconds: float = 6, gain_db: float = -32, video: bool = True) -> Path:
    """Pink noise mixed with a tone, far below broadcast loudness (about -40 LUFS by default)."""
    path = Path(path)
    args = []
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"]
    args += [
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=color=pink:amplitude=0.5:sample_rate=48000:duration={seconds}:seed=7",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=220:sample_rate=48000:duration={seconds}",
    ]
    a0 = 1 if video else 0
    graph = f"[{a0}:a][{a0 + 1}:a]amix=inputs=2:normalize=0,volume={gain_db}dB[a]"
    maps = (["-map", "0:v", *_X264] if video else []) + ["-map", "[a]", "-c:a", "aac", "-b:a", "128k"]
    _run([*args, "-filter_complex", graph, *maps, "-movflags", "+faststart", str(path)])
    return path


def make_shaky_clip(
    path: str | Path, *, seconds: float = 4, width: int = 480, height: int = 270, fps: int = 25, amplitude: int = 12
) -> Path:
    """A still scene seen through a jittering camera: a crop window that jumps around every frame."""
    path = Path(path)
    pad = amplitude * 2
    src = f"smptehdbars=size={width + 2 * pad}x{height + 2 * pad}:rate={fps}:duration={seconds}"
    x = f"{pad}+{amplitude}*sin(n*2.3)+{amplitude // 2}*sin(n*5.1)"
    y = f"{pad}+{amplitude}*cos(n*1.7)+{amplitude // 2}*sin(n*4.3)"
    # Texture so the motion is visible to the estimator everywhere, not only at the bars' edges.
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            src,
            "-vf",
            f"drawgrid=w=24:h=24:t=2:c=white@0.6,crop={width}:{height}:'{x}':'{y}'",
            *_X264,
            "-movflags",
            "+faststart",
            str(path),
        ]
    )
    return path


def make_black_silence_clip(path: str | Path) -> Path:
    """6 s: 2 s picture with tone, 2 s black and silent, 2 s picture with tone."""
    path = Path(path)
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=6",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=6",
            "-vf",
            "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,2,3.99)'",
            "-af",
            "volume=enable='between(t,2,3.99)':volume=0",
            *_X264,
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-movflags",
            "+faststart",
            str(path),
        ]
    )
    return path


__all__ = [
    "make_black_silence_clip",
    "make_noisy_clip",
    "make_quiet_clip",
    "make_shaky_clip",
    "make_shots_clip",
    "make_text_clip",
    "text_png",
]
