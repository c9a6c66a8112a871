"""What must never be committed, and the lock files' promise."""

import json
import re
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
    for name in LOCKS:
        # No URL of any scheme, nor a direct reference ("name @ ..."); a package may have "http" in its name.
        text = (ROOT / name).read_text()
        assert re.search(r"[a-z+]+://|\s@\s|^-(e|i|f|-index-url|-find-links|-extra-index-url)\b", text, re.M) is None, (
            name
        )


LOCKS = ("requirements.lock", "requirements-dev.lock")
TEST_TOOLS = {"pytest", "pytest-django", "pytest-xdist", "playwright", "hypothesis", "ruff"}


def _pins(name: str) -> dict[str, str]:
    lines = [line for line in (ROOT / name).read_text().splitlines() if line and not line.startswith(("#", "-r "))]
    pins = {}
    for line in lines:
        assert "==" in line, f"{name}: {line}"
        package, version = line.split("==")
        pins[package.lower().replace("_", "-")] = version
    return pins


def test_every_requirement_is_pinned_exactly():
    for name in LOCKS:
        assert _pins(name), name


def test_the_production_image_installs_no_test_tools():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert TEST_TOOLS & set(runtime) == set()
    assert TEST_TOOLS <= set(dev)
    assert set(runtime) & set(dev) == set(), "a package is pinned twice"
    assert "-r requirements.lock" in (ROOT / "requirements-dev.lock").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile
