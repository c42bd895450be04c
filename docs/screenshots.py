"""Make the README's pictures: docs/tui.svg (the terminal UI, saved by Textual) and
docs/browser.png (the search page, by headless Chromium). Both show "VAT risk of LLP".

    .venv/bin/python docs/screenshots.py [--db data/lessons.db]

Needs a built database and, for the browser picture, Debian's chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb import config  # noqa: E402

DOCS = Path(__file__).resolve().parent
QUERY = "VAT risk of LLP"
CHROMIUM = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", "--window-size=1100,900"]


async def tui_picture(db: Path) -> Path:
    from tui.app import LessonsApp

    app = LessonsApp(db)
    async with app.run_test(size=(120, 32)) as pilot:
        await app.workers.wait_for_complete()  # the model, so the answer is hybrid
        await pilot.press(*QUERY)
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        return Path(app.save_screenshot(filename="tui.svg", path=str(DOCS)))


def browser_picture(db: Path) -> Path:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kb = Path(sys.executable).parent / "kb"
    server = subprocess.Popen([str(kb), "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/-/search?q={QUERY.replace(' ', '+')}"
    try:
        for _ in range(240):  # until the server answers by meaning (the model has loaded)
            try:
                if json.load(urllib.request.urlopen(url + "&_json=1", timeout=5))["mode"] == "hybrid":
                    break
            except OSError:
                pass
            time.sleep(0.5)
        target = DOCS / "browser.png"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", f"--screenshot={target}",
                            url], check=True, capture_output=True, timeout=120)
        return target
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=config.default_db())
    args = parser.parse_args()
    print(f"wrote {asyncio.run(tui_picture(args.db))}")
    print(f"wrote {browser_picture(args.db)}")


if __name__ == "__main__":
    main()
