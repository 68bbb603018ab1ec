"""The PDF renderer: printable workbooks with QR check-ins, in every print profile."""

from builder.pdf.batch import Job, Outcome, render_batch
from builder.pdf.document import render_pdf, render_personalised, render_specimen

__all__ = ["Job", "Outcome", "render_batch", "render_pdf", "render_personalised", "render_specimen"]
