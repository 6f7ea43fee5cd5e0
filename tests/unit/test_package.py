"""`make package` logic (infra/cloud/package.py), offline: no pip, no network. The real build and
its smoke test (python -m infra.cloud.smoke) are run by hand; see docs/DEPLOY.md."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from infra.cloud import archive, layers, limits, package, pip_install, smoke

pytestmark = pytest.mark.unit

MB = limits.MB


def _tree(root: Path) -> None:
    (root / "functions" / "api" / "__pycache__").mkdir(parents=True)
    (root / "functions" / "api" / "index.py").write_text("x = 1\n")
    (root / "functions" / "api" / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"\0")
    (root / "functions" / "api" / "stale.pyc").write_bytes(b"\0")
    (root / "functions" / "__init__.py").write_text("")


def _write(root: Path, *rels: str) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")


def test_file_selection_skips_caches_scripts_and_tests(tmp_path: Path) -> None:
    _tree(tmp_path)
    chosen = [p.relative_to(tmp_path).as_posix() for p in archive.select_files(tmp_path, "functions")]
    assert chosen == ["functions/__init__.py", "functions/api/index.py"]
    site = tmp_path / "site"
    _write(
        site,
        "pkg/__init__.py",
        "pkg/bin/tool",
        "bin/normalizer",
        "tests/test_x.py",
        "pkg/__pycache__/a.pyc",
        "pkg-1.0.dist-info/RECORD",
        "pkg/__init__.pyi",
    )
    kept = sorted(p.relative_to(site).as_posix() for p in archive.site_files(site))
    assert kept == ["pkg-1.0.dist-info/RECORD", "pkg/__init__.py", "pkg/bin/tool"]


@pytest.mark.parametrize(
    ("rel", "left_out"),
    [
        ("numpy/__init__.pyi", True),
        ("cv2/typing/__init__.pyi", True),
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", True),
        ("botocore/data/sts/2011-06-15/endpoint-rule-set-1.json.gz", True),
        ("botocore/data/dynamodb/2012-08-10/service-2.json.gz", False),  # pynamodb's
        ("botocore/data/endpoints.json", False),  # loaded by every botocore session
        ("botocore/data/partitions.json", False),
        ("botocore/data/_retry.json", False),
        ("botocore/data/sdk-default-configuration.json", False),
        ("botocore/session.py", False),
        ("Crypto/SelfTest/Cipher/test_AES.py", True),
        ("Crypto/Cipher/AES.py", False),
        ("onnxruntime/tools/symbolic_shape_infer.py", True),
        ("onnxruntime/transformers/optimizer.py", True),
        ("onnxruntime/quantization/quantize.py", True),
        ("onnxruntime/capi/libonnxruntime.so.1.23.2", True),
        ("onnxruntime/capi/onnxruntime_pybind11_state.cpython-310-x86_64-linux-gnu.so", False),
        ("onnxruntime/capi/libonnxruntime_providers_shared.so", False),
        ("onnxruntime/__init__.py", False),
        ("nudenet/320n.onnx", False),
        ("rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx", False),
    ],
)
def test_pruning_leaves_out_only_what_is_never_imported(rel: str, left_out: bool) -> None:
    assert archive.pruned(rel) is left_out


def test_glob_patterns() -> None:
    assert archive.glob_match("a/b/c.pyi", "**/*.pyi") and archive.glob_match("c.pyi", "**/*.pyi")
    assert not archive.glob_match("a/b/c.py", "**/*.pyi")
    assert archive.glob_match("botocore/data/x/y", "botocore/data/*/**")
    assert not archive.glob_match("botocore/data/x.json", "botocore/data/*/**")


def test_zips_are_reproducible_and_keep_the_executable_bit(tmp_path: Path) -> None:
    _tree(tmp_path)
    tool = tmp_path / "ffmpeg"
    tool.write_bytes(b"\x7fELF...")
    tool.chmod(0o755)
    entries = [("functions/api/index.py", tmp_path / "functions" / "api" / "index.py"), ("bin/ffmpeg", tool)]
    first = archive.deterministic_zip(tmp_path / "out" / "a.zip", entries)
    (tmp_path / "functions" / "api" / "index.py").touch()  # a newer mtime changes nothing
    second = archive.deterministic_zip(tmp_path / "out" / "b.zip", list(reversed(entries)))
    assert first.sha256 == second.sha256 and first.files == 2 and first.unzipped_bytes == second.unzipped_bytes
    with zipfile.ZipFile(tmp_path / "out" / "a.zip") as zf:
        assert zf.namelist() == ["bin/ffmpeg", "functions/api/index.py"]
        assert (zf.getinfo("bin/ffmpeg").external_attr >> 16) & 0o777 == 0o755
        assert (zf.getinfo("functions/api/index.py").external_attr >> 16) & 0o777 == 0o644
        assert zf.getinfo("bin/ffmpeg").date_time == archive.ZIP_EPOCH
    with pytest.raises(SystemExit):
        archive.deterministic_zip(tmp_path / "out" / "c.zip", entries + entries[:1])


# ---- three layers --------------------------------------------------------------------------------


def test_pins_from_a_pip_report() -> None:
    report = {
        "install": [
            {"metadata": {"name": "PyYAML", "version": "6.0.3"}},
            {"metadata": {"name": "opencv_python_headless", "version": "5.0.0.93"}},
            {"metadata": {"name": "zope.interface", "version": "7.0"}},
        ]
    }
    assert layers.pins_from_report(report) == {
        "pyyaml": "6.0.3",
        "opencv-python-headless": "5.0.0.93",
        "zope-interface": "7.0",
    }


def test_ai_layer_is_what_the_core_layer_lacks_with_one_cv2() -> None:
    core = {"pyyaml": "6.0.3", "av": "17.1.0", "packaging": "26.4"}
    joint = {
        **core,
        "numpy": "2.2.6",
        "onnxruntime": "1.23.2",
        "sympy": "1.14.0",
        "mpmath": "1.3.0",
        "opencv-python": "5.0.0.93",
        "opencv-python-headless": "5.0.0.93",
        "nudenet": "3.4.2",
    }
    core_pins, ai_pins = layers.split_layers(core, joint)
    assert core_pins == core
    assert ai_pins == {
        "numpy": "2.2.6",
        "onnxruntime": "1.23.2",
        "opencv-python-headless": "5.0.0.93",
        "nudenet": "3.4.2",
    }
    with pytest.raises(SystemExit, match="other versions"):
        layers.split_layers(core, {**joint, "pyyaml": "7.0"})
    with pytest.raises(SystemExit, match="opencv-python-headless"):
        layers.split_layers(core, {k: v for k, v in joint.items() if k != "opencv-python-headless"})


def test_overlapping_paths_between_layers() -> None:
    assert limits.overlapping_paths({"a": ["x/1.py", "x/2.py"], "b": ["y/1.py"]}) == []
    assert limits.overlapping_paths({"a": ["x/1.py"], "b": ["x/1.py", "y"]}) == ["x/1.py (a, b)"]


def _serverless(tmp_path: Path, ai_layer: str = "${env:OPENMPS_AI_LAYER_NAME}") -> Path:
    core = {"name": "${env:OPENMPS_LAYER_NAME}", "version": "${env:OPENMPS_LAYER_VERSION}"}
    ffmpeg = {"name": "${env:OPENMPS_FFMPEG_LAYER_NAME}", "version": "${env:OPENMPS_FFMPEG_LAYER_VERSION}"}
    doc = {
        "inputs": {
            "runtime": "Python3.10",
            "src": {"src": "./dist/code"},
            "functions": {
                "trigger": {"layers": [core]},
                "transcode": {"layers": [core, ffmpeg]},
                "review": {"layers": [core, {"name": ai_layer, "version": "1"}]},
            },
        }
    }
    path = tmp_path / "serverless.yml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def test_function_layers_read_from_serverless_yml(tmp_path: Path) -> None:
    assert layers.function_layers(_serverless(tmp_path)) == {
        "trigger": ["openmps-layer"],
        "transcode": ["openmps-layer", "openmps-ffmpeg-layer"],
        "review": ["openmps-layer", "openmps-ai-layer"],
    }
    with pytest.raises(SystemExit, match="binds layer"):
        layers.function_layers(_serverless(tmp_path, "some-public-layer"))


def test_the_ffmpeg_binary_moves_out_of_the_core_layer(tmp_path: Path) -> None:
    binary = ("imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2", tmp_path / "ffmpeg")
    core = [
        ("imageio_ffmpeg/__init__.py", tmp_path / "a"),
        ("imageio_ffmpeg/binaries/__init__.py", tmp_path / "b"),
        ("imageio_ffmpeg/binaries/README.md", tmp_path / "c"),
        binary,
        ("shared/media/ffmpeg/engines.py", tmp_path / "d"),
    ]
    kept, moved = archive.move_files(core, layers.FFMPEG.moved_from_core)
    assert moved == [binary] and kept == [e for e in core if e != binary]
    with pytest.raises(SystemExit, match="imageio-ffmpeg"):
        archive.move_files(kept, layers.FFMPEG.moved_from_core)
    # Only the layers pip installs are resolved and installed; the ffmpeg one is carved out of the core one.
    assert layers.PIP_LAYERS == (layers.CORE, layers.AI)
    assert [layer.name for layer in layers.LAYERS] == ["openmps-layer", "openmps-ffmpeg-layer", "openmps-ai-layer"]


def test_moving_ffmpeg_out_is_what_makes_the_ai_functions_fit() -> None:
    """The sizes measured by `make package` (docs/DEPLOY.md): core+ffmpeg and core+AI fit, all three do not."""
    code = archive.Artifact("openmps-code", "dist/openmps-code.zip", 19, 1, 4_000, "0")
    core = archive.Artifact("openmps-layer", "", 1970, 0, int(140.4 * MB), "0")
    ffmpeg = archive.Artifact("openmps-ffmpeg-layer", "", 1, 0, int(164.7 * MB), "0")
    ai = archive.Artifact("openmps-ai-layer", "", 877, 0, int(284.7 * MB), "0")
    layers = {a.name: a for a in (core, ffmpeg, ai)}
    bindings = {"transcode": [core.name, ffmpeg.name], "review": [core.name, ai.name]}
    assert limits.check_limits(code, layers, bindings) == []
    [over] = limits.check_limits(code, layers, {"review": [core.name, ffmpeg.name, ai.name]})
    assert over.startswith("function review:")


def test_size_limit_is_checked_per_function() -> None:
    code = archive.Artifact("openmps-code", "dist/openmps-code.zip", 10, 1 * MB, 2 * MB, "0")
    core = archive.Artifact("openmps-layer", "dist/openmps-layer.zip", 10, 110 * MB, 300 * MB, "0")
    ai = archive.Artifact("openmps-ai-layer", "dist/openmps-ai-layer.zip", 10, 100 * MB, 198 * MB, "0")
    layers = {"openmps-layer": core, "openmps-ai-layer": ai}
    bindings = {"api": ["openmps-layer"], "review": ["openmps-layer", "openmps-ai-layer"]}
    assert limits.check_limits(code, layers, bindings) == []  # 500 MB exactly is allowed
    sizes = limits.function_sizes(code, layers, bindings)
    assert sizes["api"]["unzipped_bytes"] == 302 * MB and sizes["review"]["unzipped_bytes"] == 500 * MB
    [problem] = limits.check_limits(code, layers, bindings, max_unzipped=499 * MB)
    assert problem.startswith("function review:") and "500.0 MB" in problem and "499 MB" in problem
    too_many = {"review": ["openmps-layer", *["openmps-ai-layer"] * 5]}
    assert any("6 layers" in p for p in limits.check_limits(code, layers, too_many, max_unzipped=10_000 * MB))
    assert any("does not bind openmps-layer" in p for p in limits.check_limits(code, layers, {"x": []}))
    notes = limits.notes(code, core, ai)
    assert len(notes) == 2 and all("through COS" in n for n in notes)


def test_build_offline_makes_three_layers_and_reports_per_function(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    core_site = dist / "build" / "site-openmps-layer"
    _write(
        core_site,
        "corepkg/__init__.py",
        "botocore/data/ec2/x/service-2.json.gz",
        "botocore/data/endpoints.json",
        "imageio_ffmpeg/__init__.py",
        "imageio_ffmpeg/binaries/__init__.py",
    )
    binary = core_site / "imageio_ffmpeg" / "binaries" / "ffmpeg-linux-x86_64-v9.0.2"
    binary.write_bytes(b"\x7fELF fake ffmpeg")
    binary.chmod(0o755)
    _write(dist / "build" / "site-openmps-ai-layer", "aipkg/__init__.py", "aipkg/__init__.pyi")
    (dist / "build" / "pins.json").write_text(
        json.dumps({"openmps-layer": {"corepkg": "1"}, "openmps-ai-layer": {"aipkg": "2"}})
    )
    report = package.build("3.10", dist, skip_dependencies=True)
    with zipfile.ZipFile(dist / "openmps-layer.zip") as zf:
        names = zf.namelist()
        assert "corepkg/__init__.py" in names and "botocore/data/endpoints.json" in names
        assert "shared/__init__.py" in names and not any("/ec2/" in n for n in names)
        assert "imageio_ffmpeg/binaries/__init__.py" in names and not any("binaries/ffmpeg" in n for n in names)
    with zipfile.ZipFile(dist / "openmps-ffmpeg-layer.zip") as zf:
        assert zf.namelist() == ["imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2"]  # where imageio looks
        assert (zf.infolist()[0].external_attr >> 16) & 0o777 == 0o755
    with zipfile.ZipFile(dist / "openmps-ai-layer.zip") as zf:
        assert zf.namelist() == ["aipkg/__init__.py"]
    # The same binary, bare, for the upload to COS, with the sha256 OPENMPS_FFMPEG_SHA256 must have.
    bare = dist / "ffmpeg"
    assert bare.read_bytes() == binary.read_bytes() and bare.stat().st_mode & 0o777 == 0o755
    assert report["ffmpeg"] == {
        "path": "dist/ffmpeg",
        "layer_path": str(binary.relative_to(core_site)),
        "bytes": bare.stat().st_size,
        "sha256": hashlib.sha256(bare.read_bytes()).hexdigest(),
    }
    functions = report["functions"]
    assert functions["trigger"]["layers"] == ["openmps-layer"]  # type: ignore[index]
    assert functions["api"]["layers"] == ["openmps-layer", "openmps-ffmpeg-layer"]  # type: ignore[index]
    assert functions["transcode"]["layers"] == ["openmps-layer", "openmps-ffmpeg-layer"]  # type: ignore[index]
    assert functions["review"]["layers"] == ["openmps-layer", "openmps-ai-layer"]  # type: ignore[index]
    assert report["problems"] == [] and report["requirements"]["openmps-ai-layer"] == ["aipkg==2"]  # type: ignore[index]
    saved = json.loads((dist / "sizes.json").read_text())
    assert saved["functions"] == functions and saved["ffmpeg"] == report["ffmpeg"]
    # A path in both layers would be overwritten in /opt: refused.
    _write(dist / "build" / "site-openmps-ai-layer", "corepkg/__init__.py")
    with pytest.raises(SystemExit, match="more than one layer"):
        package.build("3.10", dist, skip_dependencies=True)


def test_pure_wheel_drops_compiled_modules(tmp_path: Path) -> None:
    src = tmp_path / "crcmod-1.7-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("crcmod/__init__.py", "")
        zf.writestr("crcmod/_crcfunext.cpython-311-x86_64-linux-gnu.so", b"\0")
        zf.writestr("crcmod-1.7.dist-info/WHEEL", "Tag: cp311-cp311-linux_x86_64\n")
        zf.writestr("crcmod-1.7.dist-info/RECORD", "")
    out = pip_install.pure_wheel(src, tmp_path)
    assert out.name == "crcmod-1.7-py3-none-any.whl"
    with zipfile.ZipFile(out) as zf:
        assert not any(n.endswith(".so") for n in zf.namelist())
        assert "Tag: py3-none-any" in zf.read("crcmod-1.7.dist-info/WHEEL").decode()
        assert "crcmod/__init__.py,sha256=" in zf.read("crcmod-1.7.dist-info/RECORD").decode()


def test_smoke_exercises_each_layer_set_for_what_it_carries(tmp_path: Path) -> None:
    ffmpeg = tmp_path / "ffmpeg"
    assert smoke.probe_args(("openmps-layer",), "http://db", ffmpeg, "ab") == ["core", "http://db"]
    assert smoke.probe_args(("openmps-layer", "openmps-ffmpeg-layer"), "http://db", ffmpeg, "ab") == [
        "core",
        "http://db",
        "media",
    ]
    # The AI functions run their engines with the ffmpeg fetched the way a cold start fetches it.
    assert smoke.probe_args(("openmps-layer", "openmps-ai-layer"), "", ffmpeg, "ab") == ["ai", str(ffmpeg), "ab"]


def test_smoke_unpacks_like_scf(tmp_path: Path) -> None:
    assert smoke.layer_sets({"api": ["a"], "trigger": ["a"], "review": ["a", "b"]}) == {
        ("a",): ["api", "trigger"],
        ("a", "b"): ["review"],
    }
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    plain = tmp_path / "a.py"
    plain.write_text("")
    archive.deterministic_zip(tmp_path / "x.zip", [("bin/tool", tool), ("pkg/a.py", plain)])
    smoke.unpack(tmp_path / "x.zip", tmp_path / "opt")
    assert (tmp_path / "opt" / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "opt" / "pkg" / "a.py").stat().st_mode & 0o111
