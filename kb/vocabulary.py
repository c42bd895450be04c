"""The controlled vocabularies that lessons are classified by.

They live in code, not in data/, because validation, the database, the TUI's filters
and the candidate-lesson tagger must all agree on them. Each description is written to
be embedded: the ingest tagger compares candidate sentences with these texts.
"""

THEMES: dict[str, str] = {
    "procurement": "Procurement: running the tender or selection process, its timetable, "
    "dialogue with bidders, evaluation and the capacity to run it.",
    "finance": "Finance: budgets, affordability, pricing, savings, financial models, "
    "cost of delivery, funding gaps and financial risk.",
    "tax-vat": "Tax and VAT: VAT liabilities and recovery, tax consequences of the "
    "legal form of a provider such as an LLP or joint venture.",
    "governance": "Governance: boards, decision-making, assurance, oversight, decision "
    "gateways, accountability and programme governance.",
    "conflicts-of-interest": "Conflicts of interest: GPs and clinicians as commissioners "
    "and potential providers, managing and declaring interests.",
    "engagement": "Engagement: involving patients, the public, staff, councils, scrutiny "
    "committees and stakeholders; consultation and communication.",
    "workforce": "Workforce: staff numbers, recruitment and retention, GP retirement, "
    "new roles, transfer of staff and employment terms.",
    "primary-care": "Primary care and general practice: GP practices, GP contracts "
    "(GMS, PMS), their suspension or integration, and the role of GPs.",
    "relationships": "Relationships: trust and collaboration between commissioners, "
    "providers, partners and the wider health and care system.",
    "legal-regulation": "Legal and regulatory: procurement law, regulation, legal form of "
    "providers, national policy and approvals, contract law.",
    "risk": "Risk: identifying, sharing and managing risks, risk registers, optimism "
    "bias, contingency and due diligence.",
    "contract-design": "Contract design: the form of contract (alliance, lead provider, "
    "integrated), payment mechanisms, capitated budgets, outcomes, incentives, terms.",
    "scope": "Scope: which services and budgets are in or out of the new model, "
    "phasing and the size of the population covered.",
    "estates": "Estates: buildings, premises, property costs and hubs.",
    "digital-data": "Digital and data: information systems, data sharing, population "
    "health data, shared records and analytics.",
    "resourcing": "Resourcing: the capacity, skills, expertise, advice and time that "
    "commissioners need to run a programme of this size.",
    "care-model": "Care model: how care is organised and delivered, integrated teams, "
    "care hubs, population health and prevention.",
    "leadership": "Leadership: clinical and managerial leadership, vision, culture and "
    "the continuity of the people who lead change.",
    "evaluation": "Evaluation and outcome measurement: measuring outcomes and impact, "
    "outcome frameworks and metrics, evaluating pilots and programmes, and evidence of "
    "what worked.",
}

STAGES: dict[str, str] = {
    "strategy": "Strategy: deciding what to do and why, the case for change and the model chosen.",
    "engagement": "Engagement: consulting and involving stakeholders before committing.",
    "procurement": "Procurement: running the process that selects a provider.",
    "award-assurance": "Award and assurance: evaluation, approvals, due diligence and contract award.",
    "mobilisation": "Mobilisation: preparing to start services after award.",
    "operation": "Operation: running, monitoring and managing the contract.",
    "termination": "Termination: ending, exiting or unwinding a contract.",
}

OUTCOMES: dict[str, str] = {
    "went-well": "Something that worked and is worth repeating.",
    "went-wrong": "Something that went wrong and is worth avoiding.",
    "guidance": "Advice or guidance from a source, not tied to one event going well or badly.",
}

# How an outcome shows on a screen: a colour (rich's style names, which Textual reads too)
# and a shape as well, so the outcome reads without colour. The CLI, `kb check`'s report
# and the TUI all use these, so a lesson looks the same everywhere.
OUTCOME_STYLE: dict[str, str] = {"went-well": "green", "went-wrong": "red", "guidance": "cyan"}
OUTCOME_MARK: dict[str, str] = {"went-well": "▲", "went-wrong": "▼", "guidance": "■"}
# The strength of a lesson's evidence on a screen, as OUTCOME_STYLE is its outcome's.
STRENGTH_STYLE: dict[str, str] = {"strong": "bold green", "moderate": "yellow", "weak": "red"}

# How far a source stands from the programme it describes: who wrote it, and for whom.
SOURCE_STANDINGS: dict[str, str] = {
    "independent-review": "Independent review: an audit or review by a body outside the "
    "programme, such as the National Audit Office or the Public Accounts Committee.",
    "partner-review": "Partner's review: written by an organisation working for the "
    "programme, such as the commissioner's paid governance partner.",
    "own-report": "Own report: the commissioner's own report, board paper or slides about "
    "its programme.",
    "national-guidance": "National guidance: a national body's policy or framework, not an "
    "account of one programme.",
    "not-assessed": "Not assessed: a document added with kb ingest whose standing nobody "
    "has recorded yet.",
}

# What a piece of evidence reports, read from the source at its locator.
EVIDENCE_KINDS: dict[str, str] = {
    "finding": "Finding: the source reports what happened or what was found (a result, an "
    "observation, an audit conclusion).",
    "decision": "Decision: the source records a decision taken or a policy set.",
    "plan": "Plan: the source says what will be done.",
    "forecast": "Forecast: the source says what it expects or hopes will result.",
}

# How strong a lesson's evidence is, derived from its evidence by kb.records.strength.
STRENGTHS: dict[str, str] = {
    "strong": "Strong: several findings, at least one of them from an independent review.",
    "moderate": "Moderate: at least one finding or decision taken, but no independent "
    "finding corroborated by another.",
    "weak": "Weak: only plans or forecasts; nothing reported as found or decided.",
}

SOURCE_KINDS = ("report", "board-paper", "slides", "scrutiny-report", "fact-sheet",
                "web-page", "document")

# The kinds of searchable item; a hit's "kind" is one of these.
ITEM_KINDS = ("case", "lesson", "fact", "passage")


def label(vocabulary: dict[str, str], key: str) -> str:
    """The short name of a theme, stage or outcome: its description up to the colon."""
    text = vocabulary.get(key, key)
    return text.split(":", 1)[0] if ":" in text else key
