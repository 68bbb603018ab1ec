"""What a renderer is asked to make: which modules, for whom, with which check-in codes."""

from __future__ import annotations

from dataclasses import dataclass

from builder.course import Course, Module
from builder.errors import BuildError
from builder.profiles import PrintProfile

SPECIMEN_CODE = "SPECIMEN"


@dataclass(frozen=True)
class CheckIn:
    """A module's check-in: what its QR code holds, and the code to type if it will not scan."""

    payload: str
    code: str


def page_payload(payload: str, number: int, total: int) -> str:
    """What a module page's small QR code holds: the module's code, this page, the page count.

    Any web address before the module's code is left off, and the whole is in capitals,
    which QR stores more compactly, so the small code stays coarse enough to read. The
    page number only says where the page sits: the module's code is the signed part.
    """
    token = payload.rsplit("/", 1)[-1]
    return f"{token}.{number}.{total}".upper()


@dataclass(frozen=True)
class Personal:
    """Who a personalised workbook is for. Printed inside, never in a code."""

    reference: str
    workbook: str
    name: str = ""
    contact: str = ""
    address: tuple[str, ...] = ()  # postal lines, for the letter's window
    return_address: tuple[str, ...] = ()  # the office's, where post comes back to


@dataclass(frozen=True)
class Edition:
    """One workbook to render: a specimen when `personal` is None."""

    course: Course
    modules: tuple[Module, ...]
    profile: PrintProfile
    checkins: dict[str, CheckIn]
    personal: Personal | None = None

    @property
    def specimen(self) -> bool:
        return self.personal is None


def pick_modules(course: Course, module_ids: list[str] | None) -> tuple[Module, ...]:
    """The modules asked for, in course order; BuildError naming any that do not exist."""
    if not module_ids:
        return course.modules
    known = {m.id for m in course.modules}
    unknown = [m for m in module_ids if m not in known]
    if unknown:
        raise BuildError(
            f"no such module: {', '.join(unknown)} (the course has {', '.join(sorted(known))})"
        )
    return tuple(m for m in course.modules if m.id in module_ids)


def specimen_edition(course: Course, modules: tuple[Module, ...], profile: PrintProfile) -> Edition:
    """A specimen: its codes say SPECIMEN and can never be credited."""
    checkins = {m.id: CheckIn(f"{SPECIMEN_CODE} {m.id}", SPECIMEN_CODE) for m in modules}
    return Edition(course, modules, profile, checkins)


def personal_edition(
    course: Course,
    modules: tuple[Module, ...],
    profile: PrintProfile,
    personal: Personal,
    checkins: list[CheckIn],
) -> Edition:
    """A personalised workbook with one check-in per module, in the modules' order."""
    if len(checkins) != len(modules):
        raise BuildError(
            f"{len(modules)} modules but {len(checkins)} check-in codes: give one code per module"
        )
    if len({c.payload for c in checkins}) != len(checkins):
        raise BuildError("two modules were given the same check-in code")
    return Edition(
        course,
        modules,
        profile,
        {m.id: c for m, c in zip(modules, checkins, strict=True)},
        personal,
    )
