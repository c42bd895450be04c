"""The `kb` command.

The core commands (search, stats, model) live here. Commands from the packages that build
on the core (`build` and `ingest` from ingest, `tui` from tui, `serve` for Datasette) are
plugged in through the `kb.commands` entry point group and imported only when used, so
`kb search` starts fast and the core never imports them. `kb` alone opens the TUI.
"""

from __future__ import annotations

import sqlite3
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from kb import config
from kb.errors import KbError
from kb.vocabulary import ITEM_KINDS, OUTCOMES, STAGES, STRENGTHS, THEMES

ENTRY_POINTS = "kb.commands"


def db_option(command):
    """`--db PATH` for any command, plugins included (default $LESSONS_DB or data/lessons.db)."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
        envvar=config.DB_ENV, show_envvar=True, default=config.DEFAULT_DB,
        show_default="data/lessons.db", help="The database file.")(command)


def _one_of(keys) -> str:
    *rest, last = keys
    return f"{', '.join(rest)} or {last}"


# The filters' values are the vocabulary's keys (or their names, in any case: kb.filters
# resolves them and lists the valid ones for a wrong one), so they are not click.Choices.
def theme_option(command):
    """`--theme` for the commands that filter lessons (search, check)."""
    return click.option("--theme", "themes", multiple=True,
                        help=f"Only lessons with this theme (repeatable): {_one_of(THEMES)}.")(command)


def stage_option(command):
    return click.option("--stage", "stages", multiple=True,
                        help=f"Only this stage (repeatable): {_one_of(STAGES)}.")(command)


class PluginGroup(click.Group):
    """A group that finds extra commands through entry points, loading them on demand."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group=ENTRY_POINTS)}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and (ep := self._plugins().get(name)) is not None:
            command = ep.load()
        return command


@click.group(cls=PluginGroup, invoke_without_command=True)
@click.version_option(package_name="nhs-mcp-lessons")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar=config.DB_ENV, show_envvar=True,
              help="The database file, for the terminal UI or the command that follows.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The case files, for the terminal UI or the command that follows.")
@click.pass_context
def cli(ctx, db_path, data_dir):
    """lessons: lessons learned from NHS commissioning of integrated care.

    Run `kb` alone (or `kb --db PATH`) to open the terminal UI."""
    given = {name: value for name, value in (("db_path", db_path), ("data_dir", data_dir))
             if value is not None}
    if ctx.invoked_subcommand is not None:
        # `kb --db X search …` is `kb search --db X …` (a default_map entry is used only by a
        # command that has the option, and an option given to the command itself wins).
        ctx.default_map = {ctx.invoked_subcommand: given}
        return
    tui = cli.get_command(ctx, "tui")
    if tui is None:
        click.echo(ctx.get_help())
        return
    ctx.invoke(tui, **given)


@cli.command()
@click.argument("queries", nargs=-1, required=True)
@click.option("--mode", type=click.Choice(["hybrid", "semantic", "keyword"]), default="hybrid",
              show_default=True, help="How to rank: meaning, words, or both fused.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--case", "cases", multiple=True,
              help="Only this case, by slug or name, e.g. dudley or \"West London\" (repeatable).")
@theme_option
@stage_option
@click.option("--kind", "kinds", multiple=True,
              help=f"Only this kind of record (repeatable): {_one_of(ITEM_KINDS)}.")
@click.option("--outcome", "outcomes", multiple=True,
              help=f"Only this outcome (repeatable): {_one_of(OUTCOMES)}.")
@click.option("--strength", "strengths", multiple=True,
              help=f"Only lessons whose evidence is this strong (repeatable): {_one_of(STRENGTHS)}.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per query, one per line (an error object for a bad query).")
@db_option
def search(queries, mode, limit, cases, themes, stages, kinds, outcomes, strengths, as_json,
           db_path):
    """Search the knowledge base: kb search "VAT risk of LLP" ["another query" ...]"""
    import json

    from kb.errors import QueryError
    from kb.query import too_long
    from kb.search import open_engine

    engine = open_engine(db_path)
    filters = engine.filters(case=cases, theme=themes, stage=stages, kind=kinds,
                             outcome=outcomes, strength=strengths)
    failed = 0
    for query in queries:
        try:
            too_long(query)
            results = engine.search(query, mode=mode, limit=limit, filters=filters)
        except QueryError as exc:
            failed += 1
            if not as_json:
                click.secho(f"error: {exc}", err=True, fg="red")
                continue
            results = {"query": _printable(query), "mode": mode, "error": str(exc)}
        if as_json:
            click.echo(json.dumps(results if isinstance(results, dict) else results.to_json(),
                                  ensure_ascii=False))
        else:
            from kb.render import print_results

            print_results(results)
    if failed:
        sys.exit(1)


def _printable(text: str) -> str:
    """A query as JSON can carry it: undecodable bytes shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@cli.command()
@click.argument("lesson_id")
@db_option
def show(lesson_id, db_path):
    """One lesson whole, with its evidence and how strong it is: kb show uc-vat-llp-unfunded
    (an id merged into another lesson shows that lesson)."""
    from kb.catalog import Catalog
    from kb.errors import KbError
    from kb.render import print_lesson

    catalog = Catalog(db_path)
    lesson = catalog.lesson(lesson_id)
    if lesson is None:
        raise KbError(f"No lesson has the id {lesson_id!r}: find it with kb search.")
    print_lesson(lesson)


@cli.command()
@db_option
def stats(db_path):
    """What the database holds: cases, lessons, facts, passages, model, size."""
    from kb.render import print_stats
    from kb.stats import collect

    print_stats(collect(db_path))


@cli.group()
def model():
    """The embedding model: where it is, and its one-off preparation."""


@model.command("prepare")
def model_prepare():
    """Check the model (its sha256; a $LESSONS_MODEL is exported to ONNX once)."""
    from kb.embeddings import load_embedder

    embedder = load_embedder()
    click.echo(f"model {embedder.name} ({embedder.dimensions} dimensions) is ready: "
               f"{embedder.source}")


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="kb", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KbError as exc:
        click.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(1)
    except sqlite3.DatabaseError as exc:  # damaged pages found while reading
        click.secho(f"error: the database is damaged ({exc}): run `kb build` to rebuild it.",
                    err=True, fg="red")
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
