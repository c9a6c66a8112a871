"""The vocabulary of the access matrix, shared by every app's `tests/access.py`.

Each app lists its pages with the roles docs/architecture.md section 3 gives them; the
matrix in tests/test_access_matrix.py walks every URL in the URL conf for every
role, in the role's own organisation (A) and in another (B).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

TEAM = frozenset({"lead", "member", "data_champion", "sponsor", "lived_experience"})
SEES_WORKSPACE = TEAM | {"coach", "expert", "national"}
EDITORS = frozenset({"lead", "member", "data_champion", "national"})  # edit plans, log work
COMMENTERS = EDITORS | {"coach", "expert", "lived_experience"}
ROLES = sorted(SEES_WORKSPACE | {"evaluator", "other_lead", "nobody"})


def everyone() -> set[str]:
    return set(ROLES)


@dataclass(frozen=True)
class Page:
    """An organisation page: who gets it, and how to build the URL's other arguments.

    `kwargs(cast, organisation)` creates whatever object the URL names (in the
    organisation being requested) and returns the extra URL arguments.
    `method` is "get" or "post"; a POST page's success may be a redirect (302).
    `data(cast, organisation)` gives the POST body.
    """

    allowed: frozenset[str] | set[str]
    kwargs: Callable | None = None
    method: str = "get"
    data: Callable | None = field(default=None)
