"""The organisation's logo: checked, re-encoded and served on parents' pages.

An uploaded image is opened with Pillow, refused unless it really is a PNG or a
JPEG of sensible size, and saved again from its pixels alone: what is stored
carries no metadata (a phone photo's location, an editor's comments) and no
bytes Pillow did not understand, so the public URL serves only a plain image.
"""

import io

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from PIL import Image, UnidentifiedImageError

from accounts.models import Organisation

MAX_BYTES = 1024 * 1024
# Larger than any header needs; bigger images are shrunk, never refused for it.
MAX_SIDE = 800
# Refused before decoding: a small file can claim a huge canvas (a decompression bomb).
MAX_PIXELS = 25_000_000
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def logo_clean(data: bytes) -> tuple[bytes, str]:
    """The image re-encoded, and its kind ("png" or "jpg"); ValidationError in
    plain words for anything else."""
    if len(data) > MAX_BYTES:
        raise ValidationError("The logo must be 1 MB or smaller.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Many phones save photos as MPO: JPEG frames in one file. Its first
            # frame is a plain JPEG, and only that is kept (re-encoded as JPEG).
            kind = {"PNG": "png", "JPEG": "jpg", "MPO": "jpg"}.get(probe.format or "")
            if kind is None:
                raise ValidationError("The logo must be a PNG or JPEG image.")
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("The logo's picture is too large: use a smaller image.")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            clean = image.convert("RGBA" if kind == "png" else "RGB")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError("The logo must be a PNG or JPEG image that opens.") from None
    out = io.BytesIO()
    # Saved with no info, exif or icc_profile: only the pixels go out.
    clean.save(out, format="PNG" if kind == "png" else "JPEG", optimize=True)
    return out.getvalue(), kind


def stored_content_type(head: bytes) -> str | None:
    """The type of a stored logo from its first bytes; None for anything else."""
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
    return CONTENT_TYPES[kind] if kind else None


@login_not_required
@require_GET
def organisation_logo(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Public: parents' pages show it to people with no account. A logo is no
    secret, but it is served only as the image type its bytes say it is."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not organisation.logo:
        raise Http404
    try:
        file = organisation.logo.open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    head = file.read(8)
    content_type = stored_content_type(head)
    if content_type is None:
        file.close()
        raise Http404
    file.seek(0)
    response = FileResponse(file, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # The address names the stored file (?v=), so a new logo is a new address.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
