"""The query adapter: a linear map that moves a question's vector toward the lessons that
answer it, learned at build time from the records' own curated questions.

all-MiniLM-L6-v2 was trained on general text, so a councillor's "can the family doctors go
back to their old arrangements" lies about as near a lesson on sustaining general practice
as the lesson on keeping a route back to the GP contract. The records carry about a
thousand curated questions, each written for its own lesson, many in everyday words. A
384 × 384 matrix W, started at the identity and held near it (an L2 penalty on W − I), is
fitted so that each question's W·q is nearer in cosine to its own lesson than to any other
(softmax cross-entropy over all lessons at temperature TEMPERATURE; Adam, STEPS steps from
the identity, so the same records give the same matrix). A lesson is represented by the
mean of its event, lesson and recommendation vectors: what it says, never its questions.

Hybrid and semantic ranking read two more features from it (kb/relevance.py): each
candidate's cosine with W·q, and its closest part's. The model and every stored vector stay as they were; only
the query is moved, for one 384 × 384 product a search.

Measured with bench/ranking.py, cross-validated on the tune data (pseudo-queries scored
with adapters fitted without their own fold of questions, bench/pseudo.py), hybrid hit@1 on
public / lay tune / pseudo-queries: 0.831 / 0.873 / 0.707 without it, 0.823 / 0.905 / 0.721
with it. Held out, printed once with the design frozen (bench/retrieval.py): lay questions
0.815 to 0.833 (hit@3 0.889 to 0.944), the commissioners' questions 0.820 to 0.940. Chosen
among variants in a one-off trial (hit@1 on the same three sets, before the engine's
candidates included the adapted nearest): the lesson's mean part as target 0.823 / 0.905 /
0.723, its whole-text vector 0.819 / 0.900 / 0.716 (that text holds the questions), its text
less the questions (152 more vectors to embed) 0.831 / 0.905 / 0.725, a closed-form
least-squares map 0.823 / 0.896 / 0.723; PENALTY 0.01, 0.003 and 0.001 gave lay tune 0.908,
0.908 and 0.913 (targets: each lesson's text less the question asked): not sensitive;
TEMPERATURE 40 did better than 20 at each. The fit takes about 4 s on the 1,017 questions.
A larger adapter is no lever either: in a later one-off trial, ranking lessons by the adapted
features alone (closest part, whole record, their mean) on the public and lay tune
questions, which the fit never sees, a residual ReLU layer beside W (256 or 512 units) and
the mean of five matrices fitted on bootstrap samples gained at most three lay questions in
201 on the mean's hit@1 (0.831 → 0.841 and 0.846) and lost one and three public ones in 124.

Storage: the `adapters` table holds one row per model: `model` (the embedder's name),
`content_hash` (of the training vectors, their lessons and the settings below), `questions`
(how many it was fitted on) and `matrix` (W as little-endian float32, row-major). A build
reuses the previous database's row when the hash is unchanged; a database with no row (no
curated questions) searches with the identity.
"""

from __future__ import annotations

import hashlib
import sqlite3

import numpy as np

from kb.embeddings import DTYPE

PENALTY = 0.003
TEMPERATURE = 40.0
STEPS = 300
LEARNING_RATE = 0.002
QUESTION_PREFIX = "question-"
TABLE = "adapters"


def training_set(items: np.ndarray, names: list[str], vectors: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the lessons' part vectors (kb.items.lesson_parts: lesson rowid, part name and
    vector each): the curated questions' vectors, the index of each one's lesson, and each
    lesson's target vector (its other parts' normalised mean), one row per lesson."""
    asked = np.array([n.startswith(QUESTION_PREFIX) for n in names], dtype=bool)
    lessons, owner = np.unique(items, return_inverse=True)
    said = np.zeros((len(lessons), vectors.shape[1]), dtype=np.float64)
    np.add.at(said, owner[~asked], vectors[~asked])
    norms = np.linalg.norm(said, axis=1, keepdims=True)
    keep = norms[:, 0] > 0  # a lesson with no event, lesson or recommendation vector
    said[keep] /= norms[keep]
    questions = asked & keep[owner]
    return vectors[questions].astype(np.float32), owner[questions], said.astype(np.float32)


def content_hash(questions: np.ndarray, labels: np.ndarray, targets: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{PENALTY} {TEMPERATURE} {STEPS} {LEARNING_RATE}".encode())
    for array in (questions, labels.astype(np.int64), targets):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def fit(questions: np.ndarray, labels: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """W (float32) such that normalise(W·q) of each question is closest to its own lesson's
    target among all `targets`; the identity when there are no questions."""
    dims = targets.shape[1]
    eye = np.eye(dims, dtype=np.float32)
    if not len(questions):
        return eye.astype(DTYPE)
    rows = np.arange(len(questions))
    weights = eye.copy()
    first, second = np.zeros_like(weights), np.zeros_like(weights)
    beta1, beta2 = 0.9, 0.999
    for step in range(1, STEPS + 1):
        moved = questions @ weights.T
        norms = np.linalg.norm(moved, axis=1, keepdims=True)
        unit = moved / norms
        logits = TEMPERATURE * unit @ targets.T
        logits -= logits.max(axis=1, keepdims=True)
        chance = np.exp(logits)
        chance /= chance.sum(axis=1, keepdims=True)
        chance[rows, labels] -= 1.0  # d(mean cross-entropy)/d(logits), times the count
        toward = TEMPERATURE * (chance @ targets) / len(questions)
        toward = (toward - unit * (toward * unit).sum(axis=1, keepdims=True)) / norms
        gradient = toward.T @ questions + 2 * PENALTY * (weights - eye)
        first = beta1 * first + (1 - beta1) * gradient
        second = beta2 * second + (1 - beta2) * gradient ** 2
        weights -= LEARNING_RATE * (first / (1 - beta1 ** step)) / (
            np.sqrt(second / (1 - beta2 ** step)) + 1e-8)
    return weights.astype(DTYPE)


def apply(matrix: np.ndarray | None, vector: np.ndarray) -> np.ndarray:
    """The query's vector moved by the adapter and normalised again (unchanged without one)."""
    if matrix is None:
        return vector
    moved = matrix @ vector
    return (moved / (np.linalg.norm(moved) or 1.0)).astype(DTYPE)


def read(conn: sqlite3.Connection, model: str, dimensions: int) -> tuple[str, np.ndarray] | None:
    """(content hash, W) stored for `model`, or None (no row, or a database from before the
    adapter)."""
    try:
        row = conn.execute(f"select content_hash, matrix from {TABLE} where model = ?",
                           [model]).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None:
        return None
    return row[0], np.frombuffer(row[1], dtype=DTYPE).reshape(dimensions, dimensions)


def write(conn: sqlite3.Connection, model: str, items: np.ndarray, names: list[str],
          vectors: np.ndarray, *, reuse_from: sqlite3.Connection | None = None) -> str:
    """Fit the adapter on the parts given (or take the previous database's, when it was
    fitted on the same) and store it; says which, for the build's report."""
    questions, labels, targets = training_set(items, names, vectors)
    if not len(questions):
        return "no curated questions: no query adapter"
    digest = content_hash(questions, labels, targets)
    old = read(reuse_from, model, vectors.shape[1]) if reuse_from is not None else None
    reused = old is not None and old[0] == digest
    matrix = old[1] if reused else fit(questions, labels, targets)
    conn.execute(f"insert or replace into {TABLE} (model, content_hash, questions, matrix) "
                 "values (?, ?, ?, ?)", [model, digest, len(questions), matrix.tobytes()])
    return (f"query adapter {'reused' if reused else 'fitted'} "
            f"({len(questions)} curated questions)")
