"""Real documents of every format that `kb ingest` reads, written by the libraries people's
tools use (python-docx, python-pptx, fpdf2) or by hand (HTML, Markdown, text).

A `Doc` is a title and sections (a heading, paragraphs, bullets); each writer lays it out
the way its format does: a PDF page per section, a slide per section, a heading per
section. The tests and bench/ingest.py share these writers, and `generated_doc` makes
varied commissioning prose (with sentences that read as lessons) for the bench corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from html import escape
from pathlib import Path


@dataclass
class DocSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


@dataclass
class Doc:
    title: str
    sections: list[DocSection]


def write_pdf(path: Path, doc: Doc, *, user_password: str | None = None,
              owner_password: str | None = None, aes: bool = False) -> Path:
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.set_title(doc.title)
    for section in doc.sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        for bullet in section.bullets:
            pdf.multi_cell(0, 6, f"- {bullet}", new_x="LMARGIN", new_y="NEXT")
    if user_password is not None or owner_password is not None:
        pdf.set_encryption(owner_password=owner_password or "owner",
                           user_password=user_password or "",
                           encryption_method=EncryptionMethod.AES_128 if aes else None)
    pdf.output(str(path))
    return path


def write_docx(path: Path, doc: Doc) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = doc.title
    document.add_paragraph(doc.title, style="Title")
    for section in doc.sections:
        document.add_heading(section.heading, level=1)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph)
        for bullet in section.bullets:
            document.add_paragraph(bullet, style="List Bullet")
    document.save(path)
    return path


def write_pptx(path: Path, doc: Doc, *, notes: dict[int, str] | None = None) -> Path:
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.title = doc.title
    for number, section in enumerate(doc.sections, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
        slide.shapes.title.text = section.heading
        frame = slide.placeholders[1].text_frame
        lines = section.paragraphs + section.bullets
        frame.text = lines[0] if lines else ""
        for line in lines[1:]:
            frame.add_paragraph().text = line
        if notes and number in notes:
            slide.notes_slide.notes_text_frame.text = notes[number]
    deck.save(path)
    return path


def write_html(path: Path, doc: Doc) -> Path:
    def bullets(items: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{escape(b)}</li>" for b in items) + "</ul>" if items else ""

    body = "".join(f"<h2>{escape(s.heading)}</h2>"
                   + "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs) + bullets(s.bullets)
                   for s in doc.sections)
    path.write_text(
        f"<!doctype html><html><head><title>{escape(doc.title)}</title>"
        "<script>var tracking = 'not content';</script></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        f"<main><h1>{escape(doc.title)}</h1>{body}</main>"
        "<footer>Copyright and cookie notice</footer></body></html>", encoding="utf-8")
    return path


def write_markdown(path: Path, doc: Doc) -> Path:
    parts = [f"# {doc.title}\n"]
    for s in doc.sections:
        parts.append(f"## {s.heading}\n")
        parts += [f"{p}\n" for p in s.paragraphs]
        if s.bullets:
            parts.append("".join(f"- {b}\n" for b in s.bullets))
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_text(path: Path, doc: Doc) -> Path:
    parts = []
    for s in doc.sections:
        parts += s.paragraphs
        if s.bullets:
            parts.append("\n".join(f"- {b}" for b in s.bullets))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


WRITERS = {"pdf": write_pdf, "docx": write_docx, "pptx": write_pptx, "html": write_html,
           "md": write_markdown, "txt": write_text}
FORMATS = tuple(WRITERS)  # pdf, docx, pptx, html, md, txt


def write(path: Path, doc: Doc) -> Path:
    return WRITERS[path.suffix.lstrip(".")](path, doc)


def write_docx_bomb(path: Path, xml_mb: int) -> Path:
    """A .docx whose document.xml inflates to `xml_mb` MB of paragraphs from a few hundred
    KB on disk (the audit's bomb: 472 KB → 150 MB); everything else a real docx holds."""
    import zipfile

    real = write_docx(path.with_suffix(".real.docx"), BOARD_PAPER)
    paragraph = b"<w:p><w:r><w:t>Commissioners should agree the budget early.</w:t></w:r></w:p>"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                out.writestr(member, source.read(member))
                continue
            xml = source.read(member)
            head, tail = xml.split(b"<w:body>")
            with out.open("word/document.xml", "w") as stream:
                stream.write(head + b"<w:body>")
                chunk = paragraph * (1_000_000 // len(paragraph))  # 1 MB
                for _ in range(xml_mb):
                    stream.write(chunk)
                stream.write(tail)
    real.unlink()
    return path


# -- a board paper with known content, for the tests ---------------------------------------
BOARD_PAPER = Doc("Integrated care contract: review for the governing body", [
    DocSection("Background", [
        "The clinical commissioning group procured a fifteen year integrated care contract "
        "for a population of about 300,000 people. The contract brought community services, "
        "mental health and primary care together under one capitated budget.",
        "The procurement ran for eighteen months and attracted two bidders.",
    ]),
    DocSection("Conflict of interest", [
        "Several governing body members were general practitioners whose practices were "
        "part of a bidding consortium. The board adopted a register of interests and "
        "excluded conflicted members from the evaluation panel.",
        "With hindsight the board would have benefited from independent clinical advice "
        "on the evaluation from the outset.",
    ], bullets=[
        "The need to declare interests before the procurement starts, not during it.",
        "Commissioners should appoint an independent chair for the evaluation panel.",
    ]),
    DocSection("Finance and VAT", [
        "The financial model assumed savings of four per cent a year from the second year. "
        "The VAT position of the limited liability partnership was not confirmed before "
        "award, and the partnership could not recover VAT on its costs.",
        "The key lesson is that tax advice on the legal form of the provider must be taken "
        "before the contract is awarded.",
    ]),
])


# -- generated prose, for the bench corpus -------------------------------------------------
_SUBJECTS = ["The clinical commissioning group", "The governing body", "The council",
             "The lead provider", "The programme board", "The alliance", "Local GPs",
             "The finance committee", "The procurement team", "NHS England",
             "The health scrutiny committee", "Community services", "The trust board"]
_VERBS = ["reviewed", "agreed", "underestimated", "delayed", "approved", "tested",
          "negotiated", "consulted on", "revised", "escalated", "funded", "paused"]
_OBJECTS = ["the capitated budget", "the outcomes framework", "the risk share",
            "the estates strategy", "the workforce plan", "the VAT position",
            "the data sharing agreement", "the mobilisation timetable", "the contract award",
            "the evaluation criteria", "the engagement plan", "the care model",
            "the financial model", "the exit arrangements", "the GP contracts"]
_WHEN = ["in the first year", "before award", "after the consultation", "during mobilisation",
         "at the gateway review", "within the agreed budget", "over eighteen months",
         "ahead of the board meeting", "with the support of partners"]
_LESSONS = ["Commissioners should {v} {o} {w}.", "The need to agree {o} {w} was clear.",
            "A lesson for others is to settle {o} {w}.",
            "We would have benefited from more time on {o} {w}.",
            "It is essential to test {o} {w}.", "We recommend that boards review {o} {w}."]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_WHEN)}, and {rng.choice(_SUBJECTS).lower()} {rng.choice(_VERBS)} "
            f"{rng.choice(_OBJECTS)} {rng.choice(_WHEN)}.")


def generated_doc(rng: random.Random, number: int, *, sections: int, paragraphs: int) -> Doc:
    """A document of `sections` sections of `paragraphs` paragraphs (~90 words each), one
    sentence in four of which reads as a lesson."""
    def paragraph() -> str:
        lines = [_sentence(rng) for _ in range(3)]
        lesson = rng.choice(_LESSONS).format(v=rng.choice(_VERBS), o=rng.choice(_OBJECTS),
                                             w=rng.choice(_WHEN))
        return " ".join(lines + [lesson])
    return Doc(f"Board paper {number}: {rng.choice(_OBJECTS)}", [
        DocSection(f"Item {number}.{s + 1}: {rng.choice(_OBJECTS).capitalize()}",
                [paragraph() for _ in range(paragraphs)])
        for s in range(sections)])
