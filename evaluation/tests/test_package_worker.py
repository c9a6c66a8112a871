"""The package is built by a real Celery worker, against Redis and PostgreSQL, with its progress recorded."""

import pytest

from tests.test_celery_worker import celery_app  # noqa: F401  (the fixture: tasks go through Redis to the worker)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_package(celery_worker, cast, package_data):
    from evaluation import package
    from evaluation.models import PackageBuild
    from evaluation.tasks import build_package

    build, _ = PackageBuild.request(cast.collaborative, by=cast.evaluator)
    assert build_package.delay(build.pk).get(timeout=60) == "ready"
    build.refresh_from_db()
    assert build.status == "ready" and build.tables_done == build.tables_total == len(package.TABLES)
    assert build.started_at <= build.finished_at and build.size == build.file.size
    with build.file.open("rb") as handle:
        files = package.read_back(handle)
    assert len(files["series.csv"]) > 1
    # The same task again (a retry, or a second worker) finds it ready and builds nothing.
    assert build_package.delay(build.pk).get(timeout=20) == "ready"
    assert PackageBuild.objects.get(pk=build.pk).finished_at == build.finished_at
