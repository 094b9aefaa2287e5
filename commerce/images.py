"""Uploaded images: decoded by Pillow and re-encoded into a fresh file, never kept as sent.

An upload's name, declared type and extra bytes are attacker-controlled: a GIF that is also
JavaScript, an HTML page named .png, an SVG with a script. Keeping only the decoded pixels,
written by Pillow under a random name whose extension is the format we wrote, leaves nothing
of the upload but the picture. Files live under the shop's own prefix
(`<schema>/<folder>/<random>.<ext>`) so the media view can refuse another shop's names.

Every image model field is a `ShopImageField`; it refuses to store anything that did not come
out of `reencode_image`, so a future field or code path cannot skip the re-encoding.
"""

from __future__ import annotations

import io
import re
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# What we read. GIF is accepted and written as PNG (its first frame): a still image loses
# nothing, and no GIF bytes of the upload survive.
READABLE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# What we write: Pillow format → (extension, content type).
WRITTEN_FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in WRITTEN_FORMATS.values()}
# Enough for any logo or product photo (a 20-megapixel camera); decoding one takes at most
# ~80 MB of memory (RGBA), far below Pillow's own bomb threshold of 89 megapixels.
MAX_PIXELS = 20_000_000
MAX_SIDE = 8_000
FOLDERS = ("logos", "products")
# The names `reencode_image` produces, relative to the shop's prefix.
STORED_NAME = re.compile(r"(?P<folder>logos|products)/[0-9a-f]{32}\.(?P<extension>png|jpg|webp)")


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


class CleanImage(ContentFile):
    """Bytes written by `reencode_image`: the only content a `ShopImageField` stores."""

    def __init__(self, content: bytes, *, extension: str):
        super().__init__(content, name=f"{uuid.uuid4().hex}.{extension}")
        self.extension = extension
        self.content_type = CONTENT_TYPES[extension]


def reencode_image(upload: UploadedFile, *, field: str, max_megabytes: int) -> CleanImage:
    """Decode `upload` and write its pixels afresh (PNG, JPEG or WebP, no metadata).

    Any upload that is not a whole, decodable JPEG/PNG/GIF/WebP within the size and pixel
    limits is a ValidationError naming `field`; nothing is written either way.
    """
    from PIL import Image, UnidentifiedImageError

    if not upload.size:
        raise _refuse(field, _("The submitted file is empty."))
    if upload.size > max_megabytes * 1024 * 1024:
        raise _refuse(field, _("Images can be at most %(size)s MB.") % {"size": max_megabytes})
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 178 megapixels; a warning is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=READABLE_FORMATS) as image:
                _check_dimensions(image.size, field)
                source_format = image.format
                image.load()
                picture = _pixels_only(image, source_format)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(field, _("This image has too many pixels.")) from None
    except UnidentifiedImageError:
        raise _refuse(field, _("Upload a JPEG, PNG, GIF or WebP image.")) from None
    except Exception:
        # Truncated or corrupt data makes Pillow's decoders raise OSError, SyntaxError,
        # ValueError, EOFError and others; any of them means "not a usable image", not a 500.
        raise _refuse(field, _("This image is damaged or incomplete.")) from None
    finally:
        upload.seek(0)

    written_format = "PNG" if source_format == "GIF" else source_format
    extension, _content_type = WRITTEN_FORMATS[written_format]
    buffer = io.BytesIO()
    if written_format == "JPEG":
        picture.save(buffer, format="JPEG", quality=90)
    elif written_format == "WEBP":
        picture.save(buffer, format="WEBP", quality=90)
    else:
        picture.save(buffer, format="PNG")
    return CleanImage(buffer.getvalue(), extension=extension)


def _check_dimensions(size: tuple[int, int], field: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise _refuse(field, _("This image is damaged or incomplete."))
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _refuse(
            field,
            _("Images can be at most %(pixels)s pixels wide or high.") % {"pixels": MAX_SIDE},
        )
    if width * height > MAX_PIXELS:
        raise _refuse(field, _("This image has too many pixels."))


def _pixels_only(image, source_format: str):
    """A new image holding only the pixels of `image` (its first frame), upright, in a mode
    its written format takes; no EXIF, ICC profile, comments or other chunks survive."""
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if source_format == "JPEG":
        mode = "L" if upright.mode == "L" else "RGB"
    elif has_alpha:
        mode = "RGBA"
    else:
        mode = "L" if upright.mode == "L" else "RGB"
    converted = upright.convert(mode)
    fresh = Image.new(mode, converted.size)
    fresh.paste(converted)
    return fresh


@deconstructible
class ShopFolder:
    """`upload_to` of shop files: `<schema>/<folder>/<name>`, the current shop's prefix."""

    def __init__(self, folder: str):
        if folder not in FOLDERS:
            raise ValueError(f"Unknown media folder {folder!r}; add it to FOLDERS")
        self.folder = folder

    def __call__(self, instance: models.Model, filename: str) -> str:
        schema = connection.schema_name
        if not schema or schema == "public":
            raise RuntimeError("Shop files are written in a shop's schema only")
        return f"{schema}/{self.folder}/{filename}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShopFolder) and other.folder == self.folder


class ShopImageField(models.FileField):
    """A shop's image file. Stores only `CleanImage`s (from `reencode_image`), under the
    shop's prefix; assigning a raw upload is a programming error caught before any write."""

    def pre_save(self, model_instance: models.Model, add: bool):
        file = getattr(model_instance, self.attname)
        if file and not file._committed and not isinstance(file.file, CleanImage):
            raise TypeError(
                f"{model_instance.__class__.__name__}.{self.name} stores re-encoded images "
                "only: pass the upload through commerce.images.reencode_image"
            )
        return super().pre_save(model_instance, add)


def shop_media_prefix(schema_name: str) -> str:
    return f"{schema_name}/"


def stored_extension(name: str, *, schema_name: str) -> str | None:
    """The extension of `name` if it is a file `reencode_image` wrote for this shop, else
    None (another shop's prefix, `..`, absolute paths, odd characters, legacy names)."""
    prefix = shop_media_prefix(schema_name)
    if not name.startswith(prefix):
        return None
    match = STORED_NAME.fullmatch(name[len(prefix) :])
    return match["extension"] if match else None


def decoded_content_type(data: bytes) -> str | None:
    """The content type of `data` by decoding it, for files stored before re-encoding
    (legacy names); None if it is not a whole image of a readable format."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=READABLE_FORMATS) as image:
                image.verify()
                return Image.MIME.get(image.format)
    except Exception:
        # Whatever Pillow raised, the file is not served as an image.
        return None
