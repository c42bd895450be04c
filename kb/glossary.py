"""Plain words → the NHS commissioning terms the records are written in.

Commissioners, councillors and the public ask in everyday words ("family doctor",
"purchaser", "go-live", "levy"); the records say "GP", "commissioner", "mobilisation",
"VAT". A small embedding model does not bridge every such gap, and keyword search never
does, so the query is expanded with the commissioning terms before both run. Entries are
general vocabulary of English NHS commissioning, not tuned to particular records.
"""

from __future__ import annotations

import re

# phrase (as a user might type it) → commissioning terms it stands for
GLOSSARY: dict[str, str] = {
    # people and bodies
    "family doctor": "GP general practice",
    "doctor": "GP clinician",
    "surgery": "GP practice",
    "practice contract": "GP contract GMS PMS",
    "surgery agreement": "GP contract GMS",
    "purchaser": "commissioner CCG",
    "purchasing body": "commissioner CCG",
    "buyer": "commissioner",
    "supplier": "provider",
    "firm": "provider organisation",
    "tenderer": "bidder provider",
    "watchdog": "regulator oversight",
    "inspector": "regulator CQC",
    "elected member": "councillor scrutiny committee",
    "councillor": "scrutiny committee local authority",
    "borough": "local authority council",
    "council": "local authority",
    "townsfolk": "public residents engagement",
    "locals": "public residents engagement",
    "residents": "public engagement",
    "citizens": "public engagement",
    "trustees": "board governing body",
    "academics": "university evaluation",
    "consultancy": "external advisers advice",
    "consultants": "external advisers advice",
    "hospital": "acute trust",
    "elderly": "older people",
    "pensioners": "older people",
    # money and contracts
    "levy": "VAT tax",
    "sales tax": "VAT",
    "reclaim": "recovery VAT",
    "joint venture": "LLP partnership single contracting entity",
    "special purpose vehicle": "LLP contracting entity",
    "spv": "LLP contracting entity",
    "per-head": "capitated whole population budget",
    "per head": "capitated whole population budget",
    "capitation": "capitated budget",
    "lump sum": "block payment",
    "per unit of work": "activity tariff payment",
    "fee for service": "activity tariff payment",
    "money hole": "financial gap deficit",
    "shortfall": "financial gap",
    "black hole": "financial gap",
    "overspend": "financial gap deficit",
    "renegotiate": "contract variation uplift price",
    "price rise": "uplift",
    "price increase": "uplift",
    "pool": "pooled budget section 75",
    "cash": "funding budget",
    "deal": "contract",
    "tender": "procurement",
    "tendering": "procurement",
    "guarantee": "parent company guarantee",
    # time and process
    "go-live": "start mobilisation",
    "go live": "start mobilisation",
    "launch": "start",
    "vote": "decision approval",
    "sign-off": "approval decision",
    "rows": "disputes differences unresolved",
    "pilot": "start small test",
    "neighbourhood": "locality",
    "patch": "locality organisational interests",
    "day job": "capacity resourcing",
    "normal workload": "capacity resourcing",
    "joint working": "alliance collaboration",
    "team up": "partnership collaboration",
    "sign up": "registered",
    "signed up": "registered list",
    "overlooked": "gaps",
    "exposure": "risk",
}

# The acronyms the records use, with what they stand for. A question that spells a name out
# ("National Audit Office") gains the acronym the records use (NAO). Not the other way:
# adding the spelt-out words to a question that uses an acronym lowered public hit@3 from
# 0.952 to 0.935 and held-out from 0.88 to 0.84 (bench/retrieval.py), because their common
# words ("tax", "partnership", "care") pull in unrelated records. tests/data/test_records.py
# checks that every acronym in the case records is listed here.
ACRONYMS: dict[str, str] = {
    "ACO": "accountable care organisation",
    "A&E": "accident and emergency",
    "BCF": "Better Care Fund",
    "BMA": "British Medical Association",
    "CAMHS": "child and adolescent mental health services",
    "CCG": "clinical commissioning group",
    "CIC": "community interest company",
    "CQUIN": "commissioning for quality and innovation",
    "GGI": "Good Governance Institute",
    "GMS": "general medical services",
    "GP": "general practitioner",
    "ICT": "information and communications technology",
    "ISAP": "integrated support and assurance process",
    "ITPD": "invitation to participate in dialogue",
    "LAS": "London Ambulance Service",
    "LLP": "limited liability partnership",
    "MBC": "metropolitan borough council",
    "MCP": "multispecialty community provider",
    "NAO": "National Audit Office",
    "NHS": "National Health Service",
    "NHSE": "NHS England",
    "NWL": "North West London",
    "OSC": "overview and scrutiny committee",
    "PAC": "Public Accounts Committee",
    "PACS": "primary and acute care system",
    "PCN": "primary care network",
    "PCT": "primary care trust",
    "PIN": "prior information notice",
    "PMS": "personal medical services",
    "PQQ": "pre-qualification questionnaire",
    "QIPP": "quality, innovation, productivity and prevention",
    "QOF": "quality and outcomes framework",
    "STP": "sustainability and transformation partnership",
    "UCP": "UnitingCare Partnership",
    "VAT": "value added tax",
}


def _alternation(phrases) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


_PATTERN = re.compile(rf"\b({_alternation(GLOSSARY)})s?\b", re.IGNORECASE)
_SPELT_OUT = {spelt.lower(): acronym for acronym, spelt in ACRONYMS.items()}
_LONG_FORM = re.compile(rf"\b({_alternation(_SPELT_OUT)})s?\b", re.IGNORECASE)


def expansion(query: str) -> str:
    """The commissioning terms for the everyday words in `query`, and the acronym of each
    name it spells out ("" when none)."""
    found = [GLOSSARY[m.group(1).lower()] for m in _PATTERN.finditer(query)]
    found += [_SPELT_OUT[m.group(1).lower()] for m in _LONG_FORM.finditer(query)]
    return " ".join(dict.fromkeys(found))
