"""Images for display: enlarged with square pixels, and encoded as PNG bytes or PNG data URIs."""

from __future__ import annotations

import base64
import io
import struct
import zlib
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


#: PNG's colour type for each number of channels: grey, RGB, RGBA.
PNG_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(image) -> bytes:
    """An image (uint8, grey or RGB(A)) as PNG bytes, e.g. for `st.image`, so it can be cached.

    The same pixels give the same bytes every time, so a cached picture stays the same in the app.
    Written here, not by Pillow: for the lab's small pictures Pillow's own encoder spends most of its
    time choosing a filter per row, three times as long for the same size (0.17 against 0.05 ms for an
    84x84 digit; the Centroids page encodes one per cluster, 300 on Fashion-MNIST at K = 300).
    """
    image = np.asarray(image)
    channels = 1 if image.ndim == 2 else image.shape[-1]
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or channels not in PNG_COLOUR_TYPES:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        return buffer.getvalue()
    height, width = image.shape[:2]
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # each row: filter 0, then pixels
    rows[:, 1:] = image.reshape(height, -1)
    header = struct.pack(">IIBBBBB", width, height, 8, PNG_COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _png_chunk(b"IEND", b""),
        )
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


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
