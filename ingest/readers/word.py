"""Word .docx (python-docx): sections under the document's headings, cited by heading.

Paragraphs and tables are read in document order; a paragraph is a heading when its
style is a heading style or has an outline level (so a renamed or translated heading style
still counts); list paragraphs are bullets; a table row becomes one line, cells joined by
" | ". The text before the first heading is cited by paragraph number.
"""

from __future__ import annotations

from ingest.dates import property_date
from ingest.readers import Block, Extracted, Section, office_package, plausible_title
from ingest.text import clean

NAME = "a Word document"


def read(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    document = docx.Document(office_package(data, "an old Word .doc file: save it as .docx"))
    sections = [Section()]
    title = plausible_title(document.core_properties.title)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            sections[-1].blocks += [Block(row) for row in _rows(item)]
            continue
        text = clean(item.text)
        if not text:
            continue
        style = item.style.name if item.style is not None else ""
        if style == "Title":
            title = title or text
        elif _is_heading(item):
            sections.append(Section(locator=f'section "{text}"', heading=text))
        else:
            sections[-1].blocks.append(Block(text, bullet=_is_list(item)))
    return Extracted("docx", sections, title=title,
                     date=property_date(document.core_properties.created))


def _rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:  # a merged cell appears once per grid column it spans
            text = clean(cell.text)
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _is_heading(paragraph) -> bool:
    style = paragraph.style
    if style is not None and (style.name.lower().startswith("heading")
                              or (style.style_id or "").lower().startswith("heading")):
        return True
    return _outline_level(paragraph._p) is not None or any(
        _outline_level(s.element) is not None for s in _style_chain(style))


def _outline_level(element) -> str | None:
    levels = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    # Level 9 is Word's "body text"; 0–8 are heading levels.
    return levels[0] if levels and levels[0] != "9" else None


def _style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def _is_list(paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return "List" in style or bool(paragraph._p.xpath("./w:pPr/w:numPr"))
