"""The GOV.UK and MoJ frontend's CSS, JavaScript and images, served by the app itself.

They come from npm (`make` runs `npm ci`, which fills node_modules/). The compiled CSS
names the GDS Transport font, which is only for services on GOV.UK: its @font-face rules
are taken out when the CSS is first served, so pages use Arial and no font file is asked
for. Nothing is fetched from anywhere else.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from builder.errors import CpoError

ASSETS_ENV = "CPO_WEB_ASSETS"  # where node_modules is, if not beside the source
REPO_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
GOVUK = Path("govuk-frontend/dist/govuk")
MOJ = Path("@ministryofjustice/frontend/moj")
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


class AssetsMissing(CpoError):
    """The frontend's files from npm are not installed."""


@dataclass(frozen=True)
class Assets:
    """The frontend's files in one node_modules folder."""

    root: Path

    @classmethod
    def find(cls) -> Assets:
        """The installed frontend; AssetsMissing saying how to install it if it is not."""
        root = Path(os.environ.get(ASSETS_ENV) or REPO_NODE_MODULES)
        assets = cls(root)
        for needed in (
            assets.govuk / "govuk-frontend.min.css",
            assets.moj / "moj-frontend.min.css",
        ):
            if not needed.is_file():
                raise AssetsMissing(
                    f"the web app's frontend is not installed ({needed} is missing): run "
                    f"`make node_modules/.installed` (npm ci), or set ${ASSETS_ENV} to a "
                    "node_modules folder"
                )
        return assets

    @property
    def govuk(self) -> Path:
        return self.root / GOVUK

    @property
    def moj(self) -> Path:
        return self.root / MOJ

    @cached_property
    def css(self) -> str:
        """Both stylesheets, GOV.UK's then MoJ's, with the reserved font taken out."""
        text = (self.govuk / "govuk-frontend.min.css").read_text(encoding="utf-8")
        text += "\n" + (self.moj / "moj-frontend.min.css").read_text(encoding="utf-8")
        text = _FONT_FACE.sub("", text)
        return text.replace('"GDS Transport",', "").replace("GDS Transport,", "")

    def version(self, static: Path) -> str:
        """A short fingerprint of the files served: it changes when any of them can have."""
        digest = hashlib.sha256()
        for path in sorted(static.iterdir()):  # the app's own files: small, read whole
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        for package in (self.govuk.parent.parent, self.moj.parent):  # npm's: by version
            digest.update((package / "package.json").read_bytes())
        return digest.hexdigest()[:12]

    def file(self, name: str) -> Path | None:
        """An image or script the CSS or pages ask for by its name under /assets/."""
        places = {
            "govuk-frontend.min.js": self.govuk / "govuk-frontend.min.js",
            "moj-frontend.min.js": self.moj / "moj-frontend.min.js",
        }
        if name in places:
            return places[name]
        if name.startswith("images/") and "/" not in name.removeprefix("images/"):
            for folder in (self.moj / "assets", self.govuk / "assets"):
                if (folder / name).is_file():
                    return folder / name
        return None
