"""The HTML renderer: the course as an offline bundle for a phone, tablet or USB stick."""

from builder.html.bundle import render_bundle, render_specimen_bundle
from builder.html.render import render_html

__all__ = ["render_bundle", "render_html", "render_specimen_bundle"]
