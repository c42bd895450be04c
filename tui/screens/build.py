"""No usable database yet: offer to build it from the case files, with a progress bar,
instead of failing. The build runs in a thread worker; embedding is what takes the time,
and `kb build` reports it through its progress callback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, ProgressBar, Static

from kb.errors import KbError

from tui.messages import BuildFailed, BuildFinished, BuildProgress

if TYPE_CHECKING:
    from tui.app import LessonsApp


class BuildScreen(Screen):
    app: LessonsApp  # typed: the engine, catalog and shortlist it holds
    AUTO_FOCUS = "#build"
    BINDINGS = [
        Binding("b", "build", "Build"),
    ]

    def __init__(self, problem: str, db_path: Path, data_dir: Path) -> None:
        super().__init__()
        self.problem = problem
        self.db_path = db_path
        self.data_dir = data_dir
        self.building = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="panel"):
            yield Static(self.problem, id="problem", markup=False)
            yield Static(f"Build it now from the case files in {self.data_dir}? This embeds "
                         "every record once (under a minute) and writes "
                         f"{self.db_path}.", id="offer", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Build the database", variant="primary", id="build")
                yield Button("Quit", id="quit")
            yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="build-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "no database"
        self.query_one(ProgressBar).display = False

    @on(Button.Pressed, "#build")
    def _build_pressed(self) -> None:
        self.action_build()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit()

    def action_build(self) -> None:
        if self.building:
            return
        self.building = True
        self.query_one("#buttons").display = False
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status("Reading the case files and loading the model…")
        self._build()

    @work(thread=True, exclusive=True, group="build")
    def _build(self) -> None:
        import click

        from kb.cli import cli

        def progress(advance: int = 0, *, total: int | None = None,
                     label: str | None = None) -> None:  # kb.progress.Progress
            self.post_message(BuildProgress(total, advance))

        # `kb build` as the command registry has it (as `kb serve` finds it): the TUI never
        # imports the ingest package, which may not be installed.
        with click.Context(cli) as ctx:
            command = cli.get_command(ctx, "build")
            if command is None:
                self.post_message(BuildFailed("there is no `kb build` command installed "
                                              "(the ingest package)"))
                return
            try:
                report = ctx.invoke(command, db_path=self.db_path, data_dir=self.data_dir,
                                    progress=progress)
            except KbError as exc:
                self.post_message(BuildFailed(str(exc)))
                return
        self.post_message(BuildFinished(report.summary()))

    def on_build_progress(self, message: BuildProgress) -> None:
        bar = self.query_one(ProgressBar)
        if message.total is not None:
            bar.update(total=message.total, progress=0)
            self._status(f"Embedding {message.total} records…")
        bar.advance(message.advance)

    def on_build_finished(self, message: BuildFinished) -> None:
        self.app.notify(message.summary, title="Database built")
        self.app.open_database()

    def on_build_failed(self, message: BuildFailed) -> None:
        self.building = False
        self.query_one(ProgressBar).display = False
        self.query_one("#buttons").display = True
        self._status(f"The build failed: {message.error}\nFix the case files and build again.",
                     error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#build-status", Static)
        status.set_class(error, "error")
        status.update(Text(text))
