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
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import tomllib

from infra.serverless_yml import ENV_REF, read_document

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DIST = REPO / "dist"
CONSTRAINTS = HERE / "layer-constraints.txt"
MB = 1024 * 1024
SCF_MAX_UNZIPPED = 500 * MB  # code + bound layers, before compression
SCF_MAX_LAYERS = 5  # per function
SCF_DIRECT_UPLOAD_ZIP = 50 * MB  # above this, upload through COS
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
# Packages published only as source whose pure-Python part is enough: built here without their
# optional C extension, so the layer stays platform-correct.
PURE_FROM_SOURCE = ("crcmod",)
_SKIP_DIRS = {"__pycache__", "bin", "tests", "test"}


@dataclass(frozen=True)
class Layer:
    name: str  # the zip's stem (dist/<name>.zip) and the suggested layer name
    env: str  # the serverless.yml variable that names the published layer
    extras: tuple[str, ...]  # pyproject extras whose dependencies it carries
    with_shared: bool  # carries shared/
    # Files moved here out of the core layer's installed dependencies (patterns relative to the layer
    # root); a layer with these is carved out of the core one, not installed by pip.
    moved_from_core: tuple[str, ...] = ()


CORE = Layer("openmps-layer", "OPENMPS_LAYER_NAME", (), True)
# imageio-ffmpeg's binary (165 MB: the core layer plus the AI layer plus it is over SCF's 500 MB), kept
# at the path imageio_ffmpeg.get_ffmpeg_exe() finds it when both layers are unpacked into /opt.
FFMPEG_BINARY = "imageio_ffmpeg/binaries/ffmpeg-*"
FFMPEG = Layer("openmps-ffmpeg-layer", "OPENMPS_FFMPEG_LAYER_NAME", (), False, (FFMPEG_BINARY,))
AI = Layer("openmps-ai-layer", "OPENMPS_AI_LAYER_NAME", ("ai",), False)
LAYERS = (CORE, FFMPEG, AI)
PIP_LAYERS = tuple(layer for layer in LAYERS if not layer.moved_from_core)  # resolved and installed by pip
# Distributions no layer carries, and the one that provides the same modules in their place:
# rapidocr-onnxruntime requires opencv-python (the GUI build: needs libGL, which SCF's image is not
# known to have); nudenet requires opencv-python-headless; both install the same `cv2` package.
REPLACED = {"opencv-python": "opencv-python-headless"}
# Distributions a dependency declares but nothing the functions run imports (python -m
# infra.cloud.smoke runs both models from the layers without them), left out for SCF's size limit.
OMITTED = {
    # onnxruntime 1.23 requires sympy (which requires mpmath) for onnxruntime/tools/symbolic_shape_infer.py
    # and onnxruntime/transformers, offline model tools; InferenceSession never imports them.
    "sympy": "onnxruntime's offline model tools only",
    "mpmath": "sympy only",
}
# What is left out of the installed files beyond byte-code, caches and test suites (each pattern
# matches a path relative to the layer root; never anything the functions import at run time).
PRUNE = (
    # Type stubs: read by type checkers only.
    "**/*.pyi",
    # botocore's service models (one folder per AWS service, 18 MB): only pynamodb uses botocore,
    # and only for DynamoDB. The data/*.json that every session loads (endpoints, partitions,
    # _retry, sdk-default-configuration) are kept, and so is each of KEEP_BOTOCORE_SERVICES.
    "botocore/data/*/**",
    # pycryptodome's own test suite (used by the COS SDK; tests under another name).
    "Crypto/SelfTest/**",
    # onnxruntime's offline tooling (model conversion, quantization, transformer optimisation) and
    # its C API library for C/C++ programs: the Python module (capi/onnxruntime_pybind11_state)
    # links the runtime statically and needs neither.
    "onnxruntime/tools/**",
    "onnxruntime/transformers/**",
    "onnxruntime/quantization/**",
    "onnxruntime/capi/libonnxruntime.so*",
)
KEEP_BOTOCORE_SERVICES = ("dynamodb",)


@dataclass(frozen=True)
class Artifact:
    name: str
    path: str
    files: int
    zip_bytes: int
    unzipped_bytes: int
    sha256: str


def _serverless(serverless_yml: Path) -> dict[str, object]:
    return read_document(serverless_yml)


def runtime_python(serverless_yml: Path = REPO / "serverless.yml") -> str:
    """ "Python3.10" in serverless.yml -> "3.10": the layers are built for what the functions run."""
    runtime = str(_serverless(serverless_yml)["inputs"]["runtime"])  # type: ignore[index]
    match = re.fullmatch(r"Python(\d)\.(\d+)", runtime)
    if not match:
        raise SystemExit(f"serverless.yml runtime {runtime!r} is not a Python runtime")
    return f"{match.group(1)}.{match.group(2)}"


def code_source_dir(serverless_yml: Path = REPO / "serverless.yml") -> Path:
    doc = _serverless(serverless_yml)
    return (REPO / str(doc["inputs"]["src"]["src"])).resolve()  # type: ignore[index]


def function_layers(
    serverless_yml: Path = REPO / "serverless.yml", layers: Iterable[Layer] = LAYERS
) -> dict[str, list[str]]:
    """Function key -> the artifacts (layer names of LAYERS) it binds, in binding order, read from
    serverless.yml's ``layers: - name: ${env:...}``. A binding make package does not build is an error."""
    by_env = {layer.env: layer.name for layer in layers}
    bindings: dict[str, list[str]] = {}
    for key, fn in _serverless(serverless_yml)["inputs"]["functions"].items():  # type: ignore[index]
        names = []
        for binding in fn.get("layers") or []:
            match = ENV_REF.fullmatch(str(binding.get("name", "")).strip())
            if not match or match.group(1) not in by_env:
                raise SystemExit(
                    f"serverless.yml: function {key} binds layer {binding.get('name')!r}; make package "
                    f"builds only {', '.join('${env:' + e + '}' for e in by_env)}"
                )
            names.append(by_env[match.group(1)])
        bindings[key] = names
    return bindings


def project_dependencies(pyproject: Path = REPO / "pyproject.toml", extras: Iterable[str] = ()) -> list[str]:
    """pyproject's ``dependencies`` (extras=()) or the dependencies of the named extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    if not extras:
        return list(project["dependencies"])
    return [dep for extra in extras for dep in project["optional-dependencies"][extra]]


def _name(requirement: str) -> str:
    """The normalised distribution name (PEP 503) of a requirement or a name."""
    raw = re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", raw).lower()


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
            result.append(_name(dep) + ((extras.group(1) or "") if extras else "") + pin[len(_name(pin)) :])
    return result


def pins_from_report(report: Mapping[str, object]) -> dict[str, str]:
    """``pip install --dry-run --report`` -> {normalised name: version}."""
    install = cast(list[dict[str, dict[str, str]]], report["install"])
    return {_name(item["metadata"]["name"]): str(item["metadata"]["version"]) for item in install}


def replace_distributions(pins: Mapping[str, str], replaced: Mapping[str, str] = REPLACED) -> dict[str, str]:
    """``pins`` without the distributions another one stands in for; the stand-in must be there."""
    for old, new in replaced.items():
        if old in pins and new not in pins:
            raise SystemExit(
                f"{old} is left out of the layers in favour of {new}, which the resolution lacks: "
                f"add {new} to the same pyproject list"
            )
    return {name: version for name, version in pins.items() if name not in replaced}


def split_layers(
    core: Mapping[str, str],
    joint: Mapping[str, str],
    replaced: Mapping[str, str] = REPLACED,
    omitted: Iterable[str] = OMITTED,
) -> tuple[dict[str, str], dict[str, str]]:
    """(core layer pins, AI layer pins) from the core resolution and the core+AI one: the AI layer
    carries what the core layer lacks, neither carries REPLACED or OMITTED distributions. A
    distribution resolved to two versions is an error (both layers unpack into the same /opt)."""
    omitted = set(omitted)
    differ = sorted(f"{n} {core[n]} != {joint[n]}" for n in core if n in joint and joint[n] != core[n])
    if differ:
        raise SystemExit("the AI dependencies need other versions of core ones: " + "; ".join(differ))
    missing = sorted(set(core) - set(joint))
    if missing:
        raise SystemExit(f"the core+AI resolution lacks core distributions: {missing}")
    core_pins = {n: v for n, v in replace_distributions(core, replaced).items() if n not in omitted}
    ai_pins = {n: v for n, v in replace_distributions(joint, replaced).items() if n not in core and n not in omitted}
    return core_pins, ai_pins


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


def pruned(rel: str, prune: Iterable[str] = PRUNE, keep_botocore: Iterable[str] = KEEP_BOTOCORE_SERVICES) -> bool:
    """Whether the layer leaves out the file at ``rel`` (a path relative to the layer root)."""
    parts = rel.split("/")
    if len(parts) > 3 and parts[:2] == ["botocore", "data"] and parts[2] in set(keep_botocore):
        return False
    return any(glob_match(rel, pattern) for pattern in prune)


def glob_match(rel: str, pattern: str) -> bool:
    """``**/`` matches any number of folders, ``**`` anything, ``*`` anything within one name."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:[^/]+/)*"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, rel) is not None


def site_files(root: Path, prune: Iterable[str] = PRUNE) -> list[Path]:
    """Installed dependencies under ``root`` minus what SCF never needs (scripts with this
    machine's interpreter path, caches, test suites, type stubs, the PRUNE patterns)."""
    patterns = tuple(prune)
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames if not (d in _SKIP_DIRS and (rel == Path(".") or d != "bin")) and d != "__pycache__"
        )
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or pruned((rel / name).as_posix(), patterns):
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
    return Artifact(
        out.stem,
        str(out.relative_to(out.parents[1]) if len(out.parents) > 1 else out),
        files,
        out.stat().st_size,
        unzipped,
        digest,
    )


def move_files(
    entries: list[tuple[str, Path]], patterns: Iterable[str]
) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(entries that stay, entries that match one of ``patterns``); at least one must match."""
    patterns = tuple(patterns)
    moved = [e for e in entries if any(glob_match(e[0], p) for p in patterns)]
    if not moved:
        raise SystemExit(
            f"no file of the core layer matches {', '.join(patterns)}: did the imageio-ffmpeg wheel "
            f"change where it keeps ffmpeg?"
        )
    return [e for e in entries if e not in moved], moved


def write_ffmpeg(entries: list[tuple[str, Path]], dest: Path) -> dict[str, object]:
    """``dest``: the ffmpeg layer's one binary, bare and executable, for upload to COS; its sha256 is
    what OPENMPS_FFMPEG_SHA256 must be."""
    if len(entries) != 1:
        raise SystemExit(f"the ffmpeg layer should hold one binary, not {[a for a, _ in entries]}")
    arcname, src = entries[0]
    tmp = dest.with_suffix(".tmp")
    shutil.copyfile(src, tmp)
    tmp.chmod(0o755)
    os.replace(tmp, dest)
    digest = hashlib.sha256()
    with dest.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return {
        "path": str(dest.relative_to(dest.parents[1]) if len(dest.parents) > 1 else dest),
        "layer_path": arcname,
        "bytes": dest.stat().st_size,
        "sha256": digest.hexdigest(),
    }


def overlapping_paths(layers: Mapping[str, Iterable[str]]) -> list[str]:
    """Archive paths found in more than one layer: SCF unpacks bound layers into the same /opt,
    so one would silently replace the other."""
    owner: dict[str, str] = {}
    clashes = []
    for layer, names in layers.items():
        for name in names:
            if name in owner and owner[name] != layer:
                clashes.append(f"{name} ({owner[name]}, {layer})")
            owner.setdefault(name, layer)
    return sorted(clashes)


def function_sizes(
    code: Artifact, layers: Mapping[str, Artifact], bindings: Mapping[str, list[str]]
) -> dict[str, dict[str, object]]:
    """Per function: the layers it binds and code + those layers unzipped."""
    return {
        key: {"layers": names, "unzipped_bytes": code.unzipped_bytes + sum(layers[n].unzipped_bytes for n in names)}
        for key, names in bindings.items()
    }


def check_limits(
    code: Artifact,
    layers: Mapping[str, Artifact],
    bindings: Mapping[str, list[str]],
    max_unzipped: int = SCF_MAX_UNZIPPED,
    core: str = CORE.name,
) -> list[str]:
    """Problems that stop a deployment (empty when every function fits)."""
    problems = []
    for key, size in function_sizes(code, layers, bindings).items():
        names = bindings[key]
        total = int(size["unzipped_bytes"])  # type: ignore[call-overload]
        if total > max_unzipped:
            problems.append(
                f"function {key}: code + {' + '.join(names)} unpack to {total / MB:.1f} MB; SCF allows "
                f"{max_unzipped / MB:.0f} MB per function (code and bound layers, before compression)"
            )
        if len(names) > SCF_MAX_LAYERS:
            problems.append(f"function {key} binds {len(names)} layers; SCF allows {SCF_MAX_LAYERS}")
        if core not in names:
            problems.append(f"function {key} does not bind {core} (shared/ and the core dependencies)")
    return problems


def notes(*artifacts: Artifact) -> list[str]:
    return [
        f"{a.name}: {a.zip_bytes / MB:.1f} MB zipped is over {SCF_DIRECT_UPLOAD_ZIP / MB:.0f} MB: upload it "
        f"through COS (docs/DEPLOY.md)"
        for a in artifacts
        if a.zip_bytes > SCF_DIRECT_UPLOAD_ZIP
    ]


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
