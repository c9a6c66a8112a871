"""Access-matrix rows for this app's pages (collected by tests/test_access_matrix.py).

ORG_PAGES: URL name -> Page(roles that get 200 in their own organisation, ...).
SITE_PAGES: URL name -> (expected status for allowed roles, allowed roles).
"""

from tests.access import SEES_WORKSPACE, Page

ORG_PAGES = {
    "organisations:workspace": Page(SEES_WORKSPACE),
    "organisations:team": Page(SEES_WORKSPACE),
    "organisations:team_export": Page({"lead", "member", "data_champion", "sponsor", "national"}),
}

SITE_PAGES = {
    "organisations:portfolio": (200, {"coach", "expert"}),
    "organisations:programme_invite": (200, {"national"}),
    "organisations:audit_log": (200, {"national"}),
}

TOKEN_PAGES = {"organisations:invitation_accept"}
