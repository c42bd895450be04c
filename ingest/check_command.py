"""`kb check PLAN`: a plan held against every lesson (the `kb.commands` entry point
`check`). It lives in ingest because it reads files with ingest's readers; the review
itself is the core's (kb/check.py), the same as the TUI's and the browser's."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from ingest.readers import DEFAULT_MAX_MB, MB
from kb.cli import db_option, stage_option, theme_option
from kb.errors import KbError


@click.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--case", "cases", multiple=True, help="Only lessons of this case (repeatable).")
@theme_option
@stage_option
@click.option("--json", "as_json", is_flag=True, help="The review as JSON (a stable shape).")
@click.option("--markdown", "markdown_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the review as Markdown to this file, to circulate.")
@click.option("--max-size", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_MAX_MB,
              show_default=True, help="Refuse plans larger than this many MB.")
@db_option
def check(plan_file, cases, themes, stages, as_json, markdown_out, max_size, db_path):
    """Check a plan against every lesson: red flags, gaps and what it already covers.

    PLAN is a PDF, Word (.docx), PowerPoint (.pptx), HTML, Markdown or text file, or - to
    read the plan from standard input.

    \b
      kb check riverside-obc.docx
      kb check plan.pdf --stage procurement
      kb check plan.pdf --markdown review.md
    """
    from ingest.plans import read_plan
    from kb.check import PlanChecker
    from kb.search import Filters, open_engine
    from kb.vocabulary import STAGES, THEMES

    for name, values, allowed in (("stage", stages, STAGES), ("theme", themes, THEMES)):
        for value in values:
            if value not in allowed:
                raise KbError(f"Unknown {name} {value!r}: use one of {', '.join(allowed)}.")
    engine = open_engine(db_path)
    known = [row[0] for row in engine.conn.execute("select slug from cases order by slug")]
    for case in cases:
        if case not in known:
            raise KbError(f"Unknown case {case!r}: use one of {', '.join(known)}.")
    plan = read_plan(plan_file, max_bytes=int(max_size * MB))
    review = PlanChecker(engine).check(plan, filters=Filters.of(case=cases, theme=themes,
                                                                 stage=stages))
    if markdown_out:
        from kb.check_report import review_markdown

        try:
            markdown_out.write_text(review_markdown(review, today=date.today()), encoding="utf-8")
        except OSError as exc:
            raise KbError(f"Cannot write {markdown_out}: {exc.strerror or exc}.") from None
    if as_json:
        click.echo(json.dumps(review.to_json(), ensure_ascii=False))
    else:
        from kb.check_report import print_review

        print_review(review)
        if markdown_out:
            click.echo(f"\nwrote the review to {markdown_out}")
