"""Check-in codes: an opaque signed token per issued module, as a QR payload and a typed code.

Nothing about the person or the order can be read from either. A token is a random
serial signed with HMAC-SHA256 under a secret key that lives outside the database;
each key has an id, so keys can rotate and old workbooks still check in.

The QR payload is ``[BASE/]KEYID.SERIAL.MAC`` (base32, lower case).

The typed code is 12 Crockford base32 symbols shown as ``XXXX-XXXX-XXXX``: the key
id (1 symbol), 10 symbols of an HMAC of the serial, and one check symbol. The check is
a weighted sum over GF(32) with a different weight at each position, so any single
wrong symbol and any swap of two neighbours (the check symbol included) is caught.
Typing is forgiving: case, spaces and hyphens are ignored, and O, I and L are read
as 0, 1 and 1, as Crockford's alphabet intends.
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
import re
import secrets
import stat
import struct
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

from tracker.errors import CodeError, TrackerError
from tracker.keyed_hash import SHORT, Keyed

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
CODE_SYMBOLS = 12  # key id + 10 signature symbols + check symbol
SERIAL_BYTES = 10  # 80 random bits: unguessable, and no two tokens share one
MAC_BYTES = 10
KEY_BYTES = 32
KEY_ID = re.compile(r"k[0-9a-hjkmnp-tv-z]")  # "k" and one base32 symbol (lower case)
_B32 = "[0-9a-hjkmnp-tv-z]"
PAYLOAD = re.compile(rf"(?:.*/)?(k{_B32})\.({_B32}{{16}})\.({_B32}{{16}})")
# A module page's own code (see builder.editions.page_payload): the module's payload in
# capitals, then the page's number and the module's page count.
_UPPER = "[0-9A-HJKMNP-TV-Z]"
PAGE_PAYLOAD = re.compile(
    rf"(K{_UPPER})\.({_UPPER}{{16}})\.({_UPPER}{{16}})\.(\d{{1,3}})\.(\d{{1,3}})"
)

# GF(32) with the primitive polynomial x^5 + x^2 + 1: every non-zero element is a
# power of x, so the weights x^1 .. x^11 are distinct, non-zero and never 1.
_EXP: list[int] = []
_value = 1
for _ in range(31):
    _EXP.append(_value)
    _value <<= 1
    if _value & 0b100000:
        _value ^= 0b100101
_LOG = {v: i for i, v in enumerate(_EXP)}


def _gf_mul(a: int, b: int) -> int:
    if not a or not b:
        return 0
    return _EXP[(_LOG[a] + _LOG[b]) % 31]


# Each position's weight times each symbol's value, worked out once: a batch of check-ins
# checks every code, and the products were most of that time.
_WEIGHTED = [[_gf_mul(_EXP[position], value) for value in range(32)] for position in range(31)]


def check_symbol(symbols: str) -> str:
    """The symbol that makes the weighted sum over GF(32) of `symbols` + it equal zero."""
    if len(symbols) == CODE_SYMBOLS - 1:  # a code's own 11: one sum, no loop (bulk check-ins)
        w, s = _BY_SYMBOL, symbols
        return ALPHABET[
            w[0][s[10]]
            ^ w[1][s[9]]
            ^ w[2][s[8]]
            ^ w[3][s[7]]
            ^ w[4][s[6]]
            ^ w[5][s[5]]
            ^ w[6][s[4]]
            ^ w[7][s[3]]
            ^ w[8][s[2]]
            ^ w[9][s[1]]
            ^ w[10][s[0]]
        ]
    total = 0
    for weights, symbol in zip(cycle(_BY_POSITION), reversed(symbols)):
        total ^= weights[_VALUE[symbol]]
    return ALPHABET[total]  # weight 1 on the check symbol itself: adding it gives zero


_BY_POSITION = _WEIGHTED[1:] + _WEIGHTED[:1]  # the weights' rows from position 1 on
# The same weights by symbol (as typed, look-alikes too) for the first 11 positions.
_BY_SYMBOL = [{c: row[v] for c, v in _VALUE.items()} for row in _BY_POSITION[:11]]


def normalise_code(typed: str) -> str:
    """The code's 12 symbols, upper case, no spaces or hyphens; CodeError if it is not a code."""
    # As printed (most are): nothing to map. Otherwise spaces, case and look-alikes.
    text = typed.replace("-", "") if _AS_PRINTED.issuperset(typed) else ""
    text = text or _normalised_symbols(typed)
    if len(text) != CODE_SYMBOLS:
        raise CodeError(
            typed, f"a code has {CODE_SYMBOLS} letters and digits; this one has {len(text)}"
        )
    if check_symbol(text[:-1]) != text[-1]:
        raise CodeError(typed, "a letter or digit is wrong or two are swapped: check the code")
    return text


_AS_PRINTED = frozenset(ALPHABET + "-")


def _normalised_symbols(typed: str) -> str:
    """`typed` without spaces or hyphens, each symbol as printed; CodeError if one is not."""
    text = re.sub(r"[\s\-]", "", typed).upper()
    if not text:
        raise CodeError(typed, "the code is empty")
    bad = sorted({c for c in text if c not in _VALUE})
    if bad:
        raise CodeError(typed, f"'{bad[0]}' is not used in codes (letters and digits only, no U)")
    return "".join(ALPHABET[_VALUE[c]] for c in text)


def show_code(symbols: str) -> str:
    """A code as printed: XXXX-XXXX-XXXX."""
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


@dataclass(frozen=True)
class Token:
    """A module's check-in: the serial stored in the database, and what is printed."""

    key_id: str
    serial: str  # base32, lower case
    payload: str  # what the QR code holds
    code: str  # the typed code's 12 symbols, without hyphens


@dataclass(frozen=True)
class ReadPayload:
    """What a scanned QR payload says, once its signature is checked."""

    key_id: str
    serial: str


class Keyring:
    """The secret keys, one file each in a folder only the owner can read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[str, bytes] = {}
        self._code_signers: dict[str, Keyed] = {}  # a batch checks a code a line
        if folder.is_dir():
            for path in sorted(folder.glob("*.key")):
                if KEY_ID.fullmatch(path.stem):
                    self._keys[path.stem] = _read_key(path)

    @property
    def current(self) -> str:
        """The id of the newest key: new tokens are signed with it."""
        if not self._keys:
            raise TrackerError(f"there is no signing key in {self.folder}: run `cpo init` first")
        return max(self._keys, key=lambda k: _VALUE[k[1].upper()])

    def ids(self) -> list[str]:
        return sorted(self._keys)

    def create(self) -> str:
        """Make a new key (the next id), readable by the owner only; returns its id."""
        used = [_VALUE[k[1].upper()] for k in self._keys]
        number = max(used, default=0) + 1
        if number >= len(ALPHABET):
            raise TrackerError("all 31 key ids are used")
        key_id = "k" + ALPHABET[number].lower()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(stat.S_IRWXU)
        path = self.folder / f"{key_id}.key"
        secret = secrets.token_bytes(KEY_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret.hex() + "\n")
        self._keys[key_id] = secret
        return key_id

    def new_token(self, base_url: str = "") -> Token:
        """A fresh token signed with the current key."""
        key_id = self.current
        serial = _b32(secrets.token_bytes(SERIAL_BYTES))
        return self.token(key_id, serial, base_url)

    def token(self, key_id: str, serial: str, base_url: str = "") -> Token:
        """The payload and code of an existing token."""
        key = self._key(key_id)
        mac = _b32(_mac(key, b"qr", serial)[:MAC_BYTES])
        prefix = base_url.rstrip("/") + "/" if base_url else ""
        return Token(key_id, serial, f"{prefix}{key_id}.{serial}.{mac}", _code(key, key_id, serial))

    def read_payload(self, payload: str) -> ReadPayload:
        """Check a scanned payload's signature; CodeError saying why it is refused."""
        text = payload.strip()
        match = PAYLOAD.fullmatch(text)
        if not match:
            raise CodeError(payload, "not one of our codes")
        key_id, serial, mac = match.groups()
        key = self._keys.get(key_id)
        if key is None:
            raise CodeError(payload, another_tracker(key_id))
        expected = _b32(_mac(key, b"qr", serial)[:MAC_BYTES])
        if not hmac.compare_digest(expected, mac):
            raise SignatureMismatch(payload, serial)
        return ReadPayload(key_id, serial)

    def check_code(self, symbols: str, key_id: str, serial: str) -> bool:
        """Whether typed `symbols` (from `normalise_code`) are the code of this token."""
        # normalise_code checked the last symbol against the others, and a token's own
        # check symbol is made from its others the same way: only those need comparing.
        signer = self._code_signers.get(key_id) or self._code_signer(key_id)
        body = _code_symbols(signer.digest(serial.encode()), key_id)
        return len(symbols) == CODE_SYMBOLS and hmac.compare_digest(body, symbols[:-1])

    def _code_signer(self, key_id: str) -> Keyed:
        """The HMAC a code's signature is made with under key `key_id`, made once a key."""
        signer = self._code_signers[key_id] = _keyed(self._key(key_id), b"code")
        return signer

    def _key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise CodeError(key_id, another_tracker(key_id)) from None

    @staticmethod
    def key_of_code(symbols: str) -> str:
        """The key id a normalised typed code was made with."""
        return "k" + symbols[0].lower()


def another_tracker(key_id: str) -> str:
    """Why a code made with a key this tracker lacks is refused: not ours, not forged."""
    return f"issued by another tracker (made with key {key_id}, which this tracker does not have)"


class SignatureMismatch(CodeError):
    """A payload under one of our key ids whose signature does not match: not signed by us."""

    FORGED = "the signature does not match: the code was changed or forged"
    # Another office's tracker names its first key k1 too; its serials are not in our records.
    NOT_OURS = (
        "issued by another tracker, or changed: the signature is not this tracker's "
        "and no workbook of ours has that serial"
    )

    def __init__(self, payload: str, serial: str) -> None:
        super().__init__(payload, self.FORGED)
        self.serial = serial

    def reason_given(self, serial_issued: bool) -> str:
        """The truthful reason: forged only if the serial is one this tracker issued."""
        return self.FORGED if serial_issued else self.NOT_OURS


def _read_key(path: Path) -> bytes:
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as err:
        raise TrackerError(f"the signing key {path} cannot be read ({err}): restore it") from None
    if len(secret) != KEY_BYTES:
        raise TrackerError(f"the signing key {path} is damaged: restore it from the backup")
    return secret


def _code(key: bytes, key_id: str, serial: str) -> str:
    """A token's typed code: key id, 10 symbols of its code signature, check symbol."""
    body = _code_body(key, key_id, serial)
    return body + check_symbol(body)


def _code_body(key: bytes, key_id: str, serial: str) -> str:
    """A token's typed code without its check symbol."""
    return _code_symbols(_mac(key, b"code", serial), key_id)


def _code_symbols(signature: bytes, key_id: str) -> str:
    """The key id's symbol and the first 10 symbols of a code's `signature`."""
    # The first 10 base32 symbols of the signature: its first 50 bits, 5 bits a symbol,
    # looked up two symbols (10 bits) at a time, and joined in one step (a check-in
    # makes one a code).
    (bits,) = _FIRST_64_BITS(signature)
    bits >>= 14
    pairs = _PAIRS
    return (
        f"{key_id[1].upper()}{pairs[bits >> 40]}{pairs[(bits >> 30) & 1023]}"
        f"{pairs[(bits >> 20) & 1023]}{pairs[(bits >> 10) & 1023]}{pairs[bits & 1023]}"
    )


_FIRST_64_BITS = struct.Struct(">Q").unpack_from
_PAIRS = [ALPHABET[n >> 5] + ALPHABET[n & 31] for n in range(1024)]


def _mac(key: bytes, purpose: bytes, serial: str) -> bytes:
    """HMAC-SHA256 under `key` of `purpose|serial`."""
    return _keyed(key, purpose).digest(serial.encode())  # the key's hashing done once


@functools.lru_cache(maxsize=128)
def _keyed(key: bytes, purpose: bytes) -> Keyed:
    """An HMAC-SHA256 under `key` that has hashed `purpose|`, for each serial."""
    return Keyed(key, purpose + b"|", SHORT)  # a serial is short: the quicker SHA-256 here


def _b32(data: bytes) -> str:
    """Crockford base32 of `data`, lower case, no padding."""
    standard = base64.b32encode(data).decode().rstrip("=")
    return standard.translate(_TO_CROCKFORD).lower()


_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
