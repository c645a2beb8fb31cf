"""Turn a drawing from the canvas (an RGBA array) into an image the classifier can read.

A sound first version of MNIST's own normalisation: find the ink, crop to it, scale its longest
side to fill the same share of the frame as the training digits (20 of 28 pixels for MNIST), with
anti-aliasing, and paste it so its centre of mass sits at the centre of the frame.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.errors import KMeansLabError

#: MNIST digits fill a 20x20 box inside the 28x28 frame.
MNIST_BOX_FRACTION = 20 / 28
#: Below this share of the canvas covered in ink, the canvas counts as blank (a stray click).
MIN_INK_FRACTION = 0.001
#: Pixels fainter than this (0-1) are anti-aliasing haze, not ink, when finding the bounding box.
INK_THRESHOLD = 0.15


class BlankCanvasError(KMeansLabError, ValueError):
    """The canvas holds no digit (nothing, or only a speck): ask the user to draw one."""


def ink_map(image) -> np.ndarray:
    """How much ink each pixel holds, from 0 (background) to 1 (full ink).

    Parameters
    ----------
    image : array-like of shape (height, width, 4), (height, width, 3) or (height, width)
        uint8 RGBA, RGB or grey pixels, or floats in [0, 1].

    Returns
    -------
    ink : ndarray of shape (height, width), float32 in [0, 1]

    Where the canvas is partly transparent, ink is what is opaque (whatever its colour). Where it
    is fully opaque, ink is what differs from the background: bright strokes on a dark canvas,
    or dark strokes on a light one (the background is judged from the border pixels).
    """
    pixels = np.asarray(image)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise ValueError(
            f"image of shape {pixels.shape} should be (height, width), (height, width, 3) "
            "or (height, width, 4)."
        )
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"image of shape {pixels.shape} is empty.")
    pixels = pixels.astype(np.float32) / 255 if pixels.dtype == np.uint8 else pixels.astype(np.float32)
    if pixels.ndim == 2:
        return _ink_from_luminance(pixels)
    luminance = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if pixels.shape[2] == 4 and pixels[..., 3].min() < 1:
        return np.clip(pixels[..., 3], 0, 1)
    return _ink_from_luminance(luminance)


def _ink_from_luminance(luminance: np.ndarray) -> np.ndarray:
    border = np.concatenate([luminance[0], luminance[-1], luminance[:, 0], luminance[:, -1]])
    ink = 1 - luminance if np.median(border) > 0.5 else luminance
    return np.clip(ink, 0, 1)


def is_blank(ink: np.ndarray, min_ink_fraction: float = MIN_INK_FRACTION) -> bool:
    """Whether an ink map (from `ink_map`) holds too little ink to be a digit."""
    return float(ink.sum()) < max(min_ink_fraction * ink.size, 2.0)


def canvas_to_digit(
    image,
    image_shape: tuple[int, int] = (28, 28),
    *,
    box_fraction: float = MNIST_BOX_FRACTION,
    min_ink_fraction: float = MIN_INK_FRACTION,
) -> np.ndarray:
    """Normalise a drawing the way the training images were: cropped, scaled and centred.

    Parameters
    ----------
    image : array-like of shape (height, width, 4), (height, width, 3) or (height, width)
        The canvas, e.g. `st_canvas(...).image_data`; any colours (see `ink_map`).
    image_shape : (int, int), default=(28, 28)
        (height, width) of the model's images, e.g. ``model.image_shape_``.
    box_fraction : float, default=20/28
        The share of the frame the digit's longest side fills (MNIST's 20 of 28 pixels);
        see `ink_box_fraction` to measure it on a dataset.
    min_ink_fraction : float, default=0.001
        A canvas with less ink than this share of its area counts as blank.

    Returns
    -------
    digit : ndarray of shape `image_shape`, uint8
        0 is background, 255 is full ink, like the training images.

    Raises
    ------
    BlankCanvasError
        If the canvas holds no digit.
    ValueError
        If `image` or `image_shape` is malformed.
    """
    height, width = _check_shape(image_shape)
    if not 0 < box_fraction <= 1:
        raise ValueError(f"box_fraction={box_fraction} should be in (0, 1].")
    ink = ink_map(image)
    if is_blank(ink, min_ink_fraction):
        raise BlankCanvasError("The canvas is blank: draw a digit in the black box to classify it.")
    return _normalise(ink, height, width, box_fraction)


def _check_shape(image_shape) -> tuple[int, int]:
    shape = tuple(int(v) for v in image_shape) if image_shape is not None else ()
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"image_shape={image_shape!r} should be (height, width) of positive integers.")
    return shape


def _normalise(ink: np.ndarray, height: int, width: int, box_fraction: float) -> np.ndarray:
    patch = _crop_to_ink(ink)
    box_h, box_w = max(1, round(box_fraction * height)), max(1, round(box_fraction * width))
    scale = min(box_h / patch.shape[0], box_w / patch.shape[1])
    new_h = min(box_h, max(1, round(patch.shape[0] * scale)))
    new_w = min(box_w, max(1, round(patch.shape[1] * scale)))
    resized = Image.fromarray(patch).resize((new_w, new_h), Image.Resampling.LANCZOS)
    small = np.asarray(resized, dtype=np.float32)
    small = np.clip(small, 0, None)
    # Thin strokes lose intensity when shrunk; stretch so the darkest ink is full ink, as in MNIST.
    small *= 255 / max(float(small.max()), 1e-6)
    return _paste_centred(small, height, width)


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The bounding box of the ink, as float32 (0-255) for Pillow's "F" mode."""
    rows = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=0))
    if len(rows) == 0:  # faint ink everywhere: keep it all
        rows, cols = np.arange(ink.shape[0]), np.arange(ink.shape[1])
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return (crop * 255).astype(np.float32)


def _paste_centred(small: np.ndarray, height: int, width: int) -> np.ndarray:
    """Paste `small` into a (height, width) frame with its centre of mass at the frame's centre."""
    total = small.sum()
    ys, xs = np.indices(small.shape)
    com_y, com_x = (ys * small).sum() / total, (xs * small).sum() / total
    top = round((height - 1) / 2 - com_y)
    left = round((width - 1) / 2 - com_x)
    # Keep the whole digit in the frame even if its mass is lopsided.
    top = min(max(top, 0), height - small.shape[0])
    left = min(max(left, 0), width - small.shape[1])
    frame = np.zeros((height, width), dtype=np.float32)
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.rint(np.clip(frame, 0, 255)).astype(np.uint8)


def ink_box_fraction(images, threshold: int = 64) -> float:
    """The median share of the frame a dataset's images fill with ink (their longest side).

    About 20/28 for MNIST; 8x8 datasets such as scikit-learn's digits fill nearly all the frame.
    Use it as `canvas_to_digit`'s ``box_fraction`` so drawings match the training images.

    Parameters
    ----------
    images : array-like of shape (n_samples, height, width), uint8
    threshold : int, default=64
        Pixels at or above this value count as ink.
    """
    images = np.asarray(images)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images of shape {images.shape} should be a non-empty (n, height, width) stack.")
    inked = images >= threshold
    spans = []
    for axis in (1, 2):  # rows (height) then columns (width)
        present = inked.any(axis=3 - axis)
        first = present.argmax(axis=1)
        last = present.shape[1] - 1 - present[:, ::-1].argmax(axis=1)
        span = np.where(present.any(axis=1), last - first + 1, 0) / images.shape[axis]
        spans.append(span)
    longest = np.maximum(*spans)
    longest = longest[longest > 0]
    return float(np.median(longest)) if len(longest) else MNIST_BOX_FRACTION
