"""The lessons a user collects during a meeting, in the order they were picked."""

from __future__ import annotations


class Shortlist:
    def __init__(self) -> None:
        self._ids: dict[str, None] = {}  # an ordered set

    def set(self, lesson_id: str, included: bool) -> None:
        """Put the lesson in the list (at the end, if it was not there) or take it out."""
        if not included:
            self._ids.pop(lesson_id, None)
        elif lesson_id not in self._ids:
            self._ids[lesson_id] = None

    def clear(self) -> None:
        self._ids.clear()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ids)

    def __contains__(self, lesson_id: object) -> bool:
        return lesson_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)
