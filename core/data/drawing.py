"""Turn a drawing from the canvas into an image the classifier can read, the way MNIST was made.

MNIST's own normalisation: find the ink (from alpha, or from luminance on an opaque canvas, white on
black or black on white), crop to its bounding box, scale its longest side to fill the same share of
the frame as the training digits (20 of 28 pixels for MNIST) with anti-aliasing, keeping the aspect
ratio, and paste it so its centre of mass sits at the centre of the frame. The model then applies its
own preprocessing (deskew, blur, ...) as in training. `drawing_steps` keeps each stage for display;
`read_png` checks the canvas's PNG bytes first; `prediction_confidence` says how sure the answer is.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.errors import KMeansLabError

#: MNIST digits fill a 20x20 box inside the 28x28 frame.
MNIST_BOX_FRACTION = 20 / 28
#: Below this share of the canvas covered in ink, the canvas counts as blank (a stray click).
MIN_INK_FRACTION = 0.001
#: Pixels fainter than this (0-1) are anti-aliasing haze, not ink, when finding the bounding box.
INK_THRESHOLD = 0.15
#: The most pixels a canvas image may have (a 2,000 x 2,000 canvas); the Draw page's is 280 x 280.
MAX_CANVAS_PIXELS = 4_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BlankCanvasError(KMeansLabError, ValueError):
    """The canvas holds no digit (nothing, or only a speck): ask the user to draw one."""


class CanvasImageError(KMeansLabError, ValueError):
    """The canvas's image data is not a PNG, is damaged, or is too large to decode safely."""


# --- reading the canvas -------------------------------------------------------------------------


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


# --- from pixels to the model's input ------------------------------------------------------------


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


def canvas_to_digit(
    image,
    image_shape: tuple[int, int] = (28, 28),
    *,
    box_fraction: float = MNIST_BOX_FRACTION,
    min_ink_fraction: float = MIN_INK_FRACTION,
) -> np.ndarray:
    """Normalise a drawing the way the training images were: cropped, scaled and centred.

    The last of `drawing_steps`; see it for the parameters.

    Returns
    -------
    digit : ndarray of shape `image_shape`, uint8
        0 is background, 255 is full ink, like the training images.
    """
    return drawing_steps(
        image, image_shape, box_fraction=box_fraction, min_ink_fraction=min_ink_fraction
    ).centred


def drawing_steps(
    image,
    image_shape: tuple[int, int] = (28, 28),
    *,
    box_fraction: float = MNIST_BOX_FRACTION,
    min_ink_fraction: float = MIN_INK_FRACTION,
) -> DrawingSteps:
    """Crop, scale and centre a drawing as MNIST's digits were, keeping each stage.

    Parameters
    ----------
    image : array-like of shape (height, width, 4), (height, width, 3) or (height, width)
        The canvas, e.g. `read_png(st_canvas(...).image_bytes)`; any colours (see `ink_map`).
    image_shape : (int, int), default=(28, 28)
        (height, width) of the model's images, e.g. ``model.image_shape_``.
    box_fraction : float, default=20/28
        The share of the frame the digit's longest side fills (MNIST's 20 of 28 pixels, so
        proportionally for other shapes); see `ink_box_fraction` to measure it on a dataset.
    min_ink_fraction : float, default=0.001
        A canvas with less ink than this share of its area counts as blank.

    Returns
    -------
    steps : DrawingSteps
        ``steps.centred``, of shape `image_shape`, is the model's input.

    Raises
    ------
    BlankCanvasError
        If the canvas holds no digit.
    ValueError
        If `image`, `image_shape` or `box_fraction` is malformed.
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


# --- how sure the answer is ----------------------------------------------------------------------

#: Relative margins (how much farther the nearest other class's cluster is) that read as a clear
#: answer, or else as a likely one; below CLOSE_MARGIN it is a close call. On drawn mnist-sample
#: test digits (bench/bench_drawing.py) the model is right about 98% of the time above 0.25,
#: 70-90% between 0.10 and 0.25, and about half the time below 0.10.
CLEAR_MARGIN = 0.25
CLOSE_MARGIN = 0.10


@dataclass(frozen=True)
class Confidence:
    """How clearly the nearest cluster wins over the nearest cluster of any other class.

    Attributes
    ----------
    label, rival : class values
        The predicted class, and the class of the nearest cluster standing for another class
        (``rival`` is None when every cluster stands for the same class).
    cluster, rival_cluster : int
        Those clusters' indices (``rival_cluster`` is -1 without a rival).
    distance, rival_distance : float
        Their distances from the drawing, in the model's space (``rival_distance`` is inf
        without a rival).
    """

    label: object
    cluster: int
    distance: float
    rival: object
    rival_cluster: int
    rival_distance: float

    @property
    def margin(self) -> float:
        """How much farther the rival is than the winner, in the model's units (>= 0)."""
        return self.rival_distance - self.distance

    @property
    def relative_margin(self) -> float:
        """The margin as a share of the rival's distance: 0 is a tie, 1 is a perfect match."""
        if not np.isfinite(self.rival_distance):
            return 1.0
        return self.margin / self.rival_distance if self.rival_distance > 0 else 0.0

    @property
    def level(self) -> str:
        """The verdict in a word, from `relative_margin`: "clear", "likely" or "close" (a close call)."""
        if self.relative_margin >= CLEAR_MARGIN:
            return "clear"
        return "likely" if self.relative_margin >= CLOSE_MARGIN else "close"

    def describe(self, name=str) -> str:
        """The verdict in a plain sentence; `name` turns a class value into words (e.g. 7 -> "7")."""
        if self.rival is None:
            return f"Every cluster stands for “{name(self.label)}”, so no other answer was possible."
        percent = f"{100 * self.relative_margin:.0f}%"
        winner, rival = name(self.label), name(self.rival)
        if self.level == "clear":
            return (
                f"A clear answer: the nearest cluster of any other class (“{rival}”) is {percent} "
                f"farther from your drawing than the nearest “{winner}” cluster."
            )
        if self.level == "likely":
            return (
                f"Probably “{winner}”: the nearest “{rival}” cluster is only {percent} farther away "
                f"than the nearest “{winner}” cluster."
            )
        return (
            f"A close call between “{winner}” and “{rival}”: their nearest clusters are almost "
            f"equally far from your drawing (within {percent}). Try a clearer shape."
        )


def prediction_confidence(distances, cluster_labels) -> Confidence:
    """Compare the nearest cluster with the nearest cluster that stands for a different class.

    Parameters
    ----------
    distances : array-like of shape (n_clusters,)
        One drawing's distance to each cluster centre, e.g. ``model.transform(digit[None])[0]``.
    cluster_labels : array-like of shape (n_clusters,)
        The class each cluster stands for, e.g. ``model.cluster_labels_``.

    Returns
    -------
    confidence : Confidence
    """
    distances = np.asarray(distances, dtype=np.float64)
    labels = np.asarray(cluster_labels)
    if distances.ndim != 1 or len(distances) == 0 or labels.shape != distances.shape:
        raise ValueError(
            f"distances of shape {distances.shape} and cluster_labels of shape {labels.shape} "
            "should be the same non-empty (n_clusters,)."
        )
    best = int(np.argmin(distances))
    others = np.flatnonzero(labels != labels[best])
    if len(others) == 0:
        return Confidence(labels[best], best, float(distances[best]), None, -1, float("inf"))
    rival = int(others[np.argmin(distances[others])])
    return Confidence(
        labels[best], best, float(distances[best]), labels[rival], rival, float(distances[rival])
    )
