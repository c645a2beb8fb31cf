"""Sprite sheets: every tile on screen is its own picture, and captions stay text."""

import numpy as np
import pytest
from picture_support import tiles

from ui.picture_grid import SHEET_COLUMNS, sprite, sprite_figures, sprite_style


@pytest.mark.parametrize("count", [1, 5, SHEET_COLUMNS, 2 * SHEET_COLUMNS + 3])
def test_each_tile_shows_its_own_picture_in_the_order_asked(count):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 7, 5), dtype=np.uint8)  # not square: rows and columns differ
    sheet = sprite(images)
    order = rng.permutation(count)
    captions = [f"picture {i}" for i in order]
    block = sprite_style(sheet, scale=3) + sprite_figures(sheet, order, captions, scale=3)

    shown = tiles(block)

    assert [caption for _, caption in shown] == captions
    for (pixels, _), i in zip(shown, order, strict=True):
        np.testing.assert_array_equal(pixels, images[i])


def test_captions_are_text_not_markup():
    sheet = sprite(np.zeros((2, 4, 4), dtype=np.uint8))
    captions = ['<img src=x onerror="alert(1)">', "Bag & <b>shoe</b>"]

    block = sprite_figures(sheet, range(2), captions, scale=2)

    assert "<img" not in block and "<b>" not in block
    assert [caption for _, caption in tiles(sprite_style(sheet, scale=2) + block)] == captions


def test_different_pictures_or_sizes_never_share_a_style():
    first, second = sprite(np.zeros((3, 4, 4), np.uint8)), sprite(np.full((3, 4, 4), 9, np.uint8))
    assert first.css_class(2) != second.css_class(2)
    assert first.css_class(2) != first.css_class(3)
