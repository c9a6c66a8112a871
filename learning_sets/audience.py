"""Who takes part in a collaborative's learning sets, and for which organisation.

The access policy says what a role may do; this says where: a person takes
part in the collaboratives in which an organisation of theirs is enrolled, or
in which they are national team, coach or expert. Read once per request.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from organisations import access
from organisations.models import Membership, ProgrammeRole, Role

STAFF_ROLES = (Role.NATIONAL, Role.COACH, Role.EXPERT)


def collaboratives(user) -> dict[int, list[int]]:
    """Collaborative id -> the person's organisations enrolled in it (empty for programme staff there)."""
    cached = getattr(user, "_learning_set_collaboratives", None)
    if cached is not None:
        return cached
    from collaborative.models import Collaborative, Enrolment

    p = access.principal(user)
    result: dict[int, list[int]] = {}
    if p.user_id is None:
        return result
    # The person's own memberships decide where they belong: read before any scope applies.
    with scopes_disabled():
        if p.is_superuser:
            result = {pk: [] for pk in Collaborative.objects.values_list("pk", flat=True)}
        for collaborative_id in ProgrammeRole.objects.filter(user_id=p.user_id, role__in=STAFF_ROLES).values_list(
            "collaborative_id", flat=True
        ):
            result.setdefault(collaborative_id, [])
        if p.team_roles:
            rows = Enrolment.objects.filter(active=True, organisation_id__in=list(p.team_roles)).values_list(
                "collaborative_id", "organisation_id"
            )
            for collaborative_id, organisation_id in rows:
                result.setdefault(collaborative_id, []).append(organisation_id)
    user._learning_set_collaboratives = result
    return result


def national_collaboratives(user) -> set[int]:
    """Where the person is national team: they schedule these sets and see their drafts and registers."""
    p = access.principal(user)
    if p.is_superuser:
        return set(collaboratives(user))
    return set(p.collaborative_ids)


def newsletter_recipients(collaborative_id: int) -> list[int]:
    """Every active member of the collaborative (teams and programme staff, not evaluators) who has not opted out."""
    from collaborative.models import Enrolment

    from .models import Preference

    # Sending to a whole collaborative is a national-level path across its organisations.
    with scopes_disabled():
        enrolled = Enrolment.objects.filter(collaborative_id=collaborative_id, active=True).values("organisation_id")
        team = Membership.objects.filter(organisation_id__in=enrolled).values_list("user_id", flat=True)
        staff = ProgrammeRole.objects.filter(collaborative_id=collaborative_id, role__in=STAFF_ROLES).values_list(
            "user_id", flat=True
        )
        opted_out = Preference.objects.filter(newsletters=False).values("user_id")
        ids = (
            get_user_model()
            .objects.filter(is_active=True, pk__in=set(team) | set(staff))
            .exclude(pk__in=opted_out)
            .values_list("pk", flat=True)
        )
        return sorted(ids)


def home_collaborative(user):
    """The collaborative the national team works in (the first, should they be in several)."""
    from collaborative.models import Collaborative

    ids = national_collaboratives(user)
    return Collaborative.objects.filter(pk__in=ids).order_by("-start_date", "pk").first()


def organisations_for(user, collaborative_id: int):
    """The person's organisations enrolled in this collaborative, by name."""
    from organisations.models import Organisation

    ids = collaboratives(user).get(collaborative_id, [])
    return list(Organisation.objects.filter(pk__in=ids).order_by("name")) if ids else []
