"""Access-matrix rows for this app's pages (collected by tests/test_access_matrix.py).

ORG_PAGES: URL name -> Page(roles that get 200 in their own organisation, ...).
SITE_PAGES: URL name -> (expected status for allowed roles, allowed roles).
"""

from tests.access import ROLES, SEES_WORKSPACE, Page


def token_pk(cast, organisation) -> int:
    from organisations.models import ApiToken

    token, _ = ApiToken.issue(organisation=organisation, name="Warehouse", created_by=cast.national)
    return token.pk


ORG_PAGES = {
    "organisations:team": Page(SEES_WORKSPACE),
    "organisations:notifications": Page(SEES_WORKSPACE),
    "organisations:team_export": Page({"lead", "member", "data_champion", "sponsor", "national"}),
    "organisations:api_tokens": Page({"lead", "national"}),
    "organisations:api_token_revoke": Page(
        {"lead", "national"}, kwargs=lambda c, o: {"pk": token_pk(c, o)}, method="post"
    ),
}

SITE_PAGES = {
    "organisations:inbox": (200, set(ROLES)),
    "organisations:programme_invite": (200, {"national"}),
    "organisations:audit_log": (200, {"national"}),
}

TOKEN_PAGES = {"organisations:invitation_accept"}
