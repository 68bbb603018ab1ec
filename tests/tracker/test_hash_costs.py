"""The one test that hashes at the shipped argon2 costs (the others use cheap ones)."""

from __future__ import annotations

from argon2 import extract_parameters, profiles

from tracker.tracker import Tracker


def test_passwords_are_kept_at_the_shipped_argon2id_costs(
    tracker: Tracker, shipped_hashes: None
) -> None:
    """RFC 9106's low-memory profile: argon2id, 64 MiB, 3 passes, 4 lanes."""
    with tracker.db.read() as tx:
        stored = tx.scalar("SELECT password_hash FROM staff WHERE login = 'tester'")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
