"""Sprite sheets: every tile on screen is its own picture, and captions stay text."""

import numpy as np
import pytest
from picture_support import tiles

from ui.picture_grid import SHEET_COLUMNS, sprite, sprite_figures, sprite_rows, sprite_style


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


@pytest.mark.parametrize("count", [1, 10, 30, SHEET_COLUMNS + 5])
def test_rows_of_tiles_show_each_picture_once_in_order(count):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(count, 6, 4), dtype=np.uint8)
    captions = [f"picture {i}" for i in range(count)]

    shown = tiles(sprite_rows(sprite(images), captions, columns=10))

    assert [caption for _, caption in shown] == captions
    for (pixels, _), image in zip(shown, images, strict=True):
        np.testing.assert_array_equal(pixels, image)


def test_rows_of_tiles_are_rows_of_the_columns_asked_and_captions_stay_text():
    captions = ["<script>alert(1)</script>", "Bag & shoe", "3"]
    block = sprite_rows(sprite(np.zeros((3, 4, 4), np.uint8)), captions, columns=10)
    assert "grid-template-columns:repeat(10," in block
    assert "<script>" not in block
    assert [caption for _, caption in tiles(block)] == captions
    with pytest.raises(ValueError):  # a caption per picture
        sprite_rows(sprite(np.zeros((3, 4, 4), np.uint8)), captions[:2], columns=10)
