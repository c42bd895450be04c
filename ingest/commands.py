"""The `kb` commands that the ingest package contributes (through entry points)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from ingest.readers import DEFAULT_MAX_MB, MB
from kb import config
from kb.cli import db_option


def _data_option(command):
    return click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=None, show_default="the folder the database was built from, "
                        "else $LESSONS_DATA or data/",
                        help="The data directory: case files, and the record of ingested "
                        "documents in data/ingested/.")(command)


def data_for(db_path: Path, given: Path | None, *, same: bool) -> Path:
    """The data folder a command works with: the one given (--data or $LESSONS_DATA), else
    the one the database was built from, else data/. A database and the record of what was
    ingested into it never disagree: with `same` (ingest, accept, reject), a folder other
    than the database's own is refused rather than written to."""
    import sqlite3

    from kb.database import read_meta
    from kb.errors import KbError

    given = given or (Path(os.environ[config.DATA_ENV]) if os.environ.get(config.DATA_ENV)
                      else None)
    recorded = None
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            recorded = read_meta(conn).get("data_dir")
        finally:
            conn.close()
    except sqlite3.Error:
        pass
    if recorded and not Path(recorded).is_dir():
        recorded = None  # a moved checkout: its old folder is gone
    if same and given and recorded and Path(given).resolve() != Path(recorded):
        raise KbError(f"{db_path} was built from {recorded}, where the record of its ingested "
                      f"documents is kept, not from {given}: pass --data {recorded}, or first "
                      f"rebuild it with `kb build --db {db_path} --data {given}`.")
    return Path(given or recorded or config.data_dir())


@contextlib.contextmanager
def _progress_bar(verb: str):
    """The bar every long command shows (what, how far, how long still), as the one
    progress callback (kb.progress.Progress); it appears with the first report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = None

        def progress(advance: int = 0, *, total: int | None = None,
                     label: str | None = None) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(verb, total=total)
            elif total is not None:
                bar.reset(task, total=total)
            bar.update(task, advance=advance, description=f"{verb} {label}" if label else None)

        yield progress


@click.command()
@_data_option
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@db_option
def build(data_dir, force, db_path, progress=None):
    """(Re)build the database from the case files in data/ (incremental, atomic)."""
    from ingest.build import build as run_build

    data_dir = data_for(db_path, data_dir, same=False)
    if progress is not None:
        # A front-end with its own progress display (the TUI's build screen, through
        # `ctx.invoke(build, progress=…)`): its report, nothing printed.
        return run_build(db_path, data_dir, force=force, progress=progress)
    with _progress_bar("embedding") as progress:
        report = run_build(db_path, data_dir, force=force, progress=progress)
    click.echo(report.summary())


def _shown(path: Path) -> str:
    try:
        shown = str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    # A name that is not valid UTF-8 is shown with its odd bytes escaped, not a crash.
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", help="The case the documents belong to; a new slug makes a stub case.")
@click.option("--title", help="The document's title (one file; default: its own title, or "
              "its file name).")
@click.option("--date", help="The document's date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--remove", is_flag=True, help="Remove the documents ingested from these files "
              "(a folder: every one under it).")
@click.option("--max-size", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_MAX_MB,
              show_default=True, help="Skip files larger than this many MB.")
@_data_option
@db_option
def ingest(paths, case, title, date, remove, max_size, data_dir, db_path):
    """Add your own documents as searchable passages, with candidate lessons to review.

    PDF, Word (.docx), PowerPoint (.pptx), HTML, Markdown and text; folders are read
    recursively. Unchanged files are skipped; a changed file replaces its passages.

    \b
      kb ingest ~/papers --case west-london
      kb ingest report.pdf --case new-case --title "Audit report" --date 2019-03
      kb ingest --remove report.pdf
    """
    import signal
    import sys

    from pydantic import TypeAdapter, ValidationError
    from ingest.ingester import Ingester
    from kb.errors import KbError
    from kb.records import PartialDate, Slug

    if not remove and not case:
        raise click.UsageError("--case is required: the case these documents belong to.")
    for option, value, kind in (("--case", case, Slug), ("--date", date, PartialDate)):
        if value is not None:
            try:
                TypeAdapter(kind).validate_python(value)
            except ValidationError as exc:
                raise click.BadParameter(exc.errors()[0]["msg"].removeprefix("Value error, "),
                                         param_hint=option) from None
    data_dir = data_for(db_path, data_dir, same=True)
    # kill (SIGTERM) rolls back like ctrl+c: the document in flight is not written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    ingester = Ingester(db_path, data_dir, max_bytes=int(max_size * MB))
    try:
        with _progress_bar("removing" if remove else "ingesting") as progress:
            if remove:
                report = ingester.remove(list(paths), progress=progress)
            else:
                report = ingester.ingest(list(paths), case=case, title=title, date=date,
                                         progress=progress)
    except KeyboardInterrupt:
        _print_outcomes(ingester.report)
        click.echo("interrupted: the file in flight was not written; run the same command "
                   "again to finish (what is done is skipped)", err=True)
        raise
    except KbError:
        _print_outcomes(ingester.report)  # what was committed before the error
        raise
    finally:
        ingester.close()
    _print_outcomes(report)
    click.echo(report.summary())
    for slug in report.new_cases:
        click.echo(f"'{slug}' is a new stub case: accepting one of its candidate lessons "
                   f"creates {data_dir / 'cases' / (slug + '.yaml')}, where you then describe it.")
    if report.of("added", "replaced"):
        click.echo("Review the candidate lessons with `kb candidates"
                   + (f" --case {case}`." if case else "`."))
    if report.failed:
        sys.exit(1)  # some files were skipped: say so to scripts too


def _dated(outcome) -> str:
    if not outcome.date:
        return "no date found: give one with --date YYYY-MM if you know it"
    if outcome.date_from:
        return f"dated {outcome.date} from {outcome.date_from}: correct it with --date if wrong"
    return f"dated {outcome.date}"


def _print_outcomes(report) -> None:
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"{click.style('failed', fg='red')}      {_shown(outcome.path)}: "
                       f"{outcome.reason}", err=True)
        elif outcome.status in ("added", "replaced"):
            click.echo(f"{outcome.status:<11} {_shown(outcome.path)}  ({outcome.passages} "
                       f"passages, {outcome.candidates} candidate lessons; {_dated(outcome)})")
        elif outcome.status == "removed":
            click.echo(f"removed     {_shown(outcome.path)}  ({outcome.title})")


@click.command()
@click.option("--case", "cases", multiple=True, help="Only this case (repeatable).")
@click.option("--status", type=click.Choice(["candidate", "accepted", "rejected", "all"]),
              default="candidate", show_default=True, help="Which to list.")
@click.option("--accept", "accept_id", metavar="ID",
              help="Write this candidate into its case's YAML file as a curated lesson.")
@click.option("--reject", "reject_id", metavar="ID", help="Mark this candidate as not a lesson.")
@click.option("--title", help="With --accept: the lesson's title (default: the sentence's "
              "first words).")
@click.option("--theme", "themes", multiple=True,
              help="With --accept: the lesson's themes (repeatable; default: as tagged).")
@click.option("--stage", help="With --accept: the lesson's stage (default: as tagged).")
@click.option("--outcome", default="guidance", show_default=True,
              help="With --accept: went-well, went-wrong or guidance.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per candidate.")
@_data_option
@db_option
def candidates(cases, status, accept_id, reject_id, title, themes, stage, outcome, as_json,
               data_dir, db_path):
    """Lessons proposed by `kb ingest`, for review: list, accept or reject them.

    \b
      kb candidates --case west-london
      kb candidates --accept c-3cf62f5409 --title "Take independent clinical advice"
    """
    from ingest import review

    if accept_id and reject_id:
        raise click.UsageError("--accept and --reject: one at a time.")
    data_dir = data_for(db_path, data_dir, same=True)
    if accept_id:
        from ingest.build import build as run_build

        done = review.accept(db_path, data_dir, accept_id, title=title, themes=tuple(themes),
                             stage=stage, outcome=outcome)
        click.echo(f"accepted {accept_id} as lesson {done.lesson} in {_shown(done.case_file)}"
                   + (" (a new case file: fill in its description)" if done.new_case_file else ""))
        click.echo(run_build(db_path, data_dir).summary())
        return
    if reject_id:
        review.reject(db_path, data_dir, reject_id)
        click.echo(f"rejected {reject_id}")
        return
    rows = review.listing(db_path, cases=cases, status=status)
    if as_json:
        import json

        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    _print_candidates(rows, status)


def _print_candidates(rows: list[dict], status: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    if not rows:
        console.print(f"no {'' if status == 'all' else status + ' '}lessons to review"
                      " (ingest documents with `kb ingest`)")
        return
    document = None
    for row in rows:
        if row["document"] != document:
            document = row["document"]
            console.print()
            console.print(Text.assemble((row["document_title"], "bold"),
                                        (f"   {row['case']} · {row['path']}", "dim")))
        tags = Text(f"  {row['id']}  ", style="bold cyan")
        tags.append(f"{row['locator']} · “{row['cue']}” · ", style="dim")
        tags.append(", ".join(row["themes"]) or "no clear theme: give one with --theme",
                    style="magenta" if row["themes"] else "yellow")
        if row["status"] != "candidate":
            tags.append(f" · {row['status']}" + (f" as {row['lesson']}" if row["lesson"] else ""),
                        style="green" if row["status"] == "accepted" else "red")
        console.print(tags)
        console.print(Text(f"      {row['text']}"))
    console.print()
    console.print(Text(f"{len(rows)} candidate lesson(s). Accept one with "
                       "`kb candidates --accept ID` (it goes into the case's YAML file).",
                       style="dim"))
