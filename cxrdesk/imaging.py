"""Read any supported radiograph file into an 8-bit grayscale array, or say clearly why not.

Every later stage (curation statistics, training, diagnosis) starts from this one function, so a
16-bit TIFF, an RGBA screenshot, a CMYK JPEG or a MONOCHROME1 DICOM all become the same thing: a
2-D ``uint8`` array where 0 is black (air) and 255 is white (bone), as Pillow's ``convert("L")``
gives for an ordinary 8-bit image.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageReadError
from .reasons import Reason

#: File name endings read as images. DICOM files are also recognised by their 'DICM' preamble.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".dicom"})
DICOM_SUFFIXES = frozenset({".dcm", ".dicom"})

#: Larger than any real radiograph (a 43 cm detector at 0.05 mm is ~8600 px a side), small enough
#: to refuse a decompression bomb before it is decoded.
MAX_PIXELS = 80_000_000
#: A film is kept at most this many pixels a side: the networks see at most 448, a screen about 2,000, and a
#: larger film (a 400-megapixel scan allowed with --max-pixels) is reduced as it is decoded (JPEG: the decoder
#: scales by 1/2-1/8) or right after, before the conversions that would copy it at full size.
READ_SIDE = 4096
#: Smaller than this on either side cannot be a usable radiograph (the smallest public sets are 128 px).
MIN_SIDE = 32


@dataclass(frozen=True)
class LoadedImage:
    """A decoded radiograph: 8-bit grayscale pixels plus what the file said it was."""

    pixels: np.ndarray  # 2-D uint8, rows x columns
    source_mode: str  # Pillow mode ('L', 'I;16', 'RGBA'...) or 'DICOM <photometric>'
    colourfulness: float = 0.0  # Hasler-Suesstrunk colourfulness of a colour source; 0 for gray
    sha256: str = ""  # of the file's bytes (what a model's card lists of the films it learnt from)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def is_image_file(path: Path) -> bool:
    """True for the file types CXRDesk reads (decided by name; content is checked on reading)."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def read_grayscale(path: str | Path, data: bytes | None = None) -> LoadedImage:
    """Decode ``path`` (or its already-read bytes ``data``) to an 8-bit grayscale array.

    Raises :class:`ImageReadError` with a message that names the file and the problem.
    """
    data = data if data is not None else _read_bytes(Path(path))  # read once: decoded and hashed
    image, mode, colour = _open(path, data)
    digest = hashlib.sha256(data).hexdigest()
    return LoadedImage(pixels=np.asarray(image, dtype=np.uint8), source_mode=mode, colourfulness=colour, sha256=digest)


def open_grayscale(path: str | Path, data: bytes | None = None) -> tuple[Image.Image, str]:
    """Like :func:`read_grayscale` but returns a Pillow image in mode 'L' and the source mode.

    The scan uses this directly: Pillow's C histogram of the image is all it needs, and skipping
    the conversion to a NumPy array saves a copy per image.
    """
    image, mode, _ = _open(path, data, measure_colour=False)
    return image, mode


def _open(path: str | Path, data: bytes | None, measure_colour: bool = True) -> tuple[Image.Image, str, float]:
    path = Path(path)
    if data is None:
        data = _read_bytes(path)
    if not data:
        raise ImageReadError(path, Reason("empty file (0 bytes)", "empty"))
    colour = 0.0
    with _decoder_warnings():
        if path.suffix.lower() in DICOM_SUFFIXES or data[128:132] == b"DICM":
            pixels, mode = _decode_dicom(path, data)
            image = Image.fromarray(pixels)
        else:
            image, mode, colour = _decode_pillow(path, data, measure_colour)
    if min(image.size) < MIN_SIDE:
        raise ImageReadError(path, Reason(
            f"too small to be a radiograph ({image.size[0]}x{image.size[1]} px; at least {MIN_SIDE} px a side is "
            "needed)", "too_small", width=image.size[0], height=image.size[1], least=MIN_SIDE))
    return image, mode, colour


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImageReadError(path, Reason("file not found", "not_found")) from None
    except OSError as exc:
        why = str(exc.strerror or exc)
        raise ImageReadError(path, Reason(f"cannot be read ({why})", "cannot_read", why=why)) from None


@contextlib.contextmanager
def _decoder_warnings():
    """pydicom's and Pillow's warnings about a file (a non-standard header, EXIF trouble) are for the
    curious: shown with ``cxrdesk --verbose`` (CXRDESK_DEBUG=1), otherwise kept off the user's screen;
    what matters about a file is said by CXRDesk's own refusal or result."""
    if os.environ.get("CXRDESK_DEBUG"):
        yield
        return
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def max_pixels() -> int:
    """The largest image read: :data:`MAX_PIXELS`, or ``$CXRDESK_MAX_PIXELS`` (set by ``--max-pixels``,
    inherited by the scanning and training processes)."""
    try:
        return int(os.environ.get("CXRDESK_MAX_PIXELS") or MAX_PIXELS)
    except ValueError:
        return MAX_PIXELS


def _check_size(path: Path, width: int, height: int) -> None:
    limit = max_pixels()
    if width * height > limit:
        raise ImageReadError(path, Reason(
            f"{width}x{height} px is {width * height / 1e6:.1f} megapixels, over the limit of "
            f"{limit / 1e6:.0f} megapixels (refused as a possible decompression bomb); if the image is genuine, "
            f"allow it with --max-pixels {width * height}", "too_large", width=width, height=height, limit=limit))


def _decode_pillow(path: Path, data: bytes, measure_colour: bool) -> tuple[Image.Image, str, float]:
    try:
        return _pillow_image(path, data, measure_colour)
    except ImageReadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(path, Reason("refused as a possible decompression bomb (its header claims an "
                                          "enormous image)", "bomb")) from None
    except UnidentifiedImageError:
        raise ImageReadError(path, Reason("not a recognised image file (PNG, JPEG, BMP, TIFF and DICOM are "
                                          "supported)", "not_image")) from None
    except MemoryError:
        raise ImageReadError(path, Reason("corrupt image (its header asks for more memory than there is)",
                                          "memory")) from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many types on damaged files; one never ends a batch
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ImageReadError(path, Reason(f"truncated or corrupt image ({first})", "corrupt", detail=first)) from None


def _pillow_image(path: Path, data: bytes, measure_colour: bool) -> tuple[Image.Image, str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = None  # our own limit (_check_size, before decoding) rules, with its message
        image = Image.open(io.BytesIO(data))
        _check_size(path, *image.size)
        if image.format == "JPEG" and max(image.size) > READ_SIDE:
            image.draft(None, (READ_SIDE, READ_SIDE))  # decoded at 1/2, 1/4 or 1/8 of its size: never whole
        image.load()
    mode = image.mode
    image = _reduced(image)
    if image.getexif().get(0x0112, 1) != 1:  # phone photos of films carry an orientation tag
        image = ImageOps.exif_transpose(image)
    colour = colourfulness(image) if measure_colour and image.mode not in ("L", "1", "I;16", "I;16L",
                                                                           "I;16B", "I;16N", "I", "F") else 0.0
    return _to_gray8(image), mode, colour


def _reduced(image: Image.Image) -> Image.Image:
    """An image over :data:`READ_SIDE` a side averaged down by a whole factor at once, before any conversion
    copies it (a mode Pillow cannot reduce is left as it is)."""
    factor = -(-max(image.size) // READ_SIDE)
    if factor <= 1:
        return image
    try:
        return image.reduce(factor)
    except ValueError:
        return image


def colourfulness(image: Image.Image) -> float:
    """Hasler and Suesstrunk's colourfulness (0 for gray; > 15 is a visibly colour picture)."""
    small = image.convert("RGB")
    small.thumbnail((128, 128))
    rgb = np.asarray(small, dtype=np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _to_gray8(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit grayscale without clipping or inverted colours."""
    mode = image.mode
    if mode == "L":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # Pillow's convert("L") clips 16-bit values at 255: scale by the real bit depth instead.
        return Image.fromarray(scale_to_8bit(np.asarray(image)))
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent parts of a radiograph are background: composite them on black.
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
    if image.mode not in ("RGB", "L", "1"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV...
    return image.convert("L")


def scale_to_8bit(values: np.ndarray) -> np.ndarray:
    """Map integer or float pixel data to 0..255 by its bit depth.

    Integer data up to 255 is kept; up to 4095 is taken as 12-bit (the usual depth of
    radiography detectors) and otherwise as 16-bit. Floats in [0, 1] are scaled by 255; any other
    range is stretched from its own minimum to maximum.
    """
    values = np.asarray(values)
    if values.ndim == 3:  # several channels: keep the luminance-like mean
        values = values.mean(axis=2)
    if np.issubdtype(values.dtype, np.integer) and values.size and values.min() >= 0:
        top = int(values.max())
        scale = 1.0 if top <= 255 else 255.0 / 4095.0 if top <= 4095 else 255.0 / 65535.0
        if top > 65535:
            return _stretch(values)
        return np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    values = values.astype(np.float64)
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    return _stretch(values)


def _stretch(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


def _decode_dicom(path: Path, data: bytes) -> tuple[np.ndarray, str]:
    """DICOM: modality LUT, then VOI LUT / window, then MONOCHROME1 inverted, then 8 bits.

    pydicom parses elements lazily, so a damaged header can raise almost anything on any access (a
    fuzzed file-meta group raised ``BytesLengthException`` from ``dcmread``): every failure of a file
    becomes a one-line refusal of that file. Messages never include patient data from the header.
    """
    try:
        return _dicom_pixels(path, data)
    except ImageReadError:
        raise
    except MemoryError:
        raise ImageReadError(path, Reason("damaged DICOM file (its header asks for more memory than there is)",
                                          "dicom_memory")) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file must never end a batch
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        detail = f"{type(exc).__name__}{': ' + first if first else ''}"
        raise ImageReadError(path, Reason(f"damaged DICOM file ({detail})", "dicom_damaged", detail=detail)) from None


def _dicom_pixels(path: Path, data: bytes) -> tuple[np.ndarray, str]:
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    preamble = data[128:132] == b"DICM"
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=path.suffix.lower() in DICOM_SUFFIXES)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageReadError(path, Reason(f"not a readable DICOM file ({type(exc).__name__})", "dicom_unreadable",
                                          detail=type(exc).__name__)) from None
    if not preamble and not any(tag in ds for tag in ("SOPClassUID", "Modality", "PixelData", "Rows")):
        # forced reading of a file named .dcm parses any bytes into some elements: say what it is
        raise ImageReadError(path, Reason("not a DICOM file (no DICOM header; named .dcm but holds something else)",
                                          "not_dicom"))
    if "PixelData" not in ds:
        raise ImageReadError(path, Reason("DICOM file has no image (no Pixel Data element)", "dicom_no_image"))
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    _check_size(path, cols, rows)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    try:
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for missing codecs / bad data
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", str(syntax)) if syntax else "unknown transfer syntax"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageReadError(path, Reason(f"DICOM pixel data cannot be decoded ({name}): {detail}",
                                          "dicom_undecodable", syntax=str(name), detail=detail)) from None
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        arr = arr[0]  # a multi-frame file: the first frame is the radiograph
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        arr = apply_modality_lut(arr, ds).astype(np.float64)
        if "WindowCenter" in ds and "WindowWidth" in ds:
            pixels = _window(arr, _first(ds.WindowCenter), _first(ds.WindowWidth))
        elif "VOILUTSequence" in ds:
            pixels = _stretch(apply_voi_lut(arr, ds))
        else:
            pixels = _stretch(arr)
        if photometric == "MONOCHROME1":  # low values are white in MONOCHROME1
            pixels = 255 - pixels
    else:  # RGB, YBR...: pydicom gives RGB for these
        if arr.ndim == 3 and arr.shape[2] == 3:
            pixels = np.asarray(Image.fromarray(arr.astype(np.uint8)).convert("L"))
        else:
            pixels = scale_to_8bit(arr)
    if pixels.ndim != 2:
        raise ImageReadError(path, Reason(f"DICOM image is not one 2-D frame (shape {tuple(pixels.shape)})",
                                          "dicom_not_2d", shape=tuple(pixels.shape)))
    return np.ascontiguousarray(pixels, dtype=np.uint8), f"DICOM {photometric}"


def _first(value) -> float:
    """WindowCenter/Width may hold several values; the first is the default view."""
    try:
        return float(value[0])
    except TypeError:
        return float(value)


def _window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The DICOM linear VOI window (PS3.3 C.11.2.1.2.1) straight to 0..255."""
    width = max(width, 2.0)  # a width of 1 is a threshold; avoid dividing by zero
    scaled = ((values - (center - 0.5)) / (width - 1.0) + 0.5) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
