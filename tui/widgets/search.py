"""The search area: the box a user types in, the status line, the preview of the
highlighted result and the welcome shown before the first query."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from kb.relevance import NOT_ANSWERED
from kb.search import Hit, Results

from kb.labels import outcome_name, outcome_style, stage_name, strength_style

PREVIEW_CHARS = 320


class SearchBox(Input):
    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="Search lessons, e.g. GP engagement", **kwargs)

    def on_mount(self) -> None:
        # A blinking cursor in a headless run (tests, snapshots) only adds nondeterminism.
        self.cursor_blink = not self.app.is_headless


class SearchStatus(Widget):
    """How many results, in which mode, how long it took; the model's state; the shortlist.
    Each is a reactive: setting one redraws the line."""

    results: reactive[Results | None] = reactive(None, always_update=True)
    took = reactive(0.0)
    semantic = reactive("loading")  # loading, ready or unavailable
    shortlisted = reactive(0)
    filters = reactive("")
    error = reactive("")

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        if self.error:
            line.append(self.error, "bold red")
        elif self.results is not None:
            results = self.results
            if results.hits and not results.answered:
                line.append(NOT_ANSWERED, "bold yellow")
                line.append(f" {len(results.hits)}")
            else:
                strong = results.strong
                line.append(f"{strong} strong match{'' if strong == 1 else 'es'}", "bold")
                line.append(f", {len(results.hits) - strong} more")
            line.append(f" · {results.mode} · {self.took * 1000:.0f} ms")
            if results.searched_for:
                line.append(f" · searched for: {results.searched_for}", "yellow")
            if results.notice:
                line.append(" · keyword only until the model loads", "yellow")
        else:
            line.append("Type to search", "dim")
        if self.filters:
            line.append(f" · {self.filters}", "magenta")
        line.append("   semantic ", "dim")
        line.append(self.semantic, "green" if self.semantic == "ready" else "yellow")
        if self.shortlisted:
            line.append(f" · ★ {self.shortlisted} shortlisted", "yellow")
        return line


class ResultPreview(Static):
    """The highlighted result in a few lines: enough to decide whether to open it."""

    def show(self, hit: Hit | None) -> None:
        if hit is None:
            self.update("")
            return
        text = Text()
        text.append(hit.title, "bold")
        text.append("\n")
        if hit.outcome:
            text.append(outcome_name(hit.outcome), outcome_style(hit.outcome))
            text.append(" · ")
        if hit.strength:
            text.append(f"{hit.strength} evidence", strength_style(hit.strength))
            text.append(" · ")
        text.append(" · ".join(filter(None, [hit.case, stage_name(hit.stage), hit.kind])), "dim")
        text.append("\n" + hit.snippet(PREVIEW_CHARS) + "\n")
        text.append(f"source: {hit.source_line} · {hit.why} · {hit.band} match, "
                    f"score {hit.score:.2f}", "dim")
        self.update(text)


class Welcome(Static):
    """What the app holds and how to start, before anything is typed."""

    def show(self, lessons: int, facts: int, cases: int) -> None:
        self.update(Text.assemble(
            ("lessons", "bold"), " — lessons learned from NHS commissioning of integrated care\n\n",
            f"{lessons} lessons and {facts} facts from {cases} cases. Start typing to search:\n",
            "results update as you type, ranked by meaning and by words.\n\n",
            ("↓", "bold"), " goes to the results, where ", ("enter", "bold"), " opens one and ",
            ("space", "bold"), " adds it to the shortlist\n",
            ("ctrl+f", "bold"), " filters   ", ("ctrl+b", "bold"), " browses cases and themes   ",
            ("ctrl+l", "bold"), " shows the shortlist\n",
            ("F1", "bold"), " help   ", ("ctrl+p", "bold"), " every command   ",
            ("ctrl+c", "bold"), " quits"))
