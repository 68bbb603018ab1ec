"""The marking page starts from the library's pre-fill (declared time, activities answered),
shows each activity once with its answer on its tick box, and refuses a blank one ticked."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, url_for

from tests.tracker.conftest import make_order, snapshot
from tests.tracker.test_intake import answers_file
from tests.web.conftest import SignIn, token_of
from tracker.accounts import actor_for
from tracker.intake.run import plan_intake, take_in
from tracker.issuing import issue
from tracker.tracker import Tracker


def answers_return(t: Tracker, tmp_path: Path) -> int:
    """N-1's HC2 sent back as an answers file (HC2-1 answered, the rest blank), as fay."""
    make_order(t, "N-1")
    issued = issue(t, "N-1", "x", module_ids=["HC2"], out_root=tmp_path)
    saved = tmp_path / "answers.json"
    saved.write_bytes(answers_file(issued, "HC2"))
    admin, t.actor = t.actor, actor_for(t, "fay")
    [outcome] = take_in(t, plan_intake(t, [saved]), "fay", False, 1)
    t.actor = admin
    found = outcome.pages[0].return_id
    assert found is not None
    return found


def test_each_activity_is_shown_once_with_its_answer_on_its_tick_box(
    app: Flask, signed_in: SignIn, records: Tracker, tmp_path: Path
) -> None:
    return_id = answers_return(records, tmp_path)
    fay = signed_in("fay")
    with app.test_request_context():
        address = url_for("marking.return_page", return_ref=f"R{return_id}")
    page = fay.get(address).get_data(as_text=True)

    assert page.count("A walk by the river") == 1  # once, not in a list and again by a box
    box = re.search(r'<input[^>]*value="HC2-1"[^>]*>', page)
    assert box and "checked" in box.group(0)  # pre-filled: answered
    hint = re.search(r'aria-describedby="([\w-]+-hint)"', box.group(0))
    assert hint and re.search(rf'id="{hint.group(1)}"[^>]*>A walk by the river<', page)
    others = re.findall(r'<input[^>]*name="tried"[^>]*value="(HC2-[2-9])"[^>]*>', page)
    assert others and not any("checked" in o for o in others)  # blank: not ticked
    assert 'value="95"' in page  # the declared time

    every = re.findall(r'name="tried" type="checkbox" value="([\w-]+)"', page)
    before = snapshot(records)
    refused = fay.post(
        address,
        data={"decision": "accept", "minutes": "95", "tried": every, "csrf_token": token_of(page)},
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "HC2-2, HC2-3" in text and "are blank in the answers file: untick them" in text
    assert 'id="tried-error"' in text  # on the tick boxes' own field
    assert snapshot(records) == before
