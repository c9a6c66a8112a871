from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Sustaining and evaluation: the programme's three questions answered with evidence.

    At the top of the import direction with `collaborative/dashboards.py`
    (docs/architecture.md): it reads every app; nothing imports it back except
    through `collaborative.registry`.
    """

    name = "evaluation"

    def ready(self) -> None:
        from collaborative.registry import demo_seeds, gate_checks

        from . import demo, sustainability

        demo_seeds.register("sustainability", demo.seed)

        gate_checks.register("sustainability_assessed", sustainability.sustainability_assessed)
        gate_checks.register("sustainability_plan", sustainability.sustainability_plan_complete)
