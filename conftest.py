"""Shared test set-up: which real services are present, the cast, the browser.

Tests marked `postgres`, `redis` or `browser` need that real service. Without
it they are skipped with the reason; under CI=true a skip is a failure, so CI
cannot pass without running them.
"""

import os
import shutil
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "browser" and not CHROMIUM:
        return "needs Chromium at /usr/bin/chromium (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker):
            reason = _missing(marker)
            if reason:
                pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI=true, where nothing may be skipped: {report.longrepr}"


# --- The cast ------------------------------------------------------------------


@pytest.fixture
def cast(db):
    """Two organisations in one collaborative and one person in every role.

    Organisation A has a lead, member, data champion, sponsor, lived-experience
    partner, an assigned coach and expert; organisation B has its own lead.
    Programme staff have TOTP set up, as MFA requires.
    """
    from django_scopes import scopes_disabled

    from collaborative.demo import DEMO_TOTP_SECRET
    from collaborative.models import Collaborative, Enrolment
    from organisations.models import Assignment, Membership, Organisation, ProgrammeRole, Role, User

    def person(email, mfa=False):
        user = User.objects.create_user(email=email, password="correct-horse-battery")
        if mfa:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(user, DEMO_TOTP_SECRET)
        return user

    with scopes_disabled():
        collab = Collaborative.objects.create(name="Test wave", slug="test-wave", start_date=timezone.localdate())
        org_a = Organisation.objects.create(name="Alpha Trust", slug="alpha")
        org_b = Organisation.objects.create(name="Beta Trust", slug="beta")
        for org in (org_a, org_b):
            Enrolment.objects.create(collaborative=collab, organisation=org, start_date=timezone.localdate())
        people = {}
        for role in (Role.LEAD, Role.MEMBER, Role.DATA_CHAMPION, Role.SPONSOR, Role.LIVED_EXPERIENCE):
            people[role.value] = person(f"{role.value}@a.example")
            Membership.objects.create(organisation=org_a, user=people[role.value], role=role)
        people["other_lead"] = person("lead@b.example")
        Membership.objects.create(organisation=org_b, user=people["other_lead"], role=Role.LEAD)
        for role in (Role.NATIONAL, Role.COACH, Role.EXPERT, Role.EVALUATOR):
            people[role.value] = person(f"{role.value}@programme.example", mfa=True)
            ProgrammeRole.objects.create(collaborative=collab, user=people[role.value], role=role)
        Assignment.objects.create(organisation=org_a, user=people["coach"], role=Role.COACH)
        Assignment.objects.create(organisation=org_a, user=people["expert"], role=Role.EXPERT)
        people["nobody"] = person("nobody@example.com")
    return type("Cast", (), {"collaborative": collab, "org_a": org_a, "org_b": org_b, **people})


def sign_in(client, user):
    """Log a user in for the test client, as if they had passed MFA too."""
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": timezone.now().timestamp(), "reauthenticated": True}
    ]
    session.save()
    return client


@pytest.fixture
def login():
    return sign_in


# --- The browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM:
        pytest.skip("needs Chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # made by the test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fresh_shared_cache():
    """Each test starts from an empty shared cache: keys left in Redis by an earlier test or run
    (an idempotency claim, a login rate limit, a cached gate status for a primary key that the
    next test's fresh database reuses) would otherwise change what it sees. The database cache
    of the embedded mode lives in the test database, which each test rolls back. Under xdist
    each worker's cache is a Redis database of its own (settings `_cache_location`)."""
    if os.environ.get("REDIS_URL"):
        cache.clear()
    yield


@pytest.fixture
def page(_playwright, live_server, transactional_db):
    cache.clear()
    context = _playwright.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []

    def on_console(msg):
        # A 4xx answer (a form with errors, 422) is expected; script and CSP errors are not.
        if msg.type == "error" and "the server responded with a status of 4" not in msg.text:
            errors.append(f"{msg.text} at {msg.location}")

    page.on("console", on_console)
    page.console_errors = errors
    yield page
    context.close()


def totp_code() -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from collaborative.demo import DEMO_TOTP_SECRET

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))


@pytest.fixture
def browser_login(page):
    """Sign in through the real form (and the TOTP step for programme staff)."""

    def do(email, password="correct-horse-battery"):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # Wait for the sign-in to answer (the TOTP step or the landing page) before asking where we are.
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        if "/2fa/authenticate" in page.url:
            page.get_by_label("Code", exact=True).fill(totp_code())
            page.get_by_role("button", name="Sign in").click()
        return page

    return do


@pytest.fixture
def invitation_factory(cast):
    from organisations.models import Invitation

    def make(email="new@a.example", role="member", organisation=None, **kwargs):
        return Invitation.objects.with_scopes_disabled().create(
            email=email,
            role=role,
            organisation=organisation or cast.org_a,
            invited_by=cast.lead,
            expires_at=kwargs.pop("expires_at", timezone.now() + timedelta(days=14)),
            **kwargs,
        )

    return make


@pytest.fixture(autouse=True)
def _celery_inline():
    """Tasks run in-process unless a test starts a real worker (which overrides celery_app)."""
    from collaborative.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploads made by tests land in a throwaway folder, never in the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


def fill_date(page, label: str, value) -> None:
    """Type a date into an NHS.UK date input (day, month and year boxes) found by its legend."""
    from datetime import date

    day = value if isinstance(value, date) else date.fromisoformat(value)
    group = page.get_by_role("group", name=label, exact=True)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


@pytest.fixture
def axe_page(_playwright, live_server):
    # axe is injected as a script, which the site's CSP (rightly) forbids: bypass it for the audit only.
    context = _playwright.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
