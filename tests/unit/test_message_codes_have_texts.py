"""Every message code the server can send has a sentence in both console tables (issue 13).

The console renders a server message from its code (msg.<code>) in the user's language; a code
with no entry would fall back to a generic sentence. The codes are collected from the source: each
``code=`` / ``err_code=`` / ``message_code=`` argument in shared/ (a string, a module constant or a
``media_errors`` name) and every code in ``shared.domain.media_errors``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from shared.domain import media_errors

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
TABLES = {lang: SHARED / "api" / "console" / "i18n" / f"{lang}.js" for lang in ("en", "zh-CN")}
CODE_KEYWORDS = {"code", "err_code", "message_code"}


def _constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _code_of(value: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "media_errors":
        return str(getattr(media_errors, value.attr))
    if isinstance(value, ast.Name) and value.id in constants:
        return constants[value.id]
    return None  # computed (an exception's own code passed on): its origin is collected where it is set


def server_codes() -> dict[str, str]:
    """code -> where it is first used."""
    found: dict[str, str] = {}
    for path in sorted(SHARED.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg in CODE_KEYWORDS and (code := _code_of(kw.value, constants)):
                    found.setdefault(code, f"{path.relative_to(ROOT)}:{kw.value.lineno}")
    for name, code in vars(media_errors).items():
        if name.isupper() and isinstance(code, str):
            found.setdefault(code, f"shared/domain/media_errors.py ({name})")
    return found


def table_keys(path: Path) -> set[str]:
    return set(re.findall(r"'(msg\.[^']+)'\s*:", path.read_text(encoding="utf-8")))


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = server_codes()
    # GIVEN codes known to be raised: a literal, a media_errors name, a module constant
    assert "FailedOperation.TaskNotWaiting" in codes
    assert media_errors.MEDIA_TOO_LARGE in codes
    assert "InvalidParameterValue.Template" in codes  # dryrun.py's CODE
    assert len(codes) > 60


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_every_server_code_has_a_sentence(lang: str) -> None:
    keys = table_keys(TABLES[lang])
    missing = {code: where for code, where in server_codes().items() if f"msg.{code}" not in keys}
    assert not missing, f"{lang}: no msg.<code> entry for\n" + "\n".join(
        f"  {c}  ({w})" for c, w in sorted(missing.items())
    )
