"""seed_demo's learning sets: a year of four (two past, two upcoming), newsletters, case studies, resources."""

from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from learning_sets.models import CaseStudy, Feedback, LearningSet, Newsletter, Registration, Resource


def counts() -> dict:
    with scopes_disabled():
        return {
            model.__name__: model.objects.count()
            for model in (LearningSet, Registration, Feedback, Newsletter, CaseStudy, Resource)
        }


def test_seed_demo_makes_a_year_of_learning_sets_once(db, capsys):
    call_command("seed_demo", force=True)
    first = counts()
    call_command("seed_demo", force=True)
    assert counts() == first
    now = timezone.now()
    sets = list(LearningSet.objects.with_places().order_by("starts_at"))
    assert len(sets) == 4
    past, upcoming = [s for s in sets if s.ends_at < now], [s for s in sets if s.starts_at > now]
    assert len(past) == 2 and len(upcoming) == 2
    for ls in past:
        assert ls.registrations.filter(attended=True).exists() and ls.feedback.exists() and ls.materials.exists()
    for ls in upcoming:
        assert ls.registrations.filter(user__email="lead1@demo.example", status="registered").exists()
    full = [s for s in upcoming if s.taken >= s.capacity]
    assert len(full) == 1 and full[0].waiting == 2
    assert first["Newsletter"] == 2 and first["Resource"] == 12
    with scopes_disabled():
        assert set(CaseStudy.objects.values_list("status", flat=True)) == {"approved", "submitted", "changes_requested"}
    assert set(Resource.objects.values_list("step", flat=True)) == {"identify", "design", "deliver", "evaluate"}
