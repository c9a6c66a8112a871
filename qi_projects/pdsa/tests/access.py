"""Access-matrix rows for PDSA cycles, change ideas, comments and progress (see tests/test_access_matrix.py)."""

from qi_projects.tests.access import _project
from tests.access import COMMENTERS, EDITORS, SEES_WORKSPACE, Page

from . import factories


def _cycle(cast, org):
    return {"pk": factories.cycle(org).pk}


def _idea(cast, org):
    return {"pk": factories.change_idea(org).pk}


ORG_PAGES = {
    "pdsa:pdsa_list": Page(SEES_WORKSPACE),
    "pdsa:pdsa_create": Page(EDITORS),
    "pdsa:pdsa_draft": Page(
        EDITORS, method="post", data=lambda cast, org: {"draft_key": "new", "objective": "Half typed"}
    ),
    "pdsa:pdsa_detail": Page(SEES_WORKSPACE, kwargs=_cycle),
    "pdsa:pdsa_plan": Page(EDITORS, kwargs=_cycle),
    "pdsa:pdsa_do": Page(EDITORS, kwargs=_cycle),
    "pdsa:pdsa_study": Page(EDITORS, kwargs=_cycle),
    "pdsa:pdsa_act": Page(EDITORS, kwargs=_cycle),
    "pdsa:pdsa_comment": Page(
        COMMENTERS, kwargs=_cycle, method="post", data=lambda cast, org: {"body": "What did carers say?"}
    ),
    "pdsa:attachment_upload": Page(
        EDITORS,
        kwargs=_cycle,
        method="post",
        data=lambda cast, org: {"file": _png()},
    ),
    "pdsa:attachment_download": Page(SEES_WORKSPACE, kwargs=lambda cast, org: {"pk": factories.attachment(org).pk}),
    "pdsa:change_idea_detail": Page(SEES_WORKSPACE, kwargs=_idea),
    "pdsa:change_idea_move": Page(EDITORS, kwargs=_idea),
    "pdsa:change_idea_comment": Page(
        COMMENTERS, kwargs=_idea, method="post", data=lambda cast, org: {"body": "Worth a try on Saturdays?"}
    ),
    "pdsa:progress_score": Page(SEES_WORKSPACE, kwargs=_project),
    "pdsa:progress_override": Page(
        EDITORS,
        kwargs=_project,
        method="post",
        data=lambda cast, org: {"score": "2.0", "reason": "Cycles are running, no change yet."},
    ),
}


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("board.png", factories.PNG, content_type="image/png")
