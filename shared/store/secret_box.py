"""Secret keys at rest: AES-256-GCM under a key-encryption key from the settings.

``settings.key_encryption_keys`` is a comma-separated list of secrets; the first encrypts, every one
decrypts (each ciphertext names its key by a short id), which is how the key is rotated without
downtime (docs/DEPLOY.md). The row's identity is the associated data, so a ciphertext copied into
another row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib

from Crypto.Cipher import AES

from shared.domain.errors import OpenMpsError

_VERSION = "v1"


def _aes_key(secret: str) -> bytes:
    return hashlib.sha256(b"openmps-kek\x00" + secret.encode()).digest()


def _key_id(secret: str) -> str:
    return hashlib.sha256(b"openmps-kek-id\x00" + secret.encode()).hexdigest()[:8]


class SecretBox:
    def __init__(self, keys: str) -> None:
        secrets = [k.strip() for k in keys.split(",") if k.strip()]
        if not secrets:
            raise OpenMpsError("no key-encryption key configured", code="InternalError.Settings")
        self._primary = secrets[0]
        self._by_id = {_key_id(s): _aes_key(s) for s in secrets}

    def seal(self, plaintext: str, context: str) -> str:
        cipher = AES.new(_aes_key(self._primary), AES.MODE_GCM)
        cipher.update(context.encode())
        data, tag = cipher.encrypt_and_digest(plaintext.encode())
        parts = (cipher.nonce, data + tag)
        return ".".join([_VERSION, _key_id(self._primary), *(base64.urlsafe_b64encode(p).decode() for p in parts)])

    def open(self, sealed: str, context: str) -> str:
        try:
            version, key_id, nonce_b64, body_b64 = sealed.split(".")
            key = self._by_id[key_id]
            if version != _VERSION:
                raise ValueError(version)
            body = base64.urlsafe_b64decode(body_b64)
            cipher = AES.new(key, AES.MODE_GCM, nonce=base64.urlsafe_b64decode(nonce_b64))
            cipher.update(context.encode())
            return cipher.decrypt_and_verify(body[:-16], body[-16:]).decode()
        except KeyError:
            raise OpenMpsError(
                "a secret key is sealed with a key-encryption key that is no longer configured",
                code="InternalError.KeyEncryptionKey",
            ) from None
        except ValueError:
            raise OpenMpsError("a sealed secret key does not decrypt", code="InternalError.KeyEncryptionKey") from None

    def is_current(self, sealed: str) -> bool:
        """Sealed under the first (current) key: rotation re-seals the others."""
        return sealed.split(".")[1:2] == [_key_id(self._primary)]
