"""HMAC-SHA256 under one key, the key's own hashing done once: a code a check-in, an entry too.

The standard library's `hmac` objects copy and update through Python methods; a
group of 1,000 check-ins checks each code's HMAC. This is RFC 2104 over SHA-256 (the
construction `hmac` itself falls back to), so each call is C work only. Property tests
pin every digest, over either SHA-256, to `hmac.new`.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from contextlib import suppress
from typing import Protocol, cast


class Hash(Protocol):
    """A SHA-256 in progress, as hashlib's and CPython's own builtin both are."""

    def copy(self) -> Hash: ...

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def _builtin_sha256() -> Callable[[bytes], Hash]:
    """CPython's own SHA-256 (module _sha2 from 3.12, _sha256 before), or hashlib's."""
    for name in ("_sha2", "_sha256"):
        with suppress(ImportError):
            return cast(Callable[[bytes], Hash], importlib.import_module(name).sha256)
    return hashlib.sha256


# For short messages (a code's serial): copying its state is a copy of a few words where
# OpenSSL's (hashlib.sha256) allocates a context, about 1.8x quicker an HMAC. Long text
# (an audit entry) is quicker with OpenSSL's, so that stays the default.
SHORT = _builtin_sha256()

BLOCK = 64  # SHA-256's block size, in bytes
_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))


class Keyed:
    """HMAC-SHA256 under `key` of `prefix` + each message, the padded key hashed once."""

    __slots__ = ("_inner", "_outer")

    def __init__(
        self, key: bytes, prefix: bytes = b"", sha256: Callable[[bytes], Hash] = hashlib.sha256
    ) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
        self._inner = sha256(block.translate(_INNER))
        self._inner.update(prefix)
        self._outer = sha256(block.translate(_OUTER))

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
