"""The terminal UI: instant lesson lookup for a planning meeting (`kb`, `kb tui`).

`app.LessonsApp` composes the screens (`screens/`, one module each), built from widgets
grouped by area (`widgets/`) and styled by `styles/*.tcss`. Searches and the model load
run in `@work` workers; screens talk through the typed messages in `messages.py`. Records
are read for display through `catalog.Catalog`; the shortlist becomes a Markdown meeting
briefing through `briefing`.
"""
