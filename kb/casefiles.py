"""Read and validate the curated case files under data/.

ruamel.yaml keeps the line of every key and item (`.lc`) as it reads; pydantic then
checks shapes (kb.records) and this module checks what spans records: unique ids,
evidence that cites a source of its own case, related lessons that exist. All problems
are collected and raised together as `RecordErrors`, each naming file, line and field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import ScalarNode

from kb.elsewhere import Anchor, ElsewhereFile, anchor_key
from kb.errors import RecordError, RecordErrors
from kb.glossary import Glossary, GlossaryFile
from kb.records import CaseFile, Redirect, RedirectsFile, Source, SourcesFile

SOURCES_FILE = "sources.yaml"
GLOSSARY_FILE = "glossary.yaml"
ELSEWHERE_FILE = "elsewhere.yaml"
REDIRECTS_FILE = "redirects.yaml"
CASES_DIR = "cases"

Path_ = tuple  # a location inside a document: ("lessons", 3, "stage")


@dataclass
class Located:
    """A parsed YAML document (ruamel's mappings and lists, which know their lines)."""

    path: Path
    value: object

    def line_of(self, location: Path_) -> int | None:
        """The line of the value at `location`; a missing key is reported at the deepest
        part of it that exists (its parent mapping)."""
        node = self.value
        line = node.lc.line + 1 if hasattr(node, "lc") else None
        for part in location:
            try:
                child = node[part]
                line = (node.lc.value(part) if isinstance(node, dict) else node.lc.item(part))[0] + 1
            except (KeyError, IndexError, TypeError, AttributeError):
                break
            node = child
        return line


class _Composer(Composer):
    """Case files are written by hand and need no aliases; refused, an alias can neither
    expand into a billion leaves (an alias bomb) nor refer to itself."""

    def compose_node(self, parent, index):
        if self.parser.check_event(AliasEvent):
            raise ComposerError(None, None, "aliases (*name) are not allowed in case files: "
                                "write the value out", self.parser.peek_event().start_mark)
        return super().compose_node(parent, index)


class _Constructor(RoundTripConstructor):
    """Keys are plain text, each once in its mapping (ruamel's own duplicate-key error
    names neither line the key is on)."""

    def check_mapping_key(self, node, key_node, mapping, key, value) -> bool:
        if not isinstance(key_node, ScalarNode):
            raise MarkedYAMLError(problem="a key must be plain text, not a list or mapping",
                                  problem_mark=key_node.start_mark)
        if key in mapping:
            raise MarkedYAMLError(problem=f"duplicate key {key!r} (also on line "
                                  f"{mapping.lc.key(key)[0] + 1})", problem_mark=key_node.start_mark)
        return True


def _reader() -> YAML:
    reader = YAML(typ="rt", pure=True)  # round-trip: the only mode that keeps lines
    reader.Composer, reader.Constructor = _Composer, _Constructor
    return reader


@functools.lru_cache(maxsize=64)
def _parse(text: str):
    """`text` parsed, once per text in a process: ruamel's round-trip reader is pure Python
    (1.1 s for the 480 kB of data/, nearly all of it scanning), and a process often reads
    the same files again: `kb candidates --accept` reads data/ twice (before and with the
    new lesson, in a scratch copy) and a build once more; the TUI and `kb serve` rebuild;
    the tests read copies of data/. The value is shared by every read of the same text, so
    nothing may change it (no caller does: they read it, or validate a copy)."""
    return _reader().load(text)


def load_yaml(path: Path) -> Located:
    try:
        value = _parse(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise RecordErrors([RecordError(path, mark.line + 1 if mark else None, "YAML",
                                         str(exc.problem or exc))]) from None
    except UnicodeDecodeError:
        raise RecordErrors([RecordError(path, None, "file", "expected UTF-8 text")]) from None
    return Located(path, value)


def _dotted(location: Path_) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate(doc: Located, model):
    """`doc` as a `model` record, or RecordErrors naming file, line and field."""
    try:
        return model.model_validate(_plain(doc.value))
    except ValidationError as exc:
        raise RecordErrors([
            RecordError(doc.path, doc.line_of(tuple(err["loc"])), _dotted(tuple(err["loc"])),
                        _expected(err))
            for err in exc.errors()
        ]) from None


def _expected(err: dict) -> str:
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown field (check its spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    if "input" in err and not isinstance(err["input"], (dict, list)):
        return f"{message}; got {err['input']!r}"
    return message


def _plain(value):
    """ruamel's values as plain Python for pydantic: its mappings, lists and styled strings
    as dict, list and str, keys as text, and dates as the partial ISO strings records keep
    (YAML reads 2016-03-24 as a date, and a bare year as a number)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        if 1900 < value < 2100:
            return str(value)  # a bare year; numbers elsewhere are validated by their field
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


@dataclass
class Corpus:
    """Everything under data/: sources and case files, checked against each other."""

    sources: list[Source]
    cases: list[CaseFile]
    files: list[Path] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    glossary: Glossary = field(default_factory=lambda: Glossary({}, {}))
    elsewhere: list[Anchor] = field(default_factory=list)  # topics out of scope, in file order

    @property
    def lesson_count(self) -> int:
        return sum(len(c.lessons) for c in self.cases)

    @property
    def fact_count(self) -> int:
        return sum(len(c.facts) for c in self.cases)


def case_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / CASES_DIR).glob("*.yaml"))


def read_corpus(data_dir: Path) -> Corpus:
    """Every file under data/, validated and checked against the others in one pass: a
    run reports every problem at once, shapes and cross-references alike (the references
    are checked on what each file says even where its shape is wrong)."""
    data_dir = Path(data_dir)
    errors: list[RecordError] = []
    sources_path = data_dir / SOURCES_FILE
    if not sources_path.exists():
        raise RecordErrors([RecordError(sources_path, None, "file", "expected the list of sources")])

    glossary_path = data_dir / GLOSSARY_FILE
    redirects_path = data_dir / REDIRECTS_FILE
    elsewhere_path = data_dir / ELSEWHERE_FILE
    optional = [(path, model) for path, model in ((glossary_path, GlossaryFile),
                                                   (redirects_path, RedirectsFile),
                                                   (elsewhere_path, ElsewhereFile))
                if path.exists()]
    read: dict[Path, tuple[Located | None, object]] = {}
    for path, model in [(sources_path, SourcesFile), *optional] + [(p, CaseFile) for p in case_files(data_dir)]:
        doc = record = None
        try:
            doc = load_yaml(path)
            record = validate(doc, model)
        except RecordErrors as exc:
            errors.extend(exc.errors)
        read[path] = (doc, record)

    case_docs = [(doc, record) for path, (doc, record) in read.items()
                 if path.parent.name == CASES_DIR and doc is not None]
    # A file that is not even YAML hides its ids: references to it are not checked then.
    all_cases_read = len(case_docs) == len(case_files(data_dir))
    errors.extend(_cross_check(read[sources_path][0], case_docs,
                               read.get(redirects_path, (None, None))[0], all_cases_read))
    if read.get(elsewhere_path, (None, None))[0] is not None:
        errors.extend(_check_elsewhere(read[elsewhere_path][0]))
    if errors:
        raise RecordErrors(errors)

    glossary_file = read.get(glossary_path, (None, None))[1]
    redirects_file = read.get(redirects_path, (None, None))[1]
    elsewhere_file = read.get(elsewhere_path, (None, None))[1]
    return Corpus(sources=list(read[sources_path][1].sources),
                  cases=[record for _, record in case_docs],
                  files=list(read), redirects=list(redirects_file.redirects) if redirects_file else [],
                  glossary=(Glossary(dict(glossary_file.phrases), dict(glossary_file.acronyms))
                            if glossary_file else Glossary({}, {})),
                  elsewhere=elsewhere_file.anchors() if elsewhere_file else [])


def _mappings(value, *keys) -> list[tuple[int, dict]]:
    """The mappings at value[keys...] with their positions, whatever else the file holds
    (a malformed file still has its well-formed parts checked)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _cross_check(sources_doc: Located | None, case_docs: list[tuple[Located, CaseFile | None]],
                 redirects_doc: Located | None, all_cases_read: bool = True):
    """Checks no single record can make: references between records and files. They read
    the parsed YAML, not the validated records, so they run even when a shape is wrong;
    references into a file that could not be parsed at all are left unchecked."""
    source_ids: dict[str, int] = {}
    for i, source in _mappings(sources_doc.value if sources_doc else None, "sources"):
        sid = _text(source.get("id"))
        if sid in source_ids:
            yield RecordError(sources_doc.path, sources_doc.line_of(("sources", i, "id")),
                              f"sources[{i}].id", f"duplicate id {sid!r}")
        if sid:
            source_ids[sid] = i

    seen: dict[str, Path] = {}
    lesson_ids = {_text(l.get("id")) for doc, _ in case_docs
                  for _, l in _mappings(doc.value, "lessons")} - {None}
    for doc, _ in case_docs:
        at = lambda *loc: doc.line_of(loc)  # noqa: E731 - a short local helper
        case = doc.value.get("case") if isinstance(doc.value, dict) else None
        case = case if isinstance(case, dict) else {}
        slug = _text(case.get("slug"))
        if slug and doc.path.stem != slug:
            yield RecordError(doc.path, at("case", "slug"), "case.slug",
                              f"expected {doc.path.stem!r} to match the file name")
        own = set()
        sources = case.get("sources")
        for i, sid in enumerate(sources if isinstance(sources, list) else []):
            if not isinstance(sid, str):
                continue
            own.add(sid)
            if sources_doc is not None and sid not in source_ids:
                yield RecordError(doc.path, at("case", "sources", i), f"case.sources[{i}]",
                                  f"unknown source {sid!r}; expected an id from {SOURCES_FILE}")
        for kind in ("lessons", "facts"):
            for i, record in _mappings(doc.value, kind):
                rid = _text(record.get("id"))
                if rid in seen:
                    yield RecordError(doc.path, at(kind, i, "id"), f"{kind}[{i}].id",
                                      f"duplicate id {rid!r} (also in {seen[rid].name})")
                if rid:
                    seen[rid] = doc.path
                cited = ([(("evidence", j, "source"), e.get("source"))
                          for j, e in _mappings(record, "evidence")]
                         if kind == "lessons" else [(("source",), record.get("source"))])
                for loc, sid in cited:
                    if isinstance(sid, str) and sid not in own:
                        yield RecordError(doc.path, at(kind, i, *loc), _dotted((kind, i) + loc),
                                          f"source {sid!r} is not one of this case's sources "
                                          f"({', '.join(sorted(own))})")
        for i, lesson in _mappings(doc.value, "lessons"):
            related = lesson.get("related")
            for j, rid in enumerate(related if isinstance(related, list) else []):
                if isinstance(rid, str) and rid not in lesson_ids and all_cases_read:
                    yield RecordError(doc.path, at("lessons", i, "related", j),
                                      f"lessons[{i}].related[{j}]", f"unknown lesson id {rid!r}")
    if redirects_doc is not None and all_cases_read:
        yield from _check_redirects(redirects_doc, lesson_ids)


def _check_redirects(doc: Located, lesson_ids: set[str]):
    """An old id must no longer be a lesson's, and must lead to a lesson that exists now
    (straight to it: a redirect never points at another redirect)."""
    olds: dict[str, int] = {}
    for i, entry in _mappings(doc.value, "redirects"):
        old, new = _text(entry.get("old")), _text(entry.get("new"))
        if old in olds:
            yield RecordError(doc.path, doc.line_of(("redirects", i, "old")),
                              f"redirects[{i}].old", f"duplicate old id {old!r} (also on line "
                              f"{doc.line_of(('redirects', olds[old], 'old'))})")
        if old:
            olds[old] = i
        if old in lesson_ids:
            yield RecordError(doc.path, doc.line_of(("redirects", i, "old")), f"redirects[{i}].old",
                              f"{old!r} is still a lesson's id: remove the lesson or the redirect")
        if new and new not in lesson_ids:
            yield RecordError(doc.path, doc.line_of(("redirects", i, "new")), f"redirects[{i}].new",
                              f"unknown lesson id {new!r}; expected the id of the lesson it was "
                              "merged into")


def _check_elsewhere(doc: Located):
    """Each area and each anchor once (an anchor repeated in any case or spacing, in any
    area, would only weigh its topic twice): checked on the parsed YAML, so a file whose
    shape is wrong elsewhere still has its duplicates reported."""
    areas: dict[str, int] = {}
    anchors: dict[str, int] = {}
    for i, topic in _mappings(doc.value, "topics"):
        area = _text(topic.get("area"))
        if area is not None:
            key, line = anchor_key(area), doc.line_of(("topics", i, "area"))
            if key in areas:
                yield RecordError(doc.path, line, f"topics[{i}].area",
                                  f"duplicate area {area!r} (also on line {areas[key]}): "
                                  "merge their anchors")
            areas.setdefault(key, line)
        listed = topic.get("anchors")
        for j, text in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(text, str) or not text.strip():
                continue
            key, line = anchor_key(text), doc.line_of(("topics", i, "anchors", j))
            if key in anchors:
                yield RecordError(doc.path, line, f"topics[{i}].anchors[{j}]",
                                  f"duplicate anchor {text.strip()!r} (also on line "
                                  f"{anchors[key]}): remove one")
            anchors.setdefault(key, line)
