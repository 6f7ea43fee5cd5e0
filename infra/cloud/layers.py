"""What each SCF layer carries: the layer sets, which distributions go where (pinned, replaced,
omitted), and which layers serverless.yml binds to each function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import tomllib

from infra.serverless_yml import ENV_REF, read_document

REPO = Path(__file__).resolve().parents[2]


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
