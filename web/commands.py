"""`kb serve`: the knowledge base in a browser (the `kb.commands` entry point `serve`)."""

from __future__ import annotations

import click

from kb.cli import db_option
from kb.errors import DatabaseError


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="The port on 127.0.0.1 (0 picks a free one).")
@db_option
@click.pass_context
def serve(ctx, port, db_path):
    """Browse, facet and search the knowledge base in a browser (Datasette, read-only).

    Builds the database first if there is none."""
    if not db_path.exists():
        from kb.cli import cli

        build = cli.get_command(ctx, "build")
        if build is None:
            raise DatabaseError(f"No database at {db_path}, and no `kb build` to make one.")
        click.echo(f"No database at {db_path} yet: building it first.")
        ctx.invoke(build, db_path=db_path)

    from web.server import create, listen, run, url

    sock = listen(port)
    datasette = create(db_path)
    click.echo(f"Serving {db_path} read-only at {url(sock)}  (ctrl+c to stop)")
    run(datasette, sock)
