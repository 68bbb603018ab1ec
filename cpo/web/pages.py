"""Every area of pages, and the links in the service navigation: the one list to add to.

To add an area: write `cpo/web/AREA.py` with a Blueprint and its `NAV` links, give each
view `@needs(...)` or `@public`, and add one line to each list below (see the README,
"Adding a page"). One line per area, so branches adding areas merge cleanly.
"""

from __future__ import annotations

from flask import Blueprint

from cpo.web import auth, clients, frontend, home, issuing, print_runs, reports
from cpo.web import importing as importing_pages
from cpo.web import intake as intake_pages
from cpo.web import marking as marking_pages
from cpo.web.navigation import NavLink

BLUEPRINTS: list[Blueprint] = [
    frontend.blueprint,
    auth.blueprint,
    home.blueprint,
    clients.blueprint,
    issuing.blueprint,
    reports.blueprint,
    intake_pages.blueprint,
    marking_pages.blueprint,
    importing_pages.blueprint,
    print_runs.blueprint,
]

NAV: list[NavLink] = [
    *home.NAV,
    *clients.NAV,
    *reports.NAV,
    *intake_pages.NAV,
    *marking_pages.NAV,
    *importing_pages.NAV,
    *print_runs.NAV,
    *auth.NAV,
]
