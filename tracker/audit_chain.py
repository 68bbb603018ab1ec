"""The audit chain's bytes: an entry's details as stored, the body hashed, and its HMAC.

Split from tracker.audit so that the bytes a court relies on are made in one place,
the plain way for one entry and a quicker way for a group (`link_many`); property
tests pin each quicker way to the plain JSON encoder and HMAC-SHA256.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

from tracker.keyed_hash import Keyed


def _encoder(plain: json.JSONEncoder) -> Callable[[Any], str]:
    """`plain.encode` for a dict or list, its C encoder made once, not once a call.

    It is what `JSONEncoder.encode` runs, with the same options, so the text is the
    same; only the check for a value that holds itself is left out (details never do).
    """
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None or plain.indent is not None:  # no C encoder: json's own way
        return plain.encode
    ascii_only = plain.ensure_ascii
    quote = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
    options = (plain.key_separator, plain.item_separator, plain.sort_keys, plain.skipkeys)
    encode = make(None, plain.default, quote, None, *options, plain.allow_nan)
    return lambda value: "".join(encode(value, 0))


# Made once (json.dumps builds an encoder on every call with options): bulk check-ins
# write an entry a code.
DETAILS = _encoder(json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False))
BODY = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps's separators
# How JSONEncoder(ensure_ascii=False) writes a string (the C function where there is one).
QUOTE = json.encoder.encode_basestring
_STR = {str}


def body(prev: str, row: dict[str, Any]) -> bytes:
    """The bytes hashed for a stored entry `row` that follows the hash `prev`."""
    fields = [prev, row["id"], row["at"], row["actor"], row["action"], row["subject"]]
    return BODY([*fields, row["details"]]).encode()


def body_text(fields: list[Any]) -> str:
    """`BODY(fields)` for a new entry's fields, its six strings quoted as the encoder would.

    An entry a code is hashed when check-ins come in bulk; the general encoder was
    a tenth of the time. Anything but an int id and six strings goes to it.
    """
    prev, entry_id, *words = fields
    if type(entry_id) is not int or {type(prev), *map(type, words)} != _STR:
        return BODY(fields)
    quoted = ", ".join([QUOTE(w) for w in words])
    return f"[{QUOTE(prev)}, {entry_id}, {quoted}]"


def mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of `message` under `key`, in hex."""
    return keyed(key).hexdigest(message)  # the key's own hashing done once, not once an entry


@functools.lru_cache(maxsize=8)
def keyed(key: bytes) -> Keyed:
    """HMAC-SHA256 under `key`, its padded key hashed once."""
    return Keyed(key)


def link(
    key: bytes, prev: str, entry_id: int, head: Sequence[str], details: dict[str, Any]
) -> tuple[str, str]:
    """An entry's details as stored, and its keyed hash chained to `prev`.

    `head` is the entry's at, actor, action and subject.
    """
    text = DETAILS(details)
    return text, mac(key, body_text([prev, entry_id, *head, text]).encode())


# An entry to chain: at, actor, action, subject, and its details as stored (DETAILS).
Unlinked = tuple[str, str, str, str, str]


def link_many(
    key: bytes, prev: str, first_id: int, entries: Sequence[Unlinked]
) -> list[tuple[int, str, str, str, str, str, str, str]]:
    """Each of `entries` chained after `prev`, numbered from `first_id`, as `link` would.

    Rows for audit_log: id, at, actor, action, subject, details, prev_hash, hash. The
    quoted at, actor and action, the same for most of a group, are made once.
    """
    start, out = keyed(key), []
    middles: dict[tuple[str, str, str], str] = {}
    entry_id = first_id
    for at, actor, action, subject, text in entries:
        middle = middles.get((at, actor, action))
        if middle is None:
            middle = middles[(at, actor, action)] = _middle(at, actor, action)
        if type(subject) is str and type(text) is str and type(prev) is str and middle:
            quoted = quote_details(text)
            message = f"[{QUOTE(prev)}, {entry_id}, {middle}, {QUOTE(subject)}, {quoted}]"
        else:  # anything but strings: the encoder's own way
            message = BODY([prev, entry_id, at, actor, action, subject, text])
        digest = start.hexdigest(message.encode())
        out.append((entry_id, at, actor, action, subject, text, prev, digest))
        prev, entry_id = digest, entry_id + 1
    return out


def quote_details(text: str) -> str:
    """`QUOTE(text)` for `text` made by DETAILS, with two replaces rather than a char at a time.

    The encoder writes every control character as an escape, so its text holds none:
    only backslashes and quotes are left to escape (a group's entry is ~120 KB).
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _middle(at: str, actor: str, action: str) -> str:
    """at, actor and action quoted and joined as the encoder writes them; "" if not strings."""
    if {type(at), type(actor), type(action)} != _STR:
        return ""
    return f"{QUOTE(at)}, {QUOTE(actor)}, {QUOTE(action)}"
