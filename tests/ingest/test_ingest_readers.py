"""Readers: real files of every format, read into cited sections and passages; and every
way a file can fail to be read, each reported with a reason a user understands."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest.passages import split
from ingest.readers import MB, Unreadable, check, format_of, read
from ingest_samples import BOARD_PAPER, Doc, DocSection, write_docx, write_pdf, write_pptx


def extract(path):
    return read(format_of(path), path.read_bytes())


def passages_of(path):
    return split(extract(path))


def test_pdf_passages_are_cited_by_page_and_keep_bullets(papers):
    extracted = extract(papers / "board.pdf")
    assert extracted.format == "pdf" and extracted.pages == 3
    assert extracted.title == BOARD_PAPER.title
    passages = passages_of(papers / "board.pdf")
    assert [p.locator for p in passages] == ["page 1", "page 2", "page 3"]
    second = passages[1].text
    assert "• The need to declare interests before the procurement starts" in second
    assert "register of interests" in second and "four per cent" not in second
    # Lines wrapped by the PDF are joined back into sentences.
    assert "population of about 300,000 people." in passages[0].text


def test_pdf_page_labels_are_the_locators(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.set_page_label("r")  # roman numerals, as front matter is numbered
    pdf.multi_cell(0, 6, "Foreword: the board should publish its lessons.")
    pdf.add_page()
    pdf.set_page_label("D", label_start=1)
    pdf.multi_cell(0, 6, "The first page of the report itself.")
    pdf.output(str(tmp_path / "labelled.pdf"))
    assert [p.locator for p in passages_of(tmp_path / "labelled.pdf")] == ["page i", "page 1"]


def test_word_passages_are_cited_by_heading(papers):
    extracted = extract(papers / "board.docx")
    assert extracted.title == BOARD_PAPER.title
    passages = passages_of(papers / "board.docx")
    assert [(p.locator, p.heading) for p in passages] == [
        ('section "Background"', "Background"),
        ('section "Conflict of interest"', "Conflict of interest"),
        ('section "Finance and VAT"', "Finance and VAT")]
    assert "• Commissioners should appoint an independent chair" in passages[1].text
    assert BOARD_PAPER.title not in passages[0].text  # the title is not body text


def test_word_tables_and_text_before_the_first_heading(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("A note on the scope of this paper, before any heading.")
    document.add_heading("Savings", level=2)
    table = document.add_table(rows=2, cols=2)
    for r, values in enumerate([("Year", "Saving"), ("2019/20", "£4.2m")]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.save(tmp_path / "table.docx")
    passages = passages_of(tmp_path / "table.docx")
    assert [(p.locator, p.text) for p in passages] == [
        ("paragraph 1", "A note on the scope of this paper, before any heading."),
        ('section "Savings"', "Year | Saving\n2019/20 | £4.2m")]


def test_slides_are_cited_by_number_with_titles_and_notes(tmp_path):
    path = write_pptx(tmp_path / "deck.pptx", BOARD_PAPER,
                      notes={2: "Speaker note: the chair stressed early declarations."})
    extracted = extract(path)
    assert extracted.pages == 3 and extracted.title == BOARD_PAPER.title
    passages = split(extracted)
    assert [(p.locator, p.heading) for p in passages] == [
        ("slide 1", "Background"), ("slide 2", "Conflict of interest"),
        ("slide 3", "Finance and VAT")]
    assert "Speaker note: the chair stressed early declarations." in passages[1].text
    assert "Conflict of interest" not in passages[1].text  # the title is the heading


def test_html_keeps_content_and_drops_page_furniture(papers):
    extracted = extract(papers / "board.html")
    assert extracted.title == BOARD_PAPER.title
    text = "\n".join(p.text for p in split(extracted))
    for furniture in ("tracking", "Home", "cookie"):
        assert furniture not in text
    passages = split(extracted)
    assert [p.locator for p in passages] == [
        'section "Background"', 'section "Conflict of interest"', 'section "Finance and VAT"']
    assert "• The need to declare interests" in passages[1].text


def test_html_without_a_main_element_and_with_nested_lists(tmp_path):
    path = tmp_path / "page.htm"
    path.write_bytes("<html><body><p>Intro text for the page.</p><ul><li>Outer point"
                     "<ul><li>Inner point</li></ul></li></ul><table><tr><td>Cost</td>"
                     "<td>£1m</td></tr></table></body></html>".encode("cp1252", "replace"))
    (passage,) = passages_of(path)
    assert passage.text == "Intro text for the page.\n• Outer point\n• Inner point\nCost | £1m"
    assert passage.locator == "paragraphs 1–4"


def test_markdown_sections_lists_and_tables(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Review of the alliance\n\nOpening words.\n\n## Lessons\n\n"
                    "- Boards **should** test the [model](http://x) early\n- Second point\n\n"
                    "| Item | Value |\n|---|---|\n| Term | 7 years |\n", encoding="utf-8")
    extracted = extract(path)
    assert extracted.title == "Review of the alliance"
    assert [(p.locator, p.text) for p in split(extracted)] == [
        ('section "Review of the alliance"', "Opening words."),
        ('section "Lessons"', "• Boards should test the model early\n• Second point\n"
                              "Item | Value\nTerm | 7 years")]


def test_plain_text_is_cited_by_paragraph(papers):
    passages = passages_of(papers / "board.txt")
    assert passages[0].locator.startswith("paragraphs 1–")
    assert all(p.heading is None for p in passages)
    assert "• The need to declare interests" in "\n".join(p.text for p in passages)


def test_a_blank_first_line_is_not_a_paragraph(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("\n- First point\n- Second point\n", encoding="utf-8")
    (passage,) = passages_of(path)
    assert (passage.locator, passage.text) == ("paragraphs 1–2", "• First point\n• Second point")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_text_files_in_the_encodings_people_save(tmp_path, encoding):
    path = tmp_path / "note.txt"
    path.write_bytes("The budget was £3m – a lesson in naïve forecasting.".encode(encoding))
    (passage,) = passages_of(path)
    assert passage.text == "The budget was £3m – a lesson in naïve forecasting."


# -- files that cannot be read -----------------------------------------------------------
def reason(path, max_bytes=50 * MB) -> str:
    with pytest.raises(Unreadable) as caught:
        fmt = check(path, max_bytes)
        extracted = read(fmt, path.read_bytes())
        if not split(extracted):
            raise Unreadable("no text found")
    return str(caught.value)


def test_a_zero_byte_file(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert reason(tmp_path / "empty.pdf") == "empty file (0 bytes)"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as fh:  # 200 MB, sparse: nothing is written or read
        fh.truncate(200 * MB)
    assert reason(path) == "too large (200 MB; the limit is 50 MB, set with --max-size)"
    assert "the limit is 300 MB" not in reason(path, max_bytes=150 * MB)


@pytest.mark.parametrize("name, expected", [
    ("figures.xlsx", "unknown type .xlsx: expected one of"),
    ("README", "unknown type (no suffix)"),
    ("old.doc", "an old Word format: save it as .docx"),
])
def test_unknown_and_unsupported_types(tmp_path, name, expected):
    (tmp_path / name).write_bytes(b"some bytes")
    assert reason(tmp_path / name).startswith(expected)


def test_a_corrupt_pdf(tmp_path, papers):
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    assert reason(tmp_path / "garbage.pdf").startswith("damaged or not really a PDF (")
    whole = (papers / "board.pdf").read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(whole[:len(whole) // 3])
    assert reason(tmp_path / "truncated.pdf").startswith("damaged or not really a PDF (")


def test_a_pdf_that_needs_a_password(tmp_path):
    path = write_pdf(tmp_path / "locked.pdf", BOARD_PAPER, user_password="secret")
    assert reason(path) == "encrypted: it needs a password to open; ingest an unprotected copy"


def test_a_pdf_protected_only_against_editing_is_read(tmp_path):
    path = write_pdf(tmp_path / "protected.pdf", BOARD_PAPER, owner_password="owner", aes=True)
    assert [p.locator for p in passages_of(path)] == ["page 1", "page 2", "page 3"]


def test_a_pdf_without_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 100)  # a scanned page: pictures, no text layer
    pdf.output(str(tmp_path / "scan.pdf"))
    assert reason(tmp_path / "scan.pdf") == "no text found"


def test_office_files_that_are_damaged_encrypted_or_old(tmp_path, papers):
    (tmp_path / "notzip.docx").write_bytes(b"this is not a zip package at all")
    assert reason(tmp_path / "notzip.docx").startswith("damaged or not really a Word document (")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "a zip, but no presentation inside")
    (tmp_path / "wrong.pptx").write_bytes(buffer.getvalue())
    assert reason(tmp_path / "wrong.pptx").startswith("damaged or not really a PowerPoint deck (")
    # Password-protected Office files are OLE containers with an EncryptionInfo stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le")
    (tmp_path / "locked.docx").write_bytes(ole + bytes(1024))
    assert reason(tmp_path / "locked.docx") == ("encrypted: it needs a password to open; "
                                                "save an unprotected copy")
    (tmp_path / "renamed.pptx").write_bytes(ole[:8] + bytes(2048))
    assert reason(tmp_path / "renamed.pptx").startswith("an old PowerPoint .ppt file")


def test_an_empty_word_document(tmp_path):
    path = write_docx(tmp_path / "blank.docx", Doc("", []))
    assert reason(path) == "no text found"


def test_binary_content_in_a_text_file(tmp_path):
    (tmp_path / "data.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    assert reason(tmp_path / "data.txt") == "binary content, not text"


def test_sections_with_no_words_are_dropped(tmp_path):
    path = write_pptx(tmp_path / "deck.pptx", Doc("Deck", [
        DocSection("Divider slide"), DocSection("Content", ["Real words on this slide."])]))
    assert [p.locator for p in passages_of(path)] == ["slide 2"]


@pytest.mark.parametrize("name", ["random.html", "random.htm", "random.md"])
def test_random_bytes_are_not_read_as_a_page(tmp_path, name):
    import random

    rng = random.Random(11)
    path = tmp_path / name
    # Random bytes, but with the NULs taken out: the control characters still give them away.
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(20_000)))
    assert reason(path).startswith("binary content, not ")


@pytest.mark.parametrize("limit, expected", [
    ("READ_SECONDS", "took more than"), ("READ_MEMORY", "needed more than")])
def test_a_file_past_the_time_or_memory_bound_is_refused(limit, expected):
    """The bounds hold whatever the parser does: the child reading the file is killed at
    the deadline, or runs out of its address space (here set low, for a 26 MB text). Run
    from a fresh process: a forked child reuses its parent's freed heap without growing its
    address space, so after other tests the memory bound would be reached later."""
    import subprocess
    import sys

    value = {"READ_SECONDS": "0.05", "READ_MEMORY": "10 * MB"}[limit]
    code = (
        "from ingest import bounded\n"
        "from ingest.readers import MB, Unreadable\n"
        f"bounded.{limit} = {value}\n"
        "bounded.MAX_PASSAGES = 10**9  # not the bound under test\n"
        "text = ('Commissioners should agree the budget before the contract is awarded. '"
        " * 12 + '\\n\\n') * 30_000\n"
        "try:\n"
        "    bounded.read_and_split('plain', text.encode())\n"
        "except Unreadable as exc:\n"
        "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.startswith(expected), out.stdout + out.stderr
