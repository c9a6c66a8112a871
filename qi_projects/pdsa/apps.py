from django.apps import AppConfig


class PdsaConfig(AppConfig):
    """Testing and scaling up: PDSA cycles, change-idea lifecycle, comments, progress score."""

    name = "qi_projects.pdsa"
    label = "pdsa"
    verbose_name = "PDSA cycles"

    def ready(self) -> None:
        # PDSA cycles are drawn on measure charts through the measures' annotation registry.
        from collaborative.registry import change_adoptions, chart_annotations, reminder_sources

        from . import annotations, reminders

        chart_annotations.register("pdsa", annotations.for_measure)
        change_adoptions.register("pdsa", annotations.adoptions_for)
        reminder_sources.register("pdsa_not_started", reminders.cycles_not_started)
        reminder_sources.register("pdsa_study_overdue", reminders.studies_overdue)
