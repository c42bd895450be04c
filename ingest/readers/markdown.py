"""Markdown (markdown-it-py, CommonMark with tables): sections under its headings, cited
by heading; list items are bullets, table rows one line each, code blocks kept as text."""

from __future__ import annotations

from ingest.readers import Block, Extracted, Section, decode_text
from ingest.text import clean

NAME = "a Markdown file"


def read(data: bytes) -> Extracted:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(decode_text(data))
    sections = [Section()]
    title = None
    lists = 0
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            heading = _plain(tokens[i + 1])
            if heading:
                sections.append(Section(locator=f'section "{heading}"', heading=heading))
                title = title or (heading if token.tag == "h1" else None)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            if any(row):
                sections[-1].blocks.append(Block(" | ".join(c for c in row if c)))
            row = None
        elif kind == "inline" and row is not None:
            row.append(_plain(token))
        elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
            text = _plain(token)
            if text:
                sections[-1].blocks.append(Block(text, bullet=lists > 0))
        elif kind in ("fence", "code_block", "html_block") and clean(token.content):
            sections[-1].blocks.append(Block(_html_text(token.content) if kind == "html_block"
                                             else clean(token.content)))
    return Extracted("md", sections, title=title)


def _plain(inline) -> str:
    """The words of an inline token, markup and link targets left out."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return clean("".join(parts))


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return clean(BeautifulSoup(html, "lxml").get_text(" "))
