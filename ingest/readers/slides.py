"""PowerPoint .pptx (python-pptx): one section per slide, cited as "slide 7", its title
as the heading.

Shapes are read top to bottom, left to right (their order in the file is drawing order,
not reading order), groups included; a table row becomes one line, cells joined by " | ";
the speaker notes follow the slide's own text, because presenters often put the argument
there.
"""

from __future__ import annotations

from ingest.readers import Block, Extracted, Section, office_package, plausible_title
from ingest.text import clean

NAME = "a PowerPoint deck"


def read(data: bytes) -> Extracted:
    import pptx

    deck = pptx.Presentation(office_package(data, "an old PowerPoint .ppt file: save it as .pptx"))
    sections = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        heading = clean(title_shape.text_frame.text) if title_shape is not None else ""
        blocks = [block for shape in _reading_order(slide.shapes)
                  if title_shape is None or shape.shape_id != title_shape.shape_id
                  for block in _blocks(shape)]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            blocks += [Block(text) for text in _paragraphs(slide.notes_slide.notes_text_frame)]
        sections.append(Section(blocks, locator=f"slide {number}", heading=heading or None))
    title = plausible_title(deck.core_properties.title) or next(
        (s.heading for s in sections if s.heading), None)
    return Extracted("pptx", sections, title=title, pages=len(deck.slides))


def _reading_order(shapes):
    return sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))


def _blocks(shape) -> list[Block]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [b for inner in _reading_order(shape.shapes) for b in _blocks(inner)]
    if getattr(shape, "has_table", False):
        rows = (" | ".join(t for t in (clean(c.text) for c in row.cells) if t)
                for row in shape.table.rows)
        return [Block(row) for row in rows if row]
    if getattr(shape, "has_text_frame", False):
        return [Block(text, bullet=shape.is_placeholder) for text in _paragraphs(shape.text_frame)]
    return []


def _paragraphs(frame) -> list[str]:
    return [t for t in (clean(p.text) for p in frame.paragraphs) if t]
