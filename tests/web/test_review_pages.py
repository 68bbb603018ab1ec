"""The facilitator's pages: upload and intake, resolve an unreadable page, mark, next return.

Driven through Flask's test client as a browser would (CSRF tokens from the pages), on
SQLite and on PostgreSQL; intake runs in the server's own thread, as it does for real.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import make_order, snapshot
from tests.tracker.scans import scan_pdf
from tests.tracker.test_intake import answers_file
from tests.web.conftest import SignIn, token_of
from tracker.issuing import Issued, issue
from tracker.tracker import Tracker

# Links as the pages print them: an opaque address, and the record's number in the words.
RESOLVE = r'href="(/intake/pages/[\w-]+)">Resolve (P\d+)<'
MARK = r'href="(/returns/[\w-]+)">Mark (R\d+)<'
IMAGE = r'src="(/pages/[\w-]+/image)"'


@pytest.fixture
def issued(records: Tracker, tmp_path: Path) -> Issued:
    """A north client with WB1, WB2 and HC2 issued, and a Leeds client."""
    make_order(records, "N-1")
    make_order(records, "L-1", office="leeds")
    return issue(records, "N-1", "x", module_ids=["WB1", "WB2", "HC2"], out_root=tmp_path)


WAIT = 60.0  # seconds a batch may take before the test fails rather than hangs


@pytest.fixture
def intake_app(app: Flask) -> Flask:
    app.config["CPO_INTAKE_WORKERS"] = 1  # read pages in the batch's thread: no processes
    return app


def upload(client: FlaskClient, files: dict[str, bytes]) -> str:
    """Send files from the intake page, wait for the batch, and return its result page."""
    token = token_of(client.get("/intake").get_data(as_text=True))
    data = {"csrf_token": token, "files": [(io.BytesIO(b), name) for name, b in files.items()]}
    response = client.post("/intake", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    status = response.location
    progress = status.replace("/intake/batch?", "/intake/batch/progress?")
    for thread in threading.enumerate():  # the batch runs on a thread of its own: its end
        if thread.name.startswith("intake-"):
            thread.join(WAIT)
    assert client.get(progress).get_json()["done"]
    page = client.get(status)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def uploaded(client: FlaskClient, issued: Issued, tmp_path: Path) -> str:
    """An envelope of WB1 (page 3 missing, a blank sheet), an answers file, and a text file."""
    scan = scan_pdf(issued, "WB1", [1, 2, 0, 4], 4, tmp_path / "envelope.pdf")
    return upload(
        client,
        {
            "envelope.pdf": scan.read_bytes(),
            "answers.json": answers_file(issued, "HC2"),
            "notes.pdf": b"Not a scan at all, whatever its name says.\n",
        },
    )


def test_an_upload_is_taken_in_and_shown_as_a_table_of_pages_by_class(
    intake_app: Flask, signed_in: SignIn, issued: Issued, tmp_path: Path
) -> None:
    fay = signed_in("fay")

    result = uploaded(fay, issued, tmp_path)

    assert "Intake result" in result
    assert result.count("Ours: joins its return") >= 4  # 3 pages + 1 answers module (+ key)
    assert "Unreadable: needs a person" in result
    assert "this is a text file, not a scan or an answers file" in result
    unread = re.search(RESOLVE, result)
    assert unread, "the unreadable page links to its resolve page"
    assert unread.group(1) in fay.get("/intake").get_data(as_text=True)  # and waits in the queue
    assert "P3" not in unread.group(1)  # the address names no record plainly


def test_an_unreadable_page_is_resolved_by_the_code_on_it(
    intake_app: Flask, signed_in: SignIn, issued: Issued, tmp_path: Path, records: Tracker
) -> None:
    fay = signed_in("fay")
    result = uploaded(fay, issued, tmp_path)
    found = re.search(RESOLVE, result)
    assert found
    page, name = found.groups()
    seen = fay.get(page).get_data(as_text=True)
    image = re.search(IMAGE, seen)
    assert image and fay.get(image.group(1)).mimetype == "image/jpeg"

    wrong = fay.post(page, data={"code": "AAAA-AAAA-AAAA", "csrf_token": token_of(seen)})
    assert wrong.status_code == 400 and "This code cannot be used" in wrong.get_data(as_text=True)
    wb1 = next(m for m in issued.modules if m.module_id == "WB1")
    right = fay.post(page, data={"code": wb1.code, "number": "3", "csrf_token": token_of(seen)})
    assert right.status_code == 302
    with records.db.read() as tx:
        klass = tx.scalar("SELECT class FROM intake_pages WHERE id = ?", (int(name[1:]),))
    assert klass == "ours"
    after = fay.get("/intake").get_data(as_text=True)
    assert f"{name} is now page 3 of WB1" in after
    assert f'href="{page}"' not in after  # no longer waiting


def test_marking_a_return_by_its_page_goes_straight_to_the_next(
    intake_app: Flask, signed_in: SignIn, issued: Issued, tmp_path: Path, records: Tracker
) -> None:
    fay = signed_in("fay")
    uploaded(fay, issued, tmp_path)
    listing = fay.get("/returns").get_data(as_text=True)
    first, second = [url for url, _ in re.findall(MARK, listing)[:2]]
    assert "Missing page 3" in listing and "Answers file" in listing

    page = fay.get(first).get_data(as_text=True)
    assert "WB1-1" in page and "Guided time" in page and "2 h" in page
    assert "Left of the other activity allowance" in page and "30 h" in page
    assert re.search(IMAGE, page)
    token = token_of(page)

    refused = fay.post(first, data={"decision": "accept", "csrf_token": token})
    assert refused.status_code == 400
    assert "Page 3 did not come in: to accept anyway" in refused.get_data(as_text=True)
    no_time = fay.post(
        first,
        data={"decision": "accept", "pages_missing_ok": "y", "reason": "Lost", "csrf_token": token},
    )
    assert "Accepting needs the time the client declared" in no_time.get_data(as_text=True)
    sent = fay.post(
        first,
        data={"decision": "send-back", "feedback": "Please try page 3 again", "csrf_token": token},
    )
    assert sent.status_code == 302 and sent.location.endswith(first)  # its letter is there
    letter = re.search(r'href="(/returns/[\w-]+/letter)"', fay.get(first).get_data(as_text=True))
    assert letter and fay.get(letter.group(1)).mimetype == "application/pdf"
    assert f'href="{second}"' in fay.get(first).get_data(as_text=True)  # and the next return
    with records.db.read() as tx:
        assert tx.scalar("SELECT decision FROM marks") == "send-back"

    answered = fay.get(second).get_data(as_text=True)
    assert "A walk by the river" in answered and 'value="95"' in answered  # pre-filled


def test_another_offices_facilitator_sees_no_return_no_page_and_no_batch(
    intake_app: Flask, signed_in: SignIn, issued: Issued, tmp_path: Path, records: Tracker
) -> None:
    fay = signed_in("fay")
    result = uploaded(fay, issued, tmp_path)
    listing = fay.get("/returns").get_data(as_text=True)
    return_url = re.findall(MARK, listing)[0][0]
    image = re.search(IMAGE, fay.get(return_url).get_data(as_text=True))
    unread = re.search(RESOLVE, result)
    assert image and unread
    before = snapshot(records)

    lou = signed_in("lou")  # Leeds
    assert "Nothing is waiting" in lou.get("/returns").get_data(as_text=True)
    unread_image = re.search(IMAGE, fay.get(unread.group(1)).get_data(as_text=True))
    assert unread_image
    for url in (return_url, image.group(1), unread.group(1), unread_image.group(1)):
        assert lou.get(url).status_code == 404, url
    token = token_of(lou.get("/intake").get_data(as_text=True))
    posted = lou.post(
        return_url,
        data={"decision": "send-back", "feedback": "x", "csrf_token": token},
    )
    assert posted.status_code == 404
    assert snapshot(records) == before


def a_return_waiting(t: Tracker, tmp_path: Path) -> int:
    """The newest return waiting to be marked; a new client's, checked in, if none is."""
    from tracker.checkins import checkin_one
    from tracker.review import waiting

    queue = waiting(t, count=500).returns
    if queue:
        return queue[-1].return_id
    reference = f"N-{len(snapshot(t)['clients']) + 1}"
    make_order(t, reference)
    fresh = issue(t, reference, "x", module_ids=["WB2"], out_root=tmp_path)
    found = checkin_one(t, fresh.modules[0].code, "x").return_id
    assert found is not None
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    decision=st.sampled_from(["accept", "send-back", "refuse", "", "other"]),
    minutes=st.text(max_size=12),
    feedback=st.text(max_size=30),
    reason=st.text(max_size=30),
    tried=st.lists(st.sampled_from(["WB2-1", "WB2-2", "ZZ-9", ""]), max_size=3),
)
def test_any_marking_form_is_saved_or_refused_with_a_message_and_no_change(
    app: Flask,
    signed_in_once: SignIn,
    issued: Issued,
    records: Tracker,
    tmp_path: Path,
    decision: str,
    minutes: str,
    feedback: str,
    reason: str,
    tried: list[str],
) -> None:
    waiting = a_return_waiting(records, tmp_path)
    fay = signed_in_once("fay")
    with fay.application.test_request_context():
        address = url_for("marking.return_page", return_ref=f"R{waiting}")
    page = fay.get(address).get_data(as_text=True)
    before = snapshot(records)
    response = fay.post(
        address,
        data={
            "decision": decision,
            "minutes": minutes,
            "feedback": feedback,
            "reason": reason,
            "tried": tried,
            "csrf_token": token_of(page),
        },
    )
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        text = response.get_data(as_text=True)
        assert "govuk-error-summary" in text and "Traceback" not in text
        assert snapshot(records) == before
