"""What a file holds, told by its bytes, not its name; and its pages as images.

A copier gives PDFs (any number of pages) or TIFFs, a phone gives JPEGs (often turned by
an EXIF tag rather than in its pixels), and an offline bundle gives answers files
(JSON). Anything else, or anything damaged, is refused with a reason a person can act on.

PDFs are rendered with PDFium (pypdfium2): fast, in-process, and it reads what scanner
software writes. Images are opened with Pillow, which reads a file's size from its header
before decoding, so a huge image is refused before it fills the memory. A JPEG (a photo,
or a scanner's page inside a PDF) is decoded straight at the reader's coarse size, and
at its reduced size only if the reader needs it (libjpeg's scaled decoding, Pillow's
`draft`), less work than decoding it whole and reducing it, and its bytes are kept as
its evidence as they came (issue 19).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import ExifTags, Image, ImageOps

from tracker.errors import IntakeError
from tracker.intake.images import MAX_PIXELS, check_pixels, to_grey
from tracker.intake.jpeg_strip import without_metadata
from tracker.intake.reader import Pixels, coarse_factor, reduced_factor

PDF, PNG, JPEG, TIFF, ANSWERS = "pdf", "png", "jpeg", "tiff", "answers"
# PDF pages are rendered to a size in pixels, not a resolution, so a scanner that writes
# an odd page size still gives the reader enough pixels: an A4 page's long side at
# 200 dpi reads the page codes reliably and renders in a few tens of milliseconds, and
# 300 dpi is tried when a page's code was not found.
RENDER_LONG_SIDE = 2339
RETRY_LONG_SIDE = 3508
EVIDENCE_LONG_SIDE = 1754  # an A4 page at about 150 dpi: clear to read, a few hundred KB
EVIDENCE_QUALITY = 60
# A JPEG page is kept as it came up to this size: a 300-dpi A4 scan, even in colour, is
# well under it; a bigger photo is re-encoded at about 150 dpi.
EVIDENCE_MAX_BYTES = 4_000_000

# PDFium's error codes (fpdfview.h) worth explaining.
_PDF_PASSWORD, _PDF_FORMAT = 4, 3


@dataclass(frozen=True)
class Source:
    """A file intake can read: its kind, its hash (which refuses it a second time), its pages."""

    path: Path
    kind: str
    sha256: str
    size: int
    pages: int


def sniff(data: bytes, name: str) -> str:
    """The kind of file these bytes are, whatever it is named; IntakeError if none we read."""
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return ANSWERS
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        raise IntakeError(
            name,
            "a HEIC photo, which cpo cannot read: share it as JPEG, or set the phone's "
            "camera to 'Most Compatible'",
        )
    if _looks_like_text(head):
        raise IntakeError(
            name, "this is a text file, not a scan or an answers file, whatever its name says"
        )
    raise IntakeError(name, "not a PDF, PNG, JPEG or TIFF scan, nor an answers file")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c.isspace() for c in text)


def pdf_pages(data: bytes, name: str) -> int:
    """How many pages a PDF has; IntakeError if it is locked or damaged."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        code = getattr(err, "err_code", None)
        if code == _PDF_PASSWORD:
            raise IntakeError(
                name,
                "the PDF is locked with a password: save an unlocked copy from the scanner "
                "or ask who sent it",
            ) from None
        if code == _PDF_FORMAT:
            raise IntakeError(
                name, "the PDF is damaged or cut short and cannot be opened: scan it again"
            ) from None
        raise IntakeError(name, f"the PDF cannot be opened ({err})") from None
    with document:
        pages = len(document)
    if not pages:
        raise IntakeError(name, "the PDF has no pages")
    return pages


def image_pages(data: bytes, name: str) -> int:
    """How many frames the image holds, each measured against the pixel budget."""
    with _open_image(data, name) as image:
        frames = int(getattr(image, "n_frames", 1))
        for frame in range(1, frames):  # a frame's header only: nothing is decoded
            _seek(image, frame, name)
        return frames


def _seek(image: Image.Image, frame: int, name: str) -> None:
    try:
        image.seek(frame)
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise IntakeError(name, f"the image is damaged ({err})") from None
    check_pixels(image.width, image.height, name, f"frame {frame + 1}")


def _open_image(data: bytes, name: str) -> Image.Image:
    """Open an image lazily, refusing one too large to be a page before decoding it."""
    # Pillow's own bomb check would refuse without saying the size; ours is stricter.
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        image = Image.open(io.BytesIO(data))
    except (OSError, SyntaxError, ValueError) as err:
        raise IntakeError(name, f"the image is damaged and cannot be opened ({err})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    check_pixels(image.width, image.height, name)
    return image


def page_image(
    path: Path, kind: str, index: int, long_side: int = RENDER_LONG_SIDE, scanned: bool = True
) -> Image.Image:
    """Page `index` (from 0) of a file as a greyscale image, the right way up by EXIF.

    A PDF page that is one scanned image is that image (unless `scanned` is False);
    any other is rendered `long_side` pixels long. An image file is taken as it is.
    """
    name = f"{path} page {index + 1}"
    if kind == PDF:
        return _render_pdf_page(path, index, long_side, name, scanned)
    image = _open_image(path.read_bytes(), name)
    if index:
        _seek(image, index, name)
    try:
        return to_grey(ImageOps.exif_transpose(image))
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise IntakeError(name, f"the image is damaged ({err})") from None


def page_pixels(path: Path, kind: str, index: int) -> Pixels:
    """Page `index` (from 0) as the reader first reads it: a JPEG at the reduced size.

    Any other page is decoded or rendered whole, as `page_image` gives it. A JPEG page
    carries its bytes as they came (`original`) when they can be kept as its evidence.
    """
    name = f"{path} page {index + 1}"
    full = partial(page_image, path, kind, index)
    data = None
    if kind == JPEG and not index:
        data = path.read_bytes()
    elif kind == PDF:
        data = _scanned_jpeg(path, index, name)
    pixels = _jpeg_pixels(data, name, full, turn=kind == JPEG) if data else None
    pixels = pixels or Pixels.of(full())
    if data and _kept_as_it_came(data, name):
        pixels.original = without_metadata(data)  # None: made again, like any other page
    return pixels


def _kept_as_it_came(data: bytes, name: str) -> bool:
    """Whether a page's JPEG can be its evidence byte for byte: any viewer shows it upright."""
    # A CMYK JPEG shows inverted in some viewers, and an EXIF turn is ignored by some (and
    # by a PDF): those are re-encoded upright in grey, as is a photo too big to keep.
    with _open_image(data, name) as image:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        return (
            image.format == "JPEG"
            and image.mode in ("L", "RGB")
            and orientation == 1
            and len(data) <= EVIDENCE_MAX_BYTES
        )


# EXIF orientations that turn a photo a quarter: its width and height swap places.
_QUARTER_TURNS = (5, 6, 7, 8)
_DRAFT_FACTORS = (2, 4, 8)  # what libjpeg can scale by while decoding


def _jpeg_pixels(
    data: bytes, name: str, full: Callable[[], Image.Image], turn: bool
) -> Pixels | None:
    """A JPEG decoded at the reader's coarse size, or None if no scaled decoding gives it.

    The coarse size (`reader.coarse_factor`) is where the reader looks first; the
    reduced size and the full size are decoded only if the reader asks for them.
    """
    with _open_image(data, name) as image:
        width, height = image.size
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1) if turn else 1
    size = (height, width) if orientation in _QUARTER_TURNS else (width, height)
    scaled = partial(_jpeg_scaled, data, name, orientation)
    for factor in (coarse_factor(size), reduced_factor(size)):
        small = scaled(factor)
        if small is not None:
            return Pixels(full, size, small, factor, scaled=scaled)
    return None


def _jpeg_scaled(data: bytes, name: str, orientation: int, factor: int) -> Image.Image | None:
    """The JPEG decoded `factor` times smaller, upright, or None if libjpeg cannot scale so."""
    if factor not in _DRAFT_FACTORS:
        return None
    with _open_image(data, name) as image:
        width, height = image.size
        image.draft("L", (width // factor, height // factor))
        if image.size != (-(-width // factor), -(-height // factor)):
            return None  # Pillow chose another scale: read it whole, as before
        try:
            # Turned only if its EXIF says so: exif_transpose copies an upright image whole.
            turned = orientation != 1
            return to_grey(ImageOps.exif_transpose(image) if turned else _loaded(image))
        except (OSError, SyntaxError, ValueError, EOFError) as err:
            raise IntakeError(name, f"the image is damaged ({err})") from None


def _loaded(image: Image.Image) -> Image.Image:
    image.load()  # before the file closes: to_grey keeps an 8-bit grey image as it is
    return image


def _render_pdf_page(
    path: Path, index: int, long_side: int, name: str, scanned: bool
) -> Image.Image:
    try:
        page = _document(path)[index]
        _check_page_images(page, name)
        scan = _scanned_image(page, name) if scanned else None
        if scan is not None:
            return scan
        width, height = page.get_size()
        if min(width, height) < 1:
            raise IntakeError(name, "the page has no size")
        scale = long_side / max(width, height)
        if width * height * scale * scale > MAX_PIXELS:
            raise IntakeError(
                name,
                f"the page is {width / 72 * 25.4:.0f} by {height / 72 * 25.4:.0f} mm, "
                "too long and thin to be a scanned page",
            )
        image: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
        return to_grey(image)
    except pdfium.PdfiumError as err:
        raise IntakeError(name, f"the page cannot be rendered ({err})") from None


def _check_page_images(page: pdfium.PdfPage, name: str) -> None:
    """Measure every image on the page, in forms too, from its dictionary: none decoded."""
    for picture in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        assert isinstance(picture, pdfium.PdfImage)
        try:
            width, height = picture.get_px_size()
        except pdfium.PdfiumError:
            continue  # an image PDFium cannot size, it will not decode either
        check_pixels(width, height, name, "an image on the page")


def _scanned_image(page: pdfium.PdfPage, name: str) -> Image.Image | None:
    """A scanner's page as it was scanned: its one full-page image, at its own resolution.

    Taking the image out is several times faster than rendering the page, and loses
    nothing to resampling. A page that is anything else (text, several images, a turned
    or mirrored image) is rendered instead.
    """
    picture = _page_picture(page)
    if picture is None:
        return None
    if picture.get_filters() == ["DCTDecode"]:
        data = bytes(picture.get_data(decode_simple=False))
        with _open_image(data, name) as image:  # its own header may differ from the PDF's
            return to_grey(_loaded(image))
    bitmap: Image.Image = picture.get_bitmap(render=False).to_pil()
    return to_grey(bitmap)


def _page_picture(page: pdfium.PdfPage) -> pdfium.PdfImage | None:
    """The one upright image that fills a scanned page, or None if the page is anything else."""
    if page.get_rotation():
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    picture = objects[0]
    assert isinstance(picture, pdfium.PdfImage)
    left, bottom, right, top = picture.get_bounds()
    width, height = page.get_size()
    matrix = picture.get_matrix()
    if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
        return None
    if (right - left) * (top - bottom) < 0.9 * width * height:
        return None
    return picture


def _scanned_jpeg(path: Path, index: int, name: str) -> bytes | None:
    """A scanned PDF page's JPEG as the scanner wrote it, or None if the page is not one."""
    try:
        page = _document(path)[index]
        _check_page_images(page, name)
        picture = _page_picture(page)
        if picture is None or picture.get_filters() != ["DCTDecode"]:
            return None
        return bytes(picture.get_data(decode_simple=False))
    except pdfium.PdfiumError as err:
        raise IntakeError(name, f"the page cannot be rendered ({err})") from None


_open_document: dict[Path, pdfium.PdfDocument] = {}


def _document(path: Path) -> pdfium.PdfDocument:
    """The PDF at `path`, kept open while its pages are read one after another."""
    if path not in _open_document:
        for old in _open_document.values():
            old.close()
        _open_document.clear()
        _open_document[path] = pdfium.PdfDocument(str(path))
    return _open_document[path]


def evidence_jpeg(image: Image.Image | Pixels) -> bytes:
    """The page as kept for the marker and the auditor: its JPEG as it came, or one made.

    A page that came as a JPEG (a photo, a scanner's page in a PDF) is kept as it came
    but for its metadata (a phone's EXIF can hold where the photo was taken): its
    picture byte for byte, nothing lost to re-encoding. Any other is made a greyscale
    JPEG of about 150 dpi.
    """
    pixels = image if isinstance(image, Pixels) else Pixels.of(image)
    if pixels.original is not None:
        return pixels.original
    small = pixels.reduced(max(1, round(max(pixels.size) / EVIDENCE_LONG_SIDE)))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=EVIDENCE_QUALITY)
    return out.getvalue()
