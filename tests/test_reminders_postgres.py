"""On PostgreSQL: two `send_due_reminders` at once, or two workers claiming one delivery at once, send it once."""

import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from organisations import deliveries
from organisations.clock import LONDON
from organisations.models import Delivery, Organisation
from tests.services import ROOT, SmtpServer, app_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_in_two_processes_send_each_reminder_once(cast, invitation_factory):
    assert connection.vendor == "postgresql"
    made = datetime(2026, 11, 20, 15, 0, tzinfo=LONDON)
    invitations = [
        invitation_factory(email=f"slow{n}@a.example", created_at=made, expires_at=made + timedelta(days=14))
        for n in range(40)
    ]
    now = datetime(2026, 11, 27, 8, 5, tzinfo=LONDON).astimezone(UTC).isoformat()
    with SmtpServer() as smtp:
        smtp.mailbox.delay = 0.02
        command = [sys.executable, "manage.py", "send_due_reminders", "--inline", "--now", now]
        runs = [
            subprocess.Popen(command, cwd=ROOT, env=app_env(EMAIL_URL=smtp.url), stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=180)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        subjects = smtp.mailbox.subjects()
    expected = sorted(f"{i.email} has not accepted your invitation yet" for i in invitations)
    assert subjects == expected  # each once
    sent = [int(re.search(r"^Sent (\d+)", out, re.M).group(1)) for out in outputs]
    assert sum(sent) == 40, outputs
    assert Delivery.objects.filter(kind="invitation", status="sent", emailed=True).count() == 40


def test_two_workers_claiming_one_delivery_at_once_send_it_once(cast):
    item = deliveries.Due(
        recipient_id=cast.lead.pk,
        kind="meeting",
        about=(Organisation, cast.org_a.pk),
        occasion="race",
        due_at=timezone.now(),
        subject="No team meeting recorded for 14 days",
        organisation_id=cast.org_a.pk,
    )
    deliveries.record([item])
    deliveries.record([item])  # dispatched twice: still one row
    row = Delivery.objects.get()
    start = threading.Barrier(4)
    claimed = []

    def worker():
        try:
            start.wait()
            claimed.extend(r.pk for r in deliveries.deliver([row.pk]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert claimed == [row.pk]
    assert len(mail.outbox) == 1
    # A retry after it was sent finds nothing to do.
    assert deliveries.deliver([row.pk]) == []
    assert len(mail.outbox) == 1
