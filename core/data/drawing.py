"""Turn a drawing from the canvas into an image the classifier can read, the way MNIST was made.

MNIST's own normalisation: take the ink (`core.data.canvas.ink_map`), crop to its bounding box,
scale its longest side to fill the same share of the frame as the training digits (20 of 28 pixels
for MNIST) with anti-aliasing, keeping the aspect ratio, and paste it so its centre of mass sits at
the centre of the frame. The model then applies its own preprocessing (deskew, blur, ...) as in
training. `drawing_steps` keeps each stage for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.data.canvas import (
    BACKGROUND_COLOR,
    MIN_INK_FRACTION,
    STROKE_COLOR,
    BlankCanvasError,
    ink_map,
    is_blank,
)

#: MNIST digits fill a 20x20 box inside the 28x28 frame.
MNIST_BOX_FRACTION = 20 / 28
#: Pixels fainter than this (0-1) are anti-aliasing haze, not ink, when finding the bounding box.
INK_THRESHOLD = 0.15


@dataclass(frozen=True)
class DrawingSteps:
    """Each stage of turning a drawing into the model's input, to show how it was done.

    All are uint8 images, 0 background and 255 full ink.

    Attributes
    ----------
    cropped : ndarray of shape (h, w)
        The ink inside its bounding box, at the canvas's resolution.
    scaled : ndarray of shape (h', w')
        The crop shrunk (or grown) so its longest side fills the box, e.g. 20 pixels for MNIST.
    centred : ndarray of shape `image_shape`
        The scaled digit in the model's frame with its centre of mass at the centre: what the
        model reads (it then applies its own preprocessing, such as deskewing).
    """

    cropped: np.ndarray
    scaled: np.ndarray
    centred: np.ndarray


def canvas_to_digit(image, image_shape: tuple[int, int] = (28, 28), **options) -> np.ndarray:
    """Normalise a drawing the way the training images were: cropped, scaled and centred.

    The last of `drawing_steps`; see it for the parameters (`options` are its keyword arguments).

    Returns
    -------
    digit : ndarray of shape `image_shape`, uint8
        0 is background, 255 is full ink, like the training images.
    """
    return drawing_steps(image, image_shape, **options).centred


def drawing_steps(
    image,
    image_shape: tuple[int, int] = (28, 28),
    *,
    box_fraction: float = MNIST_BOX_FRACTION,
    min_ink_fraction: float = MIN_INK_FRACTION,
    stroke_color: str = STROKE_COLOR,
    background_color: str = BACKGROUND_COLOR,
) -> DrawingSteps:
    """Crop, scale and centre a drawing as MNIST's digits were, keeping each stage.

    Parameters
    ----------
    image : array-like of shape (height, width, 4), (height, width, 3) or (height, width)
        The canvas, e.g. `read_png(st_canvas(...).image_bytes)`.
    image_shape : (int, int), default=(28, 28)
        (height, width) of the model's images, e.g. ``model.image_shape_``.
    box_fraction : float, default=20/28
        The share of the frame the digit's longest side fills (MNIST's 20 of 28 pixels, so
        proportionally for other shapes); see `ink_box_fraction` to measure it on a dataset.
    min_ink_fraction : float, default=0.001
        A canvas with less ink than this share of its area counts as blank.
    stroke_color, background_color : str, default="#FFFFFF" and "#000000"
        The canvas's pen and paper, which tell ink from background (see `ink_map`); a partly
        transparent canvas takes its ink from alpha instead.

    Returns
    -------
    steps : DrawingSteps
        ``steps.centred``, of shape `image_shape`, is the model's input.

    Raises
    ------
    BlankCanvasError
        If the canvas holds no digit.
    ValueError
        If `image`, `image_shape`, `box_fraction` or a colour is malformed.
    """
    height, width = _check_shape(image_shape)
    if not 0 < box_fraction <= 1:
        raise ValueError(f"box_fraction={box_fraction} should be in (0, 1].")
    ink = ink_map(image, stroke_color, background_color)
    if is_blank(ink, min_ink_fraction):
        raise BlankCanvasError("The canvas is blank: draw a digit in the black box to classify it.")
    return _normalise(ink, height, width, box_fraction)


def _check_shape(image_shape) -> tuple[int, int]:
    shape = tuple(int(v) for v in image_shape) if image_shape is not None else ()
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"image_shape={image_shape!r} should be (height, width) of positive integers.")
    return shape


def _normalise(ink: np.ndarray, height: int, width: int, box_fraction: float) -> DrawingSteps:
    patch = _crop_to_ink(ink)
    box_h, box_w = max(1, round(box_fraction * height)), max(1, round(box_fraction * width))
    scale = min(box_h / patch.shape[0], box_w / patch.shape[1])
    new_h = min(box_h, max(1, round(patch.shape[0] * scale)))
    new_w = min(box_w, max(1, round(patch.shape[1] * scale)))
    resized = Image.fromarray(patch).resize((new_w, new_h), Image.Resampling.LANCZOS)
    small = np.clip(np.asarray(resized, dtype=np.float32), 0, None)
    # Thin strokes lose intensity when shrunk; stretch so the darkest ink is full ink, as in MNIST.
    small *= 255 / max(float(small.max()), 1e-6)
    return DrawingSteps(
        cropped=_to_uint8(patch), scaled=_to_uint8(small), centred=_paste_centred(small, height, width)
    )


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(pixels, 0, 255)).astype(np.uint8)


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
    return _to_uint8(frame)


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
