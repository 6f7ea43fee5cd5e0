"""Imports point one way: domain <- settings/observability <- adapters <- services <- composition
root <- edges (API, function handlers). Read from the source (every import statement, lazy ones
inside functions included), so a shortcut cannot hide in a function body."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSITION_ROOT = "shared.composition"
# The modules allowed to build the concrete adapters; every other module receives them.
COMPOSITION_USERS = ("shared.api.deps", "shared.functions_support")
CLOUD_SDKS = {"pynamodb": "shared.store", "qcloud_cos": "shared.storage", "tencentcloud": "shared.invoke"}

# Layer of a module: the rank of the longest matching prefix. Lower ranks never import higher ones.
LAYERS: dict[str, int] = {
    "shared.domain": 0,
    "shared.runtime": 1,  # settings, observability, SCF event/context adapters: the bottom everyone uses
    "shared.store": 2,
    "shared.storage": 2,
    "shared.invoke": 2,
    "shared.notify": 2,
    "shared.media": 2,
    "shared.services": 3,
    COMPOSITION_ROOT: 4,
    "shared.api": 5,
    "shared.functions_support": 5,
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a shared module, or the top-level name of a third-party package
    line: int


def layer(module: str) -> int:
    matches = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    if not matches:
        raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")
    return LAYERS[max(matches, key=len)]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(node: ast.AST, importer: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: resolve against the importer's package
        package = importer.split(".")
        package = package if is_package else package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    # "from shared.runtime import deps" imports the module shared.runtime.deps
    return [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]


@cache
def shared_imports() -> tuple[Import, ...]:
    found = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        importer = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, importer, path.name == "__init__.py"):
                if target.startswith("shared."):
                    found.append(Import(importer, target, node.lineno))
                elif target.split(".")[0] in CLOUD_SDKS:
                    found.append(Import(importer, target.split(".")[0], node.lineno))
    return tuple(found)


def _show(imports: list[Import]) -> str:
    return "\n".join(f"{i.importer}:{i.line} imports {i.imported}" for i in imports)


def test_the_tree_has_imports_to_check() -> None:
    imports = shared_imports()
    assert any(i.importer.startswith("shared.services.") for i in imports)
    assert any(i.imported == "pynamodb" for i in imports)


def test_domain_imports_nothing_of_shared_but_domain() -> None:
    wrong = [i for i in shared_imports() if layer(i.importer) == 0 and layer(i.imported) != 0]
    assert not wrong, _show(wrong)


def test_settings_and_observability_import_nothing_above_them() -> None:
    wrong = [i for i in shared_imports() if layer(i.importer) == 1 and i.imported in CLOUD_SDKS]
    wrong += [i for i in shared_imports() if layer(i.importer) == 1 and layer(i.imported) > 1]
    assert not wrong, _show(wrong)


def test_no_layer_imports_a_higher_one() -> None:
    wrong = [i for i in shared_imports() if i.imported not in CLOUD_SDKS and layer(i.imported) > layer(i.importer)]
    assert not wrong, _show(wrong)


def test_services_receive_their_adapters_and_never_import_cloud_sdks() -> None:
    wrong = [
        i
        for i in shared_imports()
        if i.importer.startswith("shared.services.") and (i.imported in CLOUD_SDKS or layer(i.imported) >= 4)
    ]
    assert not wrong, _show(wrong)


def test_only_the_edges_import_the_composition_root() -> None:
    wrong = [
        i
        for i in shared_imports()
        if (i.imported == COMPOSITION_ROOT or i.imported.startswith(COMPOSITION_ROOT + "."))
        and not i.importer.startswith(COMPOSITION_ROOT)
        and i.importer not in COMPOSITION_USERS
    ]
    assert not wrong, _show(wrong)


def test_each_cloud_sdk_is_imported_by_its_adapter_package_only() -> None:
    wrong = [
        i
        for i in shared_imports()
        if i.imported in CLOUD_SDKS and not i.importer.startswith(CLOUD_SDKS[i.imported] + ".")
    ]
    assert not wrong, _show(wrong)


# Reading the environment: the settings module, and the ffmpeg provisioner, which sets the override
# variable imageio-ffmpeg itself reads (IMAGEIO_FFMPEG_EXE).
ENVIRONMENT_READERS = ("shared.runtime.settings", "shared.media.ffmpeg.provision")


def _reads_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    if isinstance(node, ast.ImportFrom) and node.module == "os":
        return any(a.name in ("environ", "getenv") for a in node.names)
    return False


def test_only_the_settings_module_reads_the_environment() -> None:
    wrong = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        module = _module_name(path)
        if module in ENVIRONMENT_READERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        wrong += [f"{module}:{n.lineno}" for n in ast.walk(tree) if _reads_environment(n)]
    assert not wrong, "\n".join(wrong)
