"""What the plugin keeps for each Datasette that serves a lessons database.

- One search engine (kb.search) over the database file, the same engine as `kb search`.
- The embedding model, loaded in a thread at startup so that the event loop never
  waits for it; until it is ready, searches get keyword results with a notice.
- Following rebuilds: `kb build` renames a new file over the old one, and Datasette's
  read-only connections would keep reading the old, unlinked file for ever. Datasette 0.65
  keeps one connection per SQL thread and database name, so before each request the
  file's inode is checked and, when it changed, Datasette gets a fresh Database object and
  fresh SQL threads, which open the new file. The old threads finish what they are doing
  and exit, and then their connections to the old file are closed. (An ingest writes to
  the same file, which read-only connections see by themselves.)
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from datasette.database import Database

from kb.catalog import Catalog
from kb.check import PlanChecker
from kb.database import signature
from kb.errors import KbError
from kb.search import Filters, Results, SearchEngine
from web.model import shared_embedder

if TYPE_CHECKING:  # datasette.app imports this plugin: import it for types only
    from datasette.app import Datasette

# The name Datasette serves the database under: metadata.yml and every link rely on it.
DATABASE = "lessons"


class Site:
    """Keeps no reference to its Datasette (given to follow_rebuild instead): a Site is the
    value of a weak-keyed dictionary, and holding its key would keep both alive for ever."""

    def __init__(self, path: Path):
        self.path = path
        self.engine = SearchEngine(path, embedder_loader=shared_embedder)
        self.checker = PlanChecker(self.engine)  # /-/check: the same engine and model
        self.catalog = Catalog(path)  # whole records for the lesson pages
        self.model_error: str | None = None
        self._inode = _inode(path)

    # -- the model ------------------------------------------------------------------
    def start_loading_model(self) -> None:
        # Not a daemon: a process told to stop while the model loads waits for the load to
        # end (a second at most) rather than aborting inside onnxruntime.
        threading.Thread(target=self._load_model, name="lessons-model").start()

    def _load_model(self) -> None:
        try:
            self.engine.warm_up()  # keyword searches go on meanwhile
        except KbError as exc:
            self.model_error = str(exc)
        except Exception:
            self.model_error = "the embedding model failed to load (see the server's log)"
            raise

    def search(self, query: str, *, mode: str, limit: int, filters: Filters) -> Results:
        """Search without waiting for the model (blocking: call it from a thread)."""
        if self.model_error and mode != "keyword":
            results = self.engine.search(query, mode="keyword", limit=limit, filters=filters)
            results.notice = f"Semantic search is unavailable ({self.model_error}): keyword results."
            return results
        return self.engine.search(query, mode=mode, limit=limit, filters=filters,
                                  wait_for_model=False)

    # -- rebuilds -------------------------------------------------------------------
    def follow_rebuild(self, datasette: Datasette) -> None:
        """Serve the new file if the database was replaced (call on the event loop)."""
        inode = _inode(self.path)
        if inode is None or inode == self._inode:
            return
        self._inode = inode
        old = datasette.databases[DATABASE]
        # Only these: a request begun before the swap may still open one on the new file.
        retired = list(old._all_file_connections)
        datasette.remove_database(DATABASE)
        datasette.add_database(Database(datasette, path=str(self.path), is_mutable=old.is_mutable),
                               name=DATABASE)
        executor = datasette.executor
        if executor is not None:
            datasette.executor = ThreadPoolExecutor(
                max_workers=datasette.setting("num_sql_threads"))
        threading.Thread(target=_close_after, args=(executor, retired), daemon=True).start()


def _close_after(executor: ThreadPoolExecutor | None, connections: list) -> None:
    """Close the connections once the threads that used them have finished their work."""
    if executor is not None:
        executor.shutdown(wait=True)
    for conn in connections:
        conn.close()


def _inode(path: Path) -> int | None:
    sig = signature(path)
    return sig[0] if sig else None


# Datasette instance → its Site, or the reason it has none (for the search page to show).
_sites: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach(datasette: Datasette) -> Site | None:
    """Set up the Site for a Datasette serving a database named "lessons" (at startup)."""
    database = datasette.databases.get(DATABASE)
    if database is None or not database.path:
        _sites[datasette] = f'This Datasette serves no database named "{DATABASE}".'
        return None
    try:
        site = Site(Path(database.path))
    except KbError as exc:
        _sites[datasette] = str(exc)
        return None
    _sites[datasette] = site
    return site


def site_for(datasette: Datasette) -> Site | str:
    """The Site, or a sentence saying why there is none."""
    return _sites.get(datasette, "The lessons plugin has not started yet.")
