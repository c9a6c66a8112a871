from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Sustaining and evaluation: the programme's three questions answered with evidence.

    At the top of the import direction with `collaborative/dashboards.py`
    (docs/architecture.md): it reads every app; nothing imports it back except
    through `collaborative.registry`.
    """

    name = "evaluation"

    def ready(self) -> None:
        from collaborative import registry

        from . import demo, demo_feedback, package_sustaining, survey, sustainability  # noqa: F401 (tables register)

        registry.gate_checks.register("sustainability_assessed", sustainability.sustainability_assessed)
        registry.gate_checks.register("sustainability_plan", sustainability.sustainability_plan_complete)
        registry.reminder_sources.register("approach_feedback", survey.reminders)
        registry.workspace_notices.register("approach_feedback", survey.workspace_notices)
        registry.demo_seeds.register("approach_feedback", demo_feedback.seed)
        registry.demo_seeds.register("sustainability", demo.seed)
