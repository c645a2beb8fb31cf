"""The drawing canvas's pixels: its PNG bytes read safely, how much ink each pixel holds, and blank.

The Draw page's canvas paints white strokes on black; those known colours, not a guess, tell ink
from background. `core.data.drawing` then crops, scales and centres the ink as MNIST's digits were.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageColor

from core.errors import KMeansLabError

#: The Draw page's canvas colours (`st_canvas`'s ``stroke_color`` and ``background_color``).
STROKE_COLOR = "#FFFFFF"
BACKGROUND_COLOR = "#000000"
#: Below this share of the canvas covered in ink, the canvas counts as blank (a stray click).
MIN_INK_FRACTION = 0.001
#: The most pixels a canvas image may have (a 2,000 x 2,000 canvas); the Draw page's is 280 x 280.
MAX_CANVAS_PIXELS = 4_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BlankCanvasError(KMeansLabError, ValueError):
    """The canvas holds no digit (nothing, or only a speck): ask the user to draw one."""


class CanvasImageError(KMeansLabError, ValueError):
    """The canvas's image data is not a PNG, is damaged, or is too large to decode safely."""


def read_png(data: bytes, max_pixels: int = MAX_CANVAS_PIXELS) -> np.ndarray:
    """Decode the canvas's PNG bytes to RGBA pixels, refusing anything else or anything huge.

    Parameters
    ----------
    data : bytes
        A PNG file's bytes, e.g. `st_canvas(...).image_bytes`.
    max_pixels : int, default=4,000,000
        The largest width * height accepted. Checked from the PNG's header before any pixel is
        decoded, so a small file that would inflate to gigabytes (a decompression bomb) is refused
        cheaply.

    Returns
    -------
    pixels : ndarray of shape (height, width, 4), uint8

    Raises
    ------
    CanvasImageError
        If `data` is not a PNG, is damaged, or has more than `max_pixels` pixels.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CanvasImageError(f"The canvas image should be PNG bytes, not {type(data).__name__}.")
    if max_pixels < 1:
        raise ValueError(f"max_pixels={max_pixels} should be >= 1.")
    data = bytes(data)
    if not data.startswith(PNG_SIGNATURE):
        raise CanvasImageError(
            f"The canvas image is not a PNG (it starts with {data[:8]!r}): clear the canvas and draw again."
        )
    return _decode_png(data, max_pixels)


def _decode_png(data: bytes, max_pixels: int) -> np.ndarray:
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it: here that is an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=["PNG"])  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise CanvasImageError(_too_big("enormous", max_pixels)) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise _damaged(exc) from exc
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise CanvasImageError(_too_big(f"{width:,} x {height:,} pixels", max_pixels))
            try:
                return np.asarray(image.convert("RGBA"))
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise _damaged(exc) from exc


def _too_big(size: str, limit: int) -> str:
    return (
        f"The canvas image is {size}, more than the {limit:,} pixels a drawing may have: "
        "clear the canvas and draw again."
    )


def _damaged(exc: Exception) -> CanvasImageError:
    return CanvasImageError(f"The canvas image is a damaged PNG ({exc}): clear the canvas and draw again.")


# --- how much ink each pixel holds -------------------------------------------------------------


def ink_map(image, stroke_color: str = STROKE_COLOR, background_color: str = BACKGROUND_COLOR) -> np.ndarray:
    """How much ink each pixel holds, from 0 (background) to 1 (full ink).

    Parameters
    ----------
    image : array-like of shape (height, width, 4), (height, width, 3) or (height, width)
        uint8 RGBA, RGB or grey pixels, or floats in [0, 1].
    stroke_color, background_color : str, default="#FFFFFF" and "#000000"
        The canvas's pen and paper, in any form Pillow's `ImageColor.getrgb` reads ("#FFF",
        "white", "rgb(255, 255, 255)"). The Draw page's canvas draws white on black.

    Returns
    -------
    ink : ndarray of shape (height, width), float32 in [0, 1]

    Where the canvas is partly transparent, ink is what is opaque (whatever its colour). Where it
    is fully opaque, each pixel is placed between the background colour (0) and the stroke colour
    (1); a grey image is read as grey pixels of the same colours. The colours are given, not
    guessed from the border, because a large digit drawn along the edge covers the border.

    Raises
    ------
    ValueError
        If `image` has another shape, or a colour is unreadable or the two are the same.
    """
    axis, background = _colour_axis(stroke_color, background_color)
    pixels = np.asarray(image)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise ValueError(
            f"image of shape {pixels.shape} should be (height, width), (height, width, 3) "
            "or (height, width, 4)."
        )
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"image of shape {pixels.shape} is empty.")
    pixels = pixels.astype(np.float32) / 255 if pixels.dtype == np.uint8 else pixels.astype(np.float32)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[..., 3].min() < 1:
        return np.clip(pixels[..., 3], 0, 1)
    # Project each colour onto the line from background to stroke: anti-aliased edges fall between.
    # (rgb - background) @ axis, without a full-size difference image; grey is R = G = B.
    along = pixels[..., :3] @ axis if pixels.ndim == 3 else pixels * float(axis.sum())
    ink = (along - float(background @ axis)) / float(axis @ axis)
    return np.clip(ink, 0, 1, out=ink)


def _colour_axis(stroke_color: str, background_color: str) -> tuple[np.ndarray, np.ndarray]:
    """(stroke - background, background) as RGB floats in [0, 1]."""
    stroke = _rgb(stroke_color, "stroke_color")
    background = _rgb(background_color, "background_color")
    if np.array_equal(stroke, background):
        raise ValueError(
            f"stroke_color={stroke_color!r} and background_color={background_color!r} should differ: "
            "ink is told from the background by its colour."
        )
    return stroke - background, background


def _rgb(colour: str, name: str) -> np.ndarray:
    try:
        red, green, blue = ImageColor.getrgb(colour)[:3]
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"{name}={colour!r} should be a colour such as '#FFFFFF' or 'white'.") from None
    return np.array([red, green, blue], dtype=np.float32) / 255


def is_blank(ink: np.ndarray, min_ink_fraction: float = MIN_INK_FRACTION) -> bool:
    """Whether an ink map (from `ink_map`) holds too little ink to be a digit."""
    return float(ink.sum()) < max(min_ink_fraction * ink.size, 2.0)
