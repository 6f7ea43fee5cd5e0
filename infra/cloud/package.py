"""`make package`: what SCF needs, built reproducibly into dist/.

- ``dist/code/`` and ``dist/openmps-code.zip``: the function code (``functions/``), which
  serverless.yml deploys (``inputs.src.src: ./dist/code``);
- ``dist/openmps-layer.zip``: the layer: ``shared/`` plus the Python dependencies of
  pyproject.toml installed for SCF's runtime (linux x86_64, CPython of serverless.yml's
  ``runtime``) at the zip's root, with the ffmpeg binary that imageio-ffmpeg ships. SCF unpacks
  a layer to /opt, which the Python runtime has on PYTHONPATH (``/var/user:/opt``);
- ``dist/sizes.json``: the sizes, checked against SCF's limits; the build fails when over.

Reproducible: files in sorted order, fixed timestamps and permissions, no byte-code, no
machine-specific scripts; the same inputs give byte-identical zips (their sha256 is reported).

SCF limits used (cloud.tencent.com/document/product/583/11637, "Quota Limits", updated
2023-09-27): code plus bound layers per function, before compression, at most 500 MB; at most
5 layers per function. Uploading a zip directly (console/API) is limited to a few tens of MB
(50 MB is the commonly documented figure; not confirmed offline), so a bigger zip goes through
COS: multi-scf uploads code through COS itself, and docs/DEPLOY.md publishes the layer from COS.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import tomllib
import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DIST = REPO / "dist"
CONSTRAINTS = HERE / "layer-constraints.txt"
MB = 1024 * 1024
SCF_MAX_UNZIPPED = 500 * MB  # code + bound layers, before compression
SCF_DIRECT_UPLOAD_ZIP = 50 * MB  # above this, upload through COS
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
# Packages published only as source whose pure-Python part is enough: built here without their
# optional C extension, so the layer stays platform-correct.
PURE_FROM_SOURCE = ("crcmod",)
_SKIP_DIRS = {"__pycache__", "bin", "tests", "test"}


@dataclass(frozen=True)
class Artifact:
    name: str
    path: str
    files: int
    zip_bytes: int
    unzipped_bytes: int
    sha256: str


def runtime_python(serverless_yml: Path = REPO / "serverless.yml") -> str:
    """"Python3.10" in serverless.yml -> "3.10": the layer is built for what the functions run."""
    doc = yaml.safe_load(serverless_yml.read_text())
    runtime = str(doc["inputs"]["runtime"])
    match = re.fullmatch(r"Python(\d)\.(\d+)", runtime)
    if not match:
        raise SystemExit(f"serverless.yml runtime {runtime!r} is not a Python runtime")
    return f"{match.group(1)}.{match.group(2)}"


def code_source_dir(serverless_yml: Path = REPO / "serverless.yml") -> Path:
    doc = yaml.safe_load(serverless_yml.read_text())
    return (REPO / str(doc["inputs"]["src"]["src"])).resolve()


def project_dependencies(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def layer_requirements(dependencies: list[str], constraints: list[str]) -> list[str]:
    """pyproject's dependencies with the layer's pins (layer-constraints.txt) put in their place;
    extras are kept."""
    pins = {_name(c): c.split("#")[0].strip() for c in constraints if c.split("#")[0].strip()}
    result = []
    for dep in dependencies:
        pin = pins.get(_name(dep))
        if pin is None:
            result.append(dep)
        else:
            extras = re.match(r"^[A-Za-z0-9_.-]+(\[[^\]]*\])?", dep.strip())
            result.append(_name(dep) + ((extras.group(1) or "") if extras else "") + pin[len(_name(pin)):])
    return result


def select_files(root: Path, top: str) -> list[Path]:
    """Files of ``root/top`` that belong in a package: no byte-code, caches or tests."""
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root / top):
        dirnames[:] = sorted(d for d in dirnames if d not in {"__pycache__"} and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            chosen.append(Path(dirpath, name))
    return chosen


def site_files(root: Path) -> list[Path]:
    """Installed dependencies under ``root`` minus what SCF never needs (scripts with this
    machine's interpreter path, caches, test suites)."""
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames
                             if not (d in _SKIP_DIRS and (rel == Path(".") or d != "bin")) and d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            chosen.append(Path(dirpath, name))
    return chosen


def deterministic_zip(out: Path, entries: Iterable[tuple[str, Path]]) -> Artifact:
    """Write ``entries`` (archive name, file) sorted by name with fixed times and modes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    files = 0
    unzipped = 0
    seen: set[str] = set()
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, path in sorted(entries, key=lambda e: e[0]):
            if arcname in seen:
                raise SystemExit(f"{out.name}: {arcname} would be packaged twice")
            seen.add(arcname)
            info = zipfile.ZipInfo(arcname, ZIP_EPOCH)
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the modes above are honoured
            with path.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            files += 1
            unzipped += path.stat().st_size
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return Artifact(out.stem, str(out.relative_to(out.parents[1]) if len(out.parents) > 1 else out), files,
                    out.stat().st_size, unzipped, digest)


def check_limits(code: Artifact, layer: Artifact, max_unzipped: int = SCF_MAX_UNZIPPED) -> list[str]:
    """Problems that stop a deployment (empty when it fits)."""
    problems = []
    total = code.unzipped_bytes + layer.unzipped_bytes
    if total > max_unzipped:
        problems.append(f"code + layer unpack to {total / MB:.1f} MB; SCF allows {max_unzipped / MB:.0f} MB "
                        f"per function (code and bound layers, before compression)")
    return problems


def notes(code: Artifact, layer: Artifact) -> list[str]:
    return [f"{a.name}: {a.zip_bytes / MB:.1f} MB zipped is over {SCF_DIRECT_UPLOAD_ZIP / MB:.0f} MB: upload it "
            f"through COS (docs/DEPLOY.md)" for a in (code, layer) if a.zip_bytes > SCF_DIRECT_UPLOAD_ZIP]


def pure_wheel(src_wheel: Path, dest_dir: Path) -> Path:
    """Re-tag a wheel built here as pure Python (py3-none-any) without its compiled modules."""
    name, version = src_wheel.name.split("-")[:2]
    dest = dest_dir / f"{name}-{version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(src_wheel) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in sorted(zin.namelist()):
            if item.endswith((".so", ".pyd")) or item.endswith("/RECORD"):
                continue
            data = zin.read(item)
            if item.endswith(".dist-info/WHEEL"):
                data = b"Wheel-Version: 1.0\nGenerator: openmps-package\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            zout.writestr(zipfile.ZipInfo(item, ZIP_EPOCH), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{item},sha256={digest},{len(data)}")
        record = f"{name}-{version}.dist-info/RECORD"
        zout.writestr(zipfile.ZipInfo(record, ZIP_EPOCH), "\n".join([*records, f"{record},,"]) + "\n")
    return dest


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def install_dependencies(target: Path, python_version: str, wheelhouse: Path) -> None:
    """pyproject's dependencies for SCF's Linux x86_64 CPython, binary wheels only."""
    if target.exists():
        shutil.rmtree(target)
    wheelhouse.mkdir(parents=True, exist_ok=True)
    constraints = CONSTRAINTS.read_text().splitlines()
    for package in PURE_FROM_SOURCE:
        pins = [c.split("#")[0].strip() for c in constraints if c.strip().startswith(package + "==")]
        built = wheelhouse / "built"
        if built.exists():
            shutil.rmtree(built)
        env = dict(os.environ, CC="false")  # the C extension is optional; do not build it
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary", package,
                        "-w", str(built), *(pins or [package])], check=True, env=env)
        for wheel in built.glob("*.whl"):
            pure_wheel(wheel, wheelhouse)
        shutil.rmtree(built)
    platform_args = [arg for p in PLATFORMS for arg in ("--platform", p)]
    abi = "cp" + python_version.replace(".", "")
    _pip("install", "-q", "--no-warn-conflicts", "--target", str(target), "--no-compile", "--only-binary=:all:",
         "--python-version", python_version, "--implementation", "cp", "--abi", abi, "--abi", "abi3",
         "--abi", "none", *platform_args, "--find-links", str(wheelhouse), "-c", str(CONSTRAINTS),
         *layer_requirements(project_dependencies(), constraints))


def build(python_version: str, dist: Path = DIST, *, skip_dependencies: bool = False) -> dict[str, object]:
    build_dir = dist / "build"
    site = build_dir / "site"
    if not skip_dependencies:
        install_dependencies(site, python_version, build_dir / "wheelhouse")
    site.mkdir(parents=True, exist_ok=True)

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

    layer_entries = [(p.relative_to(REPO).as_posix(), p) for p in select_files(REPO, "shared")]
    layer_entries += [(p.relative_to(site).as_posix(), p) for p in site_files(site)]
    layer = deterministic_zip(dist / "openmps-layer.zip", layer_entries)

    problems = check_limits(code, layer)
    report = {"python": python_version, "limits": {"max_unzipped_bytes": SCF_MAX_UNZIPPED,
                                                   "direct_upload_zip_bytes": SCF_DIRECT_UPLOAD_ZIP},
              "artifacts": [asdict(code), asdict(layer)],
              "total_unzipped_bytes": code.unzipped_bytes + layer.unzipped_bytes,
              "notes": notes(code, layer), "problems": problems}
    (dist / "sizes.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def print_report(report: dict[str, object]) -> None:
    print(f"\nSCF package for CPython {report['python']} (linux x86_64):")
    for a in report["artifacts"]:  # type: ignore[attr-defined]
        print(f"  {a['path']:<24} {a['files']:>6} files  {a['zip_bytes'] / MB:8.1f} MB zipped  "
              f"{a['unzipped_bytes'] / MB:8.1f} MB unzipped  sha256 {a['sha256'][:16]}")
    total = int(report["total_unzipped_bytes"])  # type: ignore[call-overload]
    print(f"  code + layer unzipped: {total / MB:.1f} MB of {SCF_MAX_UNZIPPED / MB:.0f} MB allowed")
    for note in report["notes"]:  # type: ignore[attr-defined]
        print(f"  note: {note}")
    for problem in report["problems"]:  # type: ignore[attr-defined]
        print(f"  OVER LIMIT: {problem}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build dist/ for Tencent SCF")
    parser.add_argument("--python-version", default=None, help="default: serverless.yml's runtime")
    parser.add_argument("--skip-dependencies", action="store_true", help="reuse dist/build/site")
    args = parser.parse_args(argv)
    python_version = args.python_version or runtime_python()
    try:
        report = build(python_version, skip_dependencies=args.skip_dependencies)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"make package: {' '.join(exc.cmd[3:5])} failed. A dependency probably has no wheel for "
                         f"CPython {python_version} on linux x86_64 (pip's error above names it): pin a version "
                         f"that has one in infra/cloud/layer-constraints.txt, or use a newer SCF runtime."
                         ) from None
    print_report(report)
    if report["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
