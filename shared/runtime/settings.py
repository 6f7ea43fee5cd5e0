"""The one place that reads the environment. Validated once per cold start."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError

from shared.domain.errors import OpenMpsError


class Settings(BaseModel):
    appid: str = Field("1250000000", pattern=r"^\d{1,20}$")
    region: str = "ap-guangzhou"
    # Table (DynamoDB API): dynalite locally, DynamoDB or a compatible cluster in the cloud.
    table_endpoint: str | None = None
    table_region: str = "ap-guangzhou"
    table_prefix: str = Field("openmps-", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    table_access_key_id: str | None = None  # unset: the role's or the SDK's default credentials
    table_secret_access_key: str | None = None
    # Object storage: "local" (filesystem buckets under storage_root).
    storage: str = Field("local", pattern=r"^local$")
    storage_root: str = ".openmps/buckets"
    input_bucket: str = "openmps-input-1250000000"
    output_bucket: str = "openmps-output-1250000000"
    public_url: str = "http://127.0.0.1:8080"
    signing_key: str = "insecure-local-signing-key"
    url_ttl_seconds: int = Field(3600, ge=1)
    url_ttl_max_seconds: int = Field(7 * 24 * 3600, ge=1)
    # Async invocation: "local" (the local function runtime over HTTP).
    invoker: str = Field("local", pattern=r"^local$")
    invoke_url: str = "http://127.0.0.1:8080/__runtime/invoke"
    invoke_secret: str = ""
    work_dir: str = ""
    heartbeat_seconds: float = Field(5.0, gt=0)
    stale_after_seconds: float = Field(60.0, gt=0)
    reinvoke_waiting_after_seconds: float = Field(120.0, gt=0)
    max_input_bytes: int = Field(20 * 1024**3, gt=0)


_ENV_PREFIX = "OPENMPS_"


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    values = {name: env[_ENV_PREFIX + name.upper()] for name in Settings.model_fields
              if _ENV_PREFIX + name.upper() in env}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise OpenMpsError(f"bad setting {_ENV_PREFIX}{str(first['loc'][0]).upper()}: {first['msg']}",
                           code="InternalError.Settings") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
