"""The one way a value reaches a Markdown-rendering Streamlit call: :func:`md`.

Streamlit renders the text of ``st.markdown``, ``st.write``, ``st.caption``, ``st.error`` /
``warning`` / ``info`` / ``success``, ``st.toast``, every widget label, radio options, metric
labels, expander and status titles as GitHub-flavoured Markdown with its own additions:
colour and badge directives (``:red[...]``), ``:material/icon:`` and emoji shortcodes,
``:streamlit:``, LaTeX between ``$``, and arrows typed as ``->``. A name such as
``![x](http://host/beacon.png)`` would make the browser fetch the address, and
``[click](javascript:...)`` would draw a link, and so would a bare ``http://host`` or
``www.host``. :func:`md` turns any value into Markdown that
shows exactly its text: nothing is a link, an image, a directive, an icon, a formula or HTML.

Selectbox and multiselect *options* are plain text in Streamlit (only their labels are
Markdown): give them the raw value, never :func:`md`'s output.
"""

from __future__ import annotations

import re

__all__ = ["code", "md", "plain"]

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one
# is always literal text: no emphasis, link, image, code span, HTML, entity, directive (":")
# or math ("$").
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Line breaks and tabs become spaces (a value never opens a new block); other control
# characters and the bidirectional overrides (which reorder what is shown) become U+FFFD.
_SPACES = re.compile(r"\r\n|[\r\n\t\v\f\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Streamlit replaces these in the text it has already parsed, so escaping cannot stop them: a
# word joiner (U+2060, invisible) after the first character breaks the pattern.
# ":smile:", ":material/x:", ":streamlit:" - a shortcode;
_SHORTCODE = re.compile(r":(?=[\w+/-]+:)")
# "->", "<-", "<->", "--", ">=", "<=", "~=" between spaces - typographical arrows and signs.
_TYPOGRAPHY = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")
# GitHub's autolinks are found in the parsed text too: "http://", "https://", "www." and
# "name@domain.tld" would each become a link; a word joiner after "http:", "www" and "@" stops it.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)(?=[-\w]+\.[-\w])")
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` (any object: ``str(value)``; ``None`` is ``""``) as Markdown that Streamlit
    shows as that very text, on one line.

    Line breaks and tabs become spaces; other control characters and bidirectional
    overrides become U+FFFD; every ASCII punctuation character is backslash-escaped; a word
    joiner (invisible) breaks Streamlit's shortcodes and arrows and GitHub's autolinks. The result is only for a
    Markdown-rendering call: shown anywhere else it reads with backslashes.
    """
    text = "" if value is None else str(value)
    text = _CONTROLS.sub("\ufffd", _SPACES.sub(" ", text))
    text = _TYPOGRAPHY.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], text)
    text = _SHORTCODE.sub(":" + WORD_JOINER, text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def code(value: object) -> str:
    """``value`` as a Markdown code span (monospace) that shows exactly its text, on one line:
    the fence has more backticks than any run inside, so nothing in it is Markdown; control
    characters are handled as by :func:`md`, and a word joiner breaks ``:material/...:``
    (which Streamlit replaces even inside code)."""
    text = "" if value is None else str(value)
    text = _SHORTCODE.sub(":" + WORD_JOINER, _CONTROLS.sub("\ufffd", _SPACES.sub(" ", text)))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain(markdown: str) -> str:
    """The text :func:`md`'s output shows: its escapes and word joiners removed (for tests and
    logs; ``plain(md(x)) == x`` for any one-line ``x`` free of control characters)."""
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")
