"""The staff web app: a face over the tracker library, as the command line is.

`create_app` builds the Flask app; each area of pages is a blueprint (see README,
"Adding a page"). No SQL and no rules here: every page calls library functions, which
check the signed-in account's role and offices themselves.
"""

from cpo.web.app import create_app

__all__ = ["create_app"]
