"""The one shape of a progress report, from the model's batches to the bars of the
front-ends (the CLI's rich bar, the TUI's ProgressBar):

    progress(advance, total=…, label=…)

`advance` items more are done; a `total` given starts the count again out of that many;
a `label` says what is being worked on now (a file's name). The model's encoder reports
only `advance` (kb.embeddings), so a build passes the front-end's callback straight down
to it after announcing the total, and an ingest reports a file at a time.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, advance: int = 0, *, total: int | None = None,
                 label: str | None = None) -> None: ...
