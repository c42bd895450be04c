"""The browser front-end: Datasette with the project's metadata.yml and a plugin.

`kb serve` (commands.py) starts Datasette on the database, read-only (server.py). The
plugin (plugin.py, registered as the Datasette entry point `lessons`) adds the semantic
search page (search_page.py), the home and lesson pages' extra content (pages.py), and
keeps serving across a rebuild (site.py). Everything searches through kb.search, so a
query ranks the same here as in `kb search` and the TUI.
"""

from kb import config

# The name Datasette serves the database under: metadata.yml and every link rely on it.
DATABASE = "lessons"
METADATA = config.PROJECT_ROOT / "metadata.yml"
