"""Reviewing candidate lessons: listing them, rejecting one, or accepting one, which
writes it into its case's YAML file.

Curated data stays the source of truth: an accepted candidate becomes an ordinary lesson
in data/cases/<slug>.yaml (kb.records.Lesson), citing the ingested document as a source
in data/sources.yaml, and reaches the database through `kb build` like every lesson. The
YAML files are edited with ruamel.yaml's round trip, which keeps every existing byte
(comments, folded text, flow lists) and appends the lesson; the result is validated with
the whole corpus before anything is written, and each file is replaced atomically.

The lesson is a draft for a curator, each field from its own part of the text: the
sentences before the candidate in its passage are the event (what happened), the
candidate sentence is the recommendation when it says what to do ("should", "the need
to", "must"…) and the lesson otherwise ("would have benefited from", "with hindsight"…),
and what the document says there is the evidence; a field the text does not supply says
"Not yet recorded: …" (as a stub case does), so the curator has a clear form to fill in
rather than one sentence copied into every field. A comment above it says where it came
from. A case that so far exists only as a stub gets a case file whose description fields
say they are still to be written.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import tempfile
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kb.casefiles import CASES_DIR, SOURCES_FILE, read_corpus
from ingest.manifest import Manifest
from ingest.text import humanise, sentences
from kb.database import atomic_replace, connect_readonly, recover, writer_lock
from kb.errors import KbError
from kb.vocabulary import OUTCOMES, STAGES, THEMES

# How a document's format is described as a source (kb.vocabulary.SOURCE_KINDS).
SOURCE_KIND = {"pptx": "slides", "html": "web-page"}
NOT_YET = "Not yet recorded: describe the case here."
TO_WRITE = {"event": "Not yet recorded: describe what happened.",
            "lesson": "Not yet recorded: write what was learned.",
            "recommendation": "Not yet recorded: write what to do next time."}
# Candidate cues (ingest/candidates.py) that say what to do: such a sentence is the
# recommendation; the others ("lessons learned", "with hindsight"…) say what was learned.
RECOMMENDING = re.compile(r"^(?:should|ought to|must|needs? to|the need (?:to|for)|recommend"
                          r"|it is (?:important|essential|vital|critical)|in future)")
TITLE_WORDS = 12
CONTEXT_SENTENCES = 2  # the event: the sentences before the candidate
FOLD_WIDTH = 96


@dataclass
class Accepted:
    candidate: str
    lesson: str
    case_file: Path
    source: str
    new_case_file: bool


def accept(db_path: Path, data_dir: Path, candidate_id: str, *, title: str | None = None,
           themes: tuple[str, ...] = (), stage: str | None = None,
           outcome: str = "guidance") -> Accepted:
    """Write candidate `candidate_id` into its case's YAML file as a curated lesson. Holds
    the writer lock, so it waits for an ingest or build instead of failing halfway; run
    again after a failure, it finds the lesson it wrote rather than writing a second."""
    with writer_lock(db_path):
        recover(db_path)
        return _accept(db_path, Path(data_dir), candidate_id, title, themes, stage, outcome)


def _accept(db_path, data_dir, candidate_id, title, themes, stage, outcome) -> Accepted:
    candidate, passage, document = _load(db_path, candidate_id)
    if candidate["status"] == "accepted":
        raise KbError(f"Candidate {candidate_id} was already accepted as lesson "
                      f"{candidate['lesson']}.")
    for theme in themes:
        _check("theme", theme, THEMES)
    if stage:
        _check("stage", stage, STAGES)
    _check("outcome", outcome, OUTCOMES)
    themes = themes or tuple(json.loads(candidate["themes"]))
    if not themes:  # the tagger tags only what it is sure of (ingest/theme_calibration.py)
        raise KbError(f"Candidate {candidate_id} has no clear theme: give one or more with "
                      f"--theme ({', '.join(THEMES)}).")

    corpus = read_corpus(data_dir)  # the curated files must be valid before we add to them
    slug = candidate["case"]
    case_path = data_dir / CASES_DIR / f"{slug}.yaml"
    written = _written_before(corpus, candidate, document)
    if written:  # an earlier accept wrote the lesson, then failed before recording it
        _record_decision(db_path, data_dir, candidate, "accepted", written)
        return Accepted(candidate_id, written, case_path, document["id"], False)
    yaml = _yaml()
    sources_path = data_dir / SOURCES_FILE
    sources_text = sources_path.read_bytes().decode("utf-8")  # as it is: line endings too
    sources = yaml.load(_lf(sources_text))
    source_id = document["id"]
    if all(s["id"] != source_id for s in sources["sources"]):
        sources["sources"].append(_source(document))

    new_case_file = not case_path.exists()
    case_text = "" if new_case_file else case_path.read_bytes().decode("utf-8")
    case_file = yaml.load(_lf(case_text)) if not new_case_file else _stub_case_file(slug, source_id)
    if source_id not in case_file["case"]["sources"]:
        case_file["case"]["sources"].append(source_id)
    lesson_ids = {lesson.id for case in corpus.cases for lesson in case.lessons}
    own = [lesson.id for case in corpus.cases if case.case.slug == slug for lesson in case.lessons]
    title = title or _title(candidate["text"])
    lesson_id = _lesson_id(_prefix(own, slug), title, lesson_ids)
    lessons = case_file.setdefault("lessons", _seq([]))
    lessons.append(_lesson(lesson_id, title, candidate, passage, document, themes,
                           stage or candidate["stage"], outcome))
    lessons.yaml_set_comment_before_after_key(
        len(lessons) - 1, indent=2,
        before=f"\nAccepted from candidate {candidate_id} ({document['title']}, "
               f"{passage['locator']}): review every field, fill in any 'Not yet recorded', "
               "and add the questions it answers.")

    _write_validated(data_dir, {sources_path: _dump(yaml, sources, sources_text),
                                case_path: _dump(yaml, case_file, case_text)})
    _record_decision(db_path, data_dir, candidate, "accepted", lesson_id)
    return Accepted(candidate_id, lesson_id, case_path, source_id, new_case_file)


def reject(db_path: Path, data_dir: Path, candidate_id: str) -> None:
    """Mark a candidate as not a lesson; it stays out of `kb candidates` from then on."""
    with writer_lock(db_path):
        recover(db_path)
        candidate, _, _ = _load(db_path, candidate_id)
        if candidate["status"] == "accepted":
            raise KbError(f"Candidate {candidate_id} is already lesson {candidate['lesson']}: "
                          f"remove that lesson from data/cases/{candidate['case']}.yaml instead.")
        _record_decision(db_path, data_dir, candidate, "rejected", None)


def _written_before(corpus, candidate: dict, document: dict) -> str | None:
    """The id of a lesson already in the case file that was accepted from this candidate
    (it cites the candidate's document with a paraphrase ending in the candidate's sentence,
    as `_lesson` drafts it), if any."""
    for case_file in corpus.cases:
        if case_file.case.slug != candidate["case"]:
            continue
        for lesson in case_file.lessons:
            if any(e.source == document["id"] and e.paraphrase.endswith(candidate["text"])
                   for e in lesson.evidence):
                return lesson.id
    return None


def listing(db_path: Path, *, cases: tuple[str, ...] = (),
            status: str = "candidate") -> list[dict]:
    """Candidates with their document and locator, in document order; status "all" for
    every status."""
    where, params = [], []
    if cases:
        where.append(f"c.\"case\" in ({', '.join('?' * len(cases))})")
        params += cases
    if status != "all":
        where.append("c.status = ?")
        params.append(status)
    conn = connect_readonly(db_path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "select c.id, c.\"case\", c.text, c.cue, c.themes, c.stage, c.score, c.status, "
            "c.lesson, p.locator, d.id as document, d.title as document_title, d.path "
            "from candidates c join passages p on p.id = c.passage "
            "join documents d on d.id = c.document"
            + (f" where {' and '.join(where)}" if where else "")
            + " order by c.\"case\", d.title, d.id, c.ordinal", params).fetchall()
    finally:
        conn.close()
    return [{**dict(r), "themes": json.loads(r["themes"] or "[]")} for r in rows]


# -- reading ---------------------------------------------------------------------------
def _load(db_path: Path, candidate_id: str) -> tuple[dict, dict, dict]:
    conn = connect_readonly(db_path)
    conn.row_factory = sqlite3.Row
    try:
        candidate = conn.execute("select * from candidates where id = ?", [candidate_id]).fetchone()
        if candidate is None:
            raise KbError(f"No candidate {candidate_id!r}: list them with `kb candidates`.")
        passage = conn.execute("select * from passages where id = ?",
                               [candidate["passage"]]).fetchone()
        document = conn.execute("select * from documents where id = ?",
                                [candidate["document"]]).fetchone()
        return dict(candidate), dict(passage), dict(document)
    finally:
        conn.close()


def _check(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise KbError(f"Unknown {name} {value!r}: expected one of {', '.join(allowed)}.")


# -- the records -------------------------------------------------------------------------
def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 10**6  # never re-wrap what is there (measured: every case file round-trips)
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _lf(text: str) -> str:
    """ruamel.yaml keeps blank lines and comments only in LF text; `_dump` puts CRLF back."""
    return text.replace("\r\n", "\n")


def _dump(yaml, data, like: str = "") -> str:
    """`data` as YAML laid out like the file's text `like`: its lines before a leading
    `---` (which ruamel.yaml drops) and its line endings are kept, so an edit changes only
    what it adds."""
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    head = re.match(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*---[ \t]*\r?\n", like)
    if head:
        text = _lf(head.group(0)) + text
    return text.replace("\n", "\r\n") if "\r\n" in like else text


def _seq(values: list, *, flow: bool = False):
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(values)
    if flow:
        seq.fa.set_flow_style()
    return seq


def _folded(text: str):
    """Long text as a folded block (>-), wrapped like the hand-written lessons."""
    from ruamel.yaml.scalarstring import FoldedScalarString

    if len(text) <= FOLD_WIDTH - 20:
        return text
    folded = FoldedScalarString(text)
    positions, at = [], 0
    for line in textwrap.wrap(text, FOLD_WIDTH - 10, break_long_words=False,
                              break_on_hyphens=False)[:-1]:
        at = text.index(line, at) + len(line)
        positions.append(at)  # the space after each line
    folded.fold_pos = positions
    return folded


def _source(document: dict) -> dict:
    from ruamel.yaml.comments import CommentedMap

    source = CommentedMap(id=document["id"], title=document["title"],
                          publisher="Not recorded (a document ingested with kb ingest)")
    if document["date"]:  # none found in the document and none given: the source has none
        source["date"] = document["date"]
    # Who wrote the user's document, and for whom, is for the curator to record.
    source.update(kind=SOURCE_KIND.get(document["format"], "document"), standing="not-assessed",
                  reference=Path(document["path"]).name)
    return source


def _stub_case_file(slug: str, source_id: str):
    from ruamel.yaml.comments import CommentedMap

    case = CommentedMap(slug=slug, name=humanise(slug), commissioner=NOT_YET,
                        care_model=NOT_YET, contract_form=NOT_YET, status=NOT_YET,
                        outcome=NOT_YET, summary=NOT_YET, sources=_seq([source_id], flow=True))
    return CommentedMap(case=case, lessons=_seq([]))


def _lesson(lesson_id, title, candidate, passage, document, themes, stage, outcome):
    from ruamel.yaml.comments import CommentedMap

    sentence = candidate["text"]
    before = _before(passage["text"], sentence)
    says = "recommendation" if RECOMMENDING.match(candidate["cue"] or "") else "lesson"
    fields = {"event": " ".join(before), "lesson": "", "recommendation": "", says: sentence}
    # The document states the sentence as something learned: a finding of its own, whose
    # weight rests on the source's standing (not assessed until a curator records it).
    evidence = CommentedMap(source=document["id"], locator=passage["locator"], kind="finding",
                            paraphrase=_folded(" ".join([*before, sentence])))
    return CommentedMap(
        id=lesson_id, title=title,
        **{name: _folded(text or TO_WRITE[name]) for name, text in fields.items()},
        themes=_seq(list(themes), flow=True), stage=stage, outcome=outcome,
        evidence=_seq([evidence]))


def _before(passage: str, sentence: str) -> list[str]:
    """What led up to the sentence: the sentences just before it in its passage."""
    said = [s for line in passage.split("\n") for s in sentences(line.removeprefix("• "))]
    end = said.index(sentence) if sentence in said else len(said)
    return said[max(0, end - CONTEXT_SENTENCES):end]


def _title(sentence: str) -> str:
    words = sentence.rstrip(".!?… ").split()
    title = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
    return title[:1].upper() + title[1:]


def _prefix(own_ids: list[str], slug: str) -> str:
    """The case's lesson-id prefix as curators use it ("dud" in dud-…), else its slug."""
    if not own_ids:
        return slug
    return Counter(i.split("-", 1)[0] for i in own_ids).most_common(1)[0][0]


def _lesson_id(prefix: str, title: str, taken: set[str]) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-").split("-")
    base = prefix
    for word in words:
        if len(base) + len(word) + 1 > 60:
            break
        base = f"{base}-{word}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# -- writing -----------------------------------------------------------------------------
def _write_validated(data_dir: Path, texts: dict[Path, str]) -> None:
    """Check the corpus as it would be with `texts`, then replace each file atomically."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch)
        shutil.copy(data_dir / SOURCES_FILE, trial / SOURCES_FILE)
        shutil.copytree(data_dir / CASES_DIR, trial / CASES_DIR)
        for path, text in texts.items():
            (trial / path.relative_to(data_dir)).write_bytes(text.encode("utf-8"))
        read_corpus(trial)  # raises RecordErrors, naming the problem, before any write
    for path, text in texts.items():
        with atomic_replace(path) as tmp:
            tmp.write_bytes(text.encode("utf-8"))


def _record_decision(db_path: Path, data_dir: Path, candidate: dict, status: str,
                     lesson: str | None) -> None:
    """The decision goes to data/ingested/ (what a rebuild follows) and the database,
    both or neither: the database's write lock is taken first, the record written, then
    the database committed (or the record put back)."""
    manifest = Manifest(data_dir)
    entry = manifest.entries().get(candidate["document"])
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("begin immediate")
        conn.execute("update candidates set status = ?, lesson = ? where id = ?",
                     [status, lesson, candidate["id"]])
        if entry is not None:
            before = entry.model_copy(deep=True)
            entry.accepted.pop(candidate["id"], None)
            entry.rejected = [c for c in entry.rejected if c != candidate["id"]]
            if status == "accepted":
                entry.accepted[candidate["id"]] = lesson
            else:
                entry.rejected.append(candidate["id"])
            manifest.save(entry)
        try:
            conn.execute("commit")
        except sqlite3.Error:
            if entry is not None:
                manifest.save(before)
            raise
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("rollback")
        raise KbError(f"Could not record the decision in {db_path} ({exc}): nothing was "
                      "changed there; run the same command again.") from None
    finally:
        conn.close()
