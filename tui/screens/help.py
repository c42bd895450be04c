"""What the app does and every key, one screen (`?` or F1)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from kb.labels import outcome_legend

HELP = f"""\
# lessons: help

Lessons learned from NHS commissioning of integrated care. Type in the search box:
results update as you type, ranked by meaning and by words (**hybrid**), or by
**semantic** or **keyword** alone. Until the model has loaded (about a second), results
are by keyword.

Plain letters work outside the search box; the `ctrl` keys work everywhere.

In a list, the mark before a title is the lesson's outcome ({outcome_legend()}, also
in the header); ★ marks a lesson in the shortlist. A document passage shows its
document and where in it (page, slide or section).

| Where | Key | Does |
|---|---|---|
| anywhere | `ctrl+p` | command palette: every action, open a case, browse a theme |
| anywhere | `F1`, `?` | this help |
| anywhere | `ctrl+c`, `q` | quit |
| search box | `↓`, `enter` | go to the results (`↑` on the first result comes back) |
| search | `/`, `esc` | back to the search box (`esc` in the box clears it) |
| search | `ctrl+f` | show or hide the filter panel |
| search | `ctrl+t`, `m` | switch mode: hybrid, semantic, keyword |
| search | `k` `c` `t` `s` `o` `v` | pick kind, case, theme, stage, outcome, strength of evidence |
| search | `r` | clear the filters |
| a list | `enter`, click twice | open the record |
| a list | `space`, `a` | add the lesson to the shortlist, or take it out |
| a list | `y` | copy the lesson to the clipboard as Markdown |
| lesson | `o` | the case overview |
| case | `1` `2` `3` `4` | overview, lessons, facts, timeline |
| browse | `1` `2` | cases, themes |
| anywhere | `ctrl+b`, `b` | browse cases and themes |
| anywhere | `ctrl+l`, `l` | the shortlist (`d` removes, `x` clears) |
| anywhere | `ctrl+s`, `e` | export the shortlist as a Markdown briefing |
| anywhere | `ctrl+o` | check a plan (its file) against every lesson (also `kb tui --check FILE`) |
| plan review | `1` `2` `3` | red flags, gaps, covered (`enter` opens, `space` shortlists) |
| plan review | `m` | export the review as Markdown |
| anywhere | `esc`, `backspace` | back |

Copying uses the terminal's clipboard (OSC 52): most terminals support it, macOS
Terminal does not. The briefing groups lessons by their main theme, each with its case
and sources.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Markdown(HELP)
