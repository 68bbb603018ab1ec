"""The PDF renderer: printable workbooks with QR check-ins, in every print profile."""

from builder.pdf.document import render_pdf, render_personalised, render_specimen

__all__ = ["render_pdf", "render_personalised", "render_specimen"]
