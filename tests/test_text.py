"""ui.text.plain: text from files shows as typed, with no markdown, link or picture coming out of it.

The browser test `test_a_shared_model_file_puts_no_link_or_image_on_the_page` checks the rendered
page; these check the text itself.
"""

import re

import pytest

from ui.text import WORD_JOINER, plain

HOSTILE = [
    "[click](http://127.0.0.1:9/x)",
    "![pixel](https://127.0.0.1:9/p.png)",
    "**bold** _it_ `code` # heading",
    ":material/warning: :red[alarm] :smile:",
    "<img src=x onerror=alert(1)>",
    "see www.example.org or me@example.org",
    "$x^2$",
]


def unescaped(text: str) -> str:
    """What markdown shows for `text`: each backslash escape becomes its character."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_shows_exactly_what_was_typed(text):
    assert unescaped(plain(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_character_is_left_active(text):
    unescaped_parts = re.sub(r"\\.", "", plain(text))  # drop every escape with its character
    assert re.findall(r"[!-/:-@\[-`{-~]", unescaped_parts) == []


@pytest.mark.parametrize("text", ["http://a.b/c", "HTTPS://a.b", "www.a.b", "me@a.b"])
def test_bare_addresses_are_split_so_markdown_cannot_link_them(text):
    shown = plain(text)
    assert not re.search(r"(?i)https?\\?:|www\\?\.|[^\s\\\u2060]\\?@", shown)


def test_plain_keeps_ordinary_names_readable():
    assert plain("Ankle boot") == "Ankle boot"
    assert unescaped(plain("T-shirt/top")) == "T-shirt/top"
