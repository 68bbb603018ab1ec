"""The app's routes, with real values for their parts: the route-table tests walk these."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

from tests.web.conftest import World

# The parts of an address that name a record.
IDS = ("reference", "number", "login", "return_ref", "page_ref")


def routes(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def values_for(rule: Rule, world: World, office: str = "north") -> dict[str, str]:
    """Values naming `office`'s records (north's N-1 or Leeds's L-1) for each part of `rule`."""
    client = "N-1" if office == "north" else "L-1"
    values: dict[str, str] = {}
    for name in rule.arguments:
        if name == "reference":
            values[name] = f"{client}/1" if rule.rule.startswith("/orders") else client
        elif name == "number":
            values[name] = world.north_workbook if office == "north" else world.leeds_workbook
        elif name in ("return_ref", "page_ref"):
            kind = "return" if name == "return_ref" else "page"
            values[name] = getattr(world, f"{'north' if office == 'north' else 'leeds'}_{kind}")
        elif name == "login":
            values[name] = "ana" if office == "north" else "lee"
        else:  # an any(...) part: its first choice
            values[name] = sorted(rule._converters[name].items)[0]
    return values


def url_for_rule(app: Flask, rule: Rule, world: World, office: str = "north") -> str:
    with app.test_request_context():
        from flask import url_for

        values = values_for(rule, world, office)
        return url_for(rule.endpoint, **values)


def bears_id(rule: Rule) -> bool:
    return any(name in IDS for name in rule.arguments)
