"""Build canvas pictures in tests: grey strokes as the Draw page's canvas returns them (opaque RGBA)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def rgba(grey, alpha=None):
    """An opaque RGBA canvas from grey levels (or with the given alpha channel)."""
    grey = np.asarray(grey, dtype=np.uint8)
    a = np.full_like(grey, 255) if alpha is None else np.asarray(alpha, dtype=np.uint8)
    return np.dstack([grey, grey, grey, a])


def blank(size=280, value=0):
    return np.full((size, size), value, dtype=np.uint8)


def stroke_box(canvas, top, left, height, width, value=255):
    canvas[top : top + height, left : left + width] = value
    return canvas


def large_zero(size=280, stroke=36):
    """A "0" drawn along the canvas's edge, white on black: its stroke covers most of the border."""
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).rounded_rectangle((0, 0, size - 1, size - 1), radius=60, outline=255, width=stroke)
    return np.asarray(image)


def border(grey) -> np.ndarray:
    """The pixels along the four edges."""
    return np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
