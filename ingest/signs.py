"""Bringing curated plan signs into the case files.

Plan signs (kb.records.PlanSigns) are written by curators in a file of their own, keyed by
lesson id (`<lesson id>: {warning: [...], covered: [...]}`), without sight of any test plan.
`merge` copies them into data/cases/<slug>.yaml as each lesson's `plan_signs`, with
ruamel.yaml's round trip (every other byte of the case file stays as it was), never
changing a sign's wording: a malformed sign is left out and reported by file, line and
field, as is a lesson id the case does not have. The result is validated as a case file
before the file is replaced atomically.

    python -m ingest.signs /work/signs/uniting-care.yaml [--data data/]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from kb.casefiles import CASES_DIR, load_yaml, validate
from ingest.review import _dump, _seq, _yaml
from kb.database import atomic_replace
from kb.errors import RecordError
from kb.records import CaseFile, PlanSentence

KINDS = ("warning", "covered")
_SENTENCE = TypeAdapter(PlanSentence)


@dataclass
class Merged:
    case_file: Path
    lessons: int = 0
    signs: int = 0
    left_out: list[RecordError] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.case_file}: plan signs for {self.lessons} lessons ({self.signs} signs)"]
        if self.left_out:
            lines.append(f"left out {len(self.left_out)}:")
            lines += [f"  {e}" for e in self.left_out]
        return "\n".join(lines)


def merge(signs_path: Path, data_dir: Path) -> Merged:
    """Write the signs of `signs_path` (named <case slug>.yaml) into that case's file."""
    signs_path = Path(signs_path)
    case_path = Path(data_dir) / CASES_DIR / signs_path.name
    doc = load_yaml(signs_path)
    report = Merged(case_file=case_path)
    yaml = _yaml()
    data = yaml.load(case_path.read_text(encoding="utf-8"))
    lessons = {lesson["id"]: lesson for lesson in data.get("lessons") or []}
    if not isinstance(doc.value, dict):
        report.left_out.append(RecordError(signs_path, 1, "(document)",
                                           "expected lesson ids mapped to their signs"))
        doc.value = {}
    for lesson_id, entry in doc.value.items():
        if lesson_id not in lessons:
            report.left_out.append(RecordError(signs_path, doc.line_of((lesson_id,)), lesson_id,
                                               f"no lesson {lesson_id!r} in {case_path.name}"))
            continue
        kept = {kind: _valid(doc, lesson_id, kind, entry, report) for kind in KINDS}
        if not all(kept.values()):
            report.left_out.append(RecordError(
                signs_path, doc.line_of((lesson_id,)), lesson_id,
                "left out: needs at least one valid warning and one valid covered sign"))
            continue
        lessons[lesson_id]["plan_signs"] = {kind: _seq(kept[kind]) for kind in KINDS}
        report.lessons += 1
        report.signs += sum(map(len, kept.values()))
    text = _dump(yaml, data)
    checked = case_path.with_name(f".{case_path.name}.check")
    try:
        checked.write_text(text, encoding="utf-8")
        validate(load_yaml(checked), CaseFile)  # raises RecordErrors, nothing written
    finally:
        checked.unlink(missing_ok=True)
    with atomic_replace(case_path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return report


def _valid(doc, lesson_id: str, kind: str, entry, report: Merged) -> list[str]:
    values = entry.get(kind) if isinstance(entry, dict) else None
    if not isinstance(values, list):
        report.left_out.append(RecordError(doc.path, doc.line_of((lesson_id,)),
                                           f"{lesson_id}.{kind}", "expected a list of sentences"))
        return []
    kept = []
    for i, value in enumerate(values):
        try:
            kept.append(_SENTENCE.validate_python(value))
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
            report.left_out.append(RecordError(doc.path, doc.line_of((lesson_id, kind, i)),
                                               f"{lesson_id}.{kind}[{i}]", problem))
    return kept


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("signs", nargs="+", type=Path, help="<case slug>.yaml files of signs")
    parser.add_argument("--data", type=Path, default=Path("data"), help="the data directory")
    args = parser.parse_args(argv)
    for path in args.signs:
        print(merge(path, args.data).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
