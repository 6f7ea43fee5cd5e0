"""The pure parts of the COS endpoint: listing semantics, request bodies, the signature check
against what cos-python-sdk-v5 itself signs."""

from __future__ import annotations

import time

import pytest
import requests
from qcloud_cos import CosConfig
from qcloud_cos.cos_auth import CosS3Auth

from infra.cos_protocol.errors import CosError
from infra.cos_protocol.listing import list_page
from infra.cos_protocol.signature import SignedRequest, verify
from infra.cos_protocol.xml_bodies import parse_complete, parse_delete

pytestmark = pytest.mark.unit

KEYS = sorted(["a/1", "a/2", "a/b/3", "a-b", "c", "d/4", "d/5", "e"], key=str.encode)


def test_delimiter_rolls_up_and_counts_prefixes_against_max_keys():
    # GIVEN keys at two levels WHEN listed with "/" in pages of two THEN prefixes and keys share the count
    first = list_page(KEYS, prefix="", marker="", delimiter="/", max_keys=2)
    assert (first.keys, first.common_prefixes, first.next_marker) == (["a-b"], ["a/"], "a/")
    second = list_page(KEYS, prefix="", marker=first.next_marker, delimiter="/", max_keys=2)
    assert (second.keys, second.common_prefixes, second.next_marker) == (["c"], ["d/"], "d/")
    third = list_page(KEYS, prefix="", marker=second.next_marker, delimiter="/", max_keys=2)
    assert (third.keys, third.common_prefixes, third.next_marker) == (["e"], [], None)


def test_prefix_and_marker_without_delimiter():
    page = list_page(KEYS, prefix="a/", marker="a/1", delimiter="", max_keys=10)
    assert (page.keys, page.next_marker) == (["a/2", "a/b/3"], None)


def _sdk_signed(method: str, key: str, params: dict[str, str], secret_key: str = "sk") -> SignedRequest:
    config = CosConfig(Region="ap-guangzhou", SecretId="AKIDx", SecretKey=secret_key)
    prepared = requests.Request(
        method,
        f"http://127.0.0.1:1/{key}",
        params=params,
        headers={"Host": "b-1250000000.cos.ap-guangzhou.myqcloud.com"},
    ).prepare()
    CosS3Auth(config, key, params=params)(prepared)
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    return SignedRequest(method, "/" + key, list(params.items()), headers.get)


def test_the_check_accepts_what_the_sdk_signs_and_nothing_else():
    lookup = {"AKIDx": ("sk", None)}.get
    now = time.time()
    assert verify(_sdk_signed("PUT", "in put/a b.mp4", {"uploadId": "u1", "partNumber": "2"}), lookup, now) == "AKIDx"
    with pytest.raises(CosError) as err:
        verify(_sdk_signed("PUT", "a.mp4", {}, secret_key="wrong"), lookup, now)
    assert err.value.code == "SignatureDoesNotMatch" and err.value.status == 403
    signed = _sdk_signed("GET", "a.mp4", {})
    with pytest.raises(CosError) as err:
        verify(SignedRequest("GET", "/b.mp4", signed.query, signed.header), lookup, now)
    assert err.value.code == "SignatureDoesNotMatch"
    with pytest.raises(CosError) as err:
        verify(signed, lookup, now - 3600)
    assert err.value.code == "RequestTimeTooSkewed"
    with pytest.raises(CosError) as err:
        verify(signed, lookup, now + 20000)
    assert err.value.code == "AccessDenied"


def test_request_bodies_are_parsed_strictly():
    body = (
        b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"ab"</ETag></Part></CompleteMultipartUpload>'
    )
    assert parse_complete(body) == [(1, "ab")]
    assert parse_delete(b"<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object></Delete>") == (["k"], True)
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>'
    for bad in (b"<Delete>", b"<Other/>", bomb, b"<CompleteMultipartUpload/>"):
        with pytest.raises(CosError) as err:
            (parse_complete if b"Complete" in bad else parse_delete)(bad)
        assert err.value.code == "MalformedXML"
