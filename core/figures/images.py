"""Images for display: enlarged with square pixels, and encoded as PNG bytes or PNG data URIs."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

#: Opacity (0-255) of the white tile behind a thumbnail drawn over a chart.
TILE_OPACITY = 225


def enlarge(image, scale: int) -> np.ndarray:
    """Blow up an image by an integer factor with square pixels, so small images stay crisp.

    Parameters
    ----------
    image : array-like of shape (height, width) or (height, width, channels)
    scale : int
        How many display pixels each image pixel becomes along each side, at least 1.

    Returns an array of shape ``(height * scale, width * scale, ...)``.
    """
    image = np.asarray(image)
    if scale < 1:
        raise ValueError(f"scale={scale} should be an integer >= 1.")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def png_bytes(image) -> bytes:
    """An image (uint8, grey or RGB(A)) as PNG bytes: what `st.image` sends, so it can be cached.

    The same pixels give the same bytes every time, so a cached picture keeps its URL in the app.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def display_scale(image_shape: Sequence[int], target: int = 84) -> int:
    """The integer factor that brings an image's longest side close to `target` display pixels.

    Parameters
    ----------
    image_shape : sequence of int
        The image's (height, width).
    target : int, default=84
        The wanted length of the longest side on screen, in pixels.

    Returns at least 1: an image larger than `target` is shown at its own size.
    """
    return max(1, round(target / max(image_shape)))


def png_data_uri(image) -> str:
    """An image (uint8, grey or RGB(A)) as a ``"data:image/png;base64,..."`` URI, for a page or a chart."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def ink_png_data_uri(image) -> str:
    """A grayscale image as a PNG data URI of black ink on a nearly opaque white tile.

    Parameters
    ----------
    image : ndarray of shape (height, width), uint8
        255 is full ink (drawn black), 0 is background (drawn white).

    Returns ``"data:image/png;base64,..."``, for a Plotly layout image: the tile keeps the picture
    readable over the dots beneath it, and a downloaded PNG of the chart keeps it.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"image should be uint8 of shape (height, width), got {image.dtype} {image.shape}.")
    rgba = np.empty((*image.shape, 4), dtype=np.uint8)
    rgba[..., :3] = (255 - image)[..., None]
    rgba[..., 3] = TILE_OPACITY
    return png_data_uri(rgba)
