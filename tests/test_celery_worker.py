"""A real Celery worker, against Redis, runs a task that writes to the database."""

import os

import pytest
from django.core import mail
from django_scopes import scopes_disabled


@pytest.fixture
def celery_app():
    from celery.contrib.testing import tasks  # noqa: F401  (registers the worker's ping task)

    from collaborative.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend")}
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    forget_backend(app)
    yield app
    app.conf.update(
        task_always_eager=saved["task_always_eager"],
        broker_url=saved["broker_url"],
        result_backend=saved["result_backend"],
    )
    forget_backend(app)


def forget_backend(app):
    """Earlier tasks in this process built the app's (disabled) result backend: build it again."""
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_sends_an_invitation_once_and_records_it(celery_worker, invitation_factory):
    from organisations.models import Invitation
    from organisations.tasks import send_invitation

    invitation = invitation_factory(email="worker@a.example")
    assert send_invitation.delay(invitation.pk).get(timeout=20) is True
    with scopes_disabled():
        invitation = Invitation.objects.get(pk=invitation.pk)
    assert invitation.sent_at is not None
    assert [m.to for m in mail.outbox] == [["worker@a.example"]]
    # A retry (or a second worker) finds the send already claimed: nothing goes twice.
    assert send_invitation.delay(invitation.pk).get(timeout=20) is False
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_writes_to_postgresql(celery_worker, invitation_factory):
    from django.db import connection

    from organisations.tasks import send_invitation

    assert connection.vendor == "postgresql"
    invitation = invitation_factory(email="pg@a.example")
    send_invitation.delay(invitation.pk).get(timeout=20)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sent_at FROM organisations_invitation WHERE id = %s", [invitation.pk])
        assert cursor.fetchone()[0] is not None
