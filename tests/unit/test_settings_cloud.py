"""Settings refused at cold start in the cloud: the public default signing key, a malformed ffmpeg
object or checksum, one of the two ffmpeg settings without the other."""

from __future__ import annotations

import pytest

from shared.domain.errors import OpenMpsError
from shared.runtime.settings import DEFAULT_SIGNING_KEY, settings_from_env

pytestmark = pytest.mark.unit

ROLE = {"TENCENTCLOUD_SECRETID": "AKIDrole", "TENCENTCLOUD_SECRETKEY": "k", "TENCENTCLOUD_SESSIONTOKEN": "t"}
COS = {**ROLE, "OPENMPS_STORAGE": "cos", "OPENMPS_SIGNING_KEY": "9f" * 32}
SHA = "0123456789abcdef" * 4


def refused(env: dict[str, str]) -> str:
    with pytest.raises(OpenMpsError) as caught:
        settings_from_env(env)
    assert caught.value.code == "InternalError.Settings"
    return caught.value.message


@pytest.mark.parametrize("key", ["", DEFAULT_SIGNING_KEY])
def test_cos_storage_refuses_the_default_signing_key(key: str) -> None:
    message = refused({**COS, "OPENMPS_SIGNING_KEY": key})  # "" = unset: the default applies
    assert message.startswith("bad setting OPENMPS_SIGNING_KEY:") and "openssl rand -hex 32" in message


def test_a_secret_signing_key_is_accepted_and_the_default_stays_fine_locally() -> None:
    assert settings_from_env(COS).signing_key == "9f" * 32
    assert settings_from_env({}).signing_key == DEFAULT_SIGNING_KEY  # storage=local


def test_public_url_is_a_base_url() -> None:
    url = "https://service-abc-1250000000.gz.apigw.tencentcs.com/release"
    assert settings_from_env({**COS, "OPENMPS_PUBLIC_URL": url + "/"}).public_url == url
    assert refused({"OPENMPS_PUBLIC_URL": "service-abc.apigw.tencentcs.com"}).startswith(
        "bad setting OPENMPS_PUBLIC_URL:"
    )


def test_ffmpeg_settings_are_optional_and_go_together() -> None:
    local = settings_from_env({})
    assert local.ffmpeg_object is None and local.ffmpeg_sha256 is None
    both = settings_from_env(
        {
            **COS,
            "OPENMPS_FFMPEG_OBJECT": "openmps-deploy-1250000000/openmps/ffmpeg",
            "OPENMPS_FFMPEG_SHA256": SHA.upper(),
        }
    )
    assert both.ffmpeg_object == "openmps-deploy-1250000000/openmps/ffmpeg" and both.ffmpeg_sha256 == SHA
    assert refused({**COS, "OPENMPS_FFMPEG_OBJECT": "openmps-deploy-1250000000/ffmpeg"}).startswith(
        "bad setting OPENMPS_FFMPEG_SHA256: required with OPENMPS_FFMPEG_OBJECT"
    )
    assert refused({**COS, "OPENMPS_FFMPEG_SHA256": SHA}).startswith(
        "bad setting OPENMPS_FFMPEG_OBJECT: required with OPENMPS_FFMPEG_SHA256"
    )


@pytest.mark.parametrize(
    "obj",
    [
        "ffmpeg",
        "openmps-deploy-1250000000/",
        "/openmps-deploy-1250000000/ffmpeg",
        "Openmps-Deploy/ffmpeg",
        "openmps-deploy-1250000000//ffmpeg",
        "openmps-deploy-1250000000/a/../ffmpeg",
        "openmps-deploy-1250000000/a b",
        "cos://openmps-deploy-1250000000/ffmpeg",
    ],
)
def test_ffmpeg_object_must_be_bucket_slash_key(obj: str) -> None:
    message = refused({**COS, "OPENMPS_FFMPEG_OBJECT": obj, "OPENMPS_FFMPEG_SHA256": SHA})
    assert message.startswith("bad setting OPENMPS_FFMPEG_OBJECT:") and "bucket-appid" in message


@pytest.mark.parametrize("sha", ["abc", SHA[:-1], SHA + "0", "g" * 64, "sha256:" + SHA])
def test_ffmpeg_sha256_must_be_64_hex_digits(sha: str) -> None:
    message = refused(
        {**COS, "OPENMPS_FFMPEG_OBJECT": "openmps-deploy-1250000000/ffmpeg", "OPENMPS_FFMPEG_SHA256": sha}
    )
    assert message.startswith("bad setting OPENMPS_FFMPEG_SHA256:") and "64 hexadecimal" in message
