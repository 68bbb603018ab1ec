"""One pixel budget for every image, and every image mode made the grey a page really is.

An image reaches intake loose (PNG, JPEG), as a TIFF frame, or inside a PDF. Each is
measured from its header (or its PDF dictionary) before a pixel is decoded, so a
"decompression bomb" of a few kilobytes that unpacks to gigabytes is refused with its
size, the way a page too large to be a scan is, and the batch goes on.
"""

from __future__ import annotations

from typing import Any, cast

from PIL import Image

from tracker.errors import IntakeError

MAX_PIXELS = 100_000_000  # a 300-dpi A3 scan is 17 MP and a phone photo 12 to 50 MP
# Pillow's freed image blocks kept for the next page, at most this many (each at most
# 16 MB): without them every page's pixels are asked of the system again, a page fault
# each 4 KB, about 2 ms of a page's CPU (issue 19).
KEPT_BLOCKS = 8


def check_pixels(width: int, height: int, name: str, what: str = "the image") -> None:
    """Refuse an image over the budget, saying its size; IntakeError."""
    if width * height > MAX_PIXELS:
        raise IntakeError(
            name,
            f"{what} is too large to be a scanned page ({width} by {height} pixels); the most "
            f"cpo reads is {MAX_PIXELS // 1_000_000} megapixels: scan at 300 dpi or send a "
            "smaller photo",
        )


def to_grey(image: Image.Image) -> Image.Image:
    """The image as 8-bit grey, whatever its mode; transparency becomes white paper."""
    if image.mode == "L":
        return image
    if image.mode.startswith(("I", "F")):
        return _wide_to_grey(image)
    if "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    if image.mode not in ("1", "P", "RGB", "RGBA"):
        image = image.convert("RGB")  # CMYK, YCbCr: through RGB, as a screen shows them
    return image.convert("L")


def _wide_to_grey(image: Image.Image) -> Image.Image:
    """16-bit or 32-bit grey scaled by its own range: converting straight would clip it."""
    wide = image.convert("F")
    low, high = cast("tuple[float, float]", wide.getextrema())
    if high <= 255 and low >= 0:  # 8-bit values stored wide: already grey levels
        return wide.convert("L")
    scale = 255 / ((high - low) or 1.0)
    return wide.point(lambda v: v * scale - low * scale).convert("L")


def keep_image_memory() -> None:
    """Let Pillow keep freed image memory for the next page in this process."""
    # Image.core is Pillow's C core (what PILLOW_BLOCKS_MAX sets); a Pillow without the
    # allocator's settings only costs the speed.
    core: Any = getattr(Image, "core", None)
    if hasattr(core, "set_blocks_max") and core.get_blocks_max() < KEPT_BLOCKS:
        core.set_blocks_max(KEPT_BLOCKS)
