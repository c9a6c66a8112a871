"""Requesting, building and downloading versions of the evaluator package."""

import io
import threading
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from evaluation import package
from evaluation.models import PackageBuild
from evaluation.tasks import build_package
from organisations.models import AuditEvent

PAGE = "/evaluation/package/"


def download_url(version):
    return reverse("evaluation:package_download", kwargs={"version": version})


@pytest.mark.django_db
def test_the_evaluator_builds_a_version_and_downloads_it_as_an_attachment(
    client, cast, package_data, django_capture_on_commit_callbacks
):
    sign_in(client, cast.evaluator)
    assert "No version has been built yet" in client.get(PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE)
    assert response.status_code == 302 and response["Location"] == PAGE
    build = PackageBuild.objects.get()
    # Celery runs inline in tests: the build is done by the time the page is read again.
    assert (build.version, build.status, build.requested_by) == (1, "ready", cast.evaluator)
    assert build.tables_done == build.tables_total == len(package.TABLES) and build.size > 0
    page = client.get(PAGE).content.decode()
    assert "Ready" in page and download_url(1) in page and "hx-trigger" not in page
    response = client.get(download_url(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="amhe-evaluation-test-wave-v1.zip"'
    data = b"".join(response.streaming_content)
    assert len(data) == build.size
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "series.csv" in archive.namelist() and "Version: 1" in archive.read("README.txt").decode()
    audit = list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).values_list("user", "summary"))
    assert (cast.evaluator.pk, "Requested the evaluator package v1 of Test wave") in audit
    assert (cast.evaluator.pk, "Downloaded the evaluator package v1 of Test wave") in audit
    assert AuditEvent.objects.filter(action="view", summary="Viewed the evaluator package page").exists()
    # A second request makes version 2.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE)
    assert list(PackageBuild.objects.values_list("version", "status")) == [(2, "ready"), (1, "ready")]


@pytest.mark.django_db
def test_a_request_while_a_build_is_under_way_is_shown_that_build(client, cast, monkeypatch):
    running = PackageBuild.objects.create(
        collaborative=cast.collaborative, version=4, status="running", tables_done=3, tables_total=12,
        current_table="series", heartbeat_at=timezone.now(),
    )  # fmt: skip
    sign_in(client, cast.national)
    response = client.post(PAGE)
    assert response["Location"] == PAGE + "?already=1"
    assert list(PackageBuild.objects.values_list("pk", flat=True)) == [running.pk]
    page = client.get(response["Location"]).content.decode()
    assert "Version 4 is already being built" in page
    assert "3 of 12 tables done (now writing series)" in page
    assert 'hx-trigger="every 2s"' in page
    assert not AuditEvent.objects.filter(summary__startswith="Requested the evaluator package").exists()


@pytest.mark.django_db
def test_the_progress_partial_polls_while_building_and_stops_when_ready(client, cast):
    build = PackageBuild.objects.create(collaborative=cast.collaborative, version=1, status="queued")
    sign_in(client, cast.evaluator)
    partial = client.get(PAGE, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="versions" hx-get="/evaluation/package/" hx-trigger="every 2s"')
    assert "waiting to start" in partial and "<h1" not in partial
    PackageBuild.objects.filter(pk=build.pk).update(status="ready", size=10)
    partial = client.get(PAGE, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "Download version 1" in partial


@pytest.mark.django_db
def test_a_stale_running_build_is_failed_so_a_new_one_can_start(cast):
    old = timezone.now() - timezone.timedelta(hours=2)
    stale = PackageBuild.objects.create(collaborative=cast.collaborative, version=1, status="running", heartbeat_at=old)
    build, created = PackageBuild.request(cast.collaborative, by=cast.evaluator)
    assert created and build.version == 2
    stale.refresh_from_db()
    assert stale.status == "failed" and "worker was lost" in stale.error
    PackageBuild.objects.filter(pk=build.pk).update(requested_at=old)  # queued, and no worker ever took it
    build, created = PackageBuild.request(cast.collaborative, by=cast.evaluator)
    assert created and build.version == 3
    assert PackageBuild.objects.get(version=2).error == "No worker started the build: ask for the package again."


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_build(cast):
    PackageBuild.objects.create(collaborative=cast.collaborative, version=1, status="queued")
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageBuild.objects.create(collaborative=cast.collaborative, version=2, status="running")
    PackageBuild.objects.create(collaborative=cast.collaborative, version=2, status="failed")  # a finished one may


@pytest.mark.django_db
def test_a_retried_task_of_a_ready_build_does_nothing(cast, package_data):
    build, _ = PackageBuild.request(cast.collaborative, by=cast.evaluator)
    assert build_package(build.pk) == "ready"
    build.refresh_from_db()
    name, finished = build.file.name, build.finished_at
    assert build_package(build.pk) == "ready"
    build.refresh_from_db()
    assert (build.file.name, build.finished_at) == (name, finished)
    assert build_package(999_999) == "missing"


@pytest.mark.django_db
def test_a_failed_build_says_why_and_lets_the_next_request_start(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(package, "build", broken)
    build, _ = PackageBuild.request(cast.collaborative, by=cast.evaluator)
    assert build_package(build.pk) == "failed"
    build.refresh_from_db()
    assert build.status == "failed" and build.error == "the disk is full" and not build.file
    assert PackageBuild.request(cast.collaborative, by=cast.evaluator)[1] is True


@pytest.mark.django_db
def test_a_build_that_cannot_be_queued_is_marked_failed(client, cast, monkeypatch, django_capture_on_commit_callbacks):
    from evaluation.views import package as views

    monkeypatch.setattr(views, "delay_safely", lambda task, *args: False)
    sign_in(client, cast.evaluator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE)
    build = PackageBuild.objects.get()
    assert build.status == "failed" and "could not be queued" in build.error
    assert "could not be queued" in client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_versions_are_per_collaborative_and_another_collaboratives_package_is_404(client, cast):
    from django.core.files.base import ContentFile

    from collaborative.models import Collaborative

    other = Collaborative.objects.create(name="Other wave", slug="other-wave", start_date=timezone.localdate())
    theirs = PackageBuild.objects.create(collaborative=other, version=1, status="ready")
    theirs.file.save("theirs.zip", ContentFile(b"secret"))
    sign_in(client, cast.evaluator)
    assert client.get(download_url(1)).status_code == 404
    assert client.get(download_url(1) + "?collaborative=other-wave").status_code == 404
    assert client.get(PAGE + "?collaborative=other-wave").status_code == 404
    assert PackageBuild.request(cast.collaborative, by=cast.evaluator)[0].version == 1


@pytest.mark.django_db
def test_a_version_not_ready_is_not_downloadable(client, cast):
    PackageBuild.objects.create(collaborative=cast.collaborative, version=1, status="running")
    sign_in(client, cast.evaluator)
    assert client.get(download_url(1)).status_code == 404


@pytest.mark.django_db
def test_the_page_makes_the_same_queries_for_one_version_or_many(client, cast, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    sign_in(client, cast.evaluator)
    PackageBuild.objects.create(collaborative=cast.collaborative, version=1, status="ready", requested_by=cast.national)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(PAGE).status_code == 200
    for version in range(2, 9):
        PackageBuild.objects.create(
            collaborative=cast.collaborative, version=version, status="failed", requested_by=cast.evaluator
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(PAGE).status_code == 200
    assert len(one.captured_queries) == len(many.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_build(cast):
    """Thread A's new build is not committed yet when thread B looks for one: B's insert waits on the
    partial unique index, fails when A commits, and B is handed A's build."""
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(2)
    results = {}

    def first():
        try:
            with transaction.atomic():
                results["a"] = PackageBuild.request(cast.collaborative, by=cast.evaluator)
                barrier.wait()
                time.sleep(0.5)  # B is now blocked on the index entry of A's uncommitted row
        finally:
            connection.close()

    def second():
        try:
            barrier.wait()
            results["b"] = PackageBuild.request(cast.collaborative, by=cast.national)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    (a, a_created), (b, b_created) = results["a"], results["b"]
    assert (a_created, b_created) == (True, False)
    assert a.pk == b.pk
    assert PackageBuild.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_pressing_build_at_once_make_one_build(cast, monkeypatch):
    from django.test import Client

    from evaluation.views import package as views

    monkeypatch.setattr(views, "_queue", lambda task, build: None)  # the build itself is not what is tested here
    barrier = threading.Barrier(2)
    statuses = []

    def press(user):
        try:
            client = sign_in(Client(), user)
            barrier.wait()
            statuses.append(client.post(PAGE)["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (cast.evaluator, cast.national)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert PackageBuild.objects.count() == 1
    assert sorted(statuses) == [PAGE, PAGE + "?already=1"]
    assert AuditEvent.objects.filter(summary__startswith="Requested the evaluator package").count() == 1


@pytest.mark.django_db
def test_the_command_writes_the_same_package(cast, package_data, tmp_path, capsys):
    out = tmp_path / "evaluation.zip"
    call_command("export_evaluation", "--collaborative", "test-wave", "--out", str(out))
    assert f"Wrote {out}" in capsys.readouterr().out
    files = package.read_back(out)
    assert set(files) == {t.file for t in package.TABLES.values()} | {package.DICTIONARY}
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_collaborative_clearly(cast, tmp_path):
    with pytest.raises(CommandError, match=r"No collaborative with the slug 'nope' \(known: test-wave\)"):
        call_command("export_evaluation", "--collaborative", "nope", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.django_db
def test_a_version_built_with_names_is_withdrawn_once_names_are_no_longer_allowed(
    client, cast, package_data, django_capture_on_commit_callbacks
):
    """Turning names off must not leave the names downloadable in the versions built while they were allowed."""
    type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(evaluation_names_allowed=True)
    sign_in(client, cast.evaluator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE)
    assert PackageBuild.objects.get(version=1).with_names
    response = client.get(download_url(1))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert "Alpha Trust" in archive.read("organisations.csv").decode()

    type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(evaluation_names_allowed=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE)
    assert not PackageBuild.objects.get(version=2).with_names
    assert client.get(download_url(1)).status_code == 404
    assert client.get(download_url(2)).status_code == 200
    page = client.get(PAGE).content.decode()
    assert download_url(1) not in page and download_url(2) in page
    assert "Withdrawn: it has the organisations' names, which are no longer allowed" in page
