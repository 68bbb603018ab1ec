"""The legal cap and the credit rule, from the rules in DOMAIN.md, edges included."""

from __future__ import annotations

import pytest

from tracker.errors import TrackerError
from tracker.policy import credit_for, get_policy, hours, parse_hours


@pytest.mark.parametrize(
    ("jurisdiction", "ordered_hours", "cap"),
    [
        ("scotland", 20, "6 h"),
        ("scotland", 60, "18 h"),
        ("scotland", 100, "30 h"),
        ("scotland", 101, "30 h"),
        ("scotland", 250, "30 h"),
        ("scotland", 300, "30 h"),
        ("england-wales", 40, "12 h"),
        ("england-wales", 45, "13 h 30 min"),
        ("england-wales", 123, "36 h 54 min"),
        ("england-wales", 300, "90 h"),
    ],
)
def test_cap_follows_the_jurisdiction(jurisdiction: str, ordered_hours: int, cap: str) -> None:
    assert hours(get_policy(jurisdiction).cap(ordered_hours * 60)) == cap


def test_cap_rounds_down_to_the_minute() -> None:
    # 30% of 45 h 1 min is 810.3 minutes: never round a cap up.
    assert get_policy("england-wales").cap(45 * 60 + 1) == 810


def test_an_office_can_set_its_own_percentage_and_ceiling() -> None:
    policy = get_policy("scotland", cap_percent=25, cap_ceiling_minutes=20 * 60)
    assert policy.cap(60 * 60) == 15 * 60
    assert policy.cap(100 * 60) == 20 * 60


@pytest.mark.parametrize(
    ("declared", "cap_left", "expected", "why"),
    [
        (110, 1800, 110, ""),  # under everything: what was declared
        (120, 120, 120, ""),  # exactly at the cap
        (120, 119, 119, "only 1 h 59 min of the other activity cap was left"),  # just under
        (120, 0, 0, "only 0 min of the other activity cap was left"),  # over: nothing
        (300, 1800, 120, "the module's guided time is 2 h"),  # declared more than guided
    ],
)
def test_credit_is_the_least_of_declared_guided_cap_and_order(
    declared: int, cap_left: int, expected: int, why: str
) -> None:
    credit = credit_for(get_policy("scotland"), declared, 120, False, cap_left, 6000)
    assert credit.minutes == expected
    assert why in credit.note
    assert bool(credit.note) == bool(why)


def test_extra_time_allows_one_fifth_more_and_the_order_bounds_it() -> None:
    policy = get_policy("england-wales")
    assert credit_for(policy, 150, 120, True, 1000, 1000).minutes == 144
    assert credit_for(policy, 150, 120, False, 1000, 1000).minutes == 120
    short = credit_for(policy, 150, 120, True, 1000, 30)
    assert short.minutes == 30 and "only 30 min of the order was left" in short.note


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("100", 6000),
        ("100h", 6000),
        ("13h30", 810),
        ("13:30", 810),
        ("13 h 30 min", 810),
        ("90min", 90),
        ("1h50", 110),
        ("2.5", 150),
    ],
)
def test_hours_are_read_as_people_write_them(text: str, minutes: int) -> None:
    assert parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["", "-5", "lots", "13h75", "1e9"])
def test_nonsense_hours_are_refused(text: str) -> None:
    with pytest.raises(TrackerError, match="is not a time"):
        parse_hours(text)
