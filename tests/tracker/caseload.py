"""A made-up caseload export in the CareFirst preset's columns, for tests, benchmarks and the demo.

Nothing here is real: names are drawn from short lists and addresses are invented.
"""

from __future__ import annotations

import csv
import io

HEADINGS = [
    "Person ID",
    "Forename",
    "Surname",
    "Team",
    "Allocated Worker",
    "Worker Phone",
    "Address Line 1",
    "Address Line 2",
    "Address Line 3",
    "Postcode",
    "Order Hours",
    "Order Date",
    "Order End Date",
]
FORENAMES = ["Alex", "Sam", "Jordan", "Robin", "Casey", "Morgan", "Jamie", "Taylor", "Chris"]
SURNAMES = ["Smith", "Brown", "Wilson", "Campbell", "Stewart", "Thomson", "Robertson", "Reid"]
TEAMS = ["North", "South"]
SMALL_TEAM, SMALL_EVERY = "East", 40  # one row in 40 is the small East team's (5 in 200)

# Ten ways a row goes wrong, each with the field the import should name.
BAD_ROWS: list[tuple[str, dict[str, str] | bytes]] = [
    ("name", {"Forename": "", "Surname": ""}),
    ("reference", {"Person ID": "C/77"}),
    ("hours", {"Order Hours": "lots"}),
    ("made", {"Order Date": "31/02/2026"}),
    ("deadline", {"Order End Date": "01/01/2026"}),
    ("name", b"\xff\xfe"),  # bytes that are not UTF-8 in the forename
    ("address", {"Address Line 1": "1 High St\x1b[2J"}),
    ("hours", {"Order Hours": "5"}),
    ("office", {"Team": "Nowhere"}),
    ("row", {"extra": "one cell too many"}),
]


def row(i: int) -> dict[str, str]:
    """The i-th good row: client C-1000+i."""
    return {
        "Person ID": f"C-{1000 + i}",
        "Forename": FORENAMES[i % len(FORENAMES)],
        "Surname": SURNAMES[(i // len(FORENAMES)) % len(SURNAMES)],
        "Team": SMALL_TEAM if i % SMALL_EVERY == 7 else TEAMS[i % len(TEAMS)],
        "Allocated Worker": "Ana Lopez",
        "Worker Phone": "0141 496 0000",
        "Address Line 1": f"{i + 1} High Street",
        "Address Line 2": "Flat 2" if i % 3 == 0 else "",
        "Address Line 3": "Glasgow",
        "Postcode": "G1 1AA",
        "Order Hours": str(50 + i % 150),
        "Order Date": "02/11/2026",
        "Order End Date": "01/05/2027",
    }


def caseload(rows: int = 200, bad: int = 10, team: str = "") -> tuple[bytes, dict[int, str]]:
    """A CSV export of `rows` rows, the last `bad` of them spoiled; the bad lines' fields."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    spoiled: dict[int, bytes] = {}
    expected: dict[int, str] = {}
    good = rows - bad
    for i in range(rows):
        values = row(i) | ({"Team": team} if team else {})
        line = i + 2  # the headings are line 1
        if i >= good:
            field, change = BAD_ROWS[(i - good) % len(BAD_ROWS)]
            expected[line] = field
            if isinstance(change, bytes):
                spoiled[line] = change
                values["Forename"] = "SPOIL"
            elif "extra" in change:
                writer.writerow([*values.values(), change["extra"]])
                continue
            else:
                values |= change
        writer.writerow([values[h] for h in HEADINGS])
    data = text.getvalue().encode("utf-8")
    lines = data.split(b"\r\n")
    for line, junk in spoiled.items():
        lines[line - 1] = lines[line - 1].replace(b"SPOIL", junk)
    return b"\r\n".join(lines), expected
