from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from collaborative import demo, registry
from learning_sets import demo as learning_sets_demo


def seed_everything() -> dict:
    """The whole demo, as the command makes it: the programme, its learning sets, then every registered demo seed."""
    result = demo.seed()
    learning_sets_demo.seed(result["collaborative"])
    for _name, seed in registry.demo_seeds.items():
        seed(result["collaborative"])
    return result


class Command(BaseCommand):
    help = "Create the demo collaborative and its demo accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password; it refuses to run with DEBUG off. "
                "Use --force only on a throwaway database."
            )
        result = seed_everything()
        self.stdout.write(self.style.SUCCESS(f"Demo collaborative ready: {result['collaborative'].name}"))
        self.stdout.write(f"Demo logins (password {demo.DEMO_PASSWORD}):")
        for email, what in demo.demo_accounts():
            self.stdout.write(f"  {email:28} {what}")
        self.stdout.write(
            f"Accounts marked MFA use the demo authenticator secret {demo.DEMO_TOTP_SECRET}; "
            "`python manage.py demo_totp` prints the current code."
        )
