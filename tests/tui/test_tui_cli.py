"""`kb` alone opens the terminal UI, and `kb --db PATH --data DIR` opens it on those."""

from __future__ import annotations

from click.testing import CliRunner

from kb.cli import cli


def test_kb_with_db_and_data_opens_the_tui_on_them(monkeypatch, tmp_path, tui_db):
    import tui.app

    opened = []

    class Recording(tui.app.LessonsApp):
        def run(self):  # the real app is made; only its event loop is not started
            opened.append((self.db_path, self.data_dir))

    monkeypatch.setattr(tui.app, "LessonsApp", Recording)
    data = tmp_path / "data"
    data.mkdir()
    result = CliRunner().invoke(cli, ["--db", str(tui_db), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert opened == [(tui_db, data)]


def test_kb_db_before_a_command_applies_to_it(tui_db, tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "stats"])
    assert "No database at" in str(result.exception) + result.output
    result = CliRunner().invoke(cli, ["--db", str(tui_db), "stats"])
    assert result.exit_code == 0, result.output
