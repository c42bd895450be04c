"""The record of ingested documents: data/ingested/<document id>.yaml, one file each.

The database is a product of data/; so is everything `kb ingest` adds to it. Each
ingested document leaves a small YAML file beside the case files saying which file it was
(path, content hash, size), for which case, under what title and date, and what the user
decided about its candidate lessons. `kb build` reads these files: a document the
previous database lacks (a fresh clone, a deleted database) is read again from its path,
and the same bytes give the same passages, ids and candidates, so a clone given the same
documents rebuilds the same database. One file per document keeps every write small and
atomic, and lets two people ingest in one repository without a merge conflict. The
documents themselves stay where the user keeps them: board papers may be confidential.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML

from kb.casefiles import load_yaml, validate
from kb.database import atomic_replace
from kb.errors import RecordError, RecordErrors
from kb.records import PartialDate, Slug

MANIFEST_DIR = "ingested"
HEADER = ("# Recorded by `kb ingest`; `kb build` reads it to rebuild this document's passages.\n"
          "# Edit title or date with `kb ingest FILE --case … --title … --date …`.\n")


def _writer() -> YAML:
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style, writer.width = False, 100
    writer.sort_base_mapping_type_on_output = False  # the fields in Entry's order
    return writer


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    case: Slug
    path: str                        # relative to the folder holding data/, when inside it
    title: str = ""                  # empty: the document's own title, else its file name
    date: Optional[PartialDate] = None
    format: str = ""                 # set from the file when it is read
    content_hash: str                # sha256 of the file's bytes
    size: int
    pages: Optional[int] = None
    ingested_at: str
    accepted: dict[str, str] = {}    # candidate id → id of the curated lesson it became
    rejected: list[str] = []         # candidate ids


class Manifest:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.dir = self.data_dir / MANIFEST_DIR
        self.root = self.data_dir.resolve().parent

    def entries(self) -> dict[str, Entry]:
        """Every recorded document by id; RecordErrors naming each malformed file."""
        entries: dict[str, Entry] = {}
        errors: list[RecordError] = []
        for path in sorted(self.dir.glob("*.yaml")):
            try:
                entry = validate(load_yaml(path), Entry)
            except RecordErrors as exc:
                errors += exc.errors
                continue
            if path.stem != entry.id:
                errors.append(RecordError(path, None, "id", f"expected {path.stem!r} to match "
                                          "the file name"))
            entries[entry.id] = entry
        if errors:
            raise RecordErrors(errors)
        return entries

    def save(self, entry: Entry) -> None:
        """Write one entry atomically: a reader sees the old file or the new one."""
        out = io.StringIO()
        _writer().dump(entry.model_dump(exclude_defaults=True), out)
        text = HEADER + out.getvalue()
        with atomic_replace(self.dir / f"{entry.id}.yaml") as tmp:
            tmp.write_text(text, encoding="utf-8")

    def delete(self, document_id: str) -> None:
        (self.dir / f"{document_id}.yaml").unlink(missing_ok=True)

    def stored_path(self, path: Path) -> str:
        """How a file's location is recorded: relative to the folder that holds data/ when
        it is inside it (so the record travels with a clone), else absolute."""
        path = Path(path).resolve()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def file_of(self, entry: Entry) -> Path:
        return self.root / entry.path  # an absolute path stays as it is
