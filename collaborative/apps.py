from django.apps import AppConfig


class CollaborativeConfig(AppConfig):
    name = "collaborative"
    verbose_name = "Programme"

    def ready(self) -> None:
        # Reminder sources of the ground floor and the programme; the apps above register their own.
        from organisations import reminders as organisation_reminders

        from . import demo_asks, digests, reminders
        from .registry import demo_seeds, reminder_sources

        reminder_sources.register("invitations", organisation_reminders.invitations_not_accepted)
        reminder_sources.register("mentions", organisation_reminders.mentions)
        reminder_sources.register("meetings", reminders.no_recent_meeting)
        reminder_sources.register("invoices", reminders.invoices)
        reminder_sources.register("weekly_digest", digests.weekly_digest)
        reminder_sources.register("programme_summary", digests.programme_summary)
        demo_seeds.register("team_asks", demo_asks.seed)
