"""The runtime install, as `make run` makes it: no torch, and search works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from kb import config

# What a fresh clone holds, less what set-up and tests make in it.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "*.db", "*.egg-info", "__pycache__",
                                    ".pytest_cache", "build")


@pytest.mark.slow
def test_the_runtime_installs_without_torch_and_searches(tmp_path, built_db):
    """A fresh virtual environment with the runtime dependencies only, installed as `make
    setup` installs them (tools/pip_progress.py: pip with a line of progress) from
    the local package cache (the pinned versions of requirements.lock), and the project as
    a wheel, so the shipped tokenizer must be in the package: torch cannot be imported
    there, and `kb search` answers by meaning."""
    source = tmp_path / "source"
    shutil.copytree(config.PROJECT_ROOT, source, ignore=NOT_SOURCE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, kb = venv / "bin" / "python", venv / "bin" / "kb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONS_")}
    # As `make setup` runs pip: progress on one line, and nothing alarming (the licence
    # deprecation banners of a non-SPDX licence, say).
    setup = subprocess.run([str(python), str(source / "tools" / "pip_progress.py"), "-c",
                            str(source / "requirements.lock"), str(source)], capture_output=True,
                           text=True, env={**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
                           timeout=900)
    assert setup.returncode == 0, setup.stdout
    assert "resolving [1]" in setup.stdout and "installing " in setup.stdout
    assert re.search(r"installed \d+ packages \(\d+ resolved\) in \d+ s", setup.stdout)
    assert not re.search(r"licen[cs]e|deprecat|error", setup.stdout, re.IGNORECASE), setup.stdout

    for module in ("torch", "sentence_transformers", "transformers", "onnx"):
        probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True,
                               text=True, cwd=tmp_path, env=env)
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, module

    out = subprocess.run([str(kb), "search", "--db", str(built_db), "--mode", "semantic",
                          "--limit", "3", "VAT risk of LLP"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Nobody funded the VAT" in out.stdout
