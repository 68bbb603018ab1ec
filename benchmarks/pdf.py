"""Personalised PDF workbooks: stamped on a shared layout, against WeasyPrint from HTML.

WeasyPrint is what a team would otherwise pick: write the workbook as HTML and CSS and
print it to PDF. Its input here is the same course (every module's text, activities
with answer lines, the QR code as SVG) at the same 14 pt clear-print size.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from html import escape
from pathlib import Path

from benchmarks.common import heading, median_ms, row, timed
from builder.course import Activity, Course, Example, HelpPanel, Module, Prose
from builder.editions import CheckIn, Personal, personal_edition, pick_modules
from builder.loader import default_content_root, load_course
from builder.markdown import markdown
from builder.pdf import Job, render_batch
from builder.pdf.document import forget_layouts, layout_for, render_pdf
from builder.profiles import PROFILES, get_profile

CLIENTS = 40  # personalised workbooks timed one after another
BATCH = 200  # workbooks in the parallel batch
WEASY_RUNS = 3


def checkins(client: int, modules: tuple[Module, ...]) -> list[CheckIn]:
    return [
        CheckIn(f"https://cpo.example.org/c/k1.{client:06d}{n:02d}Q7XM4", f"7QX2-M9K4-{n:02d}")
        for n in range(len(modules))
    ]


def personal(client: int) -> Personal:
    return Personal(f"C-{10_000 + client}", f"WB-{client:05d}", contact="Ana, 0141 000 0000")


def main() -> None:
    course = load_course(default_content_root())
    modules = pick_modules(course, None)
    profile = get_profile("standard")

    def edition(client: int):  # type: ignore[no-untyped-def]
        return personal_edition(
            course, modules, profile, personal(client), checkins(client, modules)
        )

    heading(f"PDF: a personalised {len(modules)}-module workbook, {profile.label.lower()}")
    forget_layouts()
    start = time.perf_counter()
    render_pdf(edition(0))
    cold = time.perf_counter() - start
    pages = layout_for(edition(0)).pages
    clients = iter(range(1, CLIENTS + 1))
    warm = timed(lambda: render_pdf(edition(next(clients))), CLIENTS)
    ours = median_ms(warm)
    row("pages in the workbook", str(pages))
    row("first workbook (lays out the shared body)", f"{cold * 1000:.0f} ms")
    row(f"each further client, median of {CLIENTS} (one core)", f"{ours:.0f} ms")
    row("pages per second, one core", f"{pages / (ours / 1000):.0f}")
    row("target", "<= 150 ms median")

    cores = os.cpu_count() or 1
    heading(f"PDF: a batch of {BATCH} workbooks on {cores} cores")
    with tempfile.TemporaryDirectory() as folder:
        jobs = [
            Job(
                tuple(m.id for m in modules),
                "standard",
                personal(n),
                tuple(checkins(n, modules)),
                Path(folder) / f"{n}.pdf",
            )
            for n in range(BATCH)
        ]
        start = time.perf_counter()
        done = sum(o.pages for o in render_batch(course, jobs, workers=cores))
        seconds = time.perf_counter() - start
    row("wall time, including each worker's first layout", f"{seconds:.1f} s")
    row("pages per second", f"{done / seconds:.0f}")
    row("workbooks per second", f"{BATCH / seconds:.1f}")

    heading("Pages in the whole workbook, by print profile (all modules)")
    for name in PROFILES:
        other = personal_edition(
            course, modules, get_profile(name), personal(0), checkins(0, modules)
        )
        row(name, str(layout_for(other).pages))

    heading("WeasyPrint: the same workbook from HTML and CSS")
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as err:  # OSError: pango is missing
        sys.exit(f"WeasyPrint cannot run here ({err}); apt-get install libpango-1.0-0")
    html = workbook_html(course, modules, checkins(0, modules))
    document = HTML(string=html).render()
    weasy_pages = len(document.pages)
    theirs = median_ms(timed(lambda: HTML(string=html).write_pdf(io.BytesIO()), WEASY_RUNS))
    row("pages in the workbook", str(weasy_pages))
    row(f"each client, median of {WEASY_RUNS}", f"{theirs:.0f} ms")
    row("pages per second, one core", f"{weasy_pages / (theirs / 1000):.1f}")
    heading("Ratio")
    row("WeasyPrint time / our time, per workbook", f"{theirs / ours:.0f}x (target >= 10x)")
    row("per page", f"{(theirs / weasy_pages) / (ours / pages):.0f}x")
    row("first workbook of a module set (cold layout)", f"{theirs / (cold * 1000):.1f}x")


def workbook_html(course: Course, modules: tuple[Module, ...], codes: list[CheckIn]) -> str:
    """The workbook as one printable HTML page, as a team using WeasyPrint would write it."""
    import font_source_sans_pro
    import zxingcpp

    fonts = Path(font_source_sans_pro.__file__).parent / "files"
    md = markdown()
    parts = [
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'><style>",
        *(
            f"@font-face {{ font-family: 'Source Sans Pro'; font-weight: {weight};"
            f" src: url('{(fonts / name).as_uri()}'); }}"
            for weight, name in (
                ("normal", "SourceSansPro-Regular.ttf"),
                ("bold", "SourceSansPro-Bold.ttf"),
            )
        ),
        "@page { size: A4; margin: 20mm 20mm 32mm 25mm;",
        "  @bottom-left { content: 'Page ' counter(page) ' of ' counter(pages);",
        "  font: bold 14pt 'Source Sans Pro', sans-serif; } }",
        "body { font: 14pt/1.5 'Source Sans Pro', sans-serif; color: #111; }",
        "h1 { font-size: 24.5pt; color: #1F3A5F; break-before: page; }",
        "h2 { font-size: 19.6pt; color: #1F3A5F; } .box { border: 1.5pt solid #1F3A5F;",
        "  padding: 6pt 10pt; background: #EEF2F7; break-inside: avoid; margin: 8pt 0; }",
        ".line { border-bottom: 1pt solid #6B7280; height: 10mm; }",
        ".qr { width: 34mm; height: 34mm; float: left; margin-right: 6mm; }",
        "</style></head><body>",
        f"<h1>{escape(course.title)}</h1><p>{escape(course.subtitle)}</p>",
    ]
    for module, code in zip(modules, codes, strict=True):
        barcode = zxingcpp.create_barcode(code.payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
        qr = f"<div class='qr'>{barcode.to_svg()}</div><p><b>Code: {escape(code.code)}</b></p>"
        parts += [f"<h1>{escape(module.title)}</h1>", qr, "<div style='clear: both'></div>"]
        for block in module.blocks:
            if isinstance(block, Activity):
                lines = getattr(block, "lines", 0) or getattr(block, "items", 5)
                lines = lines if isinstance(lines, int) else len(lines) + 2
                parts += [f"<h2>{escape(block.title)}</h2>", md.render(block.prompt)]
                parts += ["<div class='line'></div>"] * lines
            elif isinstance(block, Example | HelpPanel):
                parts.append(f"<div class='box'>{md.render(block.markdown)}</div>")
            elif isinstance(block, Prose):
                parts.append(md.render(block.markdown))
        parts += [f"<h1>Before you send {module.id} back</h1>", qr]
    parts.append("</body></html>")
    return "\n".join(parts)


if __name__ == "__main__":
    main()
