"""The ONNX embedder gives the sentence-transformers model's vectors, without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kb import config
from kb.embeddings import content_hash, from_blobs, to_blob

TEXTS = ["VAT risk of LLP", "GP engagement in Dudley",
         "The trusts formed an LLP to give the CCG a single contracting entity. " * 20, "é"]


@pytest.mark.slow
def test_matches_sentence_transformers(embedder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(config.model_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True)
    ours = embedder.encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.all(np.sum(ours * reference, axis=1) >= 0.999)


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
