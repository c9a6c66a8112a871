"""What must never be committed, and the lock files' promise."""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tracked_files() -> list[str]:
    result = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_no_built_assets_databases_or_virtualenvs_are_tracked():
    for name in tracked_files():
        assert not name.startswith(("node_modules/", ".venv/", "static/vendor/", "staticfiles/")), name
        assert not name.endswith((".sqlite3", ".pyc")), name


def test_lock_files_record_no_download_urls():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, package in lock["packages"].items():
        assert "resolved" not in package, name
    assert "http" not in (ROOT / "requirements.lock").read_text()


def test_every_requirement_is_pinned_exactly():
    lines = [
        line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines
    for line in lines:
        assert "==" in line, line
