"""Images drawn as lines of shade characters, so a Plotly hover label can show a picture."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Characters for ink from none to full, lightest first; blank is a non-breaking space, because
#: Plotly collapses runs of ordinary spaces in hover text.
INK_SHADES = ("\u00a0", "\u2591", "\u2592", "\u2593", "\u2588")  # " ░▒▓█"
#: Monospace fonts for hover labels that draw a picture as text, so its columns line up.
MONOSPACE_FONTS = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
_DIGIT_TO_SHADE = str.maketrans({str(level): shade for level, shade in enumerate(INK_SHADES)})


def image_as_hover_text(image, max_columns: int = 28) -> str:
    """A grayscale image drawn as lines of shade characters, for a Plotly hover label.

    Parameters
    ----------
    image : array-like of shape (height, width)
        Integer pixels are read as 0 (no ink) to 255 (full ink); float pixels as 0 to 1, or as 0 to
        255 when any is above 1; booleans as no ink or full ink.
    max_columns : int, default=28
        Most characters on a line. A character is about twice as tall as it is wide, so each covers
        a block of pixels twice as tall as wide: a 28x28 image gives 14 lines of 28 characters. An
        image at most half as wide as `max_columns` gets two characters per pixel and a line per
        pixel row (8x8 gives 8 lines of 16); a wider one is averaged down to at most `max_columns`.

    Returns the lines joined with ``"<br>"``; show it in a monospace font (`MONOSPACE_FONTS`).
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"image should be 2D and not empty, got shape {image.shape}.")
    if not (np.issubdtype(image.dtype, np.number) or image.dtype == bool):
        raise ValueError(f"image should hold numbers, got dtype {image.dtype}.")
    if max_columns < 2:
        raise ValueError(f"max_columns={max_columns} should be >= 2.")
    return _picture_text(_shade_digits(_ink_shares(image[None]), max_columns)[0])


def texts_with_pictures(texts: Sequence[str], images) -> list[str]:
    """Each hover text with its image drawn in shade characters underneath.

    Parameters
    ----------
    texts : sequence of str
        One hover text per image.
    images : array-like of shape (n_texts, height, width), or None
        The pictures (read as in `image_as_hover_text`); None gives the texts alone.

    Blanks that end a picture's line are dropped (the label is left-aligned), which keeps a map of
    thousands of points small; an all-blank line keeps one blank so the picture keeps its height.
    """
    if images is None:
        return list(texts)
    if len(images) != len(texts):
        raise ValueError(f"{len(texts)} hover texts need as many images, got {len(images)}.")
    return with_pictures(texts, hover_pictures(images))


def hover_pictures(images) -> list[str]:
    """Each image drawn in shade characters, blanks ending a line dropped (as in `texts_with_pictures`).

    Made once, they can go under changing texts (`with_pictures`): a map keeps the pictures of its
    dots while their cluster changes with K.
    """
    stack = np.asarray(images)
    if stack.ndim != 3 or stack.size == 0:  # pictures of different shapes: one at a time
        return [_trim(image_as_hover_text(image)) for image in images]
    image_as_hover_text(stack[0])  # checks the values as for a single image
    return _trimmed_pictures(_shade_digits(_ink_shares(stack), 28))


def with_pictures(texts: Sequence[str], pictures: Sequence[str]) -> list[str]:
    """Each text with its picture (from `hover_pictures`) underneath; an empty picture adds nothing."""
    if len(pictures) != len(texts):
        raise ValueError(f"{len(texts)} hover texts need as many pictures, got {len(pictures)}.")
    return [f"{text}<br>{pic}" if pic else text for text, pic in zip(texts, pictures, strict=True)]


def _trim(picture: str) -> str:
    return "<br>".join(line.rstrip(INK_SHADES[0]) or INK_SHADES[0] for line in picture.split("<br>"))


def _ink_shares(images: np.ndarray) -> np.ndarray:
    """A stack of images as ink shares from 0 to 1, each image read as `image_as_hover_text` says."""
    values = images.astype(np.float64)
    if np.issubdtype(images.dtype, np.integer):
        values /= 255
    elif images.dtype != bool:  # floats: 0 to 1, or 0 to 255 when any of the image's pixels is above 1
        above_one = values.reshape(len(values), -1).max(axis=1, initial=0) > 1
        values[above_one] /= 255
    return np.clip(np.nan_to_num(values), 0, 1)


def _shade_digits(ink: np.ndarray, max_columns: int) -> np.ndarray:
    """Each image's shade levels as the bytes "0" (blank) to "4" (full), shape (n, lines, columns)."""
    n, height, width = ink.shape
    if 2 * width <= max_columns:  # small: each pixel becomes two characters side by side
        blocks = np.repeat(ink, 2, axis=2)
    else:  # each character is the mean of a block `step` pixels wide and `2 * step` tall
        step = math.ceil(width / max_columns)
        padded = np.zeros((n, math.ceil(height / (2 * step)) * 2 * step, math.ceil(width / step) * step))
        padded[:, :height, :width] = ink
        rows, columns = padded.shape[1] // (2 * step), padded.shape[2] // step
        blocks = padded.reshape(n, rows, 2 * step, columns, step).mean(axis=(2, 4))
    levels = np.minimum((blocks * len(INK_SHADES)).astype(np.uint8), len(INK_SHADES) - 1)
    return levels + np.uint8(ord("0"))


#: Bytes that `_trimmed_pictures` puts round the shade digits: a line's end, a picture's end, a blank
#: ending a line (deleted).
_LINE_END, _PICTURE_END, _DROPPED = b"\n", b"|", b"x"
_DIGITS_TO_PICTURE = str.maketrans({**_DIGIT_TO_SHADE, "\n": "<br>"})


def _trimmed_pictures(digits: np.ndarray) -> list[str]:
    """`_picture_text` of each image of the stack with the blanks ending its lines dropped (an
    all-blank line keeps one), in a few operations for all of them.

    The Map draws a picture for every centre on every new K (150 centres: 3 ms one by one, under
    1 ms so): each line gets an end mark, the blanks ending it are marked to be dropped, and the
    whole stack becomes text at once.
    """
    n, lines, columns = digits.shape
    # Where each line's trailing blanks start; an all-blank line keeps its first blank.
    inked = digits != ord("0")
    last_ink = columns - np.argmax(inked[..., ::-1], axis=-1)
    keep = np.where(inked.any(axis=-1), last_ink, 1)
    marked = np.empty((n, lines, columns + 1), dtype=np.uint8)
    marked[..., :columns] = np.where(np.arange(columns) < keep[..., None], digits, ord(_DROPPED))
    marked[..., columns] = ord(_LINE_END)
    marked[:, -1, columns] = ord(_PICTURE_END)
    text = marked.tobytes().translate(None, _DROPPED).decode("ascii").translate(_DIGITS_TO_PICTURE)
    return text.split(_PICTURE_END.decode())[:n]


def _picture_text(digits: np.ndarray) -> str:
    # A few string operations per line instead of one per character: bytes, then digits to shades.
    return "<br>".join(line.tobytes().decode("ascii").translate(_DIGIT_TO_SHADE) for line in digits)
