"""core.figures.hover_pictures: images drawn in shade characters for hover labels."""

import numpy as np
import pytest

from core.data.registry import load_mnist_sample
from core.figures.hover_pictures import (
    INK_SHADES,
    hover_pictures,
    image_as_hover_text,
    texts_with_pictures,
    with_pictures,
)

BLANK, FULL = INK_SHADES[0], INK_SHADES[-1]


def picture_lines(text):
    return text.split("<br>")


@pytest.mark.parametrize(
    ("shape", "max_columns", "rows", "columns"),
    [
        ((28, 28), 28, 14, 28),  # each character covers 1x2 pixels
        ((28, 28), 14, 7, 14),  # 2x4 pixels
        ((8, 8), 28, 8, 16),  # small: a pixel is two characters side by side
        ((64, 64), 28, 11, 22),  # 3x6 pixels, the last block padded with blank
        ((5, 3), 28, 5, 6),
        ((1, 1), 28, 1, 2),
    ],
)
def test_image_as_hover_text_has_rows_of_columns(shape, max_columns, rows, columns):
    lines = picture_lines(image_as_hover_text(np.zeros(shape, dtype=np.uint8), max_columns))
    assert len(lines) == rows and {len(line) for line in lines} == {columns}
    assert columns <= max_columns


@pytest.mark.parametrize("shape", [(28, 28), (8, 8), (64, 50)])
def test_image_as_hover_text_of_a_blank_image_is_only_non_breaking_spaces(shape):
    # Plotly collapses runs of ordinary spaces, so blank pixels must be non-breaking spaces.
    text = image_as_hover_text(np.zeros(shape))
    assert set(text.replace("<br>", "")) == {"\u00a0"}


def test_image_as_hover_text_draws_a_vertical_bar_as_a_column_of_full_blocks():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[:, 10] = 255
    lines = picture_lines(image_as_hover_text(image))
    assert [line[10] for line in lines] == [FULL] * 14
    assert {line[:10] + line[11:] for line in lines} == {BLANK * 27}


def test_image_as_hover_text_shades_grey_between_blank_and_full():
    column = np.repeat(np.array([0, 64, 128, 192, 255], dtype=np.uint8), 2)  # a character per 2 rows
    image = np.tile(column[:, None], (1, 15))  # 15 columns, too wide to double
    shades = [line[0] for line in picture_lines(image_as_hover_text(image))]
    assert shades == list(INK_SHADES)


@pytest.mark.parametrize(
    "image",
    [
        np.full((4, 4), 255, dtype=np.uint8),
        np.full((4, 4), 1.0),  # floats from 0 to 1
        np.full((4, 4), 255.0),  # floats from 0 to 255
        np.full((4, 4), 255, dtype=np.int64),
        np.ones((4, 4), dtype=bool),
        [[255] * 4] * 4,  # a nested list
    ],
)
def test_image_as_hover_text_reads_each_dtype_as_ink(image):
    assert set(image_as_hover_text(image).replace("<br>", "")) == {FULL}


@pytest.mark.parametrize(
    ("image", "max_columns", "message"),
    [
        (np.zeros((2, 28, 28)), 28, r"should be 2D and not empty, got shape \(2, 28, 28\)"),
        (np.zeros((0, 5)), 28, r"should be 2D and not empty, got shape \(0, 5\)"),
        (np.array([["a", "b"]]), 28, "should hold numbers, got dtype <U1"),
        (np.zeros((8, 8)), 1, "max_columns=1 should be >= 2"),
    ],
)
def test_image_as_hover_text_rejects_bad_input(image, max_columns, message):
    with pytest.raises(ValueError, match=message):
        image_as_hover_text(image, max_columns)


def test_texts_with_pictures_puts_each_picture_under_its_text_without_trailing_blanks():
    images = np.zeros((2, 4, 4), dtype=np.uint8)
    images[0, :, 0] = 255  # a bar on the left: the blanks after it are dropped
    first, second = texts_with_pictures(["left bar", "blank"], images)
    assert first.split("<br>") == ["left bar"] + [FULL * 2] * 4
    assert second.split("<br>") == ["blank"] + [BLANK] * 4  # a blank line keeps one blank
    assert texts_with_pictures(["a", "b"], None) == ["a", "b"]
    with pytest.raises(ValueError, match="2 hover texts need as many images, got 1"):
        texts_with_pictures(["a", "b"], images[:1])


def test_pictures_made_once_go_under_new_texts_and_an_empty_one_adds_nothing():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[:, :, 3] = 255
    pictures = hover_pictures(images)
    assert with_pictures(["A 1, in cluster 4", "A 1, in cluster 5"], pictures) == texts_with_pictures(
        ["A 1, in cluster 4", "A 1, in cluster 5"], images
    )
    assert with_pictures(["a", "b"], [pictures[0], ""]) == [f"a<br>{pictures[0]}", "b"]
    with pytest.raises(ValueError, match="2 hover texts need as many pictures, got 1"):
        with_pictures(["a", "b"], pictures[:1])


@pytest.mark.parametrize("shape", [(28, 28), (8, 8), (30, 45), (1, 1)])
def test_a_stack_of_pictures_is_each_image_drawn_alone_without_trailing_blanks(shape):
    rng = np.random.default_rng(3)
    if shape == (28, 28):  # real digits, and a blank and a full image
        images = np.concatenate(
            [
                load_mnist_sample().train_images[:200],
                np.zeros((1, 28, 28), np.uint8),
                np.full((1, 28, 28), 255, np.uint8),
            ]
        )
    else:  # sparse random ink: lines ending in blanks, all-blank lines
        images = ((rng.random((60, *shape)) > 0.85) * rng.integers(0, 256, (60, *shape))).astype(np.uint8)
    alone = [
        "<br>".join(line.rstrip(BLANK) or BLANK for line in picture_lines(image_as_hover_text(image)))
        for image in images
    ]
    assert hover_pictures(images) == alone
