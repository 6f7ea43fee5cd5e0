import copy

import pytest

from shared.domain.errors import BadInputError
from shared.domain.events import build_cos_event, parse_cos_event

pytestmark = pytest.mark.unit

# The captured event of MPS-REFERENCE.md section 4.2.
REFERENCE_EVENT = {
    "Records": [
        {
            "cos": {
                "cosSchemaVersion": "1.0",
                "cosNotificationId": "unkown",
                "cosBucket": {
                    "appid": "1302260381",
                    "name": "bookshelfplus",
                    "region": "sh",
                    "cosRegion": "ap-shanghai",
                    "s3Region": "ap-shanghai",
                },
                "cosObject": {
                    "key": "/1302260381/bookshelfplus/dir/file.mp4",
                    "size": 557,
                    "url": "http://bookshelfplus-1302260381.cos.ap-shanghai.myqcloud.com/dir/file.mp4",
                    "vid": "",
                    "meta": {
                        "Content-Type": "video/mp4",
                        "ETag": '"0d73"',
                        "x-cos-request-id": "NjI1",
                        "x-cos-storage-class": "Standard",
                    },
                },
            },
            "event": {
                "eventName": "cos:ObjectCreated:Put",
                "eventVersion": "1.0",
                "eventSource": "qcs::cos",
                "eventTime": 1650016156,
                "eventQueue": "qcs:0:scf:ap-shanghai:appid/1302260381:default.myfunc.$DEFAULT",
                "requestParameters": {
                    "requestSourceIP": "117.154.65.144",
                    "requestHeaders": {"Authorization": "q-sign-algorithm=sha1&..."},
                },
                "reservedInfo": "",
                "reqid": 0,
            },
        }
    ]
}


def test_reference_event_gives_the_real_key_and_full_bucket():
    [obj] = parse_cos_event(REFERENCE_EVENT)
    assert obj.key == "dir/file.mp4"
    assert obj.bucket == "bookshelfplus-1302260381"
    assert obj.region == "ap-shanghai"
    assert obj.etag == "0d73"
    assert obj.size == 557


def test_key_is_not_url_decoded_but_url_fallback_is():
    event = copy.deepcopy(REFERENCE_EVENT)
    event["Records"][0]["cos"]["cosObject"]["key"] = "/1302260381/bookshelfplus/a%20b/视频 1.mp4"
    assert parse_cos_event(event)[0].key == "a%20b/视频 1.mp4"
    # An old-shape key without the /appid/bucket/ prefix falls back to the URL-encoded url.
    event["Records"][0]["cos"]["cosObject"]["key"] = "weird"
    event["Records"][0]["cos"]["cosObject"]["url"] = "http://x.cos.ap-shanghai.myqcloud.com/a%20b/%E8%A7%86.mp4"
    assert parse_cos_event(event)[0].key == "a b/视.mp4"


def test_multipart_upload_and_wildcard_event_names_count_as_created():
    for name in ("cos:ObjectCreated:CompleteMultipartUpload", "cos:ObjectCreated:*", "cos:ObjectCreated:Copy"):
        event = copy.deepcopy(REFERENCE_EVENT)
        event["Records"][0]["event"]["eventName"] = name
        assert len(parse_cos_event(event)) == 1


def test_removal_events_are_skipped():
    event = copy.deepcopy(REFERENCE_EVENT)
    event["Records"][0]["event"]["eventName"] = "cos:ObjectRemoved:Delete"
    assert parse_cos_event(event) == []


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {},
        {"Records": []},
        {"Records": [{"cos": {}}]},
        "text",
        {
            "Records": [
                {
                    "cos": {"cosBucket": {"appid": "1", "name": "b"}, "cosObject": {"key": "/1/b/k", "size": -1}},
                    "event": {"eventName": "cos:ObjectCreated:Put"},
                }
            ]
        },
    ],
)
def test_malformed_events_raise_a_clear_error(bad):
    with pytest.raises(BadInputError) as err:
        parse_cos_event(bad)
    assert err.value.code == "InvalidParameter.CosEvent"


def test_the_local_stack_emits_the_cloud_shape():
    event = build_cos_event(
        appid="1250000000",
        bucket="openmps-input-1250000000",
        region="ap-guangzhou",
        key="input/x y/clip.MP4",
        size=10,
        etag="abc",
        event_time=1,
    )
    cos = event["Records"][0]["cos"]
    assert cos["cosObject"]["key"] == "/1250000000/openmps-input/input/x y/clip.MP4"
    assert cos["cosBucket"]["name"] == "openmps-input"
    [obj] = parse_cos_event(event)
    assert (obj.bucket, obj.key, obj.etag) == ("openmps-input-1250000000", "input/x y/clip.MP4", "abc")
