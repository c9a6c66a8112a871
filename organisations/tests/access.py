"""Access-matrix rows for this app's pages (collected by tests/test_access_matrix.py).

ORG_PAGES: URL name -> Page(roles that get 200 in their own organisation, ...).
SITE_PAGES: URL name -> (expected status for allowed roles, allowed roles).
"""

from tests.access import ROLES, SEES_WORKSPACE, Page


def token_pk(cast, organisation) -> int:
    from organisations.models import ApiToken

    token, _ = ApiToken.issue(organisation=organisation, name="Warehouse", created_by=cast.national)
    return token.pk


def member_pk(cast, organisation) -> int:
    """A member who is not the team's only lead, so that taking them off is allowed."""
    from organisations.models import Membership, Role, User

    user = User.objects.filter(email=f"leaver-{organisation.slug}@example.com").first()
    user = user or User.objects.create_user(f"leaver-{organisation.slug}@example.com", "x")
    return (
        Membership.objects.with_scopes_disabled()
        .get_or_create(organisation=organisation, user=user, role=Role.MEMBER)[0]
        .pk
    )


def invitation_pk(cast, organisation) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from organisations.models import Invitation, Role

    invitation = Invitation.objects.create(
        email=f"new-{organisation.slug}@example.com",
        role=Role.MEMBER,
        organisation=organisation,
        invited_by=cast.national,
        expires_at=timezone.now() + timedelta(days=14),
    )
    return invitation.pk


def programme_invitation_pk(cast) -> dict:
    return {"pk": invitation_pk(cast, cast.org_a)}


def failed_delivery_pk(cast) -> dict:
    """A reminder to organisation A's lead that failed: the national team may send it again."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from organisations.models import Delivery, Organisation

    delivery = Delivery.objects.create(
        recipient=cast.lead,
        organisation=cast.org_a,
        kind="meeting",
        about_type=ContentType.objects.get_for_model(Organisation),
        about_id=cast.org_a.pk,
        occasion="matrix",
        due_at=timezone.now(),
        subject="No team meeting recorded for 14 days",
        status=Delivery.Status.FAILED,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    return {"pk": delivery.pk}


ORG_PAGES = {
    "organisations:team": Page(SEES_WORKSPACE),
    "organisations:notifications": Page(SEES_WORKSPACE),
    "organisations:member_role": Page({"lead", "national"}, kwargs=lambda c, o: {"pk": member_pk(c, o)}),
    "organisations:member_remove": Page({"lead", "national"}, kwargs=lambda c, o: {"pk": member_pk(c, o)}),
    # Only the inviter (here the national team) or the national team may withdraw.
    "organisations:invitation_withdraw": Page({"national"}, kwargs=lambda c, o: {"pk": invitation_pk(c, o)}),
    "organisations:team_export": Page({"lead", "member", "data_champion", "sponsor", "national"}),
    "organisations:api_tokens": Page({"lead", "national"}),
    "organisations:api_token_revoke": Page(
        {"lead", "national"}, kwargs=lambda c, o: {"pk": token_pk(c, o)}, method="post"
    ),
}

SITE_PAGES = {
    "organisations:inbox": (200, set(ROLES)),
    "organisations:preferences": (200, set(ROLES)),
    "organisations:deliveries": (200, {"national"}),
    "organisations:delivery_retry": (200, {"national"}, failed_delivery_pk),
    "organisations:programme_invite": (200, {"national"}),
    "organisations:audit_log": (200, {"national"}),
    "organisations:programme_invitation_withdraw": (200, {"national"}, programme_invitation_pk),
    "organisations:account_close": (200, {"national"}, lambda cast: {"pk": cast.member.pk}),
}

# Signed links, answered without signing in: tested with forged tokens (tests/test_access_matrix.py).
TOKEN_PAGES = {"organisations:invitation_accept", "organisations:unsubscribe"}
