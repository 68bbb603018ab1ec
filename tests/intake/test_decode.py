"""A JPEG page is decoded at the reader's reduced size, whole only when the reader needs it,
and kept as its evidence as it came when any viewer shows it upright."""

from __future__ import annotations

import io
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageStat

from tests.intake.corpus import module_pages, render_page, render_workbooks
from tracker.errors import IntakeError
from tracker.intake import sources
from tracker.intake.jpeg_strip import without_metadata
from tracker.intake.kinds import inspect, inspect_all
from tracker.intake.pages import PageTask, read_page
from tracker.intake.reader import Pixels, find_codes, reduced_factor
from tracker.intake.sources import EVIDENCE_LONG_SIDE, JPEG, PDF, page_image, page_pixels

ORIENTATION = 0x0112
START_OF_SCAN = b"\xff\xda"


def picture(jpeg: bytes) -> bytes:
    """A JPEG's compressed picture: its scan and all after it."""
    return jpeg[jpeg.index(START_OF_SCAN) :]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image.Image, str]:
    """A later page of WB1 (page code only) as a 300-dpi scan, and its page code."""
    pdf = render_workbooks(tmp_path_factory.mktemp("wb"), ["WB1"], ("standard",))[0]
    index, code = module_pages(pdf, ["WB1"])[3]
    return render_page(pdf, index), code


def counted(pixels: Pixels) -> tuple[Pixels, list[int]]:
    """The same pixels, counting how often the full-size page is decoded."""
    calls: list[int] = []

    def load() -> Image.Image:
        calls.append(1)
        return pixels.load()

    return replace(pixels, load=load), calls


@pytest.mark.parametrize("kind", [JPEG, PDF])
def test_a_jpeg_page_is_read_small_and_never_decoded_whole(
    kind: str, page: tuple[Image.Image, str], tmp_path: Path
) -> None:
    image, code = page
    path = tmp_path / ("page.jpg" if kind == JPEG else "scan.pdf")
    image.save(path, "JPEG" if kind == JPEG else "PDF", quality=80, resolution=300)
    pixels, calls = counted(page_pixels(path, kind, 0))
    assert pixels.size == image.size and pixels.factor == 4  # decoded a quarter size
    assert {f.text for f in find_codes(pixels, lambda codes: code in codes)} == {code}
    assert not calls  # the page code was read on the reduced page: nothing decoded whole
    read = read_page(PageTask(0, path, kind, 0))
    assert read.sheets[0].codes == (code,)
    # The evidence is the page's JPEG byte for byte (with no metadata to leave out): the
    # photo, or the stream in the PDF.
    kept = read.sheets[0].evidence
    assert kept == path.read_bytes() if kind == JPEG else kept in path.read_bytes()
    with Image.open(io.BytesIO(kept)) as evidence:
        assert evidence.size == image.size


def test_a_jpeg_too_big_to_keep_is_kept_at_150_dpi(
    page: tuple[Image.Image, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, code = page
    path = tmp_path / "page.jpg"
    image.save(path, "JPEG", quality=80)
    monkeypatch.setattr(sources, "EVIDENCE_MAX_BYTES", path.stat().st_size - 1)
    read = read_page(PageTask(0, path, JPEG, 0))
    assert read.sheets[0].codes == (code,)
    with Image.open(io.BytesIO(read.sheets[0].evidence)) as evidence:
        assert max(evidence.size) == EVIDENCE_LONG_SIDE and evidence.mode == "L"


# How EXIF orientation N stores an upright page: the inverse of the turn that shows it.
STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(["L", "RGB", "CMYK"]),
    orientation=st.integers(1, 8),
    width=st.integers(120, 600),
    height=st.integers(120, 600),
)
def test_the_evidence_shows_the_page_upright_and_is_the_photo_when_it_can_be(
    mode: str, orientation: int, width: int, height: int
) -> None:
    """Whatever its mode and EXIF turn, the kept image, shown plainly, is the page upright.

    It is the photo's picture byte for byte exactly when any viewer shows that upright and
    true (grey or RGB, not turned by EXIF); otherwise it is made grey and upright. Either
    way the photo's EXIF is not kept.
    """
    upright = Image.new("L", (width, height), 230)
    upright.paste(0, (0, 0, width // 3, height // 3))  # a dark mark top left
    stored = upright.transpose(STORED[orientation]) if orientation in STORED else upright
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        stored.convert(mode).save(path, "JPEG", quality=90, exif=exif)
        kept = read_page(PageTask(0, path, JPEG, 0)).sheets[0].evidence
        as_it_came = picture(kept) == picture(path.read_bytes())
    assert as_it_came == (mode != "CMYK" and orientation == 1)
    assert b"Exif" not in kept
    with Image.open(io.BytesIO(kept)) as evidence:
        assert as_it_came or evidence.mode == "L"
        shown = evidence.convert("L")  # its pixels as stored: no EXIF turn applied
    assert shown.size == upright.size
    corner = ImageStat.Stat(shown.crop((0, 0, width // 4, height // 4))).mean[0]
    rest = ImageStat.Stat(shown.crop((width // 2, height // 2, width, height))).mean[0]
    assert corner < 60 < 180 < rest


def test_a_photo_turned_by_its_exif_tag_is_read_upright(
    page: tuple[Image.Image, str], tmp_path: Path
) -> None:
    image, code = page
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera held sideways: shown turned a quarter clockwise
    image.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=85, exif=exif)
    pixels = page_pixels(path, JPEG, 0)
    assert pixels.size == image.size and pixels.small is not None
    assert read_page(PageTask(0, path, JPEG, 0)).sheets[0].codes == (code,)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1000, 4000),
    height=st.integers(1000, 4000),
    orientation=st.integers(1, 8),
)
def test_the_reduced_page_is_the_whole_page_reduced(
    width: int, height: int, orientation: int
) -> None:
    """Whatever its size and EXIF turn, a JPEG decoded small matches it decoded whole."""
    gradient = Image.linear_gradient("L").resize((width, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        gradient.save(path, "JPEG", quality=90, exif=exif)
        pixels = page_pixels(path, JPEG, 0)
        whole = page_image(path, JPEG, 0)
        # The coarse size decoded first, and the reduced size decoded when asked for.
        sizes = {
            factor: pixels.reduced(factor)
            for factor in (pixels.factor, reduced_factor(pixels.size))
        }
    assert pixels.size == whole.size
    for factor, reduced in sizes.items():
        expected = whole.reduce(factor)
        assert reduced.size == expected.size
        # Scaled decoding differs from averaging by rounding and the gradient's edges only.
        assert ImageStat.Stat(ImageChops.difference(reduced, expected)).mean[0] < 4


FILES = {
    "jpeg": lambda: _jpeg_bytes(),
    "empty": lambda: b"",
    "text": lambda: b"hello, this is not a scan\n",
    "missing": lambda: None,
}


def _jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("L", (40, 60), 200).save(out, "JPEG")
    return out.getvalue()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(sorted(FILES)), max_size=12))
def test_files_inspected_side_by_side_come_back_in_order_each_as_alone(kinds: list[str]) -> None:
    """Reading and hashing in threads changes nothing: each file as `inspect` tells it."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, kind in enumerate(kinds):
            path = Path(folder) / f"{n}-{kind}"
            data = FILES[kind]()
            if data is not None:
                path.write_bytes(data)
            paths.append(path)
        together = list(inspect_all(paths))
        assert [path for path, _ in together] == paths
        for path, got in together:
            try:
                alone: object = inspect(path)
            except IntakeError as err:
                alone = err.reason
            assert (got.reason if isinstance(got, IntakeError) else got) == alone


GPS_INFO, MAKE = 0x8825, 0x010F
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2


def test_a_photo_is_kept_without_where_it_was_taken(
    page: tuple[Image.Image, str], tmp_path: Path
) -> None:
    """A phone's EXIF (the place, the phone), XMP and comment are left out; the picture is
    kept byte for byte and still read."""
    image, code = page
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif.get_ifd(GPS_INFO).update({GPS_LATITUDE_REF: "N", GPS_LATITUDE: (55.0, 57.0, 12.5)})
    path = tmp_path / "photo.jpg"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Home, 1 High Street</x:xmpmeta>'
    image.save(path, "JPEG", quality=80, exif=exif, comment=b"Home, 1 High Street", xmp=xmp)
    sent = path.read_bytes()
    assert b"PhoneMaker" in sent and b"High Street" in sent
    read = read_page(PageTask(0, path, JPEG, 0))
    assert read.sheets[0].codes == (code,)
    kept = read.sheets[0].evidence
    assert b"PhoneMaker" not in kept and b"High Street" not in kept and b"Exif" not in kept
    assert picture(kept) == picture(sent)
    with Image.open(io.BytesIO(kept)) as evidence, Image.open(path) as photo:
        assert not evidence.getexif() and "comment" not in evidence.info
        assert ImageChops.difference(evidence.convert("L"), photo.convert("L")).getbbox() is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=40))
def test_any_bytes_are_kept_without_metadata_or_made_again(data: bytes, tail: bytes) -> None:
    """The segment walker never fails: a header it cannot follow means 'make it again'."""
    for candidate in (data, b"\xff\xd8" + data, b"\xff\xd8\xff\xe1\x00\x06Exif" + data + tail):
        kept = without_metadata(candidate)
        assert kept is None or (kept.startswith(b"\xff\xd8") and START_OF_SCAN in kept)
