"""`kb tui` (and `kb` alone): the terminal UI, plugged into the kb CLI by entry point."""

from __future__ import annotations

from pathlib import Path

import click

from kb import config
from kb.cli import db_option


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=config.data_dir, show_default="data/ or $LESSONS_DATA",
              help="The case files to build from when there is no database yet.")
@click.option("--check", "plan", metavar="PLAN",
              help="Open with this plan's review (as ctrl+o does): which lessons apply to it.")
@db_option
def tui(data_dir, plan, db_path):
    """Open the terminal UI: search, read and shortlist lessons (`kb` alone does this)."""
    from tui.app import LessonsApp

    LessonsApp(db_path, data_dir, check=plan).run()
