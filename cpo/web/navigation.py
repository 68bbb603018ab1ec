"""The links in the service navigation, each shown only to the roles that may use it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from tracker.accounts import Action, Actor


@dataclass(frozen=True)
class NavLink:
    """A link in the service navigation: its words, the view, and who sees it."""

    text: str
    endpoint: str
    action: Action | None = None  # None: every signed-in account


def links_for(actor: Actor | None) -> list[dict[str, object]]:
    """The navigation items (for govukServiceNavigation) this account may use."""
    from cpo.web.pages import NAV

    if actor is None:
        return []
    return [
        {
            "href": url_for(link.endpoint),
            "text": link.text,
            "active": (request.endpoint or "").split(".")[0] == link.endpoint.split(".")[0],
        }
        for link in NAV
        if link.action is None or actor.may(link.action)
    ]
