"""HTML (beautifulsoup4 with lxml): sections under the page's headings, cited by heading.

The page's furniture (scripts, navigation, headers, footers, forms) is dropped and, when
the page marks its main content (<main>, <article>), only that is read. Text is gathered
in document order and broken at every block element, so a list item, a table row
(cells joined by " | ") or a paragraph is one block whatever the nesting.
"""

from __future__ import annotations

import codecs

from ingest.readers import Block, Extracted, Section, Unreadable, looks_binary, plausible_title
from ingest.text import clean

NAME = "an HTML page"

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = {"address", "article", "blockquote", "dd", "details", "dialog", "div", "dl", "dt",
          "fieldset", "figcaption", "figure", "hr", "li", "main", "ol", "p", "pre", "section",
          "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "caption", "body"}
CELLS = {"td", "th"}
FURNITURE = ["script", "style", "noscript", "template", "svg", "canvas", "nav", "header",
             "footer", "aside", "form", "iframe", "button", "select", "head"]


def read(data: bytes) -> Extracted:
    from bs4 import BeautifulSoup, UnicodeDammit

    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and looks_binary(data):
        raise Unreadable("binary content, not an HTML page")
    # The page's declared charset first, then UTF-8, then Windows-1252 (never a lossy guess).
    text = UnicodeDammit(data, user_encodings=["utf-8", "windows-1252"], is_html=True)
    soup = BeautifulSoup(text.unicode_markup or "", "lxml")
    title = plausible_title(soup.title.get_text(" ")) if soup.title else None
    for tag in soup(FURNITURE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    first_h1 = next((s.heading for s in walker.sections if s.heading and s.level == 1), None)
    return Extracted("html", [s.section for s in walker.sections], title=title or first_h1)


class _Part:
    def __init__(self, heading: str | None = None, level: int = 0):
        self.heading, self.level = heading, level
        self.section = Section(locator=f'section "{heading}"' if heading else None,
                               heading=heading)


class _Walker:
    def __init__(self):
        self.sections = [_Part()]
        self.buffer: list[str] = []
        self.in_item = 0

    def flush(self):
        text = clean(" ".join(self.buffer)).strip(" |")
        if text:
            self.sections[-1].section.blocks.append(Block(text, bullet=self.in_item > 0))
        self.buffer = []

    def walk(self, node):
        from bs4 import NavigableString
        from bs4.element import PreformattedString

        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                continue
            if isinstance(child, NavigableString):
                self.buffer.append(str(child))
            elif child.name in HEADINGS:
                self.flush()
                heading = clean(child.get_text(" "))
                if heading:
                    self.sections.append(_Part(heading, int(child.name[1])))
            elif child.name == "br":
                self.buffer.append(" ")
            elif child.name in BLOCKS:
                self.flush()
                self.in_item += child.name == "li"
                self.walk(child)
                self.flush()
                self.in_item -= child.name == "li"
            elif child.name in CELLS:
                self.buffer.append(" | ")
                self.walk(child)
            else:
                self.walk(child)
