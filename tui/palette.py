"""The command palette (ctrl+p): every action by name, plus one command per case, theme,
stage and search mode, so anything can be reached by typing a few letters."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kb.search import MODES

from kb.labels import stage_choices, theme_choices

if TYPE_CHECKING:
    from tui.app import LessonsApp

Command = tuple[str, str, Callable[[], object]]


class LessonsCommands(Provider):
    app: LessonsApp  # typed: the catalog it lists cases from
    async def startup(self) -> None:
        self._commands = self._build()

    def _build(self) -> list[Command]:
        app = self.app
        if app.catalog is None:
            return []
        commands: list[Command] = [
            ("Help: keys and what they do", "Every key of every screen", app.action_help),
            ("Browse cases", "Every case with its lessons and facts", partial(app.action_browse, "cases")),
            ("Browse themes", "The lessons of each theme", partial(app.action_browse, "themes")),
            ("Show the shortlist", "The lessons collected so far", app.action_shortlist),
            ("Export the shortlist as a Markdown briefing", "Grouped by theme, with cases and sources",
             app.action_export),
            ("Clear the shortlist", "Remove every lesson from the shortlist", app.clear_shortlist),
            ("Check a plan against the lessons", "Red flags, gaps and what it covers",
             app.action_check_plan),
            ("Clear the filters", "Search every case, theme and stage", app.action_clear_filters),
        ]
        commands += [(f"Search mode: {mode}", "How results are ranked",
                      partial(app.action_set_mode, mode)) for mode in MODES]
        for case in app.catalog.cases():
            commands.append((f"Open case: {case.name}", "The case overview",
                             partial(app.action_open_case, case.slug)))
            commands.append((f"Filter by case: {case.name}", "Search this case only",
                             partial(app.action_filter, "case", case.slug)))
        for name, theme in theme_choices():
            commands.append((f"Browse theme: {name}", "The lessons of this theme",
                             partial(app.action_browse, "themes", theme)))
            commands.append((f"Filter by theme: {name}", "Search this theme only",
                             partial(app.action_filter, "theme", theme)))
        commands += [(f"Filter by stage: {name}", "Search this stage only",
                      partial(app.action_filter, "stage", stage)) for name, stage in stage_choices()]
        return commands

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands:
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands:
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)
