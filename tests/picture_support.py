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
    return found
