"""A JPEG kept as evidence without what a camera adds about the person who took it.

A phone photo carries EXIF (often the place it was taken, to a few metres, and the
phone's make), XMP, IPTC and comments. None of it is the page, and a client's home
address must not sit in the records by accident. The picture itself is not touched:
the segments that describe the image (JFIF, its colour profile, Adobe's colour
transform, the tables and the compressed data) are copied byte for byte, so nothing is
lost to re-encoding and the work costs microseconds.
"""

from __future__ import annotations

# Markers whose segment is kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe's
# colour transform), and every marker that is not an application segment or a comment
# (tables, frame headers, restart intervals).
_APP0, _APP2, _APP14, _APP15 = 0xE0, 0xE2, 0xEE, 0xEF
_COMMENT, _START_OF_SCAN, _START, _TEMP = 0xFE, 0xDA, 0xD8, 0x01


def _dropped(marker: int) -> bool:
    """Whether a segment holds metadata rather than the picture."""
    if marker == _COMMENT:
        return True
    return _APP0 <= marker <= _APP15 and marker not in (_APP0, _APP2, _APP14)


def without_metadata(data: bytes) -> bytes | None:
    """The JPEG with its metadata segments left out, or None if its header is not plain.

    None means "do not keep this file as it came": the caller re-encodes the page.
    """
    if data[:2] != b"\xff\xd8":
        return None
    out, i, dropped = [b"\xff\xd8"], 2, False
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte before a marker
            i, dropped = i + 1, True
            continue
        if marker in (_START, _TEMP) or 0xD0 <= marker <= 0xD7 or marker == 0xD9:
            return None  # no standalone marker belongs before the scan
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        end = i + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker == _START_OF_SCAN:
            if not dropped:  # a scanner's page, most often: not copied (1 MB or more)
                return data
            out.append(data[i:])  # the compressed picture and all after it, as it came
            return b"".join(out)
        if _dropped(marker):
            dropped = True
        else:
            out.append(data[i:end])
        i = end
    return None
