"""What a database holds, counted: for `kb stats`, the TUI and the Datasette home page."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kb.database import connect_readonly, read_meta


@dataclass
class Stats:
    db: Path
    size_bytes: int
    meta: dict[str, str]
    totals: dict[str, int]                       # table → rows
    by_case: dict[str, dict[str, int]]           # case → kind → items
    by_theme: dict[str, int] = field(default_factory=dict)
    by_stage: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_strength: dict[str, int] = field(default_factory=dict)


TABLES = ("cases", "sources", "lessons", "facts", "documents", "passages", "candidates",
          "embeddings")


def collect(db_path: Path) -> Stats:
    conn = connect_readonly(db_path)
    try:
        totals = {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in TABLES}
        by_case: dict[str, dict[str, int]] = {}
        for case, kind, n in conn.execute(
                'select "case", kind, count(*) from items group by 1, 2 order by 1, 2'):
            by_case.setdefault(case, {})[kind] = n
        themes: Counter[str] = Counter()
        for (value,) in conn.execute("select themes from lessons"):
            themes.update(json.loads(value or "[]"))
        count = lambda col: dict(conn.execute(  # noqa: E731
            f"select {col}, count(*) from lessons group by 1 order by 2 desc"))
        return Stats(db=Path(db_path), size_bytes=Path(db_path).stat().st_size,
                     meta=read_meta(conn), totals=totals, by_case=by_case,
                     by_theme=dict(themes.most_common()), by_stage=count("stage"),
                     by_outcome=count("outcome"), by_strength=count("strength"))
    finally:
        conn.close()
