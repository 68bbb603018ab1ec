"""HMAC-SHA256 under one key, the key's own hashing done once: a code a check-in, an entry too.

The standard library's `hmac` objects copy and update through Python methods; a
group of 1,000 check-ins makes two HMACs a code. This is RFC 2104 over hashlib's
SHA-256 (the construction `hmac` itself falls back to), so each call is C work only.
Property tests pin every digest to `hmac.new`.
"""

from __future__ import annotations

import hashlib

BLOCK = 64  # SHA-256's block size, in bytes
_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))


class Keyed:
    """HMAC-SHA256 under `key` of `prefix` + each message, the padded key hashed once."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, prefix: bytes = b"") -> None:
        block = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(block.translate(_INNER))
        self._inner.update(prefix)
        self._outer = hashlib.sha256(block.translate(_OUTER))

    def digest(self, message: bytes) -> bytes:
        """The HMAC of prefix + `message`."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def hexdigest(self, message: bytes) -> str:
        """The HMAC of prefix + `message`, in hex."""
        return self.digest(message).hex()
