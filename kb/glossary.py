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

_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")s?\b",
    re.IGNORECASE)


def expansion(query: str) -> str:
    """The commissioning terms for the everyday words in `query` ("" when none)."""
    found = dict.fromkeys(GLOSSARY[m.group(1).lower()] for m in _PATTERN.finditer(query))
    return " ".join(found)
