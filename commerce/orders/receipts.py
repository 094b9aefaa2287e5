"""The till's printed receipt: a QR code of the order's tracking link."""

import io

import segno


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as a standalone SVG document (black on white, 4 modules margin)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title=url,
        omitsize=True,
    )
    return buffer.getvalue()
