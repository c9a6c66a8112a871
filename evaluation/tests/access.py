"""Access-matrix rows for the evaluation app (collected by tests/test_access_matrix.py)."""

from tests.access import EDITORS, SEES_WORKSPACE, TEAM, Page

EVALUATION = {"national", "evaluator"}


def _ready_package(cast, organisation):
    """A ready version of the collaborative's package, with a file in storage."""
    from django.core.files.base import ContentFile

    from evaluation.models import PackageBuild

    build, _ = PackageBuild.objects.get_or_create(
        collaborative=cast.collaborative, version=1, defaults={"status": PackageBuild.Status.READY}
    )
    if not build.file:
        build.file.save("package.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    return {"version": build.version}


def _project(cast, org):
    from measures.tests.factories import make_project

    return {"pk": make_project(org).pk}


def _start_round(cast, org):
    return {**_project(cast, org), "round": "start"}


ORG_PAGES: dict = {
    # Sustainability: everyone who sees the workspace reads it; the team (and national) enter it.
    "evaluation:sustainability": Page(SEES_WORKSPACE),
    "evaluation:assessment_edit": Page(EDITORS, kwargs=_start_round),
    "evaluation:plan_edit": Page(EDITORS, kwargs=_project),
    "evaluation:reflections_edit": Page(EDITORS, kwargs=_project),
    "evaluation:report": Page(SEES_WORKSPACE),
    "evaluation:report_pdf": Page(SEES_WORKSPACE),
}
SITE_PAGES: dict = {
    # the evaluation area (evaluation/views/questions.py)
    "evaluation:home": (200, {"national", "evaluator"}),
    "evaluation:export": (200, {"national", "evaluator"}),
    "evaluation:sustained": (200, {"national", "evaluator"}),
    "evaluation:interventions": (200, {"national", "evaluator"}),
    "evaluation:interventions_csv": (200, {"national", "evaluator"}),
    "evaluation:interventions_xlsx": (200, {"national", "evaluator"}),
    "evaluation:approach": (200, {"national", "evaluator"}),
    "evaluation:series": (200, {"national", "evaluator"}),
    # approach feedback (evaluation/views/feedback.py): every team role, wherever they hold it
    "evaluation:feedback": (200, set(TEAM) | {"other_lead"}),
    # the evaluator package (evaluation/views/package.py)
    "evaluation:package": (200, EVALUATION),
}
SITE_OBJECT_PAGES: dict = {
    "evaluation:package_download": Page(EVALUATION, kwargs=_ready_package),
}
