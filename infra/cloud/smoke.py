"""`python -m infra.cloud.smoke`: run dist/ the way SCF would, with a clean CPython of the runtime's
version (serverless.yml's ``runtime``; the layers hold cp310 wheels, which no other CPython imports).

For every layer set serverless.yml binds, the code zip is unpacked to ``var/user`` and the layers,
in binding order, to ``opt`` (as SCF does: /var/user and /opt). A fresh ``python -S -B`` (no
site-packages, so only the standard library and PYTHONPATH=var/user:opt) then
(infra/cloud/smoke_probe.py):

- imports ``functions.<key>.index`` for every function, with only the layers that function binds,
  and checks that every loaded module came from the unpacked code, the layers or the stdlib;
- with the core layer (alone, or with the ffmpeg layer): creates the tables on a local dynalite
  through pynamodb and the pruned botocore, builds the COS and SCF clients; with the ffmpeg layer
  also runs the layer's ffmpeg (found by imageio-ffmpeg where the layer puts it), PyAV's probe, a
  transcode (mp4 and HLS) and a sprite snapshot; without it, checks no ffmpeg is there;
- with the core and AI layers: checks no ffmpeg is there, uploads dist/ffmpeg to a local bucket
  (COS's stand-in) and fetches it the way a worker's cold start does (the same
  ``ensure_ffmpeg``, through the storage port, sha256 checked), then runs nudenet and the OCR
  model on a frame and the review, analysis and enhancement engines on generated media with that
  fetched ffmpeg, and checks that what the layers leave out (sympy, onnxruntime's tools) was never
  imported.

Not covered: SCF's own image (its glibc, preinstalled packages, /tmp size), how SCF overlays
several layers in /opt, COS (the download from a real bucket), SCF Invoke, the worker handler
around ``ensure_ffmpeg`` and the real table service; see docs/DEPLOY.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import cast

from infra.cloud.layers import FFMPEG, LAYERS, function_layers, runtime_python
from infra.cloud.package import DIST

PROBE = Path(__file__).resolve().parent / "smoke_probe.py"
AI_LAYERS = {layer.name for layer in LAYERS if layer.extras}


def find_python(version: str) -> str | None:
    """A CPython ``version`` interpreter: python3.X on PATH, else pyenv's, else uv's."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True).returncode == 0:
        return found
    patterns = [
        f"~/.pyenv/versions/{version}.*/bin/python{version}",
        f"~/.local/share/uv/python/cpython-{version}.*/bin/python{version}",
    ]
    for pattern in patterns:
        for candidate in sorted(glob.glob(os.path.expanduser(pattern)), reverse=True):
            if os.access(candidate, os.X_OK):
                return candidate
    return None


def unpack(archive: Path, dest: Path) -> None:
    """Extract keeping the executable bits (zipfile.extractall drops them)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode & stat.S_IXUSR:
                path.chmod(mode)


def layer_sets(bindings: dict[str, list[str]]) -> dict[tuple[str, ...], list[str]]:
    """Each distinct layer list -> the functions that bind it."""
    sets: dict[tuple[str, ...], list[str]] = {}
    for key, names in bindings.items():
        sets.setdefault(tuple(names), []).append(key)
    return sets


def probe_args(names: tuple[str, ...], table_endpoint: str, ffmpeg: Path, ffmpeg_sha256: str) -> list[str]:
    """What to exercise with this layer set (see smoke_probe.py)."""
    if AI_LAYERS & set(names):
        return ["ai", str(ffmpeg), ffmpeg_sha256]
    return ["core", table_endpoint, *(["media"] if FFMPEG.name in names else [])]


def run_probe(python: str, root: Path, *args: str, timeout: float = 900) -> dict[str, object]:
    probe = root / "smoke_probe.py"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "TMPDIR": str(root / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([str(root / "var" / "user"), str(root / "opt")]),
        "OPENMPS_ONNX_THREADS": "2",
    }
    done = subprocess.run(
        [python, "-S", "-B", str(probe), *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise SystemExit(f"smoke {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Import and exercise dist/ with a clean CPython of SCF's runtime")
    parser.add_argument("--python", help="the interpreter (default: python<runtime> found on this machine)")
    parser.add_argument("--dist", type=Path, default=DIST)
    parser.add_argument("--imports-only", action="store_true", help="skip the engine runs")
    args = parser.parse_args(argv)
    version = runtime_python()
    python = args.python or find_python(version)
    if python is None:
        raise SystemExit(
            f"no CPython {version} here (the layers hold cp{version.replace('.', '')} wheels, which "
            f"CPython {sys.version_info.major}.{sys.version_info.minor} cannot import); "
            f"pass --python, or install one (pyenv, uv python install {version})"
        )
    real = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if real != version:
        raise SystemExit(f"{python} is CPython {real}; the layers are built for {version}")
    bindings = function_layers()
    ffmpeg_sha256 = json.loads((args.dist / "sizes.json").read_text())["ffmpeg"]["sha256"]
    results = []
    dynalite = None
    with tempfile.TemporaryDirectory(prefix="openmps-smoke-") as tmp:
        try:
            for number, (names, functions) in enumerate(layer_sets(bindings).items()):
                root = Path(tmp) / f"set{number}"
                (root / "tmp").mkdir(parents=True)
                unpack(args.dist / "openmps-code.zip", root / "var" / "user")
                for name in names:
                    unpack(args.dist / f"{name}.zip", root / "opt")
                shutil.copy(PROBE, root / "smoke_probe.py")
                print(f"layers {' + '.join(names)}: {', '.join(functions)}", flush=True)
                for key in functions:
                    result = run_probe(python, root, "import", key)
                    results.append(result)
                    print(
                        f"  import functions.{key}.index ok ({result['modules']} modules, "
                        f"{', '.join(cast(list[str], result['loaded']))})",
                        flush=True,
                    )
                if args.imports_only:
                    continue
                if dynalite is None and not AI_LAYERS & set(names):
                    from infra.local.dynalite import Dynalite

                    dynalite = Dynalite(Path(tmp) / "dynalite")
                    dynalite.start()
                endpoint = dynalite.endpoint if dynalite is not None else ""
                result = run_probe(
                    python, root, *probe_args(names, endpoint, (args.dist / "ffmpeg").resolve(), ffmpeg_sha256)
                )
                results.append(result)
                print(f"  {result['mode']} engines ok: {json.dumps(result, default=str)}", flush=True)
        finally:
            if dynalite is not None:
                dynalite.stop()
    (args.dist / "smoke.json").write_text(json.dumps({"python": python, "results": results}, indent=2) + "\n")
    print(f"smoke test passed with {python} (CPython {version}); details in {args.dist / 'smoke.json'}")


if __name__ == "__main__":
    main()
