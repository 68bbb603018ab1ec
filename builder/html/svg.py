"""Pictures drawn inline as SVG: the QR check-in code, from the same modules as on paper."""

from __future__ import annotations

from markupsafe import Markup, escape

from builder.pdf.qr import QUIET_ZONE, qr_modules


def qr_svg(payload: str, label: str) -> Markup:
    """The QR code for `payload` as an inline SVG image named `label` for screen readers.

    It is made from `builder.pdf.qr.qr_modules`, so it holds exactly what the printed
    code holds. The quiet zone is painted white, so it scans on a cream page too.
    """
    modules = qr_modules(payload)
    size = len(modules) + 2 * QUIET_ZONE
    runs: list[str] = []
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            runs.append(f"M{start + QUIET_ZONE} {r + QUIET_ZONE}h{c - start}v1h-{c - start}z")
    return Markup(
        f'<svg class="qr" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{escape(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
