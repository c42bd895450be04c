"""What one large or hostile file costs `kb ingest` before it is embedded or refused: the
bounded read (ingest/bounded.py) of text files of growing size, time and the reading
child's peak memory, which must grow linearly, and the zip-bomb check.

    .venv/bin/python bench/bounds.py [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.bounded import read_and_split  # noqa: E402
from ingest.readers import Unreadable  # noqa: E402
from tests.ingest.ingest_samples import generated_doc, write, write_docx_bomb  # noqa: E402

SIZES_MB = [5, 25, 50]  # the last just under --max-size's default
PARAGRAPHS_PER_MB = 1_900  # of generated_doc's prose as plain text, measured


def measure(fmt: str, data: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        _, passages = read_and_split(fmt, data)
        outcome = f"{len(passages):,} passages"
    except Unreadable as exc:
        outcome = str(exc)[:60]
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lessons-bounds-bench-"))
    print(f"== bounded read of plain text, median of {args.runs} ==")
    for size in SIZES_MB:
        path = write(work / f"text-{size}.txt", generated_doc(
            random.Random(size), size, sections=10, paragraphs=size * PARAGRAPHS_PER_MB // 10))
        data = path.read_bytes()
        runs = [measure("plain", data) for _ in range(args.runs)]
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{len(data) / 1e6:5.1f} MB: {statistics.median(t for t, _ in runs):6.2f} s, "
              f"children's peak so far {peak:5.0f} MB; {runs[0][1]}")
    bomb = write_docx_bomb(work / "bomb.docx", xml_mb=150)
    data = bomb.read_bytes()
    runs = [measure("word", data) for _ in range(args.runs)]
    print(f"docx bomb ({len(data) / 1e3:.0f} KB → 150 MB of XML): "
          f"{statistics.median(t for t, _ in runs) * 1000:.0f} ms; {runs[0][1]}")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
