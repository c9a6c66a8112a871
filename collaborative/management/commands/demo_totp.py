import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from collaborative import demo


class Command(BaseCommand):
    help = "Print the current one-time code of the demo authenticator (demo accounts only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo only; it refuses to run with DEBUG off.")
        counter = int(time.time()) // 30
        self.stdout.write(format_hotp_value(hotp_value(demo.DEMO_TOTP_SECRET, counter)))
