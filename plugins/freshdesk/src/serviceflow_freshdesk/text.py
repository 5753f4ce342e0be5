"""HTML in and out: Freshdesk bodies are HTML, serviceflow's texts are plain.

Freshdesk's ticket descriptions, notes and replies carry HTML (``body``; the API adds a
``body_text`` where it can), and the ``{{ticket.description}}`` / comment placeholders render
HTML into webhooks (CONTRACTS.md §2.6). serviceflow keeps plain text, so it converts at the edge,
with the standard library only.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")  # a block starts on its own line

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain(markup: str | None) -> str:
    """Readable plain text from Freshdesk HTML: tags dropped, block ends as line breaks."""
    if not markup:
        return ""
    if "<" not in markup:
        return html.unescape(markup).strip()
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def to_html(text: str) -> str:
    """serviceflow's plain text as Freshdesk HTML: escaped, one ``<div>`` per line."""
    lines = text.rstrip().split("\n")
    return "".join(f"<div>{html.escape(line) if line else '<br>'}</div>" for line in lines)
