"""Asks where to write the briefing, writes it, and says where it went (or why not)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kb.briefing import BriefingExists, default_file_name, write_briefing
from kb.catalog import LessonView
from kb.errors import KbError
from kb.labels import plural
from tui.screens.plan_path import PathScreen


class ExportScreen(PathScreen):
    """Dismissed with the path written, or None when cancelled."""

    def __init__(self, lessons: list[LessonView], today: date) -> None:
        super().__init__(f"Export {plural(len(lessons), 'lesson')} as a Markdown briefing",
                         "File name (relative to the current directory):",
                         default_file_name(today), action="Export")
        self.lessons = lessons
        self.today = today
        self._replace: str | None = None  # the name the user was warned exists

    def submit(self, value: str) -> None:
        try:
            path = write_briefing(Path(value), self.lessons, today=self.today,
                                  replace=value == self._replace)
        except BriefingExists as exc:
            self._replace = value  # Export again with the same name replaces it
            self.say(str(exc))
            return
        except KbError as exc:
            self.say(str(exc))
            return
        self.dismiss(path)
