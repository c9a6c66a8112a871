"""Access-matrix rows for local design (collected by tests/test_access_matrix.py).

Each `kwargs` creates the object in the organisation being requested, so a
request into another organisation meets that organisation's object (404 for
outsiders, 403 for a national user's... nothing: national sees all).
"""

from django_scopes import scopes_disabled

from tests.access import COMMENTERS, EDITORS, SEES_WORKSPACE, Page

from . import factories


def _project(cast, org):
    return {"pk": factories.project(org).pk}


def _theory(cast, org):
    return {"pk": factories.change_theory(org, cast.collaborative).project_id}


def _theory_version(org):
    from ..models import ChangeTheory

    with scopes_disabled():
        return ChangeTheory.objects.filter(organisation=org).latest("pk").version


def _add_primary(cast, org):
    return {"op": "add", "kind": "primary", "text": "A local driver", "version": _theory_version(org)}


ORG_PAGES = {
    "qi_projects:local_design": Page(SEES_WORKSPACE),
    "qi_projects:project_create": Page(EDITORS),
    "qi_projects:project_detail": Page(SEES_WORKSPACE, kwargs=_project),
    "qi_projects:project_edit": Page(EDITORS, kwargs=_project),
    "qi_projects:focus_create": Page(EDITORS, kwargs=_project),
    "qi_projects:focus_edit": Page(EDITORS, kwargs=lambda cast, org: {"pk": factories.focus_population(org).pk}),
    "qi_projects:focus_delete": Page(
        EDITORS, kwargs=lambda cast, org: {"pk": factories.focus_population(org).pk}, method="post"
    ),
    "qi_projects:profile_create": Page(EDITORS),
    "qi_projects:profile_detail": Page(SEES_WORKSPACE, kwargs=lambda cast, org: {"pk": factories.profile(org).pk}),
    "qi_projects:profile_counts": Page(
        EDITORS,
        kwargs=lambda cast, org: {"pk": factories.profile(org, rows=()).pk},
        method="post",
        data=lambda cast, org: {"pop_0": "100", "case_0": "10", "pop_12": "50", "case_12": "10"},
    ),
    "qi_projects:diagram": Page(SEES_WORKSPACE, kwargs=_theory),
    "qi_projects:diagram_start": Page(EDITORS, kwargs=_project, method="post"),
    "qi_projects:diagram_edit": Page(EDITORS, kwargs=_theory),
    "qi_projects:diagram_change": Page(EDITORS, kwargs=_theory, method="post", data=_add_primary),
    "qi_projects:diagram_history": Page(SEES_WORKSPACE, kwargs=_theory),
    "pdsa:diagram_comment": Page(
        COMMENTERS, kwargs=_theory, method="post", data=lambda cast, org: {"body": "Have you asked carers?"}
    ),
    "measures:measure_create": Page(EDITORS, kwargs=_project),
    "measures:measure_detail": Page(SEES_WORKSPACE, kwargs=lambda cast, org: {"pk": factories.measure(org).pk}),
    "measures:measure_edit": Page(EDITORS, kwargs=lambda cast, org: {"pk": factories.measure(org).pk}),
    "pdsa:measure_comment": Page(
        COMMENTERS,
        kwargs=lambda cast, org: {"pk": factories.measure(org).pk},
        method="post",
        data=lambda cast, org: {"body": "Which month does the data start?"},
    ),
    "qi_projects:coproduction": Page(SEES_WORKSPACE),
    "qi_projects:coproduction_create": Page(EDITORS),
    "qi_projects:coproduction_edit": Page(EDITORS, kwargs=lambda cast, org: {"pk": factories.coproduction(org).pk}),
}

SITE_PAGES = {
    "qi_projects:programme_theory": (200, {"national"}),
    "qi_projects:programme_theory_edit": (200, {"national"}),
    "qi_projects:programme_theory_change": ("redirect", {"national"}),
    "qi_projects:programme_theory_history": (200, {"national"}),
    "qi_projects:programme_adoption": (200, {"national"}),
    "measures:measure_library": (200, {"national"}),
}
