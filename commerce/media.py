"""Serving a shop's uploaded images on its own host: the reference behaviour for production
(docs/scaling.md, "Media").

A name is served only if it is under the current shop's prefix and has the exact shape
`commerce.images.reencode_image` writes (`<schema>/<logos|products>/<32 hex>.<png|jpg|webp>`):
another shop's prefix, `..`, absolute paths, NUL bytes, backslashes or decoded `%2F`s cannot
match and are a 404, before the storage backend sees the name. Files stored before
re-encoding (legacy `logos/…`, `products/…` names in the shared folder) are served only on the
host of the shop whose row names them, and only if they decode as an image; their content
type comes from the decoding.

Every response is an image that can never run as a document or a script: decoded content
type, `nosniff`, inline disposition, a CSP with `sandbox`, and a resource policy that keeps
other origins (other shops' hosts included) from embedding it.
"""

from __future__ import annotations

import posixpath
import re

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from commerce.images import CONTENT_TYPES, decoded_content_type, stored_extension

# Legacy names Django's storage wrote from the merchant's own file name (letters, digits,
# `._-`, a `_<random>` suffix on clashes), in the shared folders.
LEGACY_NAME = re.compile(r"(?:logos|products)/[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
MEDIA_POLICY = "default-src 'none'; sandbox"
# New names are random and never rewritten; legacy ones may be replaced under the same name.
IMMUTABLE = "public, max-age=31536000, immutable"
LEGACY_CACHE = "public, max-age=3600"


def _legacy_name_of_this_shop(name: str) -> bool:
    from commerce.catalog.models import ProductImage
    from commerce.store.models import StoreSettings

    if not LEGACY_NAME.fullmatch(name) or ".." in name:
        return False
    return (
        StoreSettings.objects.filter(logo=name).exists()
        or ProductImage.objects.filter(image=name).exists()
    )


@require_safe
def shop_media(request: HttpRequest, name: str) -> HttpResponse:
    extension = stored_extension(name, schema_name=connection.schema_name)
    if extension is not None:
        content_type, cache_control = CONTENT_TYPES[extension], IMMUTABLE
    elif _legacy_name_of_this_shop(name):
        content_type, cache_control = None, LEGACY_CACHE
    else:
        raise Http404
    try:
        modified = default_storage.get_modified_time(name)
        file = default_storage.open(name, "rb")
    except (FileNotFoundError, NotADirectoryError):
        raise Http404 from None
    if content_type is None:
        with file:
            data = file.read()
        content_type = decoded_content_type(data)
        if content_type is None:
            raise Http404
        file = default_storage.open(name, "rb")

    last_modified = http_date(modified.timestamp())
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), modified.timestamp()):
        file.close()
        response = HttpResponse(status=304)
    else:
        response = FileResponse(
            file,
            content_type=content_type,
            as_attachment=False,
            filename=posixpath.basename(name),
        )
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
