"""The one place that reads the environment. Validated once per cold start.

Every field ``name`` is read from ``OPENMPS_<NAME>``; an empty value means "not set" (the
default applies), because serverless.yml passes ``${env:NAME}`` through and an unset name
becomes "". Cloud credentials are the exception:
when no explicit ``OPENMPS_COS_SECRET_ID``/``OPENMPS_SCF_SECRET_ID`` is set, the adapters use the
temporary credentials SCF injects for a function with a role (``TENCENTCLOUD_SECRETID``,
``TENCENTCLOUD_SECRETKEY``, ``TENCENTCLOUD_SESSIONTOKEN``), read live from the environment so a
long-running instance picks up rotated ones.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError, field_validator

from shared.domain.errors import OpenMpsError

# Public (it is in this file): fine on one machine, refused with cloud storage (see _check_cloud).
DEFAULT_SIGNING_KEY = "insecure-local-signing-key"
DEFAULT_KEY_ENCRYPTION_KEY = "insecure-local-key-encryption-key"
_ENGINE_NAME = r"^[a-z][a-z0-9_-]{0,40}$"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,60}[a-z0-9]")  # COS: <name>-<appid>, as shared.storage.port checks


# The longest life a signed URL may ask for by default (the OpenAPI document states this one).
URL_TTL_MAX_DEFAULT = 7 * 24 * 3600


class Settings(BaseModel):
    appid: str = Field("1250000000", pattern=r"^\d{1,20}$")
    region: str = "ap-guangzhou"
    # Table (DynamoDB API): dynalite locally, DynamoDB or a compatible cluster in the cloud.
    table_endpoint: str | None = None
    table_region: str = "ap-guangzhou"
    table_prefix: str = Field("openmps-", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    table_access_key_id: str | None = None  # unset: the role's or the SDK's default credentials
    table_secret_access_key: str | None = None
    # Faults injected into the table client on purpose (fault tests, chaos runs); unset in production.
    # "throttle=0.03,server_error=0.02,reset=0.02,lost_ack=0.04,seed=7": see shared/store/faults.py.
    table_faults: str | None = None
    # Object storage: "local" (filesystem buckets under storage_root) or "cos" (Tencent COS).
    storage: str = Field("local", pattern=r"^(local|cos)$")
    storage_root: str = ".openmps/buckets"
    input_bucket: str = "openmps-input-1250000000"
    output_bucket: str = "openmps-output-1250000000"
    # The base URL of the API (the gateway's, including its stage path, in the cloud) that play and zip
    # links are built from, and the key that signs them (refused in the cloud while it is the default).
    public_url: str = Field("http://127.0.0.1:8080", pattern=r"^https?://[^/\s]+(/\S*)?$")
    signing_key: str = DEFAULT_SIGNING_KEY
    url_ttl_seconds: int = Field(3600, ge=1)
    # Seals the API secret keys in the table (shared/store/secret_box.py): comma-separated, the first
    # encrypts, all decrypt (rotation: docs/DEPLOY.md). With COS storage the default is refused when used.
    key_encryption_keys: str = DEFAULT_KEY_ENCRYPTION_KEY
    url_ttl_max_seconds: int = Field(URL_TTL_MAX_DEFAULT, ge=1)
    # COS (storage="cos"). Region defaults to `region`; credentials default to the function role's.
    cos_region: str | None = Field(None, pattern=r"^[a-z]+(-[a-z0-9]+)+$")
    cos_secret_id: str | None = None
    cos_secret_key: str | None = None
    cos_token: str | None = None
    # A COS-compatible endpoint reached by address (tests, private deployments); unset = COS itself.
    cos_endpoint_ip: str | None = None
    cos_endpoint_port: int | None = Field(None, ge=1, le=65535)
    cos_endpoint_scheme: str = Field("https", pattern=r"^https?$")
    cos_part_size_mb: int = Field(8, ge=1, le=5120)  # multipart above this size (COS parts: 1 MB - 5 GB)
    cos_max_threads: int = Field(4, ge=1, le=32)
    # Async invocation: "local" (the local function runtime over HTTP) or "scf" (SCF Invoke, Event).
    invoker: str = Field("local", pattern=r"^(local|scf)$")
    invoke_url: str = "http://127.0.0.1:8080/__runtime/invoke"
    invoke_secret: str = ""
    # SCF (invoker="scf"): the deployed name of function key K is scf_function_prefix + K
    # (serverless.yml names every function that way; a test checks it).
    scf_region: str | None = Field(None, pattern=r"^[a-z]+(-[a-z0-9]+)+$")
    scf_namespace: str = Field("default", pattern=r"^[A-Za-z0-9_-]{1,30}$")
    scf_function_prefix: str = Field("openmps-", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")
    scf_qualifier: str = "$LATEST"
    scf_secret_id: str | None = None
    scf_secret_key: str | None = None
    scf_token: str | None = None
    scf_endpoint: str | None = Field(None, pattern=r"^[A-Za-z0-9.-]+(:\d{1,5})?$")  # host[:port]; tests
    scf_endpoint_scheme: str = Field("https", pattern=r"^https?$")
    scf_timeout_seconds: int = Field(10, ge=1, le=300)
    work_dir: str = ""
    # A function whose layers do not carry imageio-ffmpeg's binary (review, analysis, enhance: SCF's
    # 500 MB code + layers limit) fetches it once per instance from this object ("bucket/key", uploaded
    # by the deployer from dist/ffmpeg) and checks its sha256 (shared/media/ffmpeg/provision.py).
    # Both or neither; unset locally and where the binary is present.
    ffmpeg_object: str | None = None
    ffmpeg_sha256: str | None = None
    # AI engines: the registered engine each family runs ("local": the models and ffmpeg inside the
    # function; a cloud adapter registers a name of its own, see shared/media/ai/ports.py), and the
    # threads one ONNX model run of the local engines may use (0: the cores, at most 4).
    review_engine: str = Field("local", pattern=_ENGINE_NAME)
    analysis_engine: str = Field("local", pattern=_ENGINE_NAME)
    enhance_engine: str = Field("local", pattern=_ENGINE_NAME)
    onnx_threads: int = Field(0, ge=0, le=64)
    heartbeat_seconds: float = Field(5.0, gt=0)
    # Decode once: a worker also claims its task's fusable waiting siblings and runs them in one ffmpeg
    # (shared/services/fusion.py); off, every subtask runs alone.
    fuse_outputs: bool = True
    stale_after_seconds: float = Field(60.0, gt=0)
    reinvoke_waiting_after_seconds: float = Field(120.0, gt=0)
    max_input_bytes: int = Field(20 * 1024**3, gt=0)
    # Long transcodes (MP4, H.264) are split at keyframes into parts of about split_segment_seconds,
    # each encoded by its own transcode invocation, then joined without re-encoding
    # (shared/services/split_transcode.py). Inputs up to the threshold, or a threshold of 0, run whole.
    split_threshold_seconds: float = Field(600.0, ge=0)
    split_segment_seconds: float = Field(120.0, gt=0)
    split_max_parts: int = Field(64, ge=2, le=500)
    # URLs callers name (ProcessMedia URL input, notification receivers) may reach loopback, link-local
    # and private addresses only if this allows it; unset: allowed with local storage (the receivers
    # and clips are on the same machine), refused with COS (shared/runtime/url_policy.py).
    allow_private_urls: bool | None = None
    url_fetch_timeout_seconds: float = Field(600.0, gt=0)
    # Event notifications: seconds before each retry after a failed try (the last repeats) and when to
    # give up (dead letter).
    notify_retry_delays: str = Field("10,30,120,600,1800,3600", pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")
    notify_give_up_after_seconds: float = Field(24 * 3600, gt=0)
    notify_timeout_seconds: float = Field(5.0, gt=0, le=30)

    # Rate limits (shared/domain/rate_limit.py): the requests per second an account may make and the
    # burst its bucket holds, reads and writes apart; and the same for a client address whose requests
    # prove no account (public routes, missing or wrong credentials). 0 per second: no limit.
    rate_limit_reads_per_second: float = Field(50.0, ge=0)
    rate_limit_reads_burst: int = Field(500, ge=1)
    rate_limit_writes_per_second: float = Field(20.0, ge=0)
    rate_limit_writes_burst: int = Field(200, ge=1)
    rate_limit_anonymous_per_second: float = Field(50.0, ge=0)  # a console page loads ~30 files
    rate_limit_anonymous_burst: int = Field(500, ge=1)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")  # links are built as public_url + "/api/..."

    @field_validator("ffmpeg_object")
    @classmethod
    def _bucket_and_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        bucket, _, key = value.partition("/")
        if not (
            _BUCKET.fullmatch(bucket)
            and key
            and len(key.encode()) <= 850
            and not re.search(r"[\s\\]", key)
            and all(part not in ("", ".", "..") for part in key.split("/"))
        ):
            raise ValueError(
                "must be <bucket-appid>/<key> of a COS object, e.g. openmps-deploy-1250000000/openmps/ffmpeg"
            )
        return value

    @field_validator("ffmpeg_sha256")
    @classmethod
    def _sha256_hex(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("must be a sha256: 64 hexadecimal digits")
        return value.lower()

    @property
    def private_urls_allowed(self) -> bool:
        return self.storage == "local" if self.allow_private_urls is None else self.allow_private_urls

    @property
    def notify_retry_delay_seconds(self) -> tuple[float, ...]:
        return tuple(float(x) for x in self.notify_retry_delays.split(","))

    # ---- cloud credentials ------------------------------------------------------------------
    def cos_credentials(self) -> CloudCredentials:
        return _credentials(self.cos_secret_id, self.cos_secret_key, self.cos_token)

    def scf_credentials(self) -> CloudCredentials:
        return _credentials(self.scf_secret_id, self.scf_secret_key, self.scf_token)


_ENV_PREFIX = "OPENMPS_"
# What SCF injects into a function that runs with a role (temporary credentials).
ROLE_SECRET_ID, ROLE_SECRET_KEY, ROLE_TOKEN = (
    "TENCENTCLOUD_SECRETID",
    "TENCENTCLOUD_SECRETKEY",
    "TENCENTCLOUD_SESSIONTOKEN",
)


@dataclass(frozen=True)
class StaticCredentials:
    secret_id: str
    secret_key: str
    token: str | None = None


class RoleCredentials:
    """The function role's temporary credentials, read from the environment at each use."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    @property
    def secret_id(self) -> str:
        return self._env.get(ROLE_SECRET_ID, "")

    @property
    def secret_key(self) -> str:
        return self._env.get(ROLE_SECRET_KEY, "")

    @property
    def token(self) -> str | None:
        return self._env.get(ROLE_TOKEN) or None


CloudCredentials = StaticCredentials | RoleCredentials


def _credentials(secret_id: str | None, secret_key: str | None, token: str | None) -> CloudCredentials:
    if secret_id:
        return StaticCredentials(secret_id, secret_key or "", token or None)
    return RoleCredentials()


def _check_cloud(settings: Settings, env: Mapping[str, str]) -> None:
    """The cloud adapters need credentials: explicit ones or a function role's; links served from the
    cloud need a secret signing key; the ffmpeg object needs its checksum."""
    if settings.storage == "cos" and settings.signing_key == DEFAULT_SIGNING_KEY:
        raise OpenMpsError(
            f"bad setting {_ENV_PREFIX}SIGNING_KEY: with {_ENV_PREFIX}STORAGE=cos it must be a secret of "
            f"your own (e.g. `openssl rand -hex 32`); the built-in default is public and would let anyone "
            f"sign play and download links",
            code="InternalError.Settings",
        )
    if bool(settings.ffmpeg_object) != bool(settings.ffmpeg_sha256):
        missing, given = (
            ("FFMPEG_SHA256", "FFMPEG_OBJECT") if settings.ffmpeg_object else ("FFMPEG_OBJECT", "FFMPEG_SHA256")
        )
        raise OpenMpsError(
            f"bad setting {_ENV_PREFIX}{missing}: required with {_ENV_PREFIX}{given} "
            f"(the sha256 of dist/ffmpeg is in dist/sizes.json)",
            code="InternalError.Settings",
        )
    needed = []
    if settings.storage == "cos":
        needed.append(("COS", settings.cos_secret_id, settings.cos_secret_key))
    if settings.invoker == "scf":
        needed.append(("SCF", settings.scf_secret_id, settings.scf_secret_key))
    for kind, secret_id, secret_key in needed:
        prefix = f"{_ENV_PREFIX}{kind}"
        if secret_id and not secret_key:
            raise OpenMpsError(
                f"bad setting {prefix}_SECRET_KEY: required with {prefix}_SECRET_ID", code="InternalError.Settings"
            )
        if not secret_id and not (env.get(ROLE_SECRET_ID) and env.get(ROLE_SECRET_KEY)):
            raise OpenMpsError(
                f"bad setting {prefix}_SECRET_ID: {kind} needs credentials: run the function with a role "
                f"(SCF then sets {ROLE_SECRET_ID} and {ROLE_SECRET_KEY}) or set {prefix}_SECRET_ID and "
                f"{prefix}_SECRET_KEY",
                code="InternalError.Settings",
            )


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        key = _ENV_PREFIX + name.upper()
        if env.get(key, "") != "":  # empty means unset: serverless.yml passes ${env:NAME} through as ""
            values[name] = env[key]
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise OpenMpsError(
            f"bad setting {_ENV_PREFIX}{str(first['loc'][0]).upper()}: {first['msg']}", code="InternalError.Settings"
        ) from exc
    _check_cloud(settings, env)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
