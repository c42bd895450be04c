"""How the vocabulary reads on screen: names for themes and stages, outcome marks, dates,
counts. The TUI, the browser pages and the briefing share them, so a lesson reads the same
in every front-end.

The names come from the descriptions in kb.vocabulary (the text before the colon), so a
new theme needs no change here; the outcome colours and marks are the vocabulary's, so a
lesson looks the same in `kb search` and in the TUI.
"""

from __future__ import annotations

from datetime import date

from kb.vocabulary import (OUTCOME_MARK, OUTCOME_STYLE, OUTCOMES, SOURCE_STANDINGS, STAGES,
                           STRENGTH_STYLE, STRENGTHS, THEMES, label)


def _name(vocabulary: dict[str, str], key: str | None) -> str:
    return label(vocabulary, key) if key else ""


def theme_name(theme: str) -> str:
    return _name(THEMES, theme)


def stage_name(stage: str | None) -> str:
    return _name(STAGES, stage)


def outcome_name(outcome: str | None) -> str:
    return (outcome or "").replace("-", " ")


def outcome_style(outcome: str | None) -> str:
    return OUTCOME_STYLE.get(outcome or "", "")


def outcome_mark(outcome: str | None) -> str:
    return OUTCOME_MARK.get(outcome or "", " ")


def outcome_legend() -> str:
    """What the marks mean, for the search screen's header and the help."""
    return "  ".join(f"{OUTCOME_MARK[o]} {outcome_name(o)}" for o in OUTCOMES)


def outcome_choices() -> list[tuple[str, str]]:
    return [(outcome_name(o), o) for o in OUTCOMES]


def strength_choices() -> list[tuple[str, str]]:
    return [(s, s) for s in STRENGTHS]


def strength_style(strength: str | None) -> str:
    return STRENGTH_STYLE.get(strength or "", "")


def standing_name(standing: str | None) -> str:
    return _name(SOURCE_STANDINGS, standing).lower()


def theme_choices() -> list[tuple[str, str]]:
    return [(theme_name(t), t) for t in THEMES]


def stage_choices() -> list[tuple[str, str]]:
    return [(stage_name(s), s) for s in STAGES]


def plural(n: int, noun: str) -> str:
    """"1 lesson", "2 lessons": every count the screens and the briefing show."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def friendly_date(value: str | None) -> str:
    """A partial ISO date (2015, 2015-04 or 2015-04-01) as people write it."""
    if not value:
        return ""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    when = date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
    return when.strftime("%b %Y") if len(parts) == 2 else f"{when.day} {when:%b %Y}"
