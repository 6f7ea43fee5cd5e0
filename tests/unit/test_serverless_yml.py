"""serverless.yml, checked offline the way SCF and the multi-scf component would read it (the
Serverless CLI cannot validate a Tencent file without calling Tencent), plus the deployment helpers
and CAM policies of infra/cloud. The packaging logic itself: test_package.py."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.cloud import deploy_check, layers, pip_install, post_deploy
from infra.serverless_yml import cron_every_seconds, load_serverless, read_document, substitute_env
from shared.domain import kinds
from shared.runtime.settings import Settings, settings_from_env

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
YML = REPO / "serverless.yml"
REQUIRED_FUNCTIONS = {
    "api",
    "trigger",
    "transcode",
    "snapshot",
    "review",
    "analysis",
    "enhance",
    "aggregator",
    "reconciler",
}
AI_FUNCTIONS = {"review", "analysis", "enhance"}  # the content engines: numpy, OpenCV, ONNX models
# The other functions that run ffmpeg: the workers, and the api (a new custom template is tried on a
# generated clip, shared/media/ffmpeg/dryrun.py). trigger, aggregator and reconciler never do.
FFMPEG_LAYER_FUNCTIONS = {"api", "transcode", "snapshot"}
CAM = REPO / "infra" / "cloud" / "cam"
# SCF limits (cloud.tencent.com/document/product/583/11637; MPS-REFERENCE.md 6).
SYNC_TIMEOUT_MAX, ASYNC_TIMEOUT_MAX = 900, 86400
ENV_BYTES_MAX = 4096
MAX_LAYERS = 5


# What the deployer adds to the example: two secrets and the sha256 of their own build's ffmpeg.
FILLED_IN = {
    "OPENMPS_SIGNING_KEY": "5" * 64,
    "OPENMPS_KEY_ENCRYPTION_KEYS": "6" * 64,
    "OPENMPS_FFMPEG_SHA256": "a" * 64,
}


def example_env(filled_in: bool = True) -> dict[str, str]:
    """deploy.env.example, with by default what the deployer must fill in (FILLED_IN)."""
    env = {}
    for line in (REPO / "infra" / "cloud" / "deploy.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return {**env, **FILLED_IN} if filled_in else env


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return read_document(YML)


@pytest.fixture(scope="module")
def doc(raw: dict[str, Any]) -> dict[str, Any]:
    return substitute_env(raw, example_env())


def functions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return doc["inputs"]["functions"]


def test_one_multi_scf_file_with_every_function(raw: dict[str, Any]) -> None:
    assert raw["component"] == "multi-scf" and raw["app"] and raw["name"]
    assert REQUIRED_FUNCTIONS <= set(raw["inputs"]["functions"])
    assert re.fullmatch(r"Python3\.\d+", raw["inputs"]["runtime"])
    specs, timers = load_serverless(YML, {})  # the local runtime reads the same file
    assert set(specs) == set(raw["inputs"]["functions"]) and [t.function for t in timers] == ["reconciler"]


def test_every_handler_resolves_and_imports(raw: dict[str, Any]) -> None:
    for key, fn in raw["inputs"]["functions"].items():
        module_name, _, attr = fn["handler"].rpartition(".")
        assert module_name == f"functions.{key}.index" and attr == "main_handler"
        assert callable(getattr(importlib.import_module(module_name), attr)), key


def test_deployed_names_are_the_invoker_prefix_plus_the_key(doc: dict[str, Any]) -> None:
    namespace = doc["inputs"]["namespace"]
    settings = settings_from_env({})
    for key, fn in functions(doc).items():
        assert fn["name"] == settings.scf_function_prefix + key
        # SCF: 2-60 characters, a letter first, letters/digits/-/_, a letter or digit last;
        # namespace + name at most 118.
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]", fn["name"]), fn["name"]
        assert len(namespace) + len(fn["name"]) <= 118


def test_memory_and_timeouts_are_within_scf_limits(doc: dict[str, Any]) -> None:
    for key, fn in functions(doc).items():
        memory = fn.get("memorySize", doc["inputs"]["memorySize"])
        assert memory == 64 or (128 <= memory <= 3072 and memory % 128 == 0), key
        timeout = fn.get("timeout", doc["inputs"]["timeout"])
        limit = ASYNC_TIMEOUT_MAX if fn.get("asyncRunEnable") else SYNC_TIMEOUT_MAX
        assert 1 <= timeout <= limit, f"{key}: timeout {timeout} over {limit}"
        if fn.get("asyncRunEnable"):
            assert fn.get("cls", {}).get("logsetId") and fn["cls"].get("topicId"), f"{key}: async mode needs CLS"
        assert isinstance(fn.get("reservedConcurrency"), int) and fn["reservedConcurrency"] >= 1, key
    assert functions(doc)["transcode"]["asyncRunEnable"] is True
    assert functions(doc)["transcode"]["timeout"] > SYNC_TIMEOUT_MAX  # a long transcode outlives sync mode


def test_every_function_binds_the_layer_and_a_role(doc: dict[str, Any]) -> None:
    env = example_env()
    for key, fn in functions(doc).items():
        layers = fn.get("layers") or []
        assert 1 <= len(layers) <= MAX_LAYERS, key
        assert layers[0]["name"] == env["OPENMPS_LAYER_NAME"] and str(layers[0]["version"]).isdigit()
        assert all(str(layer["version"]).isdigit() for layer in layers), key
        assert fn.get("role"), key
        # Only the content-engine functions carry the AI layer (it is what puts them near SCF's size limit);
        # the functions that run ffmpeg carry the ffmpeg layer, except those: they fetch ffmpeg at cold start.
        names = [layer["name"] for layer in layers]
        assert names.count(env["OPENMPS_AI_LAYER_NAME"]) == (1 if key in AI_FUNCTIONS else 0), key
        assert names.count(env["OPENMPS_FFMPEG_LAYER_NAME"]) == (1 if key in FFMPEG_LAYER_FUNCTIONS else 0), key


def test_the_packager_builds_every_layer_serverless_yml_binds() -> None:
    bindings = layers.function_layers(YML)
    assert set(bindings) >= REQUIRED_FUNCTIONS
    for key, names in bindings.items():
        expected = [layers.CORE.name]
        if key in FFMPEG_LAYER_FUNCTIONS:
            expected.append(layers.FFMPEG.name)
        if key in AI_FUNCTIONS:
            expected.append(layers.AI.name)
        assert names == expected, key


def test_functions_without_the_ffmpeg_layer_fetch_it(raw: dict[str, Any], doc: dict[str, Any]) -> None:
    env = example_env()
    for key, variables in deploy_check.function_environments(doc).items():
        fetches = {"OPENMPS_FFMPEG_OBJECT", "OPENMPS_FFMPEG_SHA256"} <= set(variables)
        assert fetches == (key in AI_FUNCTIONS), key
        if fetches:
            role = {"TENCENTCLOUD_SECRETID": "AKIDrole", "TENCENTCLOUD_SECRETKEY": "k"}
            settings = settings_from_env({**variables, **role})
            assert settings.ffmpeg_object == env["OPENMPS_FFMPEG_OBJECT"]
            assert settings.ffmpeg_sha256 == env["OPENMPS_FFMPEG_SHA256"]
    for key in AI_FUNCTIONS:  # the worker handler is what fetches it
        source = (REPO / "functions" / key / "index.py").read_text()
        assert "worker_handler(" in source, key
    # The worker role may read exactly that object.
    assert _allowed("worker", "cos:GetObject") >= {"qcs::cos:${REGION}:uid/${APPID}:${FFMPEG_OBJECT}"}
    for role in ("api", "trigger", "aggregator", "reconciler"):
        assert not any("FFMPEG" in r for st in _policy(role) for r in st["resource"]), role


def test_links_get_the_public_url_and_a_signing_key_from_the_deployer(raw: dict[str, Any]) -> None:
    for key, fn in raw["inputs"]["functions"].items():
        variables = fn["environment"]["variables"]
        # Passed through from .env, never written here (the key is a secret).
        assert variables["OPENMPS_PUBLIC_URL"] == "${env:OPENMPS_PUBLIC_URL}", key
        assert variables["OPENMPS_SIGNING_KEY"] == "${env:OPENMPS_SIGNING_KEY}", key
    plain = example_env(filled_in=False)
    assert plain["OPENMPS_SIGNING_KEY"] == "" and plain["OPENMPS_FFMPEG_SHA256"] == ""
    found = deploy_check.problems(plain, dist=None)
    assert "OPENMPS_SIGNING_KEY is not set" in found and "OPENMPS_FFMPEG_SHA256 is not set" in found
    assert any("function api: bad setting OPENMPS_SIGNING_KEY" in p for p in found)
    assert not any("OPENMPS_PUBLIC_URL" in p for p in found)  # known after the first deploy: a note
    assert any("OPENMPS_PUBLIC_URL" in n for n in deploy_check.notes(plain, YML))
    assert (
        deploy_check.notes(
            {**plain, "OPENMPS_PUBLIC_URL": "https://service-1-1250000000.gz.apigw.tencentcs.com/release"}, YML
        )
        == []
    )


def test_deploy_check_wants_every_artifact_and_the_built_ffmpeg(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    found = deploy_check.problems(example_env(), dist=dist)
    for artifact in ("openmps-layer.zip", "openmps-ffmpeg-layer.zip", "openmps-ai-layer.zip", "ffmpeg"):
        assert f"dist/{artifact} is missing: run `make package`" in found, artifact
    (dist / "code" / "functions").mkdir(parents=True)
    (dist / "code" / "functions" / "__init__.py").write_text("")
    for artifact in ("openmps-layer.zip", "openmps-ffmpeg-layer.zip", "openmps-ai-layer.zip", "ffmpeg"):
        (dist / artifact).write_bytes(b"x")
    sizes = {"problems": [], "ffmpeg": {"sha256": example_env()["OPENMPS_FFMPEG_SHA256"]}}
    (dist / "sizes.json").write_text(json.dumps(sizes))
    assert deploy_check.problems(example_env(), dist=dist) == []
    (dist / "sizes.json").write_text(json.dumps({**sizes, "ffmpeg": {"sha256": "b" * 64}}))
    [problem] = deploy_check.problems(example_env(), dist=dist)
    assert problem.startswith("OPENMPS_FFMPEG_SHA256 is not the sha256 of this build's dist/ffmpeg")


def test_environment_declares_every_setting_a_function_needs(doc: dict[str, Any]) -> None:
    fields = {"OPENMPS_" + name.upper() for name in Settings.model_fields} | {"OPENMPS_FUNCTION"}
    role = {"TENCENTCLOUD_SECRETID": "AKIDrole", "TENCENTCLOUD_SECRETKEY": "k", "TENCENTCLOUD_SESSIONTOKEN": "t"}
    for key, variables in deploy_check.function_environments(doc).items():
        unknown = set(variables) - fields
        assert not unknown, f"{key}: {unknown} are not settings (typo?)"
        assert variables["OPENMPS_FUNCTION"] == key
        settings = settings_from_env({**variables, **role})
        assert (settings.storage, settings.invoker) == ("cos", "scf")
        assert settings.input_bucket == example_env()["OPENMPS_INPUT_BUCKET"]
        assert settings.table_endpoint == example_env()["OPENMPS_TABLE_ENDPOINT"]
        size = sum(len(k) + len(v) for k, v in variables.items())
        assert size <= ENV_BYTES_MAX, f"{key}: {size} bytes of environment, SCF allows {ENV_BYTES_MAX}"
        assert not any("SECRET" in k and v for k, v in variables.items() if "TABLE" not in k), (
            f"{key}: secrets come from the role, never from serverless.yml"
        )
        with pytest.raises(Exception, match="needs credentials"):
            settings_from_env(variables)  # no role, no keys: a clear error at cold start


def test_every_deploy_variable_is_documented_and_the_example_passes(raw: dict[str, Any]) -> None:
    names = set(deploy_check.referenced_names(raw))
    assert names <= set(example_env()), f"add {names - set(example_env())} to deploy.env.example"
    assert deploy_check.problems(example_env(), dist=None) == []
    broken = dict(example_env(), OPENMPS_STORAGE="", OPENMPS_INPUT_BUCKET="")
    found = deploy_check.problems(broken, dist=None)
    assert "OPENMPS_INPUT_BUCKET is not set" in found and any("must be cos" in p for p in found)


def test_triggers_are_well_formed(doc: dict[str, Any]) -> None:
    keys = set(functions(doc))
    by_type = {t["type"]: t for t in doc["inputs"]["triggers"]}
    assert set(by_type) == {"cos", "timer", "apigw"}
    cos = by_type["cos"]
    assert cos["function"] == "trigger"
    params = cos["parameters"]
    assert re.fullmatch(r"[a-z0-9-]+-\d+\.cos\.[a-z]+-[a-z]+(-\d+)?\.myqcloud\.com", params["bucket"]), params["bucket"]
    assert params["bucket"].split(".cos.")[1].startswith(doc["inputs"]["region"])  # same region as the functions
    assert params["events"] == "cos:ObjectCreated:*"  # includes CompleteMultipartUpload
    # The whole input bucket (prefix "" ) or a folder of it; workflow rules decide what becomes a task.
    assert {"prefix", "suffix"} <= set(params["filter"])
    assert params["filter"]["prefix"] in ("", None) or params["filter"]["prefix"].endswith("/")
    assert params["enable"] is True
    # Outputs never re-trigger: they go to another bucket (or at least outside the prefix).
    env = example_env()
    assert env["OPENMPS_OUTPUT_BUCKET"] != env["OPENMPS_INPUT_BUCKET"]
    timer = by_type["timer"]
    assert timer["function"] in keys and len(timer["parameters"]["cronExpression"].split()) == 7
    assert cron_every_seconds(timer["parameters"]["cronExpression"]) >= 1
    apigw = by_type["apigw"]["parameters"]
    assert apigw["apis"] == apigw["endpoints"]  # multi-scf reads apis; the local runtime, endpoints
    for api in apigw["apis"]:
        assert api["function"] in keys and api["path"].startswith("/")
        assert api["method"] in {"GET", "POST", "PUT", "DELETE", "HEAD", "ANY"}
        assert api["isIntegratedResponse"] is True
        assert api["serviceTimeout"] >= functions(doc)[api["function"]]["timeout"]


def test_code_package_and_runtime_agree_with_the_packager(raw: dict[str, Any]) -> None:
    assert layers.code_source_dir(YML) == REPO / "dist" / "code"
    assert layers.runtime_python(YML) == raw["inputs"]["runtime"].removeprefix("Python")
    constraints = pip_install.CONSTRAINTS.read_text().splitlines()
    core = [layers._name(r) for r in layers.layer_requirements(layers.project_dependencies(), constraints)]
    ai = layers.layer_requirements(layers.project_dependencies(extras=["ai"]), constraints)
    assert len(core) == len(set(core)) and {"cos-python-sdk-v5", "tencentcloud-sdk-python-scf"} <= set(core)
    # The engines are the `ai` extra (the second layer), never core dependencies every function carries.
    engines = {"nudenet", "rapidocr-onnxruntime", "onnxruntime", "numpy", "pillow", "opencv-python-headless"}
    assert engines <= {layers._name(r) for r in ai} and not engines & set(core)
    # Layer pins replace pyproject's where cp310 has no wheel; extras and names are kept.
    assert "numpy==2.2.6" in ai and "onnxruntime==1.23.2" in ai and "pillow==12.3.0" in ai
    assert "av==17.1.0" in layers.layer_requirements(layers.project_dependencies(), constraints)


def test_layer_constraints_give_a_reason_for_every_pin() -> None:
    lines = pip_install.CONSTRAINTS.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line.strip()), line
            assert lines[number - 1].startswith("#") and len(lines[number - 1]) > 20, f"{line}: say why"


def test_local_install_keeps_every_engine() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "$(PIP) install -q -e '.[dev,ai]'" in makefile  # `make run` and the tests need the engines


def test_post_deploy_commands(doc: dict[str, Any]) -> None:
    commands = post_deploy.commands(example_env(), YML)
    reserved = {
        c[c.index("--FunctionName") + 1]: int(c[-1]) for c in commands if c[2] == "PutReservedConcurrencyConfig"
    }
    assert reserved["openmps-transcode"] == 3072 * 2
    assert any(c[2] == "UpdateFunctionEventInvokeConfig" and "openmps-transcode" in c for c in commands)


def _policy(name: str) -> list[dict[str, Any]]:
    return json.loads((CAM / f"{name}.json").read_text())["statement"]  # type: ignore[no-any-return]


def _allowed(name: str, action: str) -> set[str]:
    return {r for st in _policy(name) if f"name/{action}" in st["action"] for r in st["resource"]}


def test_cam_policies_are_least_privilege(raw: dict[str, Any]) -> None:
    roles = {fn["role"] for fn in raw["inputs"]["functions"].values()}
    for ref in roles:
        name = re.fullmatch(r"\$\{env:OPENMPS_ROLE_([A-Z]+)\}", ref).group(1).lower()  # type: ignore[union-attr]
        policy = json.loads((CAM / f"{name}.json").read_text())
        assert policy["version"] == "2.0" and policy["statement"]
        for statement in policy["statement"]:
            assert statement["effect"] == "allow"
            assert all(a.startswith("name/") and "*" not in a for a in statement["action"])
            assert all(r != "*" and r.startswith(("qcs::cos:", "qcs::scf:")) for r in statement["resource"])
    trust = json.loads((CAM / "trust-scf.json").read_text())
    assert trust["statement"][0]["principal"]["service"] == ["scf.qcloud.com"]


def test_cam_policies_follow_the_trigger_and_the_functions(raw: dict[str, Any]) -> None:
    cos = "qcs::cos:${REGION}:uid/${APPID}:"
    whole_input = cos + "${INPUT_BUCKET}/*"
    # The COS trigger covers the whole input bucket (workflows may watch any prefix), so whoever
    # reads inputs may read any key of it.
    assert {t["parameters"]["filter"]["prefix"] for t in raw["inputs"]["triggers"] if t["type"] == "cos"} <= {"", None}
    for role in ("api", "trigger", "worker", "reconciler"):
        assert whole_input in _allowed(role, "cos:HeadObject"), role
    assert whole_input in _allowed("worker", "cos:GetObject") and whole_input in _allowed("api", "cos:GetObject")
    # Uploads (presigned with the api role's keys) only under input/ (API default) and uploads/ (the console).
    assert _allowed("api", "cos:PutObject") == {cos + "${INPUT_BUCKET}/input/*", cos + "${INPUT_BUCKET}/uploads/*"}
    for role in ("worker", "trigger", "reconciler", "api", "aggregator"):
        assert not any("INPUT_BUCKET" in r for r in _allowed(role, "cos:DeleteObject")), role
    # Whoever starts subtasks may invoke every worker function (and the aggregator); workers the aggregator.
    fn = "qcs::scf:${REGION}:uin/${UIN}:namespace/${NAMESPACE}/function/${PREFIX}"
    starters = {fn + key for key in [*(k.function for k in kinds.all_kinds()), "aggregator"]}
    # Whoever aggregates (api: restart/terminate, reconciler, a worker's fallback, the aggregator) may
    # invoke the notifier; the trigger never aggregates.
    notifier = fn + "notifier"
    for role in ("api", "reconciler"):
        assert _allowed(role, "scf:InvokeFunction") == starters | {notifier}, role
    assert _allowed("trigger", "scf:InvokeFunction") == starters
    # a long transcode hands its parts to the transcode function (shared/services/split_transcode.py)
    assert _allowed("worker", "scf:InvokeFunction") == {fn + "aggregator", notifier, fn + "transcode"}
    assert _allowed("aggregator", "scf:InvokeFunction") == {notifier}
    workers = {key for key, f in raw["inputs"]["functions"].items() if f["role"] == "${env:OPENMPS_ROLE_WORKER}"}
    assert workers == {k.function for k in kinds.all_kinds()}
