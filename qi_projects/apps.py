from django.apps import AppConfig


class QIProjectsConfig(AppConfig):
    name = "qi_projects"
    verbose_name = "Local design"

    def ready(self) -> None:
        from collaborative.registry import gate_checks

        from . import gates

        gate_checks.register("focus_population", gates.focus_population_identified)
        gate_checks.register("change_theory", gates.change_theory_coproduced)
