"""Reading pictures drawn as tiles of a sprite sheet (`ui.picture_grid`) back out of their HTML."""

import base64
import io
import re
from html import unescape

import numpy as np
from PIL import Image

SHEET_RULE = (
    r"\.(sprite-[\w-]+)\{background-image:url\((data:image/png;base64,[^)]+)\);"
    r"background-size:(\d+)px (\d+)px;width:(\d+)px;height:(\d+)px\}"
)
TILE = (
    r'(?s)<div class="(sprite-[\w-]+)" role="img" aria-label="([^"]*)" '
    r'style="background-position:-(\d+)px -(\d+)px"></div><figcaption[^>]*>(.*?)</figcaption>'
)


#: `sprite_rows`' tiles: the sheet as a multiple of the tile's box, a tile found by percentages.
FIT_SHEET_RULE = (
    r"\.(sprite-[\w-]+-fit)\{background-image:url\((data:image/png;base64,[^)]+)\);"
    r"background-size:(\d+)% (\d+)%;width:100%;aspect-ratio:(\d+)/(\d+)[^}]*\}"
)
FIT_TILE = (
    r'(?s)<div class="(sprite-[\w-]+-fit)" role="img" aria-label="([^"]*)" '
    r'style="background-position:([\d.]+)% ([\d.]+)%"></div><figcaption[^>]*>(.*?)</figcaption>'
)


def tiles(block: str, styles: str | None = None) -> list[tuple[np.ndarray, str]]:
    """The pictures of an HTML block drawn as tiles of a sprite sheet (its style sheet in `styles`, else
    in `block`), as they appear on screen: each (its pixels as sent, its caption), in order. Each
    tile's spoken text is its caption."""
    sheets = {}
    for name, uri, size_x, _, width, height in re.findall(SHEET_RULE, styles or block):
        sheet = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",")[1]))))
        sheets[name] = (sheet, sheet.shape[1] / int(size_x), int(width), int(height))
    found = []
    for name, label, x, y, caption in re.findall(TILE, block):
        sheet, pixels_per_px, width, height = sheets[name]
        top, left = round(int(y) * pixels_per_px), round(int(x) * pixels_per_px)
        tile = sheet[top : top + round(height * pixels_per_px), left : left + round(width * pixels_per_px)]
        assert unescape(label) == unescape(caption)
        found.append((tile, unescape(caption)))
    return found or fit_tiles(block, styles)


def fit_tiles(block: str, styles: str | None = None) -> list[tuple[np.ndarray, str]]:
    """`tiles` for `ui.picture_grid.sprite_rows`, whose tiles take their size from the page's width."""
    sheets = {}
    for name, uri, size_x, size_y, width, height in re.findall(FIT_SHEET_RULE, styles or block):
        sheet = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",")[1]))))
        columns, rows = int(size_x) // 100, int(size_y) // 100
        assert sheet.shape[1] == columns * int(width) and sheet.shape[0] == rows * int(height)
        sheets[name] = (sheet, columns, rows, int(width), int(height))
    found = []
    for name, label, x, y, caption in re.findall(FIT_TILE, block):
        sheet, columns, rows, width, height = sheets[name]
        column, row = round(float(x) / 100 * (columns - 1)), round(float(y) / 100 * (rows - 1))
        tile = sheet[row * height : (row + 1) * height, column * width : (column + 1) * width]
        assert unescape(label) == unescape(caption)
        found.append((tile, unescape(caption)))
    return found


#: `ui.picture_grid.show_pictures`' and `figure`'s pictures: an image with its caption under it.
PICTURE = (
    r'(?s)<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"[^>]*>'
    r"\s*<figcaption[^>]*>(.*?)</figcaption>"
)


def pictures(block: str) -> list[tuple[np.ndarray, str]]:
    """The pictures of an HTML block made of figures (each a PNG data URI with its caption), in order:
    each (its pixels, its caption). Each picture's alternative text is its caption."""
    found = []
    for data, label, caption in re.findall(PICTURE, block):
        assert unescape(label) == unescape(caption)
        found.append((np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), unescape(caption)))
    return found
