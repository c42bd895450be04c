"""The labelled Markdown plans (tests/plans/) written as real files of every format that
`kb check` reads, with the writers the ingest tests use (python-docx, python-pptx, fpdf2,
HTML, Markdown, text): a PDF page, a slide or a heading per section of the plan."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ingest"))

from ingest_samples import WRITERS, Doc, DocSection  # noqa: E402

from ingest.readers import read  # noqa: E402
from bench.plan_evaluate import PLANS_DIR  # noqa: E402

FORMATS = tuple(WRITERS)  # pdf, docx, pptx, html, md, txt
# fpdf2's core fonts are Latin-1: typographic punctuation is written plainly in the PDF.
_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                        "…": "...", "≥": ">=", "≤": "<=", "→": "->"})


def plan_doc(name: str, *, latin1: bool = False) -> Doc:
    """tests/plans/<name>.md as a Doc: its title and its sections under their headings."""
    extracted = read("markdown", (PLANS_DIR / f"{name}.md").read_bytes())
    sections = []
    for section in extracted.sections:
        def text(value: str) -> str:
            if not latin1:
                return value
            return value.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")
        sections.append(DocSection(text(section.heading or extracted.title or name),
                                [text(b.text) for b in section.blocks if not b.bullet],
                                [text(b.text) for b in section.blocks if b.bullet]))
    return Doc(extracted.title or name, sections)


def write_plan(folder: Path, name: str, fmt: str) -> Path:
    """tests/plans/<name>.md written as <folder>/<name>.<fmt>."""
    path = folder / f"{name}.{fmt}"
    if fmt == "md":
        path.write_bytes((PLANS_DIR / f"{name}.md").read_bytes())
        return path
    return WRITERS[fmt](path, plan_doc(name, latin1=fmt == "pdf"))
