"""Participants' photos: recognised by their content, checked, and re-encoded without metadata.

A photo arrives from anyone's phone or camera: its name and declared type prove nothing,
and its EXIF block may hold the place where it was taken. So Pillow decides what the file
is, and what is kept is a fresh image made only of its pixels.
"""

import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MIN_SIDE = 300
PHOTO_MAX_SIDE = 6000
JPEG_QUALITY = 90

# Modes PNG keeps as they are; anything else becomes RGB (or RGBA when it has transparency).
PNG_MODES = ("RGB", "RGBA", "L", "LA")


def photo_error_not_image() -> str:
    return _("The photo must be a JPEG or PNG image. Choose a photo saved as .jpg or .png.")


def photo_error_too_large() -> str:
    return _("The photo must be a file of at most 5 MB. Choose a smaller photo.")


def photo_error_pixels(width: int, height: int) -> str:
    return _(
        "The photo must be between %(min)s×%(min)s and %(max)s×%(max)s pixels; this one is %(width)s×%(height)s."
    ) % {"min": PHOTO_MIN_SIDE, "max": PHOTO_MAX_SIDE, "width": width, "height": height}


def clean_photo(upload) -> ContentFile:
    """The photo re-encoded as a new JPEG or PNG without metadata, named photo.jpg or photo.png.

    Refused (ValidationError): anything Pillow does not recognise as JPEG or PNG, whatever
    its name; a file over 5 MB; fewer than 300 or more than 6000 pixels on a side.
    """
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(photo_error_too_large(), code="photo_too_large")
    upload.seek(0)
    content = upload.read(PHOTO_MAX_BYTES + 1)
    if len(content) > PHOTO_MAX_BYTES:
        raise ValidationError(photo_error_too_large(), code="photo_too_large")
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is a refusal here, not a log line.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=("JPEG", "PNG"))
            width, height = image.size
            if not (PHOTO_MIN_SIDE <= width <= PHOTO_MAX_SIDE and PHOTO_MIN_SIDE <= height <= PHOTO_MAX_SIDE):
                raise ValidationError(photo_error_pixels(width, height), code="photo_pixels")
            image_format = image.format
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(photo_error_not_image(), code="photo_not_image") from error

    # A camera's "rotate me" flag lives in the EXIF block that is about to go: apply it first.
    image = ImageOps.exif_transpose(image)
    output = io.BytesIO()
    if image_format == "JPEG":
        pixels = _fresh(image.convert("RGB"))
        pixels.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        name = "photo.jpg"
    else:
        if image.mode not in PNG_MODES:
            has_alpha = image.mode in ("P", "PA") and "transparency" in image.info or image.mode.endswith("A")
            image = image.convert("RGBA" if has_alpha else "RGB")
        pixels = _fresh(image)
        pixels.save(output, format="PNG", optimize=True)
        name = "photo.png"
    return ContentFile(output.getvalue(), name=name)


def _fresh(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no EXIF, ICC profile, text chunks or comments."""
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh
