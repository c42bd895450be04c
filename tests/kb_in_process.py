"""`kb` run in-process, as the `kb` script calls it (`kb.cli.main`: its error handling and
exit codes included), for the CLI tests of every area. With the `session_model` fixture
(tests/conftest.py) the command uses the session's loaded model: a process per call would
start Python and load the model each time (0.96 s against 0.10 s a call) and show nothing
more. What only a real process shows (a signal, a kill, bytes that are not UTF-8 in argv,
output to a pipe, a fresh virtual environment) runs one.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from click.testing import CliRunner

from kb.cli import main


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def kb(*args, env: dict | None = None, input: bytes | str | None = None,
       check: bool = True) -> Ran:
    """Run `kb ARGS…` with `env` added to the environment and `input` as its standard
    input; with `check`, fail unless it exits 0. Signal handlers a command sets (`kb ingest`
    makes SIGTERM interrupt like ctrl+c) are put back afterwards."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        with CliRunner().isolation(input=input, env=env) as (out, err, _):
            try:
                main([str(arg) for arg in args])
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            result = Ran(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    if check:
        assert result.returncode == 0, result.stderr
    return result
