"""`make bench`: every benchmark script in turn, each printing its own figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["core.py", "retrieval.py", "ingest.py", "bounds.py", "tui.py", "web.py"]

if __name__ == "__main__":
    failed = []
    for name in SCRIPTS:
        print(f"\n######## {name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)]).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
