"""A plan review shown in a terminal (rich) and written as Markdown to circulate.

Both follow the same order: the one-line summary, then red flags, gaps grouped by stage
(in the order a programme meets them), then what the plan already covers. Each item names
the lesson (title, case, outcome, recommendation, source and locator) and the places in
the plan it concerns (locator and the words that triggered it).
"""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from kb.check import Review, ReviewItem
from kb.vocabulary import OUTCOME_STYLE, STAGES, label

HEADINGS = {"red-flag": "Red flags", "gap": "Gaps", "covered": "Already covered"}
EXPLAINED = {
    "red-flag": "The plan repeats what went wrong elsewhere, and does nothing about it.",
    "gap": "The lesson applies to the plan, but nothing in the plan does what it recommends.",
    "covered": "The plan already does what the lesson recommends.",
}
STYLE = {"red-flag": "bold red", "gap": "bold yellow", "covered": "bold green"}


def sections(review: Review) -> list[tuple[str, str | None, list[ReviewItem]]]:
    """(status, stage or None, items) in reading order: gaps are grouped by stage."""
    out: list[tuple[str, str | None, list[ReviewItem]]] = []
    for status in HEADINGS:
        items = review.of(status)
        if not items:
            continue
        if status != "gap":
            out.append((status, None, items))
            continue
        for stage in STAGES:
            staged = [i for i in items if i.lesson.stage == stage]
            if staged:
                out.append((status, stage, staged))
    return out


def print_review(review: Review, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    console.print(Text(review.summary, style="bold"))
    console.print(Text(f"{review.plan.title}  ·  {review.plan.path}  ·  "
                       f"{len(review.plan.passages)} passages  ·  {review.seconds:.1f} s",
                       style="dim"))
    if not review.items:
        return
    current = None
    for status, stage, items in sections(review):
        if status != current:
            console.print()
            console.print(Text(f"{HEADINGS[status]} ({len(review.of(status))})", style=STYLE[status]))
            console.print(Text(EXPLAINED[status], style="dim"))
            current = status
        if stage:
            console.print(Padding(Text(label(STAGES, stage), style="bold"), (1, 0, 0, 2)))
        for item in items:
            _print_item(console, item)


def _print_item(console: Console, item: ReviewItem) -> None:
    lesson = item.lesson
    console.print()
    console.print(Padding(Text(lesson.title, style="bold"), (0, 0, 0, 2)))
    tags = Text.assemble((lesson.case_name, "cyan"), " · ",
                         (lesson.outcome.replace("-", " "), OUTCOME_STYLE.get(lesson.outcome, "")),
                         f" · {label(STAGES, lesson.stage)} · score {item.strength:.2f}")
    for line in (tags, Text(f"Recommendation: {lesson.recommendation}"),
                 Text(f"Source: {lesson.source_title} — {lesson.locator}", style="dim")):
        console.print(Padding(line, (0, 0, 0, 4)))
    for place in item.places:
        words = f" [{', '.join(place.words)}]" if place.words else ""
        console.print(Padding(Text.assemble(("In the plan, ", "dim"), (place.locator, "cyan"),
                                            (f"{words}: ", "dim"), f"“{place.text}”"), (0, 0, 0, 4)))
    console.print(Padding(Text(f"Why: {item.why}", style="dim"), (0, 0, 0, 4)))


def review_markdown(review: Review, *, today: date) -> str:
    """The review as a Markdown paper for circulation (before a board meeting)."""
    plan = review.plan
    out = [f"# Plan review: {plan.title}", "",
           f"Checked against the lessons knowledge base on {today.day} {today:%B %Y} "
           f"({plan.path}, {len(plan.passages)} passages).", "", f"**{review.summary}**", ""]
    current = None
    for status, stage, items in sections(review):
        if status != current:
            out += [f"## {HEADINGS[status]} ({len(review.of(status))})", "", EXPLAINED[status], ""]
            current = status
        if stage:
            out += [f"### {label(STAGES, stage)}", ""]
        for item in items:
            out += _item_markdown(item, level=4 if stage else 3)
    return "\n".join(out).rstrip() + "\n"


def _item_markdown(item: ReviewItem, *, level: int) -> list[str]:
    lesson = item.lesson
    lines = [f"{'#' * level} {lesson.title}", "",
             f"- **Case:** {lesson.case_name} · **Outcome:** {lesson.outcome.replace('-', ' ')}"
             f" · **Stage:** {label(STAGES, lesson.stage)}",
             f"- **Recommendation:** {lesson.recommendation}",
             f"- **Source:** {lesson.source_title}, {lesson.locator}"]
    for place in item.places:
        words = f" (matched: {', '.join(place.words)})" if place.words else ""
        lines.append(f"- **In the plan, {place.locator}**{words}: “{place.text}”")
    lines += [f"- **Why:** {item.why}", ""]
    return lines
