"""Email backends for tests: one that fails the first N sends, one that refuses every recipient."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class Flaky(EmailBackend):
    """Fails `failures` sends (class attribute, set by the test) with a dropped connection, then delivers."""

    failures = 0

    def send_messages(self, messages):
        if Flaky.failures > 0:
            Flaky.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class Refusing(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"No such user") for m in messages})


class Down(EmailBackend):
    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")
