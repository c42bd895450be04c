"""The app: opens the database (or offers to build it), loads the model in the background,
routes records to their screens, and owns the shortlist.

Start-up is built for a meeting: the search screen is drawn straight away and answers by
keyword at once, while a thread worker loads the query encoder; when it is ready every
screen is told (`SemanticReady`) and the current query is run again in hybrid mode. The
other screens are imported when first opened, which keeps them out of the first frame.
"""

from __future__ import annotations

import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import App
from textual.binding import Binding

from kb import config
from kb.briefing import lesson_markdown
from kb.catalog import Catalog
from kb.embeddings import Embedder, load_embedder
from kb.errors import DatabaseError, KbError
from kb.search import SearchEngine
from tui.messages import (CopyRecord, OpenRecord, SemanticFailed, SemanticReady, ShortlistChanged,
                          ToggleShortlist)
from tui.palette import LessonsCommands
from tui.screens.search import SearchScreen
from tui.shortlist import Shortlist

# The app's keys that the build screen must ignore; the other actions are reached only from
# screens (and palette commands) that exist once there is a database.
NEEDS_DATABASE = {"browse", "shortlist", "export", "check_plan"}


class LessonsApp(App[None]):
    TITLE = "lessons"
    # Every screen's styles, loaded once here (each rule names its screen).
    CSS_PATH = ["styles/app.tcss", "styles/search.tcss", "styles/records.tcss",
                "styles/browse.tcss", "styles/review.tcss", "styles/modals.tcss",
                "styles/build.tcss"]
    COMMANDS = App.COMMANDS | {LessonsCommands}
    # Every global action has a ctrl key that works while typing in the search box, and a
    # plain letter for everywhere else.
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True),
        Binding("q", "quit", "Quit", show=False),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+b", "browse", "Browse"),
        Binding("b", "browse", "Browse", show=False),
        Binding("ctrl+l", "shortlist", "Shortlist"),
        Binding("l", "shortlist", "Shortlist", show=False),
        Binding("ctrl+s", "export", "Export"),
        Binding("e", "export", "Export", show=False),
        Binding("ctrl+o", "check_plan", "Check a plan", show=False),
    ]

    def __init__(self, db_path: Path, data_dir: Path | None = None, *,
                 embedder_loader: Callable[[], Embedder] = load_embedder,
                 clock: Callable[[], float] = time.perf_counter,
                 today: Callable[[], date] = date.today, check: str | None = None) -> None:
        """`embedder_loader`, `clock` and `today` are there for tests and bench/: a model
        loaded once for many apps, and a clock that makes timings reproducible."""
        super().__init__()
        self.db_path = Path(db_path)
        self.data_dir = Path(data_dir) if data_dir else config.data_dir()
        self.clock = clock
        self.today = today
        self.shortlist = Shortlist()
        self.semantic_state = "loading"
        self.engine: SearchEngine | None = None
        self.catalog: Catalog | None = None
        self.search_screen: SearchScreen | None = None
        self._embedder_loader = embedder_loader
        self._check = check  # a plan to check once the database is open (kb tui --check)
        self._checker = None

    def on_mount(self) -> None:
        self.open_database()

    def open_database(self) -> None:
        """Show the search screen over the database, or the offer to build one."""
        try:
            engine = SearchEngine(self.db_path, embedder_loader=self._embedder_loader)
            catalog = Catalog(self.db_path)
            catalog.stats  # noqa: B018 - counted once now, for the welcome and the filters
        except DatabaseError as exc:
            from tui.screens.build import BuildScreen

            self.push_screen(BuildScreen(str(exc), self.db_path, self.data_dir))
            return
        self.engine, self.catalog = engine, catalog
        self.search_screen = SearchScreen()
        if len(self.screen_stack) > 1:
            self.switch_screen(self.search_screen)  # in place of the build screen
        else:
            self.push_screen(self.search_screen)
        self.load_semantic()
        if self._check:
            self.action_check_plan(self._check)

    # -- the model --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="semantic")
    def load_semantic(self) -> None:
        """Load the query encoder; the engine does it outside its lock, so keyword searches
        made meanwhile are answered at once."""
        try:
            self.engine.warm_up()
        except KbError as exc:
            self.post_message(SemanticFailed(str(exc)))
            return
        self.post_message(SemanticReady())

    def on_semantic_ready(self, message: SemanticReady) -> None:
        self.semantic_state = "ready"
        self._tell_screens(SemanticReady)

    def on_semantic_failed(self, message: SemanticFailed) -> None:
        self.semantic_state = "unavailable"
        self._tell_screens(partial(SemanticFailed, message.error))

    def _tell_screens(self, make_message: Callable) -> None:
        for screen in self.screen_stack:
            screen.post_message(make_message())

    # -- records ----------------------------------------------------------------------
    def on_open_record(self, message: OpenRecord) -> None:
        if message.kind == "lesson":
            from tui.screens.lesson import LessonScreen

            lesson = self.catalog.lesson(message.id)
            if lesson is not None:
                self.push_screen(LessonScreen(lesson))
        elif message.kind in ("case", "fact"):
            self.action_open_case(message.case, "facts" if message.kind == "fact" else "overview")
        elif message.hit is not None:
            from tui.screens.passage import PassageScreen

            self.push_screen(PassageScreen(message.hit))

    def on_copy_record(self, message: CopyRecord) -> None:
        lesson = self.catalog.lesson(message.id) if message.kind == "lesson" else None
        if lesson is not None:
            title, text = lesson.title, lesson_markdown(lesson)
        elif message.hit is not None:
            hit = message.hit
            title = hit.title
            text = f"{hit.title}\n\n{hit.body}\n\nSource: {hit.source_line}\n"
        else:
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied “{title}” (in terminals that allow it).", title="Clipboard")

    def on_toggle_shortlist(self, message: ToggleShortlist) -> None:
        if message.kind != "lesson":
            self.notify("Only lessons go in the shortlist.", severity="warning")
            return
        self.shortlist.set(message.id, message.add)
        self._shortlist_changed()

    def clear_shortlist(self) -> None:
        self.shortlist.clear()
        self._shortlist_changed()

    def _shortlist_changed(self) -> None:
        self._tell_screens(partial(ShortlistChanged, self.shortlist.ids))

    # -- actions (keys and the command palette) ---------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.engine is not None or action not in NEEDS_DATABASE

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_back(self) -> None:
        if self.screen is not self.search_screen:
            self.pop_screen()

    def action_browse(self, tab: str = "cases", theme: str | None = None) -> None:
        from tui.screens.browse import BrowseScreen

        self.push_screen(BrowseScreen(tab, theme))

    def action_shortlist(self) -> None:
        from tui.screens.shortlist import ShortlistScreen

        if not isinstance(self.screen, ShortlistScreen):
            self.push_screen(ShortlistScreen())

    def action_export(self) -> None:
        from tui.screens.export import ExportScreen

        lessons = self.catalog.lessons(self.shortlist.ids)
        if not lessons:
            self.notify("The shortlist is empty: add lessons with space or a.", severity="warning")
            return
        self.push_screen(ExportScreen(lessons, self.today()), self._exported)

    def _exported(self, path: Path | None) -> None:
        if path is not None:
            self.notify(f"Wrote the briefing to {path}", title="Exported")

    @property
    def checker(self):
        """The plan checker (kb/check.py) over the app's engine, made when first needed."""
        if self._checker is None:
            from kb.check import PlanChecker

            self._checker = PlanChecker(self.engine)
        return self._checker

    def action_check_plan(self, path: str | None = None) -> None:
        """Review a plan against every lesson; with no path, ask for one."""
        from tui.screens.review import ReviewScreen

        if path:
            self.push_screen(ReviewScreen(path))
            return
        from tui.screens.plan_path import PathScreen

        self.push_screen(PathScreen("Check a plan against the lessons",
                                    "The plan's file (PDF, Word, PowerPoint, HTML, Markdown "
                                    "or text):", action="Check"),
                         lambda typed: typed and self.push_screen(ReviewScreen(typed)))

    def action_open_case(self, slug: str, tab: str = "overview") -> None:
        from tui.screens.case import CaseScreen

        case = self.catalog.case(slug)
        if case is not None:
            self.push_screen(CaseScreen(case, tab))

    def action_set_mode(self, mode: str) -> None:
        self._to_search().set_mode(mode)

    def action_filter(self, name: str, value: str | None) -> None:
        self._to_search().set_filter(name, value)

    def action_clear_filters(self) -> None:
        self._to_search().action_clear_filters()

    def _to_search(self) -> SearchScreen:
        while self.screen is not self.search_screen:
            self.pop_screen()
        return self.search_screen
