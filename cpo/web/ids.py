"""Opaque ids in addresses: a case reference never appears in a URL, a log or a history.

A client's (or order's) reference is encrypted with AES-SIV (deterministic, so a page
keeps one address; authenticated, so a changed id is refused as not found) under a key
derived from this server's session key. The library still scopes every record by the
signed-in account's offices: an id is not a permission.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from werkzeug.routing import BaseConverter, Map, ValidationError


class OpaqueIds:
    """Turns references into URL-safe opaque ids and back."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(hashes.SHA256(), 64, salt=None, info=b"cpo web ids").derive(secret)
        self._siv = AESSIV(key)

    def hide(self, reference: str) -> str:
        sealed = self._siv.encrypt(reference.encode("utf-8"), None)
        return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def reveal(self, opaque: str) -> str | None:
        """The reference, or None if `opaque` is not an id this server made."""
        try:
            sealed = base64.urlsafe_b64decode(opaque + "=" * (-len(opaque) % 4))
            return self._siv.decrypt(sealed, None).decode("utf-8")
        except (ValueError, InvalidTag, UnicodeDecodeError):
            return None


def converter_for(ids: OpaqueIds) -> type[BaseConverter]:
    """A URL converter (`<ref:reference>`) that hands views the reference itself."""

    class ReferenceConverter(BaseConverter):
        regex = r"[A-Za-z0-9_-]{20,400}"

        def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
            super().__init__(url_map, *args, **kwargs)

        def to_python(self, value: str) -> str:
            reference = ids.reveal(value)
            if reference is None:
                raise ValidationError()  # an id we did not make: 404, like any unknown page
            return reference

        def to_url(self, value: Any) -> str:
            return ids.hide(str(value))

    return ReferenceConverter
