"""Resolving and installing each layer's distributions with pip for SCF's platform: resolved once to
exact versions, then installed without dependency resolution.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from infra.cloud.archive import ZIP_EPOCH
from infra.cloud.layers import (
    AI,
    CORE,
    PIP_LAYERS,
    layer_requirements,
    pins_from_report,
    project_dependencies,
    split_layers,
)

HERE = Path(__file__).resolve().parent


CONSTRAINTS = HERE / "layer-constraints.txt"


PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
# Packages published only as source whose pure-Python part is enough: built here without their
# optional C extension, so the layer stays platform-correct.
PURE_FROM_SOURCE = ("crcmod",)


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


def _binary_args(python_version: str, wheelhouse: Path) -> list[str]:
    """pip options that select wheels for SCF's Linux x86_64 CPython, binary wheels only."""
    abi = "cp" + python_version.replace(".", "")
    return [
        "--no-compile",
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
        *[a for p in PLATFORMS for a in ("--platform", p)],
        "--find-links",
        str(wheelhouse),
    ]


def build_pure_wheels(wheelhouse: Path, constraints: list[str]) -> None:
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for package in PURE_FROM_SOURCE:
        pins = [c.split("#")[0].strip() for c in constraints if c.strip().startswith(package + "==")]
        built = wheelhouse / "built"
        if built.exists():
            shutil.rmtree(built)
        env = dict(os.environ, CC="false")  # the C extension is optional; do not build it
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-binary",
                package,
                "-w",
                str(built),
                *(pins or [package]),
            ],
            check=True,
            env=env,
        )
        for wheel in built.glob("*.whl"):
            pure_wheel(wheel, wheelhouse)
        shutil.rmtree(built)


def resolve(
    requirements: list[str],
    python_version: str,
    wheelhouse: Path,
    scratch: Path,
    constraint_files: Iterable[Path] = (CONSTRAINTS,),
) -> dict[str, str]:
    """The exact distributions pip would install for ``requirements`` on SCF (nothing installed)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    report = scratch / "report.json"
    _pip(
        "install",
        "-q",
        "--dry-run",
        "--ignore-installed",
        "--report",
        str(report),
        "--target",
        str(scratch / "target"),
        *_binary_args(python_version, wheelhouse),
        *[a for c in constraint_files for a in ("-c", str(c))],
        *requirements,
    )
    return pins_from_report(json.loads(report.read_text()))


def install_pins(target: Path, pins: Mapping[str, str], python_version: str, wheelhouse: Path) -> None:
    """Exactly ``pins`` into ``target`` (no dependency resolution: the pins are the resolution)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if pins:
        _pip(
            "install",
            "-q",
            "--no-deps",
            "--no-warn-conflicts",
            "--target",
            str(target),
            *_binary_args(python_version, wheelhouse),
            *[f"{n}=={v}" for n, v in sorted(pins.items())],
        )


def install_dependencies(build_dir: Path, python_version: str) -> dict[str, dict[str, str]]:
    """Resolve and install each layer's dependencies under ``build_dir/site-<layer>``; returns the pins."""
    wheelhouse = build_dir / "wheelhouse"
    constraints = CONSTRAINTS.read_text().splitlines()
    build_pure_wheels(wheelhouse, constraints)
    core_reqs = layer_requirements(project_dependencies(), constraints)
    ai_reqs = layer_requirements(project_dependencies(extras=AI.extras), constraints)
    core = resolve(core_reqs, python_version, wheelhouse, build_dir / "resolve-core")
    core_lock = build_dir / "core-lock.txt"
    core_lock.write_text("".join(f"{n}=={v}\n" for n, v in sorted(core.items())))
    joint = resolve(core_reqs + ai_reqs, python_version, wheelhouse, build_dir / "resolve-ai", (CONSTRAINTS, core_lock))
    core_pins, ai_pins = split_layers(core, joint)
    pins = {CORE.name: core_pins, AI.name: ai_pins}
    for layer in PIP_LAYERS:
        install_pins(build_dir / f"site-{layer.name}", pins[layer.name], python_version, wheelhouse)
    (build_dir / "pins.json").write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
    return pins
