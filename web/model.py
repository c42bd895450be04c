"""The embedding model, loaded once per process however many Datasette instances use it.

Loading takes about half a second of CPU, so the plugin does it in a background thread
(site.py) while the server already answers; this lock makes every other caller share
that one load instead of starting its own.
"""

from __future__ import annotations

import threading

from kb.embeddings import Embedder, load_embedder

_lock = threading.Lock()
_embedder: Embedder | None = None


def shared_embedder() -> Embedder:
    """The process's embedder, loading it on first use (blocks: call it from a thread)."""
    global _embedder
    with _lock:
        if _embedder is None:
            _embedder = load_embedder()
        return _embedder
