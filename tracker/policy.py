"""Jurisdiction policy as data: what an order may be, its Other Activity cap, and credit.

The figures come from ../shared/DOMAIN.md. Where the law's wording could not be
confirmed (Scotland's percentage and ceiling), an office can set its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from builder.course import CountsAs, Module
from tracker.errors import TrackerError


@dataclass(frozen=True)
class Policy:
    """One jurisdiction's rules, in whole minutes."""

    jurisdiction: str
    label: str
    cap_name: str  # what the learning allowance is called there
    min_minutes: int  # the shortest order a court can make
    max_minutes: int  # the longest
    cap_percent: int
    cap_ceiling_minutes: int | None  # None: no ceiling
    counts: CountsAs = CountsAs.OTHER_ACTIVITY  # the kind of module that can be credited
    needs_agreement: bool = False  # credit waits for the case worker's recorded agreement
    extra_time_percent: int = 120  # the x1.2 allowance for people who need extra time

    def eligible(self, module: Module) -> bool:
        """Whether the module can be credited under this policy."""
        return module.counts(self.counts)

    def cap(self, ordered_minutes: int) -> int:
        """The most Other Activity an order can hold: a share of it, rounded down, capped."""
        share = ordered_minutes * self.cap_percent // 100  # never round a cap up
        if self.cap_ceiling_minutes is None:
            return share
        return min(share, self.cap_ceiling_minutes)

    def allowed(self, guided_minutes: int, extra_time: bool) -> int:
        """The most a module can earn: its guided time, with the extra-time allowance."""
        if not extra_time:
            return guided_minutes
        return guided_minutes * self.extra_time_percent // 100


POLICIES: dict[str, Policy] = {
    p.jurisdiction: p
    for p in (
        Policy(
            jurisdiction="scotland",
            label="Scotland (Community Payback Order)",
            cap_name="other activity",
            min_minutes=20 * 60,
            max_minutes=300 * 60,
            cap_percent=30,
            cap_ceiling_minutes=30 * 60,
        ),
        Policy(
            jurisdiction="england-wales",
            label="England and Wales (Unpaid Work)",
            cap_name="education, training and employment",
            min_minutes=40 * 60,
            max_minutes=300 * 60,
            cap_percent=30,
            cap_ceiling_minutes=None,
            # The Community Payback manual: ETE "agreed with the Probation Practitioner".
            counts=CountsAs.ETE,
            needs_agreement=True,
        ),
    )
}


def get_policy(
    jurisdiction: str, cap_percent: int | None = None, cap_ceiling_minutes: int | None = None
) -> Policy:
    """A jurisdiction's policy, with an office's own percentage and ceiling if it set them."""
    try:
        policy = POLICIES[jurisdiction]
    except KeyError:
        known = " or ".join(POLICIES)
        raise TrackerError(f"no jurisdiction '{jurisdiction}': use {known}") from None
    if cap_percent is not None:
        policy = replace(policy, cap_percent=cap_percent)
    if cap_ceiling_minutes is not None:
        policy = replace(policy, cap_ceiling_minutes=cap_ceiling_minutes)
    return policy


@dataclass(frozen=True)
class Credit:
    """What an accepted module earns, and why, when it is less than was declared."""

    minutes: int
    note: str


def credit_for(
    policy: Policy,
    declared: int,
    guided: int,
    extra_time: bool,
    cap_left: int,
    order_left: int,
) -> Credit:
    """min(declared, guided x allowance, cap left, order left), with the reason for any cut."""
    allowed = policy.allowed(guided, extra_time)
    limits = [
        (declared, ""),
        (
            allowed,
            f"the module's guided time{' with extra time' if extra_time else ''} "
            f"is {hours(allowed)}",
        ),
        (cap_left, f"only {hours(cap_left)} of the {policy.cap_name} cap was left"),
        (order_left, f"only {hours(order_left)} of the order was left"),
    ]
    minutes = max(0, min(limit for limit, _ in limits))
    reasons = [why for limit, why in limits if limit == minutes and why]
    if minutes == declared or not reasons:
        return Credit(minutes, "")
    return Credit(minutes, f"{hours(declared)} declared; {reasons[0]}")


def hours(minutes: int) -> str:
    """Minutes as a person says them: 30 h, 13 h 30 min, 45 min."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if not whole:
        return f"{sign}{rest} min"
    return f"{sign}{whole} h" + (f" {rest} min" if rest else "")


class TimeFormatError(TrackerError):
    """A time written in a form cpo does not read: which field, and the forms it does."""

    def __init__(self, field: str, text: str, forms: str) -> None:
        self.field, self.text, self.forms = field, text, forms
        self.reason = f"is not a time: write {forms}"
        shown = text.strip()[:40].encode("ascii", "backslashreplace").decode()
        super().__init__(f"{field} '{shown}' {self.reason}")


MINUTE_FORMS = "110 (minutes), 110m, 1h50, 1:50 or 2h"
HOUR_FORMS = "100 (hours), 13h30, 13:30, 2.5 or 90min"
_UNITS = {"h": "(?:h|hr|hrs|hours?)", "m": "(?:m|min|mins|minutes?)"}
_TIME = re.compile(
    rf"(?P<bare>\d{{1,6}})"
    rf"|(?P<h>\d{{1,4}}){_UNITS['h']}(?:(?P<hm>\d{{1,2}}){_UNITS['m']}?)?"
    rf"|(?P<ch>\d{{1,4}}):(?P<cm>\d{{2}})"
    rf"|(?P<m>\d{{1,6}}){_UNITS['m']}"
    rf"|(?P<dh>\d{{1,4}})\.(?P<half>5)"
)


def parse_minutes(text: str, field: str = "time") -> int:
    """Minutes from a time a client declared: a bare number is minutes; 1h50, 1:50, 110m, 2h."""
    return _parse_time(text, field, bare_is_hours=False)


def parse_hours(text: str, field: str = "hours") -> int:
    """Minutes from hours of an order: a bare number is hours; 13h30, 13:30, 2.5, 90min."""
    return _parse_time(text, field, bare_is_hours=True)


def _parse_time(text: str, field: str, bare_is_hours: bool) -> int:
    forms = HOUR_FORMS if bare_is_hours else MINUTE_FORMS
    cleaned = text.strip().lower().replace(" ", "") if text.isprintable() else ""
    match = _TIME.fullmatch(cleaned) if cleaned.isascii() else None
    if match is None:
        raise TimeFormatError(field, text, forms)
    part = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if "bare" in part:
        return part["bare"] * 60 if bare_is_hours else part["bare"]
    if "half" in part:
        if not bare_is_hours:
            raise TimeFormatError(field, text, forms)
        return part["dh"] * 60 + 30
    hours_part, minutes_part = part.get("h", part.get("ch", 0)), part.get("hm", part.get("cm", 0))
    if minutes_part >= 60:
        raise TimeFormatError(field, text, forms)
    return hours_part * 60 + minutes_part + part.get("m", 0)
