"""`kb search` piped to a file or another program writes plain lines."""

from __future__ import annotations

import os
import subprocess
import sys

KB = [sys.executable, "-m", "kb.cli"]


def test_search_output_that_is_not_a_terminal_is_plain(built_db):
    long_query = "do we have enough staff to run a complex procurement alongside the day job"
    result = subprocess.run([*KB, "search", "--db", str(built_db), "--limit", "3", long_query],
                            capture_output=True, text=True, check=True, timeout=120,
                            env={**os.environ, "COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[0].startswith(long_query + "  · hybrid · 3 hits · "), "the header is one line"
    assert not [line for line in lines if line != line.rstrip()], "no padding to the width"
    assert "\x1b[" not in result.stdout, "no terminal styles"
    assert max(len(line) for line in lines) > 80, "a long line is written whole, not wrapped"
