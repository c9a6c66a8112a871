"""Access-matrix rows for the evaluation app (collected by tests/test_access_matrix.py)."""

from tests.access import TEAM, Page  # noqa: F401

ORG_PAGES: dict = {}
SITE_PAGES: dict = {
    # the evaluation area (evaluation/views/questions.py)
    "evaluation:home": (200, {"national", "evaluator"}),
    "evaluation:export": (200, {"national", "evaluator"}),
    "evaluation:sustained": (200, {"national", "evaluator"}),
    "evaluation:interventions": (200, {"national", "evaluator"}),
    "evaluation:interventions_csv": (200, {"national", "evaluator"}),
    "evaluation:interventions_xlsx": (200, {"national", "evaluator"}),
    "evaluation:approach": (200, {"national", "evaluator"}),
    # approach feedback (evaluation/views/feedback.py): every team role, wherever they hold it
    "evaluation:feedback": (200, set(TEAM) | {"other_lead"}),
}
SITE_OBJECT_PAGES: dict = {}
