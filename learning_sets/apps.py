from django.apps import AppConfig


class LearningSetsConfig(AppConfig):
    name = "learning_sets"

    def ready(self) -> None:
        # Reminders 14 and 2 days before a set, through the reminder tick (collaborative.reminders).
        from collaborative.registry import reminder_sources

        from . import reminders

        reminder_sources.register("learning_sets", reminders.learning_set_reminders)
