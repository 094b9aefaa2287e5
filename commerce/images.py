"""Uploaded images are checked by their content (Pillow), never by name or declared type."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def validate_image(upload: UploadedFile, *, field: str, max_megabytes: int) -> None:
    from PIL import Image, UnidentifiedImageError

    if upload.size > max_megabytes * 1024 * 1024:
        raise ValidationError(
            {field: [_("Images can be at most %(size)s MB.") % {"size": max_megabytes}]}
        )
    try:
        with Image.open(upload) as image:
            image.verify()
            image_format = image.format
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError({field: [_("Upload a JPEG, PNG, GIF or WebP image.")]}) from None
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError({field: [_("Upload a JPEG, PNG, GIF or WebP image.")]})
