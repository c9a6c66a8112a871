from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"

    def ready(self) -> None:
        from collaborative.registry import gate_checks, reminder_sources

        from . import gates, reminders

        gate_checks.register("measurement_strategy", gates.measurement_strategy_agreed)
        gate_checks.register("baseline_data", gates.baseline_data_collected)
        reminder_sources.register("data_due", reminders.data_due)
