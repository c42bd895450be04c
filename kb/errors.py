"""Errors a user can act on.

Anything raised as a `KbError` is printed by the CLI as its message alone, with a
non-zero exit: no traceback. Everything else is a bug and keeps its traceback.
"""


class KbError(Exception):
    """A problem with the user's input, data or set-up, stated in one sentence."""


class DatabaseError(KbError):
    pass


class ModelError(KbError):
    pass


class QueryError(KbError):
    pass


class RecordError(KbError):
    """A malformed record: which file, which line, which field, what was expected."""

    def __init__(self, path, line: int | None, field: str, problem: str):
        self.path, self.line, self.field, self.problem = str(path), line, field, problem
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {field}: {problem}")


class RecordErrors(KbError):
    """Every problem found in the case files, so a curator fixes them in one pass."""

    def __init__(self, errors: list[RecordError]):
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{len(errors)} problem(s) in the case files:\n{lines}")
