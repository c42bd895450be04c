"""The lessons a user collects during a meeting, in the order they were picked."""

from __future__ import annotations


class Shortlist:
    def __init__(self) -> None:
        self._ids: dict[str, None] = {}  # an ordered set

    def toggle(self, lesson_id: str) -> bool:
        """Add the lesson, or remove it if it is there; True if it is now in the list."""
        if lesson_id in self._ids:
            del self._ids[lesson_id]
            return False
        self._ids[lesson_id] = None
        return True

    def clear(self) -> None:
        self._ids.clear()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ids)

    def __contains__(self, lesson_id: object) -> bool:
        return lesson_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)
