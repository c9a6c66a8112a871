"""The load test's own arithmetic: its TOTP codes (scripts/loadtest/totp.py) are the ones allauth accepts.

The locustfile itself is not imported here: locust patches the standard library with gevent on import."""

import importlib.util
from pathlib import Path

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from collaborative.demo import DEMO_TOTP_SECRET

LOADTEST = Path(__file__).resolve().parent.parent / "scripts" / "loadtest"


def _totp():
    spec = importlib.util.spec_from_file_location("loadtest_totp", LOADTEST / "totp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_load_tests_totp_codes_are_the_ones_allauth_accepts():
    totp = _totp().totp
    for at in (0, 59, 1_700_000_000, 1_800_000_015):
        assert totp(DEMO_TOTP_SECRET, at) == format_hotp_value(hotp_value(DEMO_TOTP_SECRET, at // 30))
    # The secret the locustfile signs staff in with is the one seed_bench gives them.
    assert DEMO_TOTP_SECRET in (LOADTEST / "locustfile.py").read_text()
