"""The shortlist as a meeting briefing in Markdown, and one lesson as text to paste.

A briefing groups lessons under their first (primary) theme, in the vocabulary's order,
so a lesson appears once; each lesson carries its case, stage, outcome and sources, so
the notes stand on their own in the minutes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kb.catalog import LessonView
from kb.errors import KbError
from kb.labels import outcome_name, plural, stage_name, theme_name
from kb.vocabulary import THEMES


def lesson_markdown(lesson: LessonView, *, level: int = 2) -> str:
    """One lesson, complete: what happened, the lesson, what to do, and where it is from."""
    lines = [f"{'#' * level} {lesson.title}", "",
             f"- **Case:** {lesson.case_name}",
             f"- **Stage:** {stage_name(lesson.stage)} · **Outcome:** {outcome_name(lesson.outcome)}",
             f"- **Themes:** {', '.join(theme_name(t) for t in lesson.themes)}", "",
             f"**What happened.** {lesson.event}", "",
             f"**Lesson.** {lesson.lesson}", "",
             f"**Recommendation.** {lesson.recommendation}", "",
             "**Sources:**"]
    lines += [f"- {e.citation}: {e.paraphrase}" for e in lesson.evidence]
    return "\n".join(lines) + "\n"


def briefing_markdown(lessons: list[LessonView], *, today: date) -> str:
    cases = {lesson.case_name for lesson in lessons}
    out = [f"# Lessons briefing: {plural(len(lessons), 'lesson')} from "
           f"{plural(len(cases), 'case')}", "",
           f"From the lessons knowledge base, {today.day} {today:%B %Y}. Grouped by theme; "
           "each lesson gives its case and sources.", ""]
    order = {theme: i for i, theme in enumerate(THEMES)}
    groups: dict[str, list[LessonView]] = {}
    for lesson in lessons:
        groups.setdefault(lesson.themes[0], []).append(lesson)
    for theme in sorted(groups, key=lambda t: order.get(t, len(order))):
        out += [f"## {theme_name(theme)}", ""]
        out += [lesson_markdown(lesson, level=3) for lesson in groups[theme]]
    return "\n".join(out).rstrip() + "\n"


class BriefingExists(KbError):
    """The file is there already: it may be an earlier briefing with the user's notes."""


def write_briefing(path: Path, lessons: list[LessonView], *, today: date,
                   replace: bool = False) -> Path:
    """Write the briefing to `path` (~ expanded); KbError in one sentence if it can't, and
    BriefingExists rather than overwrite a file unless `replace`."""
    if not lessons:
        raise KbError("The shortlist is empty: add lessons with space or a first.")
    path = Path(path).expanduser()
    if path.is_dir():
        raise KbError(f"{path} is a directory: give a file name, such as briefing.md.")
    try:
        with open(path, "w" if replace else "x", encoding="utf-8") as out:
            out.write(briefing_markdown(lessons, today=today))
    except FileExistsError:
        raise BriefingExists(f"{path} already exists (with any notes added to it): press "
                             "Export again to replace it, or change the name.") from None
    except OSError as exc:
        raise KbError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return path


def default_file_name(today: date, folder: Path = Path(".")) -> str:
    """Today's briefing name, numbered past any briefing of the same day in `folder`."""
    name, number = f"lessons-briefing-{today.isoformat()}.md", 2
    while (folder / name).exists():
        name, number = f"lessons-briefing-{today.isoformat()}-{number}.md", number + 1
    return name
