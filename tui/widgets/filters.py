"""The side panel of the search screen: search mode, kind of record, case, theme, stage,
outcome and strength of evidence. Any change posts `FilterPanel.Changed`; the panel answers with the engine's
own `Filters` and mode, so the screen never reads the widgets itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Label, RadioButton, RadioSet, Select

from kb.search import MODES, Filters

from kb.labels import outcome_choices, stage_choices, strength_choices, theme_choices

ALL_KINDS = "all"
# The default shows lessons and the passages of the user's own documents (`kb ingest`), as
# `kb search` does; facts and cases are one key away.
DEFAULT_KIND = "lesson+passage"
KIND_CHOICES = [("Lessons and documents", DEFAULT_KIND), ("Lessons", "lesson"),
                ("Facts", "fact"), ("Cases", "case"), ("Document passages", "passage"),
                ("Everything", ALL_KINDS)]
FILTERS = ("case", "theme", "stage", "outcome", "strength")  # the Selects that start as "any"
PICK_KEYS = {"kind": "k", "case": "c", "theme": "t", "stage": "s", "outcome": "o",
             "strength": "v"}  # open a list ("v": evidence)


class FilterPanel(VerticalScroll, can_focus=False):
    class Changed(Message):
        """The mode or a filter changed: read them from `mode` and `filters`."""

    def __init__(self, cases: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self._cases = cases  # (name, slug)

    def compose(self) -> ComposeResult:
        yield Label("Mode [dim]ctrl+t[/]")
        with RadioSet(id="mode", compact=True):
            for mode in MODES:
                yield RadioButton(mode, value=mode == MODES[0], name=mode)
        yield Label(f"Show [dim]{PICK_KEYS['kind']}[/]")
        yield Select(KIND_CHOICES, id="kind", allow_blank=False, value=DEFAULT_KIND, compact=True)
        for name, choices in (("case", self._cases), ("theme", theme_choices()),
                              ("stage", stage_choices()), ("outcome", outcome_choices()),
                              ("strength", strength_choices())):
            yield Label(f"{name.title()} [dim]{PICK_KEYS[name]}[/]")
            yield Select(choices, id=name, prompt=f"any {name}", compact=True)

    @property
    def mode(self) -> str:
        pressed = self.query_one("#mode", RadioSet).pressed_button
        return pressed.name if pressed is not None else MODES[0]

    @mode.setter
    def mode(self, mode: str) -> None:
        for button in self.query(RadioButton):
            if button.name == mode:
                button.value = True  # the RadioSet releases the others

    @property
    def filters(self) -> Filters:
        values = {name: self.query_one(f"#{name}", Select).value for name in FILTERS}
        kind = self.query_one("#kind", Select).value
        return Filters.of(kind=None if kind == ALL_KINDS else kind.split("+"),
                          **{k: v for k, v in values.items() if v is not Select.NULL})

    def set_filter(self, name: str, value: str | None) -> None:
        """Set one filter (None: any); the Select's change message reruns the search."""
        self.query_one(f"#{name}", Select).value = Select.NULL if value is None else value

    def clear(self) -> None:
        for name in FILTERS:
            self.set_filter(name, None)
        self.query_one("#kind", Select).value = DEFAULT_KIND

    def summary(self) -> str:
        """The active filters in words, for the status line when the panel is hidden."""
        filters = self.filters
        parts = [f"{name} {', '.join(sorted(getattr(filters, name)))}"
                 for name in FILTERS if getattr(filters, name)]
        if filters.kind != set(DEFAULT_KIND.split("+")):
            parts.insert(0, ", ".join(sorted(filters.kind)) or "everything")
        return "; ".join(parts)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def _changed(self) -> None:
        self.post_message(self.Changed())
