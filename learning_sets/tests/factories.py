"""Objects for learning-set tests. Only the fields a test needs."""

from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled

from ..models import (
    AgendaItem,
    CaseStudy,
    LearningSet,
    Material,
    Newsletter,
    Registration,
    Resource,
    ResourcePage,
)
from ..scheduling import london_to_utc

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def organiser():
    user, _ = get_user_model().objects.get_or_create(email="organiser@national.example")
    return user


def learning_set(collaborative, *, days=30, capacity=20, status=LearningSet.Status.PUBLISHED, **kwargs) -> LearningSet:
    """A set `days` from today (negative: in the past), 10:00 to 15:30 London time."""
    day = timezone.localdate() + timedelta(days=days)
    defaults = {
        "title": "Spring learning set",
        "starts_at": london_to_utc(day, time(10, 0)),
        "ends_at": london_to_utc(day, time(15, 30)),
        "format": "online",
        "joining_link": "https://meet.example/amhe",
        "capacity": capacity,
        "status": status,
        "created_by": organiser(),
        "published_at": timezone.now() if status == LearningSet.Status.PUBLISHED else None,
    }
    defaults.update(kwargs)
    return LearningSet.objects.create(collaborative=collaborative, **defaults)


def past_set(collaborative, **kwargs) -> LearningSet:
    return learning_set(collaborative, days=-7, **kwargs)


def registration(learning_set, user, *, organisation=None, status=Registration.Status.REGISTERED, **kwargs):
    return Registration.objects.create(
        learning_set=learning_set, user=user, organisation=organisation, status=status, **kwargs
    )


def presenting(learning_set, organisation) -> AgendaItem:
    start = learning_set.starts_at + timedelta(hours=1)
    return AgendaItem.objects.create(
        learning_set=learning_set,
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        title="Our crisis line for Black African and Caribbean men",
        presenting_organisation=organisation,
        speakers="Lee Lead",
    )


def material(learning_set, *, share_before=False) -> Material:
    item = Material(
        learning_set=learning_set,
        title="Slides",
        name="slides.png",
        kind="png",
        size=len(PNG),
        share_before=share_before,
    )
    item.file.save("slides.png", ContentFile(PNG), save=False)
    item.save()
    return item


def newsletter(collaborative, *, status=Newsletter.Status.DRAFT, **kwargs) -> Newsletter:
    defaults = {"subject": "Winter news", "body": "## Hello\n\nThe next learning set is in **February**."}
    defaults.update(kwargs)
    return Newsletter.objects.create(
        collaborative=collaborative,
        created_by=organiser(),
        status=status,
        sent_at=timezone.now() if status == Newsletter.Status.SENT else None,
        **defaults,
    )


def case_study(organisation, collaborative, *, status=CaseStudy.Status.DRAFT, **kwargs) -> CaseStudy:
    defaults = {
        "title": "Evening clinics for young Black men",
        "summary": "We opened evening clinics; did-not-attend rates fell.",
        "what_changed": "Three PDSA cycles of evening appointments.",
        "created_by": organiser(),
    }
    defaults.update(kwargs)
    if status == CaseStudy.Status.APPROVED:
        defaults.setdefault("reviewed_at", timezone.now())
    with scopes_disabled():
        return CaseStudy.objects.create(
            organisation=organisation, collaborative=collaborative, status=status, **defaults
        )


def resource(collaborative, *, title="The PDSA guide", pages=(), document=False, **kwargs) -> Resource:
    defaults = {
        "summary": "How to plan, do, study and act on a small test of change.",
        "category": Resource.Category.QI_METHOD,
        "step": "deliver",
        "phase": 2,
        "url": "" if document else "https://example.org/pdsa-guide",
        "created_by": organiser(),
    }
    defaults.update(kwargs)
    item = Resource(collaborative=collaborative, title=title, **defaults)
    if document:
        item.file.save("guide.png", ContentFile(PNG), save=False)
        item.file_name, item.file_kind, item.file_size = "guide.png", "png", len(PNG)
    item.save()
    ResourcePage.objects.bulk_create([ResourcePage(resource=item, page=p) for p in pages])
    return item
