"""The evaluation app's tables, one module per area; each is imported here so Django finds it.

- `sustainability.py`: the NHS Sustainability Model self-assessment and the sustainability plan.
- `feedback.py`: the six-monthly approach feedback survey.
- `package.py`: evaluator package builds (versions, progress, audit).
"""

from .feedback import ApproachFeedback  # noqa: F401
from .package import PackageBuild  # noqa: F401
from .sustainability import AssessmentRound, PlanChange, SustainabilityAssessment, SustainabilityPlan  # noqa: F401
