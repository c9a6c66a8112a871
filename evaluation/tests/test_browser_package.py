"""Chromium: the evaluator asks for the package, watches its progress and downloads it."""

import threading
import time
import zipfile

import pytest
from django.db import connection
from playwright.sync_api import expect

from evaluation import package
from evaluation.models import PackageBuild

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots-5"


@pytest.fixture
def slow_worker(monkeypatch):
    """Stands in for the Celery worker: builds queued packages in a thread, a little slowly, so the page
    shows the progress between tables."""
    from evaluation import tasks
    from evaluation.views import package as views

    real_build = package.build

    def slow_build(*args, progress=None, **kwargs):
        def slowly(done, total, name):
            progress(done, total, name)
            time.sleep(0.6)

        return real_build(*args, progress=slowly, **kwargs)

    threads = []

    def run(build_id):
        try:
            time.sleep(1)  # the page shows the build waiting to start first
            tasks.build_package(build_id)
        finally:
            connection.close()

    def queue(task, build):
        thread = threading.Thread(target=run, args=(build.pk,))
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(package, "build", slow_build)
    monkeypatch.setattr(views, "_queue", queue)
    yield threads
    for thread in threads:
        thread.join(timeout=60)


def test_the_evaluator_requests_the_package_sees_its_progress_and_downloads_it(
    page, cast, package_data, browser_login, slow_worker, tmp_path
):
    browser_login("evaluator@programme.example")
    page.get_by_role("link", name="The evaluator's data package").click()
    expect(page.get_by_role("heading", name="Evaluator data package")).to_be_visible()
    expect(page.get_by_text("No version has been built yet")).to_be_visible()
    page.get_by_role("button", name="Build the package").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Version 1: waiting to start")
    page.screenshot(path=f"{SHOTS}/package-queued-1280.png", full_page=True)
    # htmx asks again every 2 seconds: the tables done go up while it builds.
    expect(status).to_contain_text("tables done (now writing", timeout=15_000)
    page.screenshot(path=f"{SHOTS}/package-running-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/package-running-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    link = page.get_by_role("link", name="Download version 1 of the package")
    expect(link).to_be_visible(timeout=45_000)
    expect(page.get_by_role("row", name="1").get_by_text("Ready")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)  # the polling stopped with the build
    page.screenshot(path=f"{SHOTS}/package-ready-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/package-ready-390.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=f"{SHOTS}/package-ready-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "amhe-evaluation-test-wave-v1.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert {"series.csv", "data_dictionary.csv", "README.txt", package.WORKBOOK} <= set(archive.namelist())
    assert PackageBuild.objects.get().status == "ready"
    assert page.console_errors == []


def test_the_package_page_has_no_axe_violations_empty_building_and_with_versions(axe_page, cast, package_data):
    from django.utils import timezone

    from conftest import totp_code
    from evaluation import tasks
    from tests.browser.test_accessibility import violations

    def audit(state):
        assert axe_page.goto("/evaluation/package/").status == 200, state
        axe_page.wait_for_load_state("networkidle")
        return [f"{state}: {v}" for v in violations(axe_page)]

    axe_page.goto("/accounts/login/")
    axe_page.get_by_label("Email").fill("evaluator@programme.example")
    axe_page.get_by_label("Password").fill("correct-horse-battery")
    axe_page.get_by_role("button", name="Sign in").click()
    axe_page.get_by_label("Code", exact=True).fill(totp_code())
    axe_page.get_by_role("button", name="Sign in").click()
    problems = audit("no version yet")
    expect(axe_page.get_by_text("No version has been built yet")).to_be_visible()

    ready = PackageBuild.objects.create(collaborative=cast.collaborative, version=1, requested_by=cast.evaluator)
    tasks.build_package(ready.pk)
    PackageBuild.objects.create(
        collaborative=cast.collaborative,
        version=2,
        status="failed",
        error="The worker stopped.",
        finished_at=timezone.now(),
    )
    PackageBuild.objects.create(
        collaborative=cast.collaborative,
        version=3,
        status="running",
        tables_done=4,
        tables_total=len(package.TABLES),
        current_table="series",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    problems += audit("ready, failed and building versions")
    expect(axe_page.get_by_role("link", name="Download version 1 of the package")).to_be_visible()
    expect(axe_page.get_by_role("status")).to_contain_text("4 of")
    assert problems == [], "\n".join(problems)
