"""The COS XML API endpoint: recognises COS requests by their Host, checks the signature and the
bucket's account, dispatches to the operations and answers every refusal as COS's XML error.

Authentication is against the accounts' SecretId/SecretKey pairs (``find_key``); a bucket whose
appid suffix is not the signing key's account's appid answers ``AccessDenied``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.cos_protocol.errors import CosError, cos_error_xml
from infra.cos_protocol.signature import SignedRequest, verify
from infra.local.cos_api import bucket_ops, multipart_ops, objects
from infra.local.cos_api.exchange import Exchange
from infra.local.cos_api.multipart import MultipartStore
from shared.api.rate_gate import RateGate, retry_after_seconds
from shared.domain.accounts import AccessKey
from shared.domain.errors import BadInputError, NotFoundError
from shared.storage.local import LocalStorage
from shared.storage.port import ObjectInfo
from shared.store.unavailable import table_unavailable

_COS_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,60}[a-z0-9])\.cos\.(?P<region>[a-z0-9-]+)\.myqcloud\.com(:\d+)?$"
)
# Sub-resources of COS this endpoint does not serve: refused plainly rather than misread as a
# plain GET/PUT of the object or bucket.
_UNSERVED = frozenset(
    {
        "acl", "cors", "lifecycle", "policy", "tagging", "versioning", "versions", "website", "referer",
        "replication", "logging", "inventory", "encryption", "domain", "origin", "restore", "append",
        "select", "symlink", "intelligenttiering", "object-lock", "accelerate", "location", "notification",
    }
)  # fmt: skip
OnCreated = Callable[[ObjectInfo, str], None]


def cos_bucket(host: str | None) -> str | None:
    """The bucket of a virtual-host COS request (``<bucket>.cos.<region>.myqcloud.com``), else None."""
    match = _COS_HOST.match((host or "").strip().lower())
    return match.group("bucket") if match else None


class CosEndpoint:
    def __init__(
        self,
        *,
        storage: LocalStorage,
        find_key: Callable[[str], AccessKey | None],
        on_created: OnCreated,
        max_object_bytes: int,
        clock: Callable[[], float] = time.time,
        rate_gate: RateGate | None = None,
    ) -> None:
        self.storage, self.find_key, self.on_created = storage, find_key, on_created
        self.rate_gate = rate_gate
        self.max_object_bytes = max_object_bytes
        self.uploads = MultipartStore(storage)
        self.clock = clock

    def handle(self, handler: BaseHTTPRequestHandler, bucket: str) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path) or "/"
        query = parse_qsl(parts.query, keep_blank_values=True)
        ex = Exchange(handler, bucket, path[1:], dict(query))
        try:
            try:
                key = self._authenticate(ex, path, query)
            except CosError:
                self._pace(ex, None)  # a refused signature costs its address's budget, never an account's
                raise
            self._pace(ex, key.account)
            ex.appid = key.appid
            self._check_bucket(ex)
            self._dispatch(ex)
        except CosError as exc:
            self._refuse(ex, exc)
        except NotFoundError as exc:
            self._refuse(ex, CosError("NoSuchKey", exc.message))
        except BadInputError as exc:
            self._refuse(ex, CosError("InvalidArgument", exc.message))
        except ConnectionError:
            handler.close_connection = True  # the client went away mid-body: nothing was published
        except Exception as exc:
            if not table_unavailable(exc):
                raise
            # The keys live in the table: while it does not answer, COS's own "try again" (the SDK
            # retries a 5xx).
            self._refuse(ex, CosError("ServiceUnavailable", "Please retry: the key store does not answer.", 503))

    def _refuse(self, ex: Exchange, exc: CosError) -> None:
        body = cos_error_xml(exc.code, exc.message, f"{ex.bucket}/{ex.key}", ex.request_id)
        ex.send(exc.status, body, {"Content-Type": "application/xml", **exc.headers})

    def _pace(self, ex: Exchange, account: str | None) -> None:
        """COS's answer to a client over its request rate: 503 SlowDown, which cos-python-sdk-v5
        retries (as it retries every 5xx) after its back-off."""
        if self.rate_gate is None:
            return
        address = str(ex.handler.client_address[0])
        if account is None:
            wait = self.rate_gate.wait_of_address(address)
        else:
            wait = self.rate_gate.wait_of_account(account, ex.method)
        if wait > 0:
            seconds = retry_after_seconds(wait)
            message = f"Please reduce your request rate; retry in {seconds} s."
            raise CosError("SlowDown", message, headers={"Retry-After": str(seconds)})

    def _authenticate(self, ex: Exchange, path: str, query: list[tuple[str, str]]) -> AccessKey:
        found: list[AccessKey] = []

        def lookup(secret_id: str) -> tuple[str, str | None] | None:
            key = self.find_key(secret_id)
            if key is None or not key.enabled:
                return None
            found.append(key)
            return key.secret_key, None

        def header(name: str) -> str | None:
            value = ex.headers.get(name)
            if name == "host" and value:
                value = value.rsplit(":", 1)[0] if re.search(r":\d+$", value) else value
            return value

        verify(SignedRequest(ex.method, path, query, header), lookup, self.clock())
        return found[-1]

    def _check_bucket(self, ex: Exchange) -> None:
        if not ex.bucket.endswith(f"-{ex.appid}"):
            raise CosError("AccessDenied", "Access Denied. (the bucket belongs to another account)")
        if not self.storage.bucket_dir(ex.bucket).is_dir():
            raise CosError("NoSuchBucket", "The specified bucket does not exist.")

    def _dispatch(self, ex: Exchange) -> None:
        unserved = _UNSERVED.intersection(ex.params)
        if unserved:
            raise CosError("NotImplemented", f"?{sorted(unserved)[0]} is not served by the local stack")
        p, method = ex.params, ex.method
        if not ex.key:
            if method == "HEAD":
                ex.send(200, headers={"x-cos-bucket-region": "local"})
            elif method == "GET" and "uploads" in p:
                bucket_ops.list_uploads(self, ex)
            elif method == "GET":
                bucket_ops.list_objects(self, ex)
            elif method == "POST" and "delete" in p:
                bucket_ops.delete_objects(self, ex)
            else:
                raise CosError("NotImplemented", f"{method} on a bucket is not served: buckets are the stack's own")
        elif method == "PUT" and "uploadId" in p:
            multipart_ops.upload_part(self, ex)
        elif method == "PUT" and ex.headers.get("x-cos-copy-source"):
            objects.copy_object(self, ex)
        elif method == "PUT":
            objects.put_object(self, ex)
        elif method == "POST" and "uploads" in p:
            multipart_ops.initiate_upload(self, ex)
        elif method == "POST" and "uploadId" in p:
            multipart_ops.complete_upload(self, ex)
        elif method == "GET" and "uploadId" in p:
            multipart_ops.list_parts(self, ex)
        elif method in ("GET", "HEAD"):
            objects.get_object(self, ex)
        elif method == "DELETE" and "uploadId" in p:
            multipart_ops.abort_upload(self, ex)
        elif method == "DELETE":
            objects.delete_object(self, ex)
        else:
            raise CosError("MethodNotAllowed", f"{method} is not allowed here")
