"""Plain words → the NHS commissioning terms the records are written in (data/glossary.yaml).

Commissioners, councillors and the public ask in everyday words ("family doctor",
"go-live", "watchdog"); the records say "GP", "mobilisation", "regulator". A small
embedding model does not bridge every such gap, and keyword search never does, so the
query is expanded with the commissioning terms before both run, and the why line names the
expansion that matched ("family doctor → GP").

The glossary is data: `kb build` validates data/glossary.yaml with the case files (file,
line and field on any problem; `GlossaryFile` is its shape) and stores it in the database,
so the engine expands with the glossary the database was built with. It keeps only general
commissioning vocabulary; tests/data/test_records.py rejects any phrase that occurs in the
evaluation questions but in no text written blind to them (the case records): 27 of its 70
phrases failed that test ("money hole", "rows", "townsfolk"…, and three that the held-out
lay questions later used) and were removed, with their share of the public figure
(bench/retrieval.py: see tests/core/test_retrieval.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from kb.query import Expansion

META_KEY = "glossary"  # where the build stores it in the database's meta table

def _phrase(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z' -]{0,58}[a-z]", value):
        raise ValueError("expected a phrase in lower-case letters (spaces, hyphens and "
                         "apostrophes allowed), as a user would type it")
    return value


def _acronym(value: str) -> str:
    if not re.fullmatch(r"[A-Z][A-Z&]{1,6}", value):
        raise ValueError("expected an acronym of 2 to 7 capital letters")
    return value


Phrase = Annotated[str, AfterValidator(_phrase)]
Acronym = Annotated[str, AfterValidator(_acronym)]


def _words(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("expected the terms the phrase stands for")
    return value


Terms = Annotated[str, AfterValidator(_words)]


class GlossaryFile(BaseModel):
    """data/glossary.yaml: `phrases` (everyday phrase: commissioning terms) and `acronyms`
    (acronym: what it stands for)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    phrases: dict[Phrase, Terms]
    acronyms: dict[Acronym, Terms]


def _alternation(phrases) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


@dataclass
class Glossary:
    phrases: dict[str, str]
    acronyms: dict[str, str]

    def __post_init__(self):
        self._pattern = (re.compile(rf"\b({_alternation(self.phrases)})s?\b", re.IGNORECASE)
                         if self.phrases else None)
        self._spelt_out = {spelt.lower(): acronym for acronym, spelt in self.acronyms.items()}
        self._long_form = (re.compile(rf"\b({_alternation(self._spelt_out)})s?\b", re.IGNORECASE)
                           if self._spelt_out else None)

    @classmethod
    def from_json(cls, text: str | None) -> "Glossary":
        """The glossary stored in a database (empty for one built before it was stored)."""
        data = json.loads(text) if text else {}
        return cls(data.get("phrases", {}), data.get("acronyms", {}))

    def to_json(self) -> str:
        return json.dumps({"phrases": self.phrases, "acronyms": self.acronyms}, sort_keys=True)

    def expansions(self, query: str) -> list[Expansion]:
        """The commissioning terms for the everyday phrases in `query`, and the acronym of
        each name it spells out."""
        found: dict[str, Expansion] = {}
        for pattern, table, source in ((self._pattern, self.phrases, "glossary"),
                                       (self._long_form, self._spelt_out, "acronym")):
            if pattern is None:
                continue
            for match in pattern.finditer(query):
                key = match.group(1).lower()
                found.setdefault(key, Expansion(key, tuple(table[key].split()), source))
        return list(found.values())
