"""A parent's drawn signature: a PNG data URL from the signing page's canvas.

What arrives is whatever the browser (or anyone) posted, so it is decoded by
Pillow with limits before anything else reads it, and refused unless it really
is a PNG of a sensible size. The PDF draws a fresh copy Pillow wrote itself,
never the posted bytes.
"""

import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

PREFIX = "data:image/png;base64,"
# The canvas is at most a phone's width at 3x: anything bigger is not ours.
MAX_SIDE = 4000
MAX_PIXELS = 6_000_000


class UnreadableSignature(ValueError):
    """The posted value is not a PNG we are willing to draw."""


def signature_png(data_url: str) -> bytes:
    """The signature as a flattened RGB PNG (black ink on white), or raises."""
    if not data_url.startswith(PREFIX):
        raise UnreadableSignature("not a PNG data URL")
    try:
        raw = base64.b64decode(data_url[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnreadableSignature("not base64") from error
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            width, height = image.size
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise UnreadableSignature("wrong size")
            if width * height > MAX_PIXELS:
                raise UnreadableSignature("too many pixels")
            image.load()
            drawn = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise UnreadableSignature("not a PNG") from error
    # Transparent canvas pixels become white paper.
    flat = Image.new("RGB", drawn.size, "white")
    flat.paste(drawn, mask=drawn.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG")
    return out.getvalue()


def readable(data_url: str) -> bool:
    try:
        signature_png(data_url)
    except UnreadableSignature:
        return False
    return True
