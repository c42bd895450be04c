"""Sentence embeddings, fast to start: an ONNX export of a sentence-transformers model.

Importing sentence-transformers costs ~10 s (torch), far beyond a 1 s cold search. So the
model is exported once to ONNX (`export_onnx`, which is the only code here that touches
torch) and every process after that runs it with onnxruntime + tokenizers, which start in
well under a second. Pooling and normalisation follow the model's own sentence-transformers
config, so vectors match `SentenceTransformer.encode` (cosine ≥ 0.999, checked in tests).

Storage format (the `embeddings` table): one row per searchable item, `vector` is the
embedding as little-endian float32 bytes, `model` names the model, and `content_hash` is
the hash of the exact text embedded, so unchanged text is never embedded twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from kb import config
from kb.errors import ModelError

ONNX_FILE = "model.onnx"
SETTINGS_FILE = "embedder.json"
DTYPE = np.dtype("<f4")


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=DTYPE).tobytes()


def from_blobs(blobs: Iterable[bytes], dimensions: int) -> np.ndarray:
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype=DTYPE).reshape(-1, dimensions)


class Embedder:
    """Encodes text to L2-normalised float32 vectors with an exported ONNX model."""

    def __init__(self, export_dir: Path, *, threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        settings = json.loads((export_dir / SETTINGS_FILE).read_text())
        self.name: str = settings["name"]
        self.dimensions: int = settings["dimensions"]
        self.max_length: int = settings["max_seq_length"]
        self._normalize: bool = settings["normalize"]
        self._pooling: str = settings["pooling"]
        self._tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(export_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def encode(self, texts: list[str], *, batch_size: int = 32, progress=None) -> np.ndarray:
        """Embed `texts` in batches of similar length (less padding); `progress(n)` is
        called after each batch with the number of texts just embedded."""
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            out[batch] = self._encode_batch([texts[i] for i in batch])
            if progress:
                progress(len(batch))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self._encode_batch([text])[0]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:  # mean over real tokens, as sentence-transformers' Pooling does
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self._normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32)


def model_name(model_dir: Path) -> str:
    """A stable name for the model; the packaged one is all-MiniLM-L6-v2."""
    if model_dir.name == "model" and model_dir.parent.name == config.PACKAGED_MODEL:
        return "all-MiniLM-L6-v2"
    return model_dir.resolve().name


def export_dir_for(model_dir: Path) -> Path:
    weights = [p for p in sorted(model_dir.iterdir()) if p.suffix in {".safetensors", ".bin"}]
    stamp = "|".join([str(model_dir.resolve())] + [f"{p.name}:{p.stat().st_size}" for p in weights])
    key = hashlib.sha1(stamp.encode()).hexdigest()[:12]
    return config.cache_dir() / "onnx" / f"{model_name(model_dir)}-{key}"


def resolve_model_dir(model_dir: Path | None = None) -> Path:
    """`model_dir`, else the configured model (config.model_dir()); ModelError in one
    sentence when there is none. Cheap: nothing is loaded."""
    model_dir = model_dir or config.model_dir()
    if model_dir is None or not (model_dir / "config.json").exists():
        raise ModelError(
            f"No embedding model found at {model_dir or 'the packaged all-MiniLM-L6-v2'}: "
            f"install the project (make run) or set {config.MODEL_ENV} to a sentence-transformers "
            "model directory.")
    return model_dir


def check_same_model(built_with: str | None, model: str) -> None:
    """Vectors of two models cannot be compared: refuse to mix them in one database."""
    if built_with and built_with != model:
        raise ModelError(f"The database was embedded with {built_with} but the model "
                         f"configured is {model}: run `kb build --force`.")


def load_embedder(model_dir: Path | None = None) -> Embedder:
    """The embedder for `model_dir` (default: the configured model), exporting it first if
    this machine has not yet done so. Raises ModelError with one sentence if it can't."""
    model_dir = resolve_model_dir(model_dir)
    target = export_dir_for(model_dir)
    if not (target / SETTINGS_FILE).exists():
        export_onnx(model_dir, target)
    return Embedder(target)


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the transformer of a sentence-transformers model to ONNX (needs torch, once).

    Written to a temporary directory and renamed into place, so a concurrent process never
    sees half an export."""
    print(f"Preparing the embedding model {model_name(model_dir)} for fast start-up "
          "(one-off ONNX export, about 15 s)…", file=sys.stderr)
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(f"Exporting the model needs torch and sentence-transformers ({exc}).") from None

    try:
        st_model = SentenceTransformer(str(model_dir), device="cpu")
    except Exception as exc:  # a directory that is not a complete model
        raise ModelError(f"Could not load the model at {model_dir} ({type(exc).__name__}: "
                         f"{str(exc)[:200]}).") from None
    transformer = st_model[0].auto_model.eval()
    pooling = _pooling_mode(model_dir)
    normalize = any(type(m).__name__ == "Normalize" for m in st_model)

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    work.chmod(0o755)
    try:
        sample = st_model.tokenizer(["an example sentence", "another"], padding=True,
                                    return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)

        class Wrapped(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        with torch.no_grad():
            torch.onnx.export(
                Wrapped(transformer), tuple(sample[n] for n in names), str(work / ONNX_FILE),
                input_names=names, output_names=["last_hidden_state"],
                dynamic_shapes={n: {0: batch, 1: seq} for n in names}, dynamo=True,
                external_data=False)
        shutil.copy(model_dir / "tokenizer.json", work / "tokenizer.json")
        (work / SETTINGS_FILE).write_text(json.dumps({
            "name": model_name(model_dir),
            "dimensions": st_model.get_embedding_dimension(),
            "max_seq_length": st_model.max_seq_length,
            "pooling": pooling,
            "normalize": normalize,
            "source": str(model_dir.resolve()),
        }, indent=2))
        try:
            os.rename(work, target)
        except OSError:  # another process finished first: its export is as good as ours
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _pooling_mode(model_dir: Path) -> str:
    for path in model_dir.glob("*Pooling*/config.json"):
        settings = json.loads(path.read_text())
        if settings.get("pooling_mode_cls_token"):
            return "cls"
    return "mean"
