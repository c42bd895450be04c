"""How the CLI shows results and statistics in a terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kb.catalog import LessonView
from kb.relevance import NOT_ANSWERED
from kb.search import Hit, Results
from kb.stats import Stats
from kb.vocabulary import OUTCOME_STYLE, STRENGTH_STYLE

SNIPPET_CHARS = 220  # of a result's text under its title



def _console() -> Console:
    """In a terminal, lines wrap to its width. Piped or redirected, every line is written
    whole, without styles or padding to 80 columns, so a file or another program gets
    plain text (a width no line reaches: rich pads and wraps only to the width)."""
    console = Console(highlight=False, soft_wrap=False)
    if console.is_terminal:
        return console
    return Console(highlight=False, soft_wrap=False, width=1_000_000)


console = _console()


def print_results(results: Results) -> None:
    header = Text.assemble((f"{results.query}", "bold"),
                           f"  · {results.mode} · {len(results.hits)} hit{'' if len(results.hits) == 1 else 's'} · "
                           f"{results.seconds * 1000:.0f} ms")
    console.print(header)
    if results.notice:
        console.print(Text(results.notice, style="yellow"))
    if results.searched_for:
        console.print(Text(f"searched for: {results.searched_for}", style="yellow"))
    if not results.hits:
        console.print("  no results: try other words, or --mode semantic")
    elif not results.answered:
        console.print(Text(NOT_ANSWERED, style="bold yellow"))
    for hit in results.hits:
        console.print()
        console.print(Padding(Text.assemble((f"{hit.rank}. ", "bold"), (hit.title, "bold")),
                              (0, 0, 0, 2), expand=False))
        console.print(_indented(_tags(hit)))
        console.print(_indented(Text(hit.snippet(SNIPPET_CHARS))))
        console.print(_indented(Text(f"source: {hit.source_line}", style="dim")))
        console.print(_indented(Text(f"why: {hit.why} · {hit.band} match, score {hit.score:.2f}",
                                     style="dim")))


def _indented(text: Text) -> Padding:
    return Padding(text, (0, 0, 0, 5), expand=False)


def _tags(hit: Hit) -> Text:
    """case · kind · outcome (coloured) · stage · strength of evidence · themes"""
    line = Text.assemble((hit.case, "cyan"), f" · {hit.kind}")
    if hit.outcome:
        line.append(" · ")
        line.append(hit.outcome.replace("-", " "), style=OUTCOME_STYLE.get(hit.outcome, ""))
    if hit.stage:
        line.append(f" · {hit.stage}")
    if hit.strength:
        line.append(" · ")
        line.append(f"{hit.strength} evidence", style=STRENGTH_STYLE.get(hit.strength, ""))
    if hit.themes:
        line.append(" · " + ", ".join(hit.themes), style="magenta")
    return line


def print_lesson(lesson: LessonView) -> None:
    """`kb show`: the whole lesson, its strength of evidence and every piece of evidence
    with its kind and its source's standing."""
    if lesson.redirected_from:
        console.print(Text(f"{lesson.redirected_from} was merged into {lesson.id}: showing it.",
                           style="yellow"))
    console.print(Text(lesson.title, style="bold"))
    line = Text.assemble((lesson.case_name, "cyan"), f" · {lesson.id} · ")
    line.append(lesson.outcome.replace("-", " "), style=OUTCOME_STYLE.get(lesson.outcome, ""))
    line.append(f" · {lesson.stage} · ")
    line.append(", ".join(lesson.themes), style="magenta")
    console.print(line)
    console.print(Text.assemble("evidence: ", (lesson.strength or "not rated",
                                               STRENGTH_STYLE.get(lesson.strength, "")),
                                f" — {lesson.basis}" if lesson.basis else ""))
    for name in ("event", "lesson", "recommendation"):
        console.print()
        console.print(Text(name.capitalize(), style="bold"))
        console.print(_indented(Text(getattr(lesson, name))))
    console.print()
    console.print(Text("Evidence", style="bold"))
    for e in lesson.evidence:
        console.print(_indented(Text.assemble((f"{e.kind} · {e.standing.replace('-', ' ')}", "bold"),
                                              f"  {e.citation}")))
        console.print(_indented(Text(e.paraphrase, style="dim")))


def print_stats(stats: Stats) -> None:
    meta = stats.meta
    console.print(Text(f"{stats.db}  ({stats.size_bytes / 1e6:.1f} MB, built {meta.get('built_at', '?')}, "
                       f"model {meta.get('model', '?')})", style="bold"))
    totals = Table(title="records", show_header=False, box=None)
    for name, n in stats.totals.items():
        totals.add_row(name, str(n))
    console.print(totals)
    kinds = sorted({k for per in stats.by_case.values() for k in per})
    by_case = Table(title="items by case")
    by_case.add_column("case")
    for kind in kinds:
        by_case.add_column(kind, justify="right")
    for case, per in stats.by_case.items():
        by_case.add_row(case, *(str(per.get(k, 0)) for k in kinds))
    console.print(by_case)
    for title, counts in (("lessons by theme", stats.by_theme), ("lessons by stage", stats.by_stage),
                          ("lessons by outcome", stats.by_outcome),
                          ("lessons by strength of evidence", stats.by_strength)):
        table = Table(title=title, show_header=False, box=None, min_width=len(title) + 2)
        for key, n in counts.items():
            table.add_row(str(key), str(n))
        console.print(table)
