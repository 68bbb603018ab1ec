"""What a facilitator looks at: the returns waiting, one return to mark, pages nobody read.

Pages are drawn quickly (a white sheet with its page's QR code in the corner, as printed)
and taken in for real, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import make_order, snapshot, staff_account
from tests.tracker.scans import scan_pdf, take
from tests.tracker.test_intake import answers_file
from tracker.accounts import NotPermitted, Role, actor_for
from tracker.checkins import checkin_one
from tracker.issuing import issue
from tracker.marking import mark
from tracker.review import marking_view, next_waiting, page_image, unreadable_pages, waiting
from tracker.tracker import Tracker


@pytest.fixture
def office(tracker: Tracker, tmp_path: Path) -> dict[str, int]:
    """North: WB1 scanned with page 3 missing and a blank sheet; WB2 typed in; HC2 as answers.

    Taken in by north's facilitator. South has its own client and facilitator.
    """
    make_order(tracker, "N-1")
    make_order(tracker, "S-1", office="south")
    staff_account(tracker, "north-fac", Role.FACILITATOR, ["north"])
    staff_account(tracker, "north-fac2", Role.FACILITATOR, ["north"])
    staff_account(tracker, "south-fac", Role.FACILITATOR, ["south"])
    issued = issue(tracker, "N-1", "x", module_ids=["WB1", "WB2", "HC2"], out_root=tmp_path)
    admin, tracker.actor = tracker.actor, actor_for(tracker, "north-fac")
    take(tracker, scan_pdf(issued, "WB1", [1, 2, 0, 4], 4, tmp_path / "envelope.pdf"))
    typed = checkin_one(tracker, issued.modules[1].code, "north-fac")
    answers = tmp_path / "answers.json"
    answers.write_bytes(answers_file(issued, "HC2"))
    take(tracker, answers)
    tracker.actor = admin
    queue = waiting(tracker).returns
    assert typed.return_id is not None
    return {"WB1": queue[0].return_id, "WB2": typed.return_id, "HC2": queue[2].return_id}


def test_the_queue_shows_each_return_with_its_pages_and_gaps(
    tracker: Tracker, office: dict[str, int]
) -> None:
    tracker.actor = actor_for(tracker, "north-fac")

    queue = waiting(tracker)

    assert len(queue.returns) == 3 and not queue.more
    wb1, wb2, hc2 = queue.returns
    assert (wb1.module_id, wb1.pages_in, wb1.page_count, wb1.missing) == ("WB1", 3, 4, "page 3")
    assert (wb2.module_id, wb2.pages_in, wb2.missing, wb2.answers) == ("WB2", 0, "", False)
    assert (hc2.module_id, hc2.pages_in, hc2.answers) == ("HC2", 0, True)
    assert wb1.client == "N-1" and wb1.office == "north" and wb1.module_title
    one = waiting(tracker, offset=1, count=1)
    assert [r.return_id for r in one.returns] == [wb2.return_id] and one.more


def test_the_marking_view_holds_what_the_marker_decides_on(
    tracker: Tracker, office: dict[str, int]
) -> None:
    tracker.actor = actor_for(tracker, "north-fac")

    view = marking_view(tracker, office["WB1"])

    module = tracker.course.module("WB1")
    assert [p.page_number for p in view.pages] == [1, 2, 4]
    assert all(p.has_image for p in view.pages) and view.missing == "page 3"
    assert [a.id for a in view.activities] == [a.id for a in module.activities]
    assert view.guided_minutes == module.minutes == view.allowed_minutes
    assert (view.cap_left, view.order_left) == (30 * 60, 100 * 60)  # 30% of 100 h, at most 30 h
    assert view.declaration is None and view.decision is None
    assert view.next_return == office["WB2"]
    assert page_image(tracker, view.pages[0].page_id)[:3] == b"\xff\xd8\xff"  # a JPEG

    answered = marking_view(tracker, office["HC2"])
    assert answered.declaration is not None and answered.declaration.minutes == 95
    first = answered.activities[0]
    assert first.answer is not None and first.answer.value == "A walk by the river"
    assert answered.next_return == office["WB1"]  # after the last, back to the first


def test_marking_moves_the_queue_and_the_view_says_what_was_decided(
    tracker: Tracker, office: dict[str, int]
) -> None:
    tracker.actor = actor_for(tracker, "north-fac")
    mark(tracker, office["WB2"], "send-back", "north-fac", {}, feedback="Try activity 1")

    assert [r.return_id for r in waiting(tracker).returns] == [office["WB1"], office["HC2"]]
    assert marking_view(tracker, office["WB2"]).decision == "send-back"
    assert next_waiting(tracker, office["WB1"]) == office["HC2"]
    assert next_waiting(tracker, office["HC2"]) == office["WB1"]


def test_unreadable_pages_wait_for_the_staff_of_the_offices_that_took_them_in(
    tracker: Tracker, office: dict[str, int]
) -> None:
    tracker.actor = actor_for(tracker, "north-fac2")  # not who took it in: the same office
    [blank] = unreadable_pages(tracker)
    assert blank.position == 3 and blank.has_image and blank.taken_by == "north-fac"
    assert page_image(tracker, blank.page_id)[:3] == b"\xff\xd8\xff"

    tracker.actor = actor_for(tracker, "south-fac")
    assert unreadable_pages(tracker) == []
    assert waiting(tracker).returns == ()
    before = snapshot(tracker)
    with pytest.raises(NotPermitted) as refused:
        page_image(tracker, blank.page_id)
    with pytest.raises(NotPermitted) as absent:
        page_image(tracker, 99_999)
    # "not yours" reads exactly as "not there"
    assert str(refused.value).replace(str(blank.page_id), "?") == str(absent.value).replace(
        "99999", "?"
    )
    assert snapshot(tracker) == before


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(page=st.integers(), offset=st.integers(), count=st.integers())
def test_another_offices_facilitator_sees_no_page_and_no_return_whatever_is_asked(
    tracker: Tracker, office: dict[str, int], page: int, offset: int, count: int
) -> None:
    tracker.actor = actor_for(tracker, "south-fac")
    with pytest.raises(NotPermitted, match="no page"):
        page_image(tracker, page)
    queue = waiting(tracker, offset=offset, count=count)
    assert queue.returns == () and not queue.more
    for return_id in office.values():
        with pytest.raises(NotPermitted, match="no return"):
            marking_view(tracker, return_id)
