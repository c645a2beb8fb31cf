"""Text from files and people, shown as typed: never as markdown, links or pictures.

Streamlit renders markdown in `st.markdown`, captions, alerts and labels. A class name or dataset
name read from a shared model file, or a file name, could otherwise put links or remote images
(tracking pixels) on the page.
"""

from __future__ import annotations

import re

#: Every ASCII punctuation character CommonMark lets a backslash escape (markdown, emoji shortcodes
#: and Streamlit's :material/…: and :red[…] directives all start with one of these).
_MARKDOWN_ACTIVE = re.compile(r"[!-/:-@\[-`{-~]")
#: Where GitHub-flavoured markdown would turn bare text into a link ("http://", "www.", "a@b.c"),
#: escaping does not help: an invisible word joiner (U+2060) splits the pattern instead.
_AUTOLINK_START = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """`text` as a string that shows as typed wherever Streamlit renders markdown: no formatting,
    no link and no picture comes out of it."""
    text = _AUTOLINK_START.sub(WORD_JOINER, str(text))
    return _MARKDOWN_ACTIVE.sub(lambda match: "\\" + match.group(0), text)
