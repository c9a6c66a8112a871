"""What the programme board flags about learning sets, as SQL the board's one query can carry."""

from django.db.models import Exists, OuterRef

from .models import FLAG_BEFORE, LearningSet, Registration


def nobody_registered_soon(now) -> Exists:
    """For an enrolment: a published set of its collaborative starts within two weeks and nobody from the
    organisation is registered (with a place or on the waiting list)."""
    soon = LearningSet.objects.filter(
        collaborative=OuterRef("collaborative"),
        status=LearningSet.Status.PUBLISHED,
        starts_at__gt=now,
        starts_at__lte=now + FLAG_BEFORE,
    )
    registered = Registration.objects.filter(
        learning_set=OuterRef("pk"),
        organisation=OuterRef(OuterRef("organisation")),
        status__in=[Registration.Status.REGISTERED, Registration.Status.WAITING],
    )
    return Exists(soon.filter(~Exists(registered)))
