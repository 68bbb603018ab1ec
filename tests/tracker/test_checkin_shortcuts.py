"""The shortcuts bulk check-ins take give exactly what the plain way gives.

A code's signature, its check symbol, the hashed body of an audit entry and its HMAC
are each made a quicker way; each is compared here with the plain way, written out
as it was, over any input: a court relies on the chain's bytes, a client on their code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tracker import audit_chain, codes
from tracker.codes import ALPHABET, CODE_SYMBOLS, Keyring, check_symbol, normalise_code
from tracker.errors import CodeError
from tracker.keyed_hash import SHORT, Hash, Keyed

_VALUE = {**{s: v for v, s in enumerate(ALPHABET)}, "O": 0, "I": 1, "L": 1}


def plain_check_symbol(symbols: str) -> str:
    """The check symbol worked out term by term in GF(32) (x^5 + x^2 + 1)."""

    def times(a: int, b: int) -> int:
        out = 0
        while b:
            out ^= a if b & 1 else 0
            a, b = a << 1, b >> 1
            a ^= 0b100101 if a & 0b100000 else 0
        return out

    total = 0
    for position, symbol in enumerate(reversed(symbols), start=1):
        weight = 1
        for _ in range(position % 31):
            weight = times(weight, 2)
        total ^= times(weight, _VALUE[symbol])
    return ALPHABET[total]


def plain_normalise(typed: str) -> str:
    """normalise_code as it was first written: every code through every step."""
    text = re.sub(r"[\s\-]", "", typed).upper()
    if not text:
        raise CodeError(typed, "the code is empty")
    bad = sorted({c for c in text if c not in _VALUE})
    if bad:
        raise CodeError(typed, f"'{bad[0]}' is not used in codes (letters and digits only, no U)")
    text = "".join(ALPHABET[_VALUE[c]] for c in text)
    if len(text) != CODE_SYMBOLS:
        raise CodeError(
            typed, f"a code has {CODE_SYMBOLS} letters and digits; this one has {len(text)}"
        )
    if plain_check_symbol(text[:-1]) != text[-1]:
        raise CodeError(typed, "a letter or digit is wrong or two are swapped: check the code")
    return text


def plain_code(key: bytes, key_id: str, serial: str) -> str:
    """A token's typed code the plain way: one HMAC, 5 bits a symbol, then the check."""
    bits = int.from_bytes(hmac.digest(key, b"code|" + serial.encode(), "sha256")[:7]) >> 6
    body = key_id[1].upper() + "".join(ALPHABET[(bits >> s) & 31] for s in range(45, -1, -5))
    return body + plain_check_symbol(body)


def outcome(read: object, typed: str) -> tuple[str, str]:
    try:
        return "code", read(typed)  # type: ignore[operator]
    except CodeError as err:
        return "refused", err.reason


keys = st.binary(min_size=32, max_size=32)
key_ids = st.sampled_from(ALPHABET[1:]).map(lambda s: "k" + s.lower())
serials = st.text("0123456789abcdefghjkmnpqrstvwxyz", min_size=16, max_size=16)
typing = st.text(st.sampled_from([*ALPHABET, *"-ilouILOU .\t\u00a0é"]), max_size=20)


@given(st.data(), st.integers(0, 70))
def test_check_symbol_is_the_weighted_sum(data: st.DataObject, length: int) -> None:
    symbols = data.draw(st.text(st.sampled_from(ALPHABET), min_size=length, max_size=length))
    assert check_symbol(symbols) == plain_check_symbol(symbols)


@given(st.one_of(typing, st.text(max_size=16)))
def test_any_typing_is_read_as_before(typed: str) -> None:
    assert outcome(normalise_code, typed) == outcome(plain_normalise, typed)


@given(keys, key_ids, serials, st.integers(0, 2))
def test_a_code_is_made_and_checked_as_before(
    key: bytes, key_id: str, serial: str, form: int
) -> None:
    code = plain_code(key, key_id, serial)
    assert codes._code(key, key_id, serial) == code
    typed = (codes.show_code(code), code.lower(), f" {code} ")[form]
    ring = Keyring(Path("/nonexistent"))
    ring._keys = {key_id: key}
    assert ring.check_code(normalise_code(typed), key_id, serial)
    for position in range(CODE_SYMBOLS - 1):  # one symbol changed, check made good: not ours
        symbol = ALPHABET[(ALPHABET.index(code[position]) + 1) % 32]
        other = code[:position] + symbol + code[position + 1 : -1]
        assert not ring.check_code(normalise_code(other + check_symbol(other)), key_id, serial)


@given(st.text(), st.integers(), st.text(), st.text(), st.text(), st.text(), st.text())
def test_an_entry_body_is_the_encoders_bytes(
    prev: str, entry_id: int, at: str, actor: str, action: str, subject: str, details: str
) -> None:
    fields = [prev, entry_id, at, actor, action, subject, details]
    assert audit_chain.body_text(fields) == json.dumps(fields, ensure_ascii=False)


@given(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False)), st.text())
def test_an_entry_body_with_other_types_is_the_encoders_too(odd: object, text: str) -> None:
    for fields in ([text, odd, text, text, text, text, text], [odd, 1, text, text, text, text]):
        assert audit_chain.body_text(fields) == json.dumps(fields, ensure_ascii=False)


@given(keys, st.binary(max_size=300), keys)
def test_an_entry_hash_is_hmac_sha256(key: bytes, body: bytes, other: bytes) -> None:
    assert audit_chain.mac(key, body) == hmac.new(key, body, hashlib.sha256).hexdigest()
    assert audit_chain.mac(other, body) == hmac.new(other, body, hashlib.sha256).hexdigest()
    assert audit_chain.mac(key, body) == hmac.new(key, body, hashlib.sha256).hexdigest()


@given(st.text(st.sampled_from(ALPHABET), min_size=11, max_size=11))
def test_a_codes_own_check_symbol_is_the_weighted_sum(symbols: str) -> None:
    assert check_symbol(symbols) == plain_check_symbol(symbols)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=2),
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=10), nested, max_size=6))
def test_an_entrys_details_are_the_encoders_text(details: dict[str, object]) -> None:
    plain = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert audit_chain.DETAILS(details) == plain


@given(nested)
def test_an_entrys_details_are_quoted_as_the_encoder_quotes_them(details: object) -> None:
    """Any details' text, control characters, quotes and backslashes in it, quoted alike."""
    text = audit_chain.DETAILS({"x": details})
    assert audit_chain.quote_details(text) == json.dumps(text, ensure_ascii=False)


words = st.one_of(st.text(max_size=12), st.sampled_from(["", "2026-11-28T20:00:00+00:00"]))
heads = st.tuples(words, words, words, words)


@given(keys, st.text(max_size=70), st.integers(1, 10**12), st.lists(st.tuples(heads, nested)))
def test_a_group_is_chained_as_one_entry_at_a_time(
    key: bytes, prev: str, first: int, entries: list[tuple[tuple[str, ...], object]]
) -> None:
    """link_many's rows are link's, entry after entry, and each hash is the plain HMAC."""
    texts = [audit_chain.DETAILS({"x": details}) for _, details in entries]
    unlinked = [(*h, x) for (h, _), x in zip(entries, texts, strict=True)]
    rows = audit_chain.link_many(key, prev, first, unlinked)  # type: ignore[arg-type]
    for n, ((head, details), row) in enumerate(zip(entries, rows, strict=True)):
        text, digest = audit_chain.link(key, prev, first + n, head, {"x": details})
        plain = json.dumps([prev, first + n, *head, text], ensure_ascii=False).encode()
        assert digest == hmac.new(key, plain, hashlib.sha256).hexdigest()
        assert row == (first + n, *head, text, prev, digest)
        prev = digest


@given(
    st.binary(max_size=200),
    st.binary(max_size=20),
    st.lists(st.binary(max_size=300)),
    st.sampled_from([hashlib.sha256, SHORT]),
)
def test_a_keyed_hash_is_hmac_sha256(
    key: bytes, prefix: bytes, messages: list[bytes], sha256: Callable[[bytes], Hash]
) -> None:
    """Keys of any length (longer than a block too), each message after the same prefix."""
    keyed = Keyed(key, prefix, sha256)
    for message in messages:
        plain = hmac.new(key, prefix + message, hashlib.sha256)
        assert keyed.digest(message) == plain.digest()
        assert keyed.hexdigest(message) == plain.hexdigest()
