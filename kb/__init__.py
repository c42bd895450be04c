"""lessons: a knowledge base of lessons learned from NHS commissioning of integrated care.

`kb` is the core (records, database schema, embeddings, search and the `kb` command);
`ingest` and `tui` build on it and are never imported from here.
"""

__version__ = "0.1.0"
