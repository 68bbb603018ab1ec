"""One identity per tracker: its keys by id and fingerprint in the records, the secrets in keys/.

The records hold each key's id and a fingerprint (a SHA-256 of the secret under a fixed
label; never the secret itself), so a data folder whose keys are not this tracker's is
refused at start. A second machine joins by importing the keyring, exported to a file
encrypted under a passphrase (AES-256-GCM, key from scrypt; the `cryptography` library).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tracker import audit
from tracker.codes import KEY_BYTES, KEY_ID
from tracker.errors import TrackerError
from tracker.store import Database

if TYPE_CHECKING:
    from tracker.tracker import Tracker

AUDIT_ID = "audit"  # the audit chain's key, fingerprinted beside the signing keys
MAGIC = b"CPO-KEYRING-1\n"
SHORTEST_PASSPHRASE = 12
JOIN = (
    "import this tracker's keyring: on a machine of the tracker run `cpo keys export FILE`, "
    "then here `cpo keys import FILE`"
)


class KeyringError(TrackerError):
    """Keys that do not belong to this tracker, or a keyring file that cannot be used."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def fingerprint(secret: bytes) -> str:
    """A key's fingerprint: safe to store and show, useless for signing."""
    return hashlib.sha256(b"cpo-offline key fingerprint\x00" + secret).hexdigest()


def local_keys(folder: Path) -> dict[str, bytes]:
    """The secrets in a keys folder, by id (the signing keys and the audit key)."""
    found: dict[str, bytes] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.key")):
        if KEY_ID.fullmatch(path.stem):
            found[path.stem] = _read(path)
    audit_key = audit.load_key(folder)
    if audit_key is not None:
        found[AUDIT_ID] = audit_key
    return found


def recorded(db: Database) -> dict[str, str]:
    """The fingerprints the records hold, by key id."""
    with db.read() as tx:
        return {r["key_id"]: r["fingerprint"] for r in tx.all("SELECT * FROM tracker_keys")}


def holds_tracker(db: Database) -> bool:
    """Whether these records already belong to a tracker (keys made, or an audit chain keyed)."""
    with db.read() as tx:
        keyed = tx.scalar("SELECT keyed FROM audit_head WHERE id = 1")
        return bool(tx.scalar("SELECT COUNT(*) FROM tracker_keys")) or bool(keyed)


def check(db: Database, folder: Path) -> None:
    """Refuse a data folder whose keys are not the records' (KeyringError saying how to join)."""
    want, have = recorded(db), local_keys(folder)
    if not want:
        return
    missing = sorted(k for k in want if k not in have)
    wrong = sorted(k for k in have if k in want and fingerprint(have[k]) != want[k])
    extra = sorted(k for k in have if k not in want)
    if wrong or extra:
        raise KeyringError(
            "keys",
            f"the keys in {folder} ({', '.join(wrong + extra)}) are not this tracker's: this "
            f"data folder belongs to another tracker. Use a fresh data folder and {JOIN}",
        )
    if missing and not have:
        raise KeyringError("keys", f"{folder} has none of this tracker's keys: {JOIN}")
    if missing:
        name = missing[0]
        what = f"audit key {folder / audit.KEY_FILE}" if name == AUDIT_ID else f"signing key {name}"
        raise KeyringError(
            "keys", f"the {what} is missing: restore keys/ from the backup, or {JOIN}"
        )


def register(db: Database, folder: Path, at: str) -> None:
    """Record the fingerprint of each local key the records do not know yet."""
    have = local_keys(folder)
    with db.write() as tx:
        known = {r["key_id"] for r in tx.all("SELECT key_id FROM tracker_keys")}
        for key_id in sorted(set(have) - known):
            tx.execute(
                "INSERT INTO tracker_keys (key_id, fingerprint, created_at) VALUES (?, ?, ?)",
                (key_id, fingerprint(have[key_id]), at),
            )


def export_keyring(folder: Path, destination: Path, passphrase: str) -> list[str]:
    """Write every key in `folder` to `destination`, encrypted; the ids written."""
    keys = local_keys(folder)
    if not keys:
        raise KeyringError("keys", f"there are no keys in {folder} to export")
    plain = json.dumps({k: v.hex() for k, v in sorted(keys.items())}).encode()
    write_private(destination, seal(plain, passphrase))
    return sorted(keys)


def import_keyring(folder: Path, source: Path, passphrase: str) -> list[str]:
    """Add the keys in an exported keyring to `folder`; the ids added. Refuses a clash."""
    try:
        sealed = source.read_bytes()
    except OSError as err:
        raise KeyringError("file", f"cannot read {source}: {err.strerror}") from None
    keys = parse_keyring(open_sealed(sealed, passphrase, "file"))
    have = local_keys(folder)
    clash = sorted(k for k in keys if k in have and have[k] != keys[k])
    if clash:
        raise KeyringError(
            "keys",
            f"{folder} already holds different keys named {', '.join(clash)}: "
            "import into a fresh data folder",
        )
    added = sorted(k for k in keys if k not in have)
    for key_id in added:
        name = audit.KEY_FILE if key_id == AUDIT_ID else f"{key_id}.key"
        write_private(folder / name, (keys[key_id].hex() + "\n").encode())
    return added


def parse_keyring(plain: bytes) -> dict[str, bytes]:
    """The keys in a decrypted keyring; KeyringError if its shape is wrong."""
    try:
        data = json.loads(plain)
        keys = {str(k): bytes.fromhex(v) for k, v in data.items()}
    except (ValueError, AttributeError, TypeError):
        raise KeyringError("file", "this is not a cpo keyring") from None
    for key_id, secret in keys.items():
        if not (KEY_ID.fullmatch(key_id) or key_id == AUDIT_ID) or len(secret) != KEY_BYTES:
            raise KeyringError("file", "this keyring holds a damaged key")
    return keys


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < SHORTEST_PASSPHRASE:
        raise KeyringError("passphrase", f"must be at least {SHORTEST_PASSPHRASE} characters")
    return passphrase


def seal(plain: bytes, passphrase: str) -> bytes:
    """`plain` encrypted under `passphrase`: magic, salt, nonce, AES-GCM ciphertext."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _derive(check_passphrase(passphrase), salt)
    return MAGIC + salt + nonce + AESGCM(key).encrypt(nonce, plain, MAGIC)


def open_sealed(sealed: bytes, passphrase: str, field: str) -> bytes:
    """The plain bytes of `seal`'s output; KeyringError if the passphrase or file is wrong."""
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 28 + 16:
        raise KeyringError(field, "this is not a file written by cpo keys export or cpo backup")
    body = sealed[len(MAGIC) :]
    salt, nonce, cipher = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_derive(passphrase, salt)).decrypt(nonce, cipher, MAGIC)
    except InvalidTag:
        raise KeyringError(
            "passphrase", "the passphrase is wrong, or the file is damaged"
        ) from None


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, whole or not at all."""
    path.parent.mkdir(mode=stat.S_IRWXU, parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    part.replace(path)


def redact_url(url: str) -> str:
    """A database URL fit to show: any password replaced by ***."""
    return re.sub(r"(postgres(?:ql)?://[^:/@]*:)[^@]*@", r"\1***@", url)


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def _read(path: Path) -> bytes:
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as err:
        raise KeyringError("keys", f"the key {path} cannot be read ({err}): restore it") from None
    if len(secret) != KEY_BYTES:
        raise KeyringError("keys", f"the key {path} is damaged: restore it from the backup")
    return secret


def rotate(t: Tracker) -> str:
    """Make a new signing key for new codes; old keys stay, so every issued code still checks."""
    from tracker.accounts import Action, require

    actor = require(t.actor, Action.MANAGE_KEYS)
    key_id = t.keyring.create()
    register(t.db, t.config.data_dir / "keys", t.now())
    with t.db.write() as tx:
        t.audit(tx, actor.login, "keys.rotate", key_id)
    return key_id
