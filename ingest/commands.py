"""The `kb` commands that the ingest package contributes (through entry points)."""

from __future__ import annotations

from pathlib import Path

import click

from kb import config
from kb.cli import db_option


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=config.data_dir, show_default="data/ or $LESSONS_DATA",
              help="The directory of case files.")
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@db_option
def build(data_dir, force, db_path):
    """(Re)build the database from the case files in data/ (incremental, atomic)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ingest.build import build as run_build

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = None

        def progress(total=None, advance=None):
            nonlocal task
            if total is not None:
                task = bar.add_task("embedding", total=total)
            if advance:
                bar.advance(task, advance)

        report = run_build(db_path, data_dir, force=force, progress=progress)
    click.echo(report.summary())
