"""Access-matrix rows for the programme's pages (see tests/access.py)."""

from collaborative.tests.factories import invoice_pk, planned_enrolment
from tests.access import SEES_WORKSPACE, Page


def with_plan(cast, organisation):
    planned_enrolment(organisation)
    return {}


SITE_PAGES = {
    "collaborative:portfolio": (200, {"coach", "expert"}),
    "collaborative:board": (200, {"national"}),
    "collaborative:enrol": (200, {"national"}),
    "collaborative:settings": (200, {"national"}),
}

ORG_PAGES = {
    "collaborative:workspace": Page(SEES_WORKSPACE),
    "collaborative:phases": Page(SEES_WORKSPACE, kwargs=with_plan),
    "collaborative:phase_start": Page({"national"}, kwargs=with_plan, method="post"),
    "collaborative:phase_adjust": Page({"national", "coach"}, kwargs=lambda c, o: with_plan(c, o) | {"number": 1}),
    "collaborative:gate_pass": Page({"national", "coach"}, kwargs=with_plan, method="post"),
    "collaborative:gate_tick": Page(
        {"national", "coach"}, kwargs=lambda c, o: with_plan(c, o) | {"key": "focus_population"}, method="post"
    ),
    "collaborative:people": Page({"national"}, kwargs=with_plan),
    "collaborative:meetings": Page(SEES_WORKSPACE),
    "collaborative:coaching": Page(SEES_WORKSPACE),
    "collaborative:fees": Page({"national", "lead", "sponsor"}, kwargs=with_plan),
    "collaborative:invoice_edit": Page({"national"}, kwargs=lambda c, o: {"pk": invoice_pk(o)}),
}
