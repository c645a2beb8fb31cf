"""Many small captioned pictures in one `st.html` block, cheap for the browser to draw again.

`st.image` draws each picture in a styled component with a Markdown caption, and the browser loads
each picture as its own resource. Here the pictures of a panel are tiles of one PNG (a sprite
sheet), shown as CSS backgrounds of plain ``<figure>`` elements, in one `st.html` block: one picture
to load and decode, one element to draw. On Centroids at K = 300 on Fashion-MNIST the browser's main
thread went from about 420 to 240 ms per new K. Captions and text are escaped: text stays text.
"""

from __future__ import annotations

import hashlib
import html
import math
from typing import NamedTuple

import numpy as np
import streamlit as st

from core.figures.images import png_data_uri

#: The look of `st.image`'s captions: small and muted; a caption's line breaks are kept.
CAPTION_STYLE = "font-size:0.875rem;opacity:0.6;line-height:1.4;padding-top:0.25rem;white-space:pre-line"
#: Tiles per row of a sprite sheet: keeps the sheet well inside any browser's picture size limit.
SHEET_COLUMNS = 32


class Sprite(NamedTuple):
    """Pictures of one size as tiles of one PNG, `columns` to a row, in their order."""

    uri: str  #: the sheet, a PNG data URI
    count: int
    columns: int
    tile: tuple[int, int]  #: (height, width) of a picture, in pixels
    digest: str  #: short, different for different pictures

    def css_class(self, scale: int) -> str:
        """The CSS class of its tiles at `scale`: different for different pictures or scales."""
        return f"sprite-{self.digest}-x{scale}"


def sprite(images) -> Sprite:
    """The images (array of shape (n, height, width) or (n, height, width, channels), uint8) as one sheet."""
    images = np.asarray(images)
    count, height, width = images.shape[:3]
    columns = max(1, min(SHEET_COLUMNS, count))
    rows = math.ceil(count / columns)
    padded = np.zeros((rows * columns, *images.shape[1:]), dtype=images.dtype)
    padded[:count] = images
    # (rows, columns, h, w, ...) -> (rows, h, columns, w, ...) -> one picture
    grid = padded.reshape(rows, columns, *images.shape[1:]).swapaxes(1, 2)
    sheet = grid.reshape(rows * height, columns * width, *images.shape[3:])
    uri = png_data_uri(sheet)
    digest = hashlib.blake2s(uri.encode("ascii"), digest_size=6).hexdigest()
    return Sprite(uri, count, columns, (height, width), digest)


def sprite_style(sheet: Sprite, *, scale: int) -> str:
    """A style sheet for `sprite_figures`: each tile `scale` times its own size, smoothly enlarged."""
    height, width = sheet.tile
    rows = math.ceil(sheet.count / sheet.columns)
    return (
        f"<style>.{sheet.css_class(scale)}{{background-image:url({sheet.uri});"
        f"background-size:{sheet.columns * width * scale}px {rows * height * scale}px;"
        f"width:{width * scale}px;height:{height * scale}px}}</style>"
    )


def sprite_figures(sheet: Sprite, indices, captions: list[str], *, scale: int, gap: str = "0.5rem") -> str:
    """The tiles at `indices`, each with its caption (also its text for screen readers), in a row that wraps.

    `gap` is the CSS gap between them (rows, then columns if it has two parts). Needs
    `sprite_style(sheet, scale=scale)` in the same block.
    """
    height, width = sheet.tile
    name = sheet.css_class(scale)
    figures = []
    for i, caption in zip(indices, captions, strict=True):
        x, y = (i % sheet.columns) * width * scale, (i // sheet.columns) * height * scale
        text = html.escape(caption)
        figures.append(
            f'<figure style="margin:0;width:{width * scale}px;text-align:center">'
            f'<div class="{name}" role="img" aria-label="{text}" style="background-position:-{x}px -{y}px">'
            f'</div><figcaption style="{CAPTION_STYLE}">{text}</figcaption></figure>'
        )
    return f'<div style="display:flex;flex-wrap:wrap;gap:{gap}">{"".join(figures)}</div>'


def show_sprite(sheet: Sprite, captions: list[str], *, scale: int, gap: str = "0.5rem") -> None:
    """Every tile of `sheet` in order, each with its caption, in a row that wraps: one `st.html` block."""
    st.html(
        sprite_style(sheet, scale=scale)
        + sprite_figures(sheet, range(sheet.count), captions, scale=scale, gap=gap)
    )


def sprite_rows(sheet: Sprite, captions: list[str], *, columns: int, gap: str = "1rem 0.5rem") -> str:
    """Every tile of `sheet` in order, in rows of `columns` (the last row may be short), each with its
    caption, as HTML with its own style sheet.

    Unlike `sprite_figures`' wrapping row, every row but the last is full at any width: each tile is
    at most its own size (the sheet's pixels: enlarge the pictures before `sprite` for bigger tiles)
    and shrinks to its share of a narrower page. It replaced a grid of `st.columns` holding one
    `st.image` each: Explore's 30 samples and 10 class averages cost about 25 ms of every rerun in
    Chromium (a new K: 95 -> 73 ms without the samples), as 40 elements and 43 boxes to draw again.
    """
    height, width = sheet.tile
    rows = math.ceil(sheet.count / sheet.columns)
    name = f"sprite-{sheet.digest}-fit"
    style = (
        f"<style>.{name}{{background-image:url({sheet.uri});"
        f"background-size:{sheet.columns * 100}% {rows * 100}%;"
        f"width:100%;aspect-ratio:{width}/{height};border-radius:0.25rem}}</style>"
    )
    figures = []
    for i, caption in zip(range(sheet.count), captions, strict=True):
        x = 100 * (i % sheet.columns) / max(sheet.columns - 1, 1)
        y = 100 * (i // sheet.columns) / max(rows - 1, 1)
        text = html.escape(caption)
        figures.append(
            f'<figure style="margin:0;max-width:{width}px;text-align:center">'
            f'<div class="{name}" role="img" aria-label="{text}" style="background-position:{x:g}% {y:g}%">'
            f'</div><figcaption style="{CAPTION_STYLE}">{text}</figcaption></figure>'
        )
    grid = f"display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:{gap}"
    return f'{style}<div style="{grid}">{"".join(figures)}</div>'


def show_picture_groups(groups: list[tuple[str, str, str]], *, head: str = "", columns: int = 2) -> None:
    """Groups of pictures in `columns` columns, as one `st.html` block after `head` (a style sheet).

    Each group is (name, note, its figures), headed "**name** — note". Group i goes to column
    i % columns, as with `st.columns`; on a screen too narrow for the columns side by side they stack.
    """
    stacks = [[] for _ in range(columns)]
    for i, (name, note, block) in enumerate(groups):
        heading = f"<strong>{html.escape(name)}</strong> — {html.escape(note)}"
        stacks[i % columns].append(f'<section><p style="margin:0 0 1rem">{heading}</p>{block}</section>')
    column = "flex:1 1 18rem;min-width:0;display:flex;flex-direction:column;gap:1rem"
    body = "".join(f'<div style="{column}">{"".join(stack)}</div>' for stack in stacks)
    st.html(f'{head}<div style="display:flex;flex-wrap:wrap;gap:1rem 4rem">{body}</div>')


def figure(picture: str, caption: str, *, width: int) -> str:
    """One picture (a PNG data URI) `width` pixels wide, its caption (also its alternative text) under it."""
    text = html.escape(caption)
    return (
        f'<figure style="margin:0;width:{width}px;text-align:center">'
        f'<img src="{picture}" alt="{text}" style="width:{width}px;display:block">'
        f'<figcaption style="{CAPTION_STYLE}">{text}</figcaption></figure>'
    )


#: The rounded corners of `st.image`, which pictures shown here keep.
PICTURE_RADIUS = "0.5rem"


def show_pictures(pictures: list[np.ndarray], captions: list[str], *, equal_columns: bool = False) -> None:
    """Pictures (uint8 arrays) side by side, each at its own size with its caption under it, in one
    `st.html` block: one element for the browser to draw again on each run, not a picture, a caption
    and a column for each. Draw's answer, from the stroke to a quiet page: 290 -> 276 ms (A/B, 20
    strokes; 270 ms with its seven pictures left out altogether).

    With `equal_columns`, each picture heads a column of an equal share of the width, its caption as wide
    as the column (a long caption under a narrow picture stays on few lines); otherwise the pictures
    follow each other, each caption as wide as its picture. A picture wider than its share shrinks.
    """
    cells = []
    for picture, caption in zip(pictures, captions, strict=True):
        text, width = html.escape(caption), picture.shape[1]
        cells.append(
            f'<figure style="margin:0;min-width:0;{"" if equal_columns else f"width:{width}px;"}">'
            f'<img src="{png_data_uri(picture)}" alt="{text}" style="width:{width}px;max-width:100%;'
            f'display:block;border-radius:{PICTURE_RADIUS}">'
            f'<figcaption style="{CAPTION_STYLE}">{text}</figcaption></figure>'
        )
    if equal_columns:
        layout = f"display:grid;grid-template-columns:repeat({len(cells)},minmax(0,1fr));gap:1rem"
    else:
        layout = "display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start"
    st.html(f'<div style="{layout}">{"".join(cells)}</div>')


def show_beside(left: str, right: str, *, head: str = "") -> None:
    """Two blocks of HTML side by side, `left` as wide as its content, after `head` (a style sheet).

    On a narrow screen `right` goes under `left`.
    """
    st.html(
        f'{head}<div style="display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:flex-start">'
        f'<div style="flex:0 0 auto">{left}</div><div style="flex:1 1 20rem;min-width:0">{right}</div></div>'
    )
