"""`make package`: what SCF needs, built reproducibly into dist/.

- ``dist/code/`` and ``dist/openmps-code.zip``: the function code (``functions/``), which
  serverless.yml deploys (``inputs.src.src: ./dist/code``);
- ``dist/openmps-layer.zip``, the core layer bound to every function: ``shared/`` plus
  pyproject's ``dependencies`` installed for SCF's runtime (linux x86_64, CPython of
  serverless.yml's ``runtime``) at the zip's root, without the ffmpeg binary imageio-ffmpeg ships;
- ``dist/openmps-ffmpeg-layer.zip``, the ffmpeg layer: that binary alone, at the path
  imageio-ffmpeg looks for it (``imageio_ffmpeg/binaries/``), for the functions that run ffmpeg and
  have room for it (transcode, snapshot, api);
- ``dist/openmps-ai-layer.zip``, the AI layer bound only to the functions that run the content
  engines (review, analysis, enhance): the ``ai`` extra's dependencies minus every distribution
  the core layer already has (same versions: the AI set is resolved with the core set pinned), and
  with ``opencv-python`` replaced by ``opencv-python-headless`` (one ``cv2``, no libGL);
- ``dist/ffmpeg``: the same binary, bare, for the deployer to upload to COS: the AI functions have
  no room for the ffmpeg layer and fetch it at cold start (shared/media/ffmpeg/provision.py,
  settings ``OPENMPS_FFMPEG_OBJECT`` and ``OPENMPS_FFMPEG_SHA256``);
- ``dist/sizes.json``: the sizes, per artifact and per function (its code plus the layers
  serverless.yml binds to it), checked against SCF's limits (the build fails when over), and the
  sha256 of ``dist/ffmpeg``.

SCF unpacks every layer a function binds into /opt, which the Python runtime has on PYTHONPATH
(``/var/user:/opt``), overlaid in binding order; no two layers hold the same path (checked), so
their order does not matter. ``python -m infra.cloud.smoke`` imports every handler from the unpacked zips.

Reproducible: pip resolves each layer once to exact versions (kept in sizes.json), then installs
exactly those without dependency resolution; files in sorted order, fixed timestamps and
permissions, no byte-code, no machine-specific scripts; the same inputs give byte-identical zips
(their sha256 is reported).

SCF limits used (cloud.tencent.com/document/product/583/11637, "Quota Limits", updated
2023-09-27): code plus bound layers per function, before compression, at most 500 MB; at most
5 layers per function. Uploading a zip directly (console/API) is limited to a few tens of MB
(50 MB is the commonly documented figure; not confirmed offline), so a bigger zip goes through
COS: multi-scf uploads code through COS itself, and docs/DEPLOY.md publishes the layers from COS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

from infra.cloud.archive import PRUNE, deterministic_zip, move_files, select_files, site_files, write_ffmpeg
from infra.cloud.layers import (
    CORE,
    FFMPEG,
    LAYERS,
    OMITTED,
    PIP_LAYERS,
    REPLACED,
    REPO,
    function_layers,
    runtime_python,
)
from infra.cloud.limits import (
    MB,
    SCF_DIRECT_UPLOAD_ZIP,
    SCF_MAX_LAYERS,
    SCF_MAX_UNZIPPED,
    check_limits,
    function_sizes,
    notes,
    overlapping_paths,
)
from infra.cloud.pip_install import install_dependencies

DIST = REPO / "dist"


def build(
    python_version: str,
    dist: Path = DIST,
    *,
    skip_dependencies: bool = False,
    serverless_yml: Path = REPO / "serverless.yml",
) -> dict[str, object]:
    bindings = function_layers(serverless_yml)  # fail before the slow part on an unknown layer
    build_dir = dist / "build"
    if not skip_dependencies:
        install_dependencies(build_dir, python_version)
    pins_file = build_dir / "pins.json"
    pins = json.loads(pins_file.read_text()) if pins_file.exists() else {}

    code_dir = dist / "code"
    if code_dir.exists():
        shutil.rmtree(code_dir)
    code_entries = []
    for path in select_files(REPO, "functions"):
        rel = path.relative_to(REPO).as_posix()
        copy = code_dir / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        code_entries.append((rel, path))
    code = deterministic_zip(dist / "openmps-code.zip", code_entries)

    entries: dict[str, list[tuple[str, Path]]] = {}
    for layer in PIP_LAYERS:
        site = build_dir / f"site-{layer.name}"
        site.mkdir(parents=True, exist_ok=True)
        found = [(p.relative_to(REPO).as_posix(), p) for p in select_files(REPO, "shared")] if layer.with_shared else []
        found += [(p.relative_to(site).as_posix(), p) for p in site_files(site)]
        entries[layer.name] = found
    for layer in LAYERS:
        if layer.moved_from_core:
            entries[CORE.name], entries[layer.name] = move_files(entries[CORE.name], layer.moved_from_core)
    ffmpeg = write_ffmpeg(entries[FFMPEG.name], dist / "ffmpeg")
    clashes = overlapping_paths({name: [a for a, _ in found] for name, found in entries.items()})
    if clashes:
        raise SystemExit(f"{len(clashes)} paths are in more than one layer, e.g. {clashes[:5]}")
    layers = {layer.name: deterministic_zip(dist / f"{layer.name}.zip", entries[layer.name]) for layer in LAYERS}

    problems = check_limits(code, layers, bindings)
    report: dict[str, object] = {
        "python": python_version,
        "limits": {
            "max_unzipped_bytes": SCF_MAX_UNZIPPED,
            "max_layers": SCF_MAX_LAYERS,
            "direct_upload_zip_bytes": SCF_DIRECT_UPLOAD_ZIP,
        },
        "artifacts": [asdict(code), *(asdict(a) for a in layers.values())],
        "functions": function_sizes(code, layers, bindings),
        "ffmpeg": ffmpeg,
        "requirements": {name: [f"{n}=={v}" for n, v in sorted(p.items())] for name, p in pins.items()},
        "left_out": {**{k: f"replaced by {v}" for k, v in REPLACED.items()}, **OMITTED},
        "pruned": list(PRUNE),
        "notes": notes(code, *layers.values()),
        "problems": problems,
    }
    (dist / "sizes.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def print_report(report: dict[str, object]) -> None:
    print(f"\nSCF package for CPython {report['python']} (linux x86_64):")
    for a in report["artifacts"]:  # type: ignore[attr-defined]
        print(
            f"  {a['path']:<31} {a['files']:>6} files  {a['zip_bytes'] / MB:8.1f} MB zipped  "
            f"{a['unzipped_bytes'] / MB:8.1f} MB unzipped  sha256 {a['sha256'][:16]}"
        )
    print(f"  per function, code + bound layers unzipped (SCF allows {SCF_MAX_UNZIPPED / MB:.0f} MB):")
    for key, size in report["functions"].items():  # type: ignore[attr-defined]
        total = int(size["unzipped_bytes"])
        print(
            f"    {key:<11} {total / MB:8.1f} MB  {'OK  ' if total <= SCF_MAX_UNZIPPED else 'OVER'}  "
            f"code + {' + '.join(size['layers'])}"
        )
    ffmpeg = dict(report["ffmpeg"])  # type: ignore[call-overload]
    print(
        f"  {ffmpeg['path']}: {ffmpeg['bytes'] / MB:.1f} MB, the ffmpeg layer's binary for the functions that do "
        f"not bind it: upload it to COS (docs/DEPLOY.md) and set OPENMPS_FFMPEG_SHA256={ffmpeg['sha256']}"
    )
    for note in report["notes"]:  # type: ignore[attr-defined]
        print(f"  note: {note}")
    for problem in report["problems"]:  # type: ignore[attr-defined]
        print(f"  OVER LIMIT: {problem}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build dist/ for Tencent SCF")
    parser.add_argument("--python-version", default=None, help="default: serverless.yml's runtime")
    parser.add_argument("--skip-dependencies", action="store_true", help="reuse dist/build/site-*")
    args = parser.parse_args(argv)
    python_version = args.python_version or runtime_python()
    try:
        report = build(python_version, skip_dependencies=args.skip_dependencies)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(
            f"make package: {' '.join(str(a) for a in exc.cmd[3:5])} failed. A dependency probably has "
            f"no wheel for CPython {python_version} on linux x86_64 (pip's error above names it): pin "
            f"a version that has one in infra/cloud/layer-constraints.txt, or use a newer SCF runtime."
        ) from None
    print_report(report)
    if report["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
