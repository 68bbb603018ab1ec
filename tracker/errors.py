"""The tracker's errors: each says what was refused and why, so the person can act on it."""

from __future__ import annotations

from builder.errors import CpoError


class TrackerError(CpoError):
    """The records refused a request (unknown client, bad hours, a locked database...)."""


class NotFound(TrackerError):
    """A client, order, workbook or return that the records do not have."""


class CodeError(TrackerError):
    """A check-in code that is refused: mistyped, forged, foreign, revoked or already used."""

    def __init__(self, code: str, reason: str) -> None:
        self.code, self.reason = code, reason
        super().__init__(f"code {code.strip()[:60] or '(empty)'}: {reason}")


class IntakeError(TrackerError):
    """A file or page that intake cannot take in: which, and why."""

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


class NotEligible(TrackerError):
    """A module that does not count on an order: in England and Wales only ETE modules do."""

    def __init__(self, module_id: str, order: str, reason: str) -> None:
        self.field, self.module_id, self.order, self.reason = "module", module_id, order, reason
        super().__init__(f"{module_id} cannot count on order {order}: {reason}")


class AgreementNeeded(TrackerError):
    """ETE work is credited only once the probation practitioner's agreement is recorded."""

    def __init__(self, order: str, reason: str) -> None:
        self.field, self.order, self.reason = "agreement", order, reason
        super().__init__(f"order {order}: {reason}")


class NotPrinted(TrackerError):
    """A workbook is recorded but its files could not be written; it can be printed again."""

    def __init__(self, number: str, reason: str) -> None:
        self.field, self.number, self.reason = "files", number, reason
        super().__init__(
            f"workbook {number} is recorded, but its files were not written ({reason}): "
            f"print it with `cpo workbook print {number}`"
        )
