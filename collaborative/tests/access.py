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


def with_ask(cast, organisation):
    from django_scopes import scopes_disabled

    from collaborative.models import TeamAsk

    with scopes_disabled():
        ask = TeamAsk.objects.create(organisation=organisation, kind="ask", text="Protected time for the team")
    return {"pk": ask.pk}


ORG_PAGES |= {
    "collaborative:sponsor": Page(SEES_WORKSPACE),
    "collaborative:asks": Page(SEES_WORKSPACE),
    "collaborative:ask_answer": Page({"sponsor"}, kwargs=with_ask),
    "collaborative:ask_resolve": Page({"lead", "member", "data_champion"}, kwargs=with_ask, method="post"),
}
