"""A cabinet's logos: check an uploaded image and re-encode it (pure, no Flask).

An upload is untrusted bytes. It is accepted only when Pillow decodes it as a
PNG, JPEG or WebP image, whatever its file name or the browser's content type
say; SVG (a document that can carry scripts) and every other format are refused.

What is stored is never the uploaded file but a new image drawn from its pixels:
- always PNG: lossless (a logo is mostly flat colours and text, which JPEG
  blurs), keeps transparency, and gives one mimetype to serve;
- no metadata (EXIF, GPS, comments, colour profile): only the pixels are copied,
  after turning the image upright per its EXIF orientation;
- shrunk, keeping its proportions, to fit DISPLAY_BOX (never enlarged).

Refusals raise LogoRefused with a French message; the messages go through the
`gettext` callable given by the caller (Flask-Babel's in the views).
"""
import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILE_LABEL = "2 Mo"
MAX_WIDTH = 4000
MAX_HEIGHT = 4000
# Our own decompression-bomb limit, far below Pillow's global MAX_IMAGE_PIXELS
# (which is left alone: other code may rely on it).
MAX_PIXELS = MAX_WIDTH * MAX_HEIGHT
DISPLAY_BOX = (600, 200)
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
STORED_FORMAT = "PNG"
STORED_MIMETYPE = "image/png"
# Mimetypes the logo view agrees to serve (what this module stores, and the
# formats it may store one day).
SERVABLE_MIMETYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
FILENAME_SHOWN_MAX = 80
# What Pillow raises on a damaged file, depending on where the damage is.
DECODING_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
                   ZeroDivisionError, struct.error, MemoryError)


class LogoRefused(ValueError):
    """The upload is not an acceptable logo; `message` says why, in French."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Logo:
    data: bytes
    mimetype: str
    width: int
    height: int


def _identity(message, **params):
    return message % params if params else message


def prepare_logo(data: bytes, filename: str = "", gettext=_identity) -> Logo:
    """The logo to store for the uploaded `data`, or LogoRefused.

    `data` should be read with at most MAX_FILE_BYTES + 1 bytes: anything longer
    is refused without looking further."""
    if len(data) > MAX_FILE_BYTES:
        raise LogoRefused(gettext("L'image dépasse %(limit)s.", limit=MAX_FILE_LABEL))
    _check_header(data, filename, gettext)
    image = _decoded_image(data, gettext)
    return _reencoded(image)


def _open(data: bytes, filename: str, gettext):
    """Pillow's lazy open (header only), restricted to the accepted formats.

    Pillow's own bomb guard may fire here, before our size check can: an error
    above twice its MAX_IMAGE_PIXELS, and above that limit a warning, which our
    own check then refuses by its dimensions (or which is an error too where
    warnings are turned into errors). Either means « far too large »; the global
    warning filters are left alone (changing them is not thread-safe)."""
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused(gettext(
            "L'image est trop grande : %(max_width)d × %(max_height)d pixels au plus.",
            max_width=MAX_WIDTH, max_height=MAX_HEIGHT)) from None
    except Image.UnidentifiedImageError:
        raise LogoRefused(not_an_image_message(filename, gettext)) from None
    except DECODING_ERRORS:
        raise LogoRefused(damaged_message(gettext)) from None


def _check_header(data: bytes, filename: str, gettext):
    """Format and dimensions, read from the header before any pixel is decoded;
    then the whole file's structure (PNG checksums…), still without pixels."""
    image = _open(data, filename, gettext)
    if image.format not in ACCEPTED_FORMATS:  # the `formats` restriction already says so
        raise LogoRefused(not_an_image_message(filename, gettext))
    width, height = image.size
    if width > MAX_WIDTH or height > MAX_HEIGHT or width * height > MAX_PIXELS:
        raise LogoRefused(gettext(
            "L'image est trop grande : %(width)d × %(height)d pixels, "
            "%(max_width)d × %(max_height)d au plus.",
            width=width, height=height, max_width=MAX_WIDTH, max_height=MAX_HEIGHT))
    if width < 1 or height < 1:
        raise LogoRefused(damaged_message(gettext))
    try:
        image.verify()
    except DECODING_ERRORS:
        raise LogoRefused(damaged_message(gettext)) from None


def _decoded_image(data: bytes, gettext):
    """The first frame fully decoded: a truncated or corrupt file fails here
    (Pillow refuses truncated images unless told otherwise, which we never do)."""
    image = _open(data, "", gettext)  # verify() spent the first one
    try:
        image.load()
    except DECODING_ERRORS:
        raise LogoRefused(damaged_message(gettext)) from None
    return _upright(image)


def _upright(image):
    """Turned as the camera's EXIF orientation says, since the metadata that says
    so is about to go; an unreadable EXIF block leaves the image as it is."""
    try:
        return ImageOps.exif_transpose(image)
    except DECODING_ERRORS:
        return image


def _reencoded(image) -> Logo:
    mode = "RGBA" if image.has_transparency_data else "RGB"
    image = _eight_bit(image).convert(mode)
    image.thumbnail(DISPLAY_BOX, Image.Resampling.LANCZOS)
    # A new image made of the pixels alone: nothing of the upload's info
    # (EXIF, ICC profile, text chunks, comments) can follow it.
    clean = Image.frombytes(mode, image.size, image.tobytes())
    output = io.BytesIO()
    clean.save(output, format=STORED_FORMAT, optimize=True)
    return Logo(data=output.getvalue(), mimetype=STORED_MIMETYPE,
                width=clean.width, height=clean.height)


def _eight_bit(image):
    """16-bit greyscale (mode I;16…) scaled to 8 bits: converted directly, every
    grey above 255 would come out white."""
    if not image.mode.startswith("I"):
        return image
    return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")


def not_an_image_message(filename: str, gettext):
    name = shown_filename(filename)
    if not name:
        return gettext("Le fichier n'est pas une image PNG, JPEG ou WebP.")
    return gettext("Le fichier « %(name)s » n'est pas une image PNG, JPEG ou WebP.", name=name)


def damaged_message(gettext):
    return gettext("Le fichier est endommagé ou n'est pas une image lisible.")


def shown_filename(filename: str) -> str:
    """The uploaded name as the user knows it (no folder), shortened for a message."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) > FILENAME_SHOWN_MAX:
        name = name[:FILENAME_SHOWN_MAX - 1] + "…"
    return name
