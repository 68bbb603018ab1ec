"""How a returned module reached the service: the closed list a return's arrived_by holds."""

from __future__ import annotations

from enum import StrEnum


class Arrival(StrEnum):
    """How a return arrived: typed, a USB scanner, a scanned page, or an answers file."""

    TYPED = "typed"
    SCANNER = "scanner"
    SCAN = "scan"
    ANSWERS = "answers"


ARRIVALS = tuple(a.value for a in Arrival)
