"""The demo's phase history is dated when it happened, so the coach's "since you last looked" tells the demo's
story instead of counting every past phase change as new."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from collaborative import dashboards, demo
from collaborative.models import PhaseEvent


def test_demo_phase_events_are_recorded_on_the_day_they_took_effect(db):
    demo.seed()
    with scopes_disabled():
        events = list(PhaseEvent.objects.all())
        assert events
        late = [(e.on_date, e.at.date()) for e in events if timezone.localtime(e.at).date() > e.on_date]
    assert late == []


def test_since_you_last_looked_in_the_demo_counts_only_phase_changes_after_the_last_visit(db):
    demo.seed()
    coach = get_user_model().objects.get(email="coach1@demo.example")
    with scopes_disabled():
        rows = dashboards.portfolio(coach, timezone.localdate())
        shown, happened = {}, {}
        for row in rows:
            organisation, since = row["organisation"], row["since"]
            shown[organisation.slug] = sum(n for n, label in since["changes"] if label.startswith("phase change"))
            happened[organisation.slug] = PhaseEvent.objects.filter(
                organisation=organisation, on_date__gt=timezone.localtime(since["last_seen"]).date()
            ).count()
    assert len(shown) == 3
    assert shown == happened
    # Something still shows: the figures and the question the demo sets up since the last visit.
    assert any(row["since"]["changes"] for row in rows)
