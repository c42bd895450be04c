"""Where things live: the database, the data directory, the model and its ONNX export.

Every default can be overridden by environment variable, and every command takes
`--db`; nothing here imports anything heavy, because `kb search` starts cold.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "LESSONS_DB"
DATA_ENV = "LESSONS_DATA"
MODEL_ENV = "LESSONS_MODEL"
CACHE_ENV = "LESSONS_CACHE"

# The project root when run from a checkout; data/ and the database sit under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The default model, all-MiniLM-L6-v2 fine-tuned on the records' questions and plan signs,
# as one ONNX file with int8 weights, shipped beside its tokenizer (made by kb/finetune.py).
PACKAGED_MODEL_FILE = Path(__file__).resolve().parent / "minilm" / "model.onnx"


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


def packaged_model_file() -> Path:
    """The packaged model's ONNX file (tests point it elsewhere)."""
    return PACKAGED_MODEL_FILE


def cache_dir() -> Path:
    """Where the ONNX export of the model is kept (made once, reused by every process)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "lessons")
