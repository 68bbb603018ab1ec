"""The offline bundle in real headless Chromium, opened from file:// as a client would.

Every test records every request its pages make; none may leave the bundle's folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import zxingcpp
from PIL import Image

from builder import load_course
from builder.answers import AnswersFile, Plan, Rating, checksum_of, read_answers
from builder.editions import CheckIn, Personal
from builder.html import render_bundle
from tests.conftest import CHROMIUM_ARGS, GOOD_COURSE, UNSEEN_FEATURES, chromium_command_lines

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

MODULES = ["AA1", "BB1"]
PERSONAL = Personal(reference="C-1042", workbook="WB-7H3K", contact="Ana, 0141 000 0000")
CHECKINS = [
    CheckIn("https://example.org/c/7QX2M9K4PZ3T", "7QX2-M9K4-PZ3T"),
    CheckIn("K9P4T7", "K9P4-T7"),
]
STORAGE = "cpo-offline/v1/WB-7H3K"
TRICKY = 'Quotes " and \\ back\tslash, caf\u00e9, \u4f60\u597d, \U0001f600, line\u2028sep\x01.'


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = render_bundle(
        load_course(GOOD_COURSE),
        MODULES,
        PERSONAL,
        CHECKINS,
        tmp_path_factory.mktemp("stick") / "WB-7H3K",
    )
    return folder


class Client:
    """A person at a browser: pages of their own, every request those pages make recorded.

    Their pages open in the module's one browser context (`browsing`), whose storage is
    emptied before each test: a new context a test cost ~1 s of Chromium's CPU. What a
    test sets up for its pages alone (a script run before the page's own, a phone's
    width) is set on each page it opens, never on the shared context.
    """

    def __init__(
        self, context: BrowserContext, folder: Path, init_script: str = "", width: int = 1280
    ) -> None:
        self.context, self.folder = context, folder
        self.init_script, self.width = init_script, width
        self.pages: list[Page] = []
        self.requests: list[str] = []
        self.errors: list[str] = []

    def open(self, name: str = "index.html") -> Page:
        page = self.context.new_page()
        self.pages.append(page)
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        if self.width != 1280:  # a phone's: 320 x 640
            page.set_viewport_size({"width": self.width, "height": 640})
        if self.init_script:
            page.add_init_script(self.init_script)
        return self.visit(page, name)

    def visit(self, page: Page, name: str) -> Page:
        """Open the bundle's page `name` in the tab `page`; its script has started.

        `goto` returns after the load event, so the page's deferred scripts have run: one
        look at the state line they show is enough (no polling by Playwright's selector
        engine, which costs ~0.2 s of CPU a page it is not otherwise needed in).
        """
        page.goto((self.folder / name).as_uri())
        assert page.evaluate("!document.getElementById('save-state').hidden"), name
        return page

    def close(self) -> None:
        for page in self.pages:
            page.close()

    def stray_requests(self) -> list[str]:
        inside = self.folder.resolve().as_uri() + "/"
        return [url for url in self.requests if not url.startswith(inside)]


class Browsing:
    """The module's browser context, and a blank page of the bundle's origin to empty it."""

    def __init__(self, context: BrowserContext, blank: Path) -> None:
        self.context = context
        self.keeper = context.new_page()
        self.keeper.goto(blank.as_uri())

    def forget(self) -> None:
        """Empty the context's storage, as a new context's is (file:// pages share it).

        A page closed just before still saves its last answers as it goes (the bundle's
        `pagehide` flush), and that save can reach the storage after a clear sent from
        here (measured: 5 closes in 300 left a save behind): so clear until it has
        stayed empty for two looks 25 ms apart (0 in 300).
        """
        self.keeper.evaluate(EMPTIED)
        assert self.keeper.evaluate("localStorage.length") == 0


EMPTIED = """async () => {
  for (let quiet = 0, looks = 0; quiet < 2 && looks < 200; looks++) {
    if (localStorage.length) { localStorage.clear(); quiet = 0; } else { quiet++; }
    await new Promise((done) => setTimeout(done, 25));
  }
}"""


@pytest.fixture(scope="module")
def browsing(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsing]:
    """One browser context for the module's tests, in Playwright's own 1280 x 720 window."""
    blank = tmp_path_factory.mktemp("blank") / "blank.html"
    blank.write_text("<!doctype html><title>blank</title>", encoding="utf-8")
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 720})
    context.set_default_timeout(10_000)
    yield Browsing(context, blank)
    context.close()


@pytest.fixture
def client(browsing: Browsing, bundle: Path) -> Iterator[Callable[..., Client]]:
    """Clients on empty storage; after the test, none asked outside the bundle or failed."""
    made: list[Client] = []
    browsing.forget()

    def make(init_script: str = "", folder: Path = bundle, width: int = 1280) -> Client:
        made.append(Client(browsing.context, folder, init_script, width))
        return made[-1]

    yield make
    for c in made:
        c.close()
    browsing.forget()
    for c in made:
        assert c.stray_requests() == [], "a page made a request outside the bundle"
        assert c.errors == [], "a page had script errors or CSP violations"


def saved(page: Page, module: str, text: str) -> None:
    """Wait until the module's saved entry holds `text`."""
    page.wait_for_function(
        "([key, text]) => (localStorage.getItem(key) || '').includes(text)",
        arg=[f"{STORAGE}/{module}", json.dumps(text, ensure_ascii=False)[1:-1]],
    )


def open_with_entry(c: Client, module: str, entry: str) -> Page:
    """Open a module page whose saved entry is `entry`, put there from the first page.

    Put there once, by the same origin, before the module page loads: nothing can put it
    back on a reload (as a script run on every page load could).
    """
    page = c.open()
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"{STORAGE}/{module}", entry])
    page.goto((c.folder / f"module-{module}.html").as_uri())
    page.wait_for_selector("#save-state:not([hidden])")
    return page


def export(page: Page) -> tuple[bytes, str]:
    """Press "Save my answers file"; the file's bytes and its name."""
    with page.expect_download() as info:
        page.click("[data-export]")
    download = info.value
    return Path(download.path()).read_bytes(), download.suggested_filename


def fill_every_kind(page: Page) -> None:
    page.fill("#a-AA1-1", "A walk by the river.\nTea with my sister.")
    page.check("#a-AA1-2-0")
    page.check("#a-AA1-2-2")
    page.check("[name='a-AA1-3-0'][value='7']")
    page.check("[name='a-AA1-4-1'][value='4']")
    page.fill("#a-AA1-5-0", "Sunshine")
    page.fill("#a-AA1-5-2", "A good chat")
    page.fill("#a-AA1-6-0-1", "£120")
    page.fill("#a-AA1-6-2-0", "Bus")
    page.fill("#a-AA1-7", TRICKY)
    page.check("#d-statement")
    page.fill("#d-name", "Sam")
    page.fill("#d-date", "2026-05-04")
    page.fill("#d-hours", "2")
    page.fill("#d-minutes", "5")


def check_every_kind(answers: AnswersFile) -> None:
    module = answers.module("AA1")
    assert module.checkin == CHECKINS[0].payload and module.code == CHECKINS[0].code
    assert module.answer("AA1-1").value == "A walk by the river.\nTea with my sister."
    assert module.answer("AA1-2").value == ("I sleep badly", "Something else")
    assert module.answer("AA1-3").value == (Rating("", 7),)
    assert module.answer("AA1-4").value == (Rating("I sleep well", None), Rating("I eat well", 4))
    assert module.answer("AA1-5").value == ("Sunshine", "", "A good chat")
    plan = module.answer("AA1-6").value
    assert isinstance(plan, Plan)
    assert plan.rows == (("Wages or benefits", "£120", ""), ("Rent", "", ""), ("Bus", "", ""))
    assert module.answer("AA1-7").value == TRICKY
    assert all(a.tried for a in module.answers)
    d = module.declaration
    assert (d.statement, d.name, str(d.date), d.minutes) == (True, "Sam", "2026-05-04", 125)
    assert d.complete
    other = answers.module("BB1")
    assert other.checkin == CHECKINS[1].payload
    assert not any(a.tried for a in other.answers) and not other.declaration.complete


def test_every_kind_of_answer_is_kept_and_exported(client: Callable[..., Client]) -> None:
    c = client()
    page = c.open("module-AA1.html")
    fill_every_kind(page)
    saved(page, "AA1", TRICKY)
    page.reload()
    page.wait_for_selector("#save-state:not([hidden])")
    assert page.input_value("#a-AA1-1") == "A walk by the river.\nTea with my sister."
    assert page.is_checked("#a-AA1-2-0") and not page.is_checked("#a-AA1-2-1")
    assert page.is_checked("[name='a-AA1-3-0'][value='7']")
    assert page.input_value("#a-AA1-6-0-1") == "£120"
    assert page.input_value("#a-AA1-7") == TRICKY
    assert page.input_value("#d-date") == "2026-05-04"
    data, name = export(page)
    assert name.startswith("answers-WB-7H3K-") and name.endswith(".json")
    doc = json.loads(data)
    assert doc["checksum"] == checksum_of(doc)
    answers = read_answers(data, name)
    assert answers.workbook == "WB-7H3K" and not answers.specimen
    assert [m.id for m in answers.modules] == MODULES
    check_every_kind(answers)
    assert "Your answers file is ready" in page.text_content("#status")


def test_the_plain_sha256_is_used_when_crypto_subtle_is_missing(
    client: Callable[..., Client],
) -> None:
    c = client("Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});")
    page = c.open("module-AA1.html")
    assert page.evaluate("window.crypto.subtle === undefined")
    fill_every_kind(page)
    data, name = export(page)
    check_every_kind(read_answers(data, name))


def test_the_plain_sha256_matches_hashlib(client: Callable[..., Client]) -> None:
    page = client().open()
    texts = ["", "abc", "a" * 55, "b" * 56, "c" * 64, "d" * 119, TRICKY, "é" * 100_000]
    got = page.evaluate("texts => texts.map(t => window.CPO_SHA256.hex(t))", texts)
    assert got == [hashlib.sha256(t.encode()).hexdigest() for t in texts]


def test_a_lone_surrogate_still_gives_a_checksum_python_agrees_with(
    client: Callable[..., Client],
) -> None:
    page = client().open("module-AA1.html")
    page.evaluate(
        """() => { const t = document.querySelector('#a-AA1-1');
        t.value = 'half \\ud83d a face'; t.dispatchEvent(new Event('input', {bubbles: true})); }"""
    )
    data, name = export(page)
    assert read_answers(data, name).module("AA1").answer("AA1-1").value == "half \ud83d a face"


def test_choose_one_can_be_cleared(client: Callable[..., Client]) -> None:
    page = client().open("module-BB1.html")
    page.check("#a-BB1-4-1")
    page.click("[data-activity='BB1-4'] [data-clear]")
    assert not page.is_checked("#a-BB1-4-1")
    page.check("#a-BB1-4-0")
    data, name = export(page)
    chosen = read_answers(data, name).module("BB1").answer("BB1-4").value
    assert chosen == (page.get_attribute("#a-BB1-4-0", "value"),)


def test_answers_survive_closing_the_browser(
    browser: Browser, bundle: Path, tmp_path: Path
) -> None:
    def launch() -> BrowserContext:
        return browser.browser_type.launch_persistent_context(
            tmp_path / "profile",
            executable_path=shutil.which("chromium"),
            args=CHROMIUM_ARGS,
            chromium_sandbox=False,
        )

    url = (bundle / "module-BB1.html").as_uri()
    first = launch()
    page = first.new_page()
    page.goto(url)
    page.fill("#a-BB1-1", "Kept after closing")
    saved(page, "BB1", "Kept after closing")
    first.close()
    second = launch()
    page = second.new_page()
    page.goto(url)
    page.wait_for_selector("#save-state:not([hidden])")
    assert page.input_value("#a-BB1-1") == "Kept after closing"
    second.close()


def test_the_index_shows_progress_on_this_device(client: Callable[..., Client]) -> None:
    c = client()
    page = c.open("module-AA1.html")
    page.fill("#a-AA1-1", "Something")
    page.check("#a-AA1-2-1")
    saved(page, "AA1", "Something")
    page.goto((c.folder / "index.html").as_uri())
    assert page.text_content("[data-progress='AA1']") == "Started: 2 of 7 activities done"
    assert page.text_content("[data-progress='BB1']") == "Not started"
    c.visit(page, "module-AA1.html")
    fill_every_kind(page)
    saved(page, "AA1", TRICKY)
    page.goto((c.folder / "index.html").as_uri())
    assert page.text_content("[data-progress='AA1']") == "Finished"


def test_the_check_in_square_on_screen_reads_back_to_the_paper_payload(
    client: Callable[..., Client],
) -> None:
    page = client().open("module-AA1.html")
    image = Image.open(io.BytesIO(page.locator("svg.qr").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [CHECKINS[0].payload]
    assert "Code: 7QX2-M9K4-PZ3T" in page.text_content(".checkin")


def test_chromium_keeps_playwrights_features_off(browser: Browser) -> None:
    """Chromium reads only the last `--disable-features`: ours (CHROMIUM_ARGS) repeats
    every feature Playwright turns off, beside the unseen address bar's pop-ups."""
    lines = chromium_command_lines()
    assert lines, "no Chromium browser process found under this one"
    for argv in lines:
        named = [a.split("=", 1)[1].split(",") for a in argv if a.startswith("--disable-features=")]
        assert set(named[-1]) >= set().union(*named) | set(UNSEEN_FEATURES)


# -- bad input ---------------------------------------------------------------------------


def test_a_corrupted_saved_entry_is_kept_aside_and_the_page_works(
    client: Callable[..., Client],
) -> None:
    page = open_with_entry(client(), "AA1", '{"version": 1, "answers": {"AA1-1"')
    status = page.text_content("#status") or ""
    assert "could not be read" in status and "We kept a copy" in status
    keys = page.evaluate("Object.keys(localStorage)")
    damaged = [k for k in keys if k.startswith(f"{STORAGE}/AA1/damaged/")]
    assert len(damaged) == 1
    assert page.evaluate("k => localStorage.getItem(k)", damaged[0]).startswith('{"version"')
    page.reload()  # opened again before anything is typed: still one copy
    assert len([k for k in page.evaluate("Object.keys(localStorage)") if "/damaged/" in k]) == 1
    page.fill("#a-AA1-1", "Typed after")
    saved(page, "AA1", "Typed after")
    page.reload()
    kept = page.evaluate("k => localStorage.getItem(k)", f"{STORAGE}/AA1")
    status = page.text_content("#status")
    assert page.input_value("#a-AA1-1") == "Typed after", f"kept {kept!r}, status {status!r}"


def test_a_partly_damaged_entry_keeps_its_good_answers(client: Callable[..., Client]) -> None:
    entry = json.dumps(
        {"version": 1, "answers": {"AA1-1": "Still here", "AA1-2": "not a list", "AA1-5": 5}}
    )
    page = open_with_entry(client(), "AA1", entry)
    assert page.input_value("#a-AA1-1") == "Still here"
    assert "could not be read" in (page.text_content("#status") or "")


def test_a_very_long_answer_is_kept_and_exported(client: Callable[..., Client]) -> None:
    page = client().open("module-AA1.html")
    long = ("All of this is mine. " * 5000)[:100_000]
    page.fill("#a-AA1-1", long)
    saved(page, "AA1", long[-50:])
    page.reload()
    assert page.input_value("#a-AA1-1") == long
    data, name = export(page)
    assert read_answers(data, name).module("AA1").answer("AA1-1").value == long


def test_script_typed_as_an_answer_stays_text(client: Callable[..., Client]) -> None:
    page = client().open("module-AA1.html")
    typed = '<script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">'
    page.fill("#a-AA1-1", typed)
    page.fill("#d-name", typed)
    saved(page, "AA1", "hacked")
    page.reload()
    assert page.input_value("#a-AA1-1") == typed
    assert page.text_content("[data-mirror='a-AA1-1']") == typed  # the printed copy
    assert page.evaluate("window.hacked === undefined && !document.querySelector('img[src=x]')")
    data, name = export(page)
    assert read_answers(data, name).module("AA1").declaration.name == typed


def test_a_device_that_cannot_store_says_so_and_still_exports(
    client: Callable[..., Client], bundle: Path, tmp_path: Path
) -> None:
    # A stick that is read-only, in a browser that refuses the page any storage.
    stick = tmp_path / "stick"
    render_bundle(load_course(GOOD_COURSE), MODULES, PERSONAL, CHECKINS, stick)
    for path in [stick, *stick.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    c = client(
        "Object.defineProperty(window, 'localStorage', {get() {"
        " throw new DOMException('The operation is insecure.', 'SecurityError'); }});",
        folder=stick,
    )
    page = c.open("module-AA1.html")
    assert "cannot keep your answers" in (page.text_content("#save-state") or "")
    assert "cannot keep your answers" in (page.text_content("#status") or "")
    fill_every_kind(page)
    data, name = export(page)
    check_every_kind(read_answers(data, name))
    assert "only the answers typed on this page" in (page.text_content("#status") or "")
    page.locator("button[data-display='large']").click()  # the switches still work
    assert page.evaluate("document.documentElement.classList.contains('large')")


def test_a_full_device_says_so_and_keeps_the_answer_on_the_page(
    client: Callable[..., Client],
) -> None:
    c = client(
        "const real = Storage.prototype.setItem; Storage.prototype.setItem = function (k, v) {"
        " if (window.full && k.endsWith('/AA1'))"
        "   throw new DOMException('full', 'QuotaExceededError');"
        " return real.call(this, k, v); };"
    )
    page = c.open("module-AA1.html")
    page.evaluate("window.full = true")
    page.fill("#a-AA1-1", "Not lost")
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('full')")
    assert page.input_value("#a-AA1-1") == "Not lost"
    data, name = export(page)
    assert read_answers(data, name).module("AA1").answer("AA1-1").value == "Not lost"
    page.evaluate("window.full = false")
    page.fill("#a-AA1-1", "Not lost, and saved")
    saved(page, "AA1", "Not lost, and saved")
    assert "again" in (page.text_content("#status") or "")


# -- how it looks -------------------------------------------------------------------------


def test_the_switches_change_the_page_and_are_remembered(client: Callable[..., Client]) -> None:
    c = client()
    page = c.open()
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("button[data-display='large']")
    page.click("button[data-display='dyslexia']")
    assert page.get_attribute("button[data-display='large']", "aria-pressed") == "true"
    page = c.open("module-AA1.html")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > size * 1.2
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(251, 243, 220)"
    assert page.get_attribute("button[data-display='dyslexia']", "aria-pressed") == "true"


def test_every_page_reflows_at_320_px_and_asks_for_nothing_outside_the_bundle(
    client: Callable[..., Client], bundle: Path
) -> None:
    """Every page, opened in one 320 px tab, in the usual look and with bigger text: no
    sideways scrolling, no request outside the bundle.

    Bigger text is switched on and off in the page by its own switch (its click(), the
    event a press sends), so the pages take turns opening in each look, as a remembered
    choice opens them: one load a page, not one a look. (`client` checks every test's
    requests; this is the test that opens every page.)
    """
    c = client(width=320)
    page = c.open()
    looks: dict[str, list[bool]] = {}
    for name in sorted(p.name for p in bundle.glob("*.html")):
        c.visit(page, name)
        for _ in range(2):
            large = page.evaluate("document.documentElement.classList.contains('large')")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 320, f"{name} is {wide} px wide {'with bigger text' if large else ''}"
            looks.setdefault(name, []).append(large)
            page.evaluate("document.querySelector(\"button[data-display='large']\").click()")
    assert all(sorted(seen) == [False, True] for seen in looks.values()), looks
    assert c.stray_requests() == []
    assert any(url.endswith("/assets/workbook.js") for url in c.requests)  # the scripts ran


def test_text_spacing_overrides_do_not_clip_or_overflow(client: Callable[..., Client]) -> None:
    # WCAG 1.4.12's values, set the way a reader's own style sheet would set them.
    # (A constructed style sheet, as an extension adds one: the page's CSP rightly
    # refuses an inline <style>.)
    spacing = (
        "const s = new CSSStyleSheet(); s.replaceSync('* { line-height: 1.5 !important;"
        " letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
        " p { margin-bottom: 2em !important; }'); document.adoptedStyleSheets = [s];"
    )
    page = client().open("module-AA1.html")
    page.set_viewport_size({"width": 320, "height": 640})
    page.evaluate(f"() => {{ {spacing} }}")
    assert page.evaluate("getComputedStyle(document.body).wordSpacing") != "normal"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('label, legend, button, h1, h2, h3, p, a, td, th')]
        .filter(e => e.offsetParent && !e.closest('.visually-hidden, .skip')
                 && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
                 && getComputedStyle(e).overflow !== 'visible')
        .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert clipped == []


def test_controls_are_at_least_24_px_and_focus_is_visible(client: Callable[..., Client]) -> None:
    page = client().open("module-AA1.html")
    small = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, button, .site-nav a, .pager a')]
        .filter(e => e.offsetParent).map(e => [e.id || e.textContent, e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 24 || r.height < 24).map(([n]) => n)"""
    )
    assert small == []
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        return [e.className, s.outlineStyle, s.outlineWidth, e.getBoundingClientRect().top]; }"""
    )
    assert focused[0] == "skip" and focused[1] == "solid" and focused[2] == "3px"
    assert focused[3] >= 0  # the skip link shows when it has focus


def test_printing_a_module_shows_the_answers_not_the_controls(
    client: Callable[..., Client],
) -> None:
    page = client().open("module-AA1.html")
    page.fill("#a-AA1-1", "My printed answer")
    page.emulate_media(media="print")
    shown = page.evaluate(
        """() => ['#a-AA1-1', "[data-mirror='a-AA1-1']", '[data-export]', '.site-nav', 'svg.qr']
        .map(s => document.querySelector(s).checkVisibility())"""
    )
    assert shown == [False, True, False, False, True]
    assert page.text_content("[data-mirror='a-AA1-1']") == "My printed answer"
