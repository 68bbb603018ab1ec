"""The schema, as numbered migrations applied in order on open. Never edit an applied one.

`{pk}` is the identity column, the one thing written differently for SQLite and
PostgreSQL. Dates are ISO text (YYYY-MM-DD) and times ISO text in UTC, so both engines
store, compare and return them the same way. Hours are whole minutes.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.migrations_speed import (
    CHECKIN_WRITES,
    JOURNAL_PAUSE,
    REPORT_INDEXES,
    REPORT_ROWS,
    rebuild_returns,
)

INITIAL = """
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);

CREATE TABLE offices (
    id {pk},
    code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- NULL: the jurisdiction's own figure
    cap_percent INTEGER CHECK (cap_percent BETWEEN 0 AND 100),
    cap_ceiling_minutes INTEGER CHECK (cap_ceiling_minutes >= 0)
);

CREATE TABLE clients (
    id {pk},
    reference TEXT NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 30),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    case_worker TEXT NOT NULL CHECK (length(case_worker) BETWEEN 1 AND 100),
    case_worker_contact TEXT NOT NULL DEFAULT '',
    extra_time INTEGER NOT NULL DEFAULT 0 CHECK (extra_time IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE orders (
    id {pk},
    client_id BIGINT NOT NULL REFERENCES clients (id),
    number INTEGER NOT NULL CHECK (number >= 1),
    jurisdiction TEXT NOT NULL CHECK (jurisdiction IN ('scotland', 'england-wales')),
    ordered_minutes INTEGER NOT NULL CHECK (ordered_minutes > 0),
    made_on TEXT NOT NULL CHECK (length(made_on) = 10),
    deadline TEXT NOT NULL CHECK (length(deadline) = 10 AND deadline >= made_on),
    created_at TEXT NOT NULL,
    UNIQUE (client_id, number)
);

CREATE TABLE order_adjustments (
    id {pk},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    minutes_change INTEGER NOT NULL DEFAULT 0,
    new_deadline TEXT CHECK (new_deadline IS NULL OR length(new_deadline) = 10),
    effective_on TEXT NOT NULL CHECK (length(effective_on) = 10),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    made_by TEXT NOT NULL CHECK (length(made_by) > 0),
    created_at TEXT NOT NULL,
    CHECK (minutes_change <> 0 OR new_deadline IS NOT NULL)
);

CREATE TABLE workbooks (
    id {pk},
    number TEXT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    profile TEXT NOT NULL,
    content_version TEXT NOT NULL,
    issued_on TEXT NOT NULL CHECK (length(issued_on) = 10),
    due_on TEXT NOT NULL CHECK (length(due_on) = 10 AND due_on >= issued_on),
    issued_by TEXT NOT NULL CHECK (length(issued_by) > 0),
    revoked_at TEXT,
    revoked_reason TEXT,
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

CREATE TABLE tokens (
    id {pk},
    workbook_id BIGINT NOT NULL REFERENCES workbooks (id),
    module_id TEXT NOT NULL,
    guided_minutes INTEGER NOT NULL CHECK (guided_minutes > 0),
    key_id TEXT NOT NULL,
    serial TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE CHECK (length(code) = 12),
    UNIQUE (workbook_id, module_id)
);

CREATE TABLE returns (
    id {pk},
    token_id BIGINT NOT NULL REFERENCES tokens (id),
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    arrived_by TEXT NOT NULL CHECK (arrived_by IN ('typed', 'scanner', 'scan', 'answers')),
    received_at TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL CHECK (length(recorded_by) > 0),
    UNIQUE (token_id, attempt)
);

CREATE TABLE marks (
    id {pk},
    return_id BIGINT NOT NULL UNIQUE REFERENCES returns (id),
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'send-back', 'refuse')),
    declared_minutes INTEGER CHECK (declared_minutes BETWEEN 0 AND 6000),
    credited_minutes INTEGER NOT NULL DEFAULT 0 CHECK (credited_minutes >= 0),
    credit_note TEXT NOT NULL DEFAULT '',
    feedback TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    marker TEXT NOT NULL CHECK (length(marker) > 0),
    marked_at TEXT NOT NULL,
    CHECK (decision <> 'refuse' OR length(reason) > 0),
    CHECK (decision <> 'send-back' OR length(feedback) > 0),
    CHECK (decision <> 'accept' OR declared_minutes IS NOT NULL),
    CHECK (decision = 'accept' OR credited_minutes = 0)
);

CREATE TABLE mark_activities (
    mark_id BIGINT NOT NULL REFERENCES marks (id),
    activity_id TEXT NOT NULL,
    attempted INTEGER NOT NULL CHECK (attempted IN (0, 1)),
    PRIMARY KEY (mark_id, activity_id)
);

-- The hours ledger: appended to, never edited. A correction is a new row that reverses
-- an earlier one; `generation` counts how often a module has been credited on an order,
-- so the unique index below lets each module hold one live credit at a time.
CREATE TABLE credits (
    id {pk},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    module_id TEXT NOT NULL,
    return_id BIGINT REFERENCES returns (id),
    minutes INTEGER NOT NULL,
    generation INTEGER NOT NULL CHECK (generation >= 1),
    reverses BIGINT UNIQUE REFERENCES credits (id),
    approver TEXT NOT NULL CHECK (length(approver) > 0),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    created_at TEXT NOT NULL,
    CHECK ((reverses IS NULL AND minutes > 0) OR (reverses IS NOT NULL AND minutes < 0))
);
CREATE UNIQUE INDEX credits_one_per_module
    ON credits (order_id, module_id, generation) WHERE reverses IS NULL;
CREATE UNIQUE INDEX credits_one_per_return ON credits (return_id) WHERE reverses IS NULL;
CREATE INDEX credits_by_date ON credits (created_at);

-- Every change, chained: each entry's hash covers the one before, so an edit, a
-- deletion or a cut shows. The head row is locked by every writer (see store.py).
CREATE TABLE audit_log (
    id {pk},
    at TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (length(actor) > 0),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, 'genesis');

CREATE INDEX orders_by_client ON orders (client_id);
CREATE INDEX workbooks_by_client ON workbooks (client_id);
CREATE INDEX workbooks_by_order ON workbooks (order_id);
CREATE INDEX returns_by_token ON returns (token_id);
CREATE INDEX credits_by_order ON credits (order_id)
"""

# Intake: every file taken in (refused again by its hash), and every page of it, or every
# module of an answers file, with its class and reason. A page of ours belongs to a
# return; the partial index lets each page of a return be received once.
INTAKE = """
CREATE TABLE intake_files (
    id {pk},
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    name TEXT NOT NULL CHECK (length(name) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('pdf', 'png', 'jpeg', 'tiff', 'answers')),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    items INTEGER NOT NULL CHECK (items >= 1),
    taken_at TEXT NOT NULL,
    taken_by TEXT NOT NULL CHECK (length(taken_by) > 0)
);

CREATE TABLE intake_pages (
    id {pk},
    file_id BIGINT NOT NULL REFERENCES intake_files (id),
    position INTEGER NOT NULL CHECK (position >= 1),
    class TEXT NOT NULL
        CHECK (class IN ('ours', 'duplicate', 'foreign', 'invalid', 'unreadable')),
    reason TEXT NOT NULL DEFAULT '',
    codes TEXT NOT NULL DEFAULT '',
    token_id BIGINT REFERENCES tokens (id),
    page_number INTEGER CHECK (page_number >= 1),
    page_count INTEGER CHECK (page_count >= 1),
    return_id BIGINT REFERENCES returns (id),
    evidence TEXT NOT NULL DEFAULT '',
    evidence_deleted_at TEXT,
    coded_by TEXT,
    coded_at TEXT,
    UNIQUE (file_id, position),
    CHECK ((class = 'ours') = (return_id IS NOT NULL)),
    CHECK (class = 'ours' OR length(reason) > 0),
    CHECK ((coded_by IS NULL) = (coded_at IS NULL))
);
CREATE UNIQUE INDEX intake_pages_once
    ON intake_pages (return_id, page_number) WHERE class = 'ours' AND page_number IS NOT NULL;
CREATE INDEX intake_pages_by_return ON intake_pages (return_id);
CREATE INDEX intake_pages_by_token ON intake_pages (token_id);

-- A module's answers from an answers file, kept for the marker until retention ends.
CREATE TABLE return_answers (
    return_id BIGINT PRIMARY KEY REFERENCES returns (id),
    page_id BIGINT NOT NULL UNIQUE REFERENCES intake_pages (id),
    answers TEXT NOT NULL,
    deleted_at TEXT
)
"""


# Records a court can trust (issue 12). The rows that decide hours are journalled by
# triggers, so every write, the tracker's or anyone's, names its row; the tracker copies
# each journalled row into the next audit entry (see audit.py), and `verify` compares the
# tables with those copies. The ledger, marks, adjustments and the audit log refuse
# UPDATE and DELETE. The triggers are written once per engine, from COVERED below.
COVERED: dict[str, tuple[str, ...]] = {
    "offices": ("code", "cap_percent", "cap_ceiling_minutes"),
    "clients": ("reference", "office_id", "extra_time"),
    "orders": ("client_id", "number", "jurisdiction", "ordered_minutes", "made_on", "deadline"),
    "order_adjustments": (
        "order_id",
        "minutes_change",
        "new_deadline",
        "effective_on",
        "reason",
        "made_by",
    ),
    "workbooks": ("number", "client_id", "order_id", "issued_on", "due_on", "revoked_at"),
    "tokens": ("workbook_id", "module_id", "guided_minutes", "key_id", "serial", "code"),
    "returns": ("token_id", "attempt", "arrived_by", "received_at", "recorded_by"),
    "marks": (
        "return_id",
        "decision",
        "declared_minutes",
        "credited_minutes",
        "credit_note",
        "reason",
        "marker",
        "marked_at",
        "pages_missing_reason",
    ),
    "mark_activities": ("mark_id", "activity_id", "attempted"),
    "credits": (
        "order_id",
        "module_id",
        "return_id",
        "minutes",
        "generation",
        "reverses",
        "approver",
        "reason",
        "created_at",
    ),
    # Issue 18: on an England and Wales order, credit waits for this agreement.
    "order_agreements": ("order_id", "agreed_by", "agreed_on", "recorded_by", "created_at"),
}
# Tables made after migration 3, covered by the migration that follows the one making them.
LATER = {"order_agreements": 5}
# How a covered row is named in the journal and the chain; {p} is NEW., OLD. or nothing.
ROW_KEY = {"mark_activities": "CAST({p}mark_id AS TEXT) || '/' || {p}activity_id"}
APPEND_ONLY = (
    "credits",
    "marks",
    "mark_activities",
    "order_adjustments",
    "audit_log",
    "order_agreements",
)


def row_key(table: str, prefix: str = "") -> str:
    """The SQL that names a covered row of `table`."""
    return ROW_KEY.get(table, "CAST({p}id AS TEXT)").format(p=prefix)


TRUST_COMMON = [
    "ALTER TABLE marks ADD COLUMN pages_missing_reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit_head ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0",
    "CREATE TABLE row_changes (tbl TEXT NOT NULL, row_key TEXT NOT NULL, "
    "PRIMARY KEY (tbl, row_key))",
]


def _sqlite_trust(migration: int) -> list[str]:
    out = list(TRUST_COMMON) if migration == 3 else []
    for table in _made_by(migration, COVERED):
        for event, alias in (("INSERT", "NEW."), ("UPDATE", "NEW."), ("DELETE", "OLD.")):
            out.append(
                f"CREATE TRIGGER {table}_journal_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN INSERT OR IGNORE INTO row_changes (tbl, row_key) "
                f"VALUES ('{table}', {row_key(table, alias)}); END"
            )
    for table in _made_by(migration, APPEND_ONLY):
        for event in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    return out


def _postgresql_trust(migration: int) -> list[str]:
    out = []
    if migration == 3:
        out = [
            *TRUST_COMMON,
            "CREATE FUNCTION cpo_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        ]
    for table in _made_by(migration, COVERED):
        for alias in ("NEW", "OLD"):
            out.append(
                f"CREATE FUNCTION cpo_journal_{table}_{alias.lower()}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN INSERT INTO row_changes (tbl, row_key) "
                f"VALUES ('{table}', {row_key(table, alias + '.')}) ON CONFLICT DO NOTHING; "
                "RETURN NULL; END $$"
            )
        out.append(
            f"CREATE TRIGGER {table}_journal_new AFTER INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION cpo_journal_{table}_new()"
        )
        out.append(
            f"CREATE TRIGGER {table}_journal_old AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION cpo_journal_{table}_old()"
        )
    for table in _made_by(migration, APPEND_ONLY):
        out.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cpo_append_only()"
        )
    return out


def _made_by(migration: int, tables: Iterable[str]) -> list[str]:
    """The tables whose triggers `migration` makes: 3 for the first ones, later for later ones."""
    return [t for t in tables if LATER.get(t, 3) == migration]


# A migration is one script for both engines, or its statements for each engine.
Migration = str | dict[str, list[str]]
TRUST: dict[str, list[str]] = {"sqlite": _sqlite_trust(3), "postgresql": _postgresql_trust(3)}
AGREEMENTS_COVERED: dict[str, list[str]] = {
    "sqlite": _sqlite_trust(5),
    "postgresql": _postgresql_trust(5),
}
# Issue 18: where a client lives (which help their workbook names), and the probation
# practitioner's agreement that ETE work counts on an England and Wales order. Agreement
# is recorded once per order, with who agreed and on what day.
ETE = """
ALTER TABLE clients ADD COLUMN region TEXT
    CHECK (region IS NULL OR region IN ('scotland', 'england', 'wales'));

CREATE TABLE order_agreements (
    id {pk},
    order_id BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    agreed_by TEXT NOT NULL CHECK (length(agreed_by) BETWEEN 1 AND 100),
    agreed_on TEXT NOT NULL CHECK (length(agreed_on) = 10),
    recorded_by TEXT NOT NULL CHECK (length(recorded_by) > 0),
    created_at TEXT NOT NULL
)
"""

# Issue 14: one tracker for a whole service. Staff accounts (disabled, never deleted) and
# the offices each serves; the tracker's keys by id and fingerprint (never the secret), so
# a data folder whose keys are not this tracker's is refused; and the evidence itself
# (page images, by the path it had on disk), so every machine of the tracker reaches it.
SERVICE = """
CREATE TABLE staff (
    id {pk},
    login TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 40),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE staff_offices (
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    PRIMARY KEY (staff_id, office_id)
);

CREATE TABLE tracker_keys (
    key_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
    created_at TEXT NOT NULL
);

CREATE TABLE evidence_images (
    path TEXT PRIMARY KEY,
    data {blob} NOT NULL
)
"""

# Issue 17: letters that can be posted. A client's postal address and an office's return
# address (lines joined by a new line; empty when not known), and how many modules a batch
# issue gives each of an office's clients. Neither decides hours: the audit entries that
# change them record the new values, and the journal (migration 3) already covers a
# client's office.
POSTAL = """
ALTER TABLE clients ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN return_address TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN batch_modules INTEGER NOT NULL DEFAULT 3
    CHECK (batch_modules BETWEEN 1 AND 30)
"""


def _returns_kept() -> list[str]:
    """The returns table's index and triggers on SQLite, as migrations 1 to 11 made them."""
    index = [s.strip() for s in REPORT_INDEXES.split(";") if " ON returns " in s]
    triggers: dict[str, str] = {}  # by name: a later migration's replaces an earlier one's
    for statement in (*_sqlite_trust(3), *REPORT_ROWS["sqlite"], *JOURNAL_PAUSE["sqlite"]):
        words = statement.split()
        if words[:2] == ["CREATE", "TRIGGER"] and words[5:7] == ["ON", "returns"]:
            triggers[words[2]] = statement
    return [*index, *triggers.values()]


# Migrations that make again a table other tables reference: SQLite applies them with
# its foreign keys off, and checks every key before it commits (store.Database._apply).
REBUILDS = frozenset({12})

# Numbers need not be contiguous: each migration not yet applied is applied, in order.
MIGRATIONS: dict[int, Migration] = {
    1: INITIAL,
    2: INTAKE,
    3: TRUST,
    4: ETE,
    5: AGREEMENTS_COVERED,
    6: SERVICE,
    7: POSTAL,
    8: REPORT_INDEXES,
    9: REPORT_ROWS,
    10: CHECKIN_WRITES,
    11: JOURNAL_PAUSE,
    12: rebuild_returns(_returns_kept()),
}
