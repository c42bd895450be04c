"""Read and validate the curated case files under data/.

ruamel.yaml keeps the line of every key and item (`.lc`) as it reads; pydantic then
checks shapes (kb.records) and this module checks what spans records: unique ids,
evidence that cites a source of its own case, related lessons that exist. All problems
are collected and raised together as `RecordErrors`, each naming file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import ScalarNode

from kb.errors import RecordError, RecordErrors
from kb.glossary import Glossary, GlossaryFile
from kb.records import CaseFile, Source, SourcesFile

SOURCES_FILE = "sources.yaml"
GLOSSARY_FILE = "glossary.yaml"
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


def load_yaml(path: Path) -> Located:
    try:
        value = _reader().load(path.read_text(encoding="utf-8"))
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
    glossary: Glossary = field(default_factory=lambda: Glossary({}, {}))

    @property
    def lesson_count(self) -> int:
        return sum(len(c.lessons) for c in self.cases)

    @property
    def fact_count(self) -> int:
        return sum(len(c.facts) for c in self.cases)


def case_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / CASES_DIR).glob("*.yaml"))


def read_corpus(data_dir: Path) -> Corpus:
    data_dir = Path(data_dir)
    errors: list[RecordError] = []
    sources_path = data_dir / SOURCES_FILE
    if not sources_path.exists():
        raise RecordErrors([RecordError(sources_path, None, "file", "expected the list of sources")])

    documents: list[tuple[Located, object]] = []
    glossary_path = data_dir / GLOSSARY_FILE
    extra = [(glossary_path, GlossaryFile)] if glossary_path.exists() else []
    for path, model in [(sources_path, SourcesFile), *extra] + [(p, CaseFile) for p in case_files(data_dir)]:
        try:
            doc = load_yaml(path)
            documents.append((doc, validate(doc, model)))
        except RecordErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise RecordErrors(errors)

    (sources_doc, sources_file), *case_docs = documents
    glossary = Glossary({}, {})
    if extra:
        (_, glossary_file), *case_docs = case_docs
        glossary = Glossary(dict(glossary_file.phrases), dict(glossary_file.acronyms))
    corpus = Corpus(sources=list(sources_file.sources), cases=[c for _, c in case_docs],
                    files=[d.path for d, _ in documents], glossary=glossary)
    errors.extend(_cross_check(sources_doc, case_docs))
    if errors:
        raise RecordErrors(errors)
    return corpus


def _cross_check(sources_doc: Located, case_docs: list[tuple[Located, CaseFile]]):
    """Checks no single record can make: references between records and files."""
    source_ids: dict[str, int] = {}
    for i, source in enumerate(sources_doc.value["sources"]):
        if source["id"] in source_ids:
            yield RecordError(sources_doc.path, sources_doc.line_of(("sources", i, "id")),
                              f"sources[{i}].id", f"duplicate id {source['id']!r}")
        source_ids[source["id"]] = i

    seen: dict[str, Path] = {}
    lesson_ids = {l.id for _, cf in case_docs for l in cf.lessons}
    for doc, cf in case_docs:
        at = lambda *loc: doc.line_of(loc)  # noqa: E731 - a short local helper
        if doc.path.stem != cf.case.slug:
            yield RecordError(doc.path, at("case", "slug"), "case.slug",
                              f"expected {doc.path.stem!r} to match the file name")
        for i, sid in enumerate(cf.case.sources):
            if sid not in source_ids:
                yield RecordError(doc.path, at("case", "sources", i), f"case.sources[{i}]",
                                  f"unknown source {sid!r}; expected an id from {SOURCES_FILE}")
        own = set(cf.case.sources)
        for kind, records in (("lessons", cf.lessons), ("facts", cf.facts)):
            for i, record in enumerate(records):
                if record.id in seen:
                    yield RecordError(doc.path, at(kind, i, "id"), f"{kind}[{i}].id",
                                      f"duplicate id {record.id!r} (also in {seen[record.id].name})")
                seen[record.id] = doc.path
                cited = ([(("evidence", j, "source"), e.source) for j, e in enumerate(record.evidence)]
                         if kind == "lessons" else [(("source",), record.source)])
                for loc, sid in cited:
                    if sid not in own:
                        yield RecordError(doc.path, at(kind, i, *loc), _dotted((kind, i) + loc),
                                          f"source {sid!r} is not one of this case's sources "
                                          f"({', '.join(sorted(own))})")
        for i, lesson in enumerate(cf.lessons):
            for j, rid in enumerate(lesson.related):
                if rid not in lesson_ids:
                    yield RecordError(doc.path, at("lessons", i, "related", j),
                                      f"lessons[{i}].related[{j}]", f"unknown lesson id {rid!r}")
